// Package ticket is what the ticket channels (GitHub Issues, Jira Cloud,
// ServiceNow) share: one ticket per item per tenant, found again after a
// restart and never duplicated; every later notice about the item becomes
// a comment; resolution or withdrawal closes the ticket and a reopened
// item reopens it.
//
// A Filer does the bookkeeping; a Tracker (one per channel package) speaks
// the tracker's API. For every notice the Filer
//
//  1. takes the item's lock, so that notices about one item are filed one
//     after the other (two at once would both see no ticket and open two);
//  2. looks the ticket up: first the thread reference the store keeps for
//     the item (a cache, checked against the tracker), then the tracker
//     itself, searching for the item's marker "shdmc:<tenant>:<item id>"
//     (a GitHub label, a Jira label, a ServiceNow correlation ID), so that
//     a restart with an empty cache or a crash between creating a ticket
//     and recording it finds the ticket again; a cached ticket the
//     tracker no longer has (deleted, moved) is forgotten at once
//     (Store.DeleteThreadRef), so that the dashboard never links to it
//     and the ticket found or opened next takes its place;
//  3. opens a ticket when there is none, comments, closes or reopens;
//  4. records the ticket as the item's thread reference (channel
//     "ticket:<type>:<target>", see store.Tickets), where the dashboard
//     finds its link. The store keeps the first reference recorded for an
//     item, so when two processes opened a ticket for one item at the same
//     moment, the later one closes its own as a duplicate of the first and
//     comments on that one instead.
package ticket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// Ticket is one ticket in a tracker.
type Ticket struct {
	// ID is what the tracker's API names the ticket by: a GitHub issue
	// number, a Jira key, a ServiceNow sys_id.
	ID string
	// Name is what people call it, when it differs from ID ("#42",
	// "INC0010001"); "" otherwise.
	Name string
	// URL is the ticket's page.
	URL string
	// Closed reports whether the ticket is closed (resolved, done).
	Closed bool
}

// Label returns Name, or ID when there is no Name.
func (t Ticket) Label() string {
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

// ErrGone is returned by Tracker.Get for a ticket that no longer exists
// (deleted, or moved elsewhere).
var ErrGone = errors.New("the ticket no longer exists")

// Reason says why a ticket is closed.
type Reason int

// The reasons.
const (
	// Open: the item is not over.
	Open Reason = iota
	// Resolved: the incident is resolved or the service restored.
	Resolved
	// Withdrawn: Microsoft no longer lists the item (removed, withdrawn).
	Withdrawn
	// Duplicate: another ticket was opened for the item at the same time.
	Duplicate
)

// Update is what one notice asks of the ticket of its item.
type Update struct {
	// Event is the item's event (one item of a digest).
	Event *model.Event
	// Render holds the route's language and time zone.
	Render render.Options
	// Marker is the item's marker, "shdmc:<tenant>:<item id>".
	Marker string
	// Close is why the item is over (Open when it is not): the ticket is
	// closed.
	Close Reason
	// Reopen: the item is back (reopened, reappeared, down again); a
	// closed ticket is reopened.
	Reopen bool
	// Note replaces the rendered notice as the text of the comment (a
	// duplicate's closing note); "" renders Event.
	Note string
}

// Tracker speaks one tracker's API. Errors are classified for the
// dispatcher (notify.Permanent, notify.RetryAfter) and never hold a
// secret.
type Tracker interface {
	// Get returns the ticket named id, or ErrGone.
	Get(ctx context.Context, id string) (Ticket, error)
	// Find searches the tracker for the oldest ticket carrying u.Marker.
	Find(ctx context.Context, u *Update) (Ticket, bool, error)
	// Create opens a ticket for u's item, carrying u.Marker.
	Create(ctx context.Context, u *Update) (Ticket, error)
	// Comment adds u to t.
	Comment(ctx context.Context, t Ticket, u *Update) error
	// Close adds u to t and closes it for u.Close.
	Close(ctx context.Context, t Ticket, u *Update) error
	// Reopen adds u to t and reopens it.
	Reopen(ctx context.Context, t Ticket, u *Update) error
}

// Filer keeps one ticket per item in a tracker. It is safe for concurrent
// use.
type Filer struct {
	tracker Tracker
	threads notify.ThreadStore
	channel string
	what    string
	secrets []string

	mu    sync.Mutex
	locks map[string]*keyLock
}

// keyLock serializes the notices about one item; n counts its holders
// and waiters, so that it is dropped when nobody needs it.
type keyLock struct {
	ch chan struct{}
	n  int
}

// NewFiler returns a Filer that keeps the tickets of tracker. channel is
// the thread channel its tickets are recorded under
// ("ticket:github:contoso/m365"), what names a ticket in receipts ("GitHub
// issue"). threads may be nil: the Filer then remembers the tickets it
// met in memory, for its lifetime (a restart finds them in the tracker,
// but concurrent processes are not kept from opening one ticket each).
// secrets are scrubbed from what the store's errors say.
func NewFiler(tracker Tracker, threads notify.ThreadStore, channel, what string, secrets ...string) *Filer {
	if threads == nil {
		threads = &memThreads{refs: map[string]string{}}
	}
	return &Filer{tracker: tracker, threads: threads, channel: channel, what: what, secrets: secrets,
		locks: map[string]*keyLock{}}
}

// refDeleter is the part of a ThreadStore (the store, memThreads) that
// forgets a reference to a ticket that no longer exists.
type refDeleter interface {
	DeleteThreadRef(ctx context.Context, channel, key, ref string) (bool, error)
}

// memThreads is a ThreadStore in memory.
type memThreads struct {
	mu   sync.Mutex
	refs map[string]string
}

// ThreadRef implements notify.ThreadStore.
func (m *memThreads) ThreadRef(_ context.Context, channel, key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ref, ok := m.refs[channel+"\x00"+key]; ok {
		return ref, nil
	}
	return "", store.ErrNotFound
}

// SetThreadRef implements notify.ThreadStore: the first reference wins.
func (m *memThreads) SetThreadRef(_ context.Context, channel, key, ref string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := channel + "\x00" + key
	if old, ok := m.refs[k]; ok {
		return old, nil
	}
	m.refs[k] = ref
	return ref, nil
}

// DeleteThreadRef implements refDeleter.
func (m *memThreads) DeleteThreadRef(_ context.Context, channel, key, ref string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := channel + "\x00" + key
	if m.refs[k] != ref {
		return false, nil
	}
	delete(m.refs, k)
	return true, nil
}

// Channel returns the thread channel the tickets are recorded under.
func (f *Filer) Channel() string { return f.channel }

// Notify files n: a digest item by item, in order. A failure stops the
// digest there; its retry files the items again (a comment may then be
// repeated).
func (f *Filer) Notify(ctx context.Context, n *notify.Notice) (notify.Receipt, error) {
	if n == nil || n.Event == nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("file %s: no event", f.what))
	}
	evs := []*model.Event{n.Event}
	if n.Event.Type == model.EventDigest {
		evs = evs[:0]
		for i := range n.Event.Items {
			evs = append(evs, &n.Event.Items[i])
		}
	}
	var rc notify.Receipt
	var details []string
	for _, ev := range evs {
		status, detail, err := f.file(ctx, n, ev)
		if err != nil {
			if len(evs) > 1 || n.Event.Type == model.EventDigest {
				err = fmt.Errorf("digest item %s: %w", ev.ItemID, err)
			}
			return notify.Receipt{}, err
		}
		rc.Status = status
		details = append(details, detail)
	}
	if len(evs) > 1 {
		rc.Status = fmt.Sprintf("%d items", len(evs))
	}
	rc.Detail = strings.Join(details, "; ")
	return rc, nil
}

// file files one item's event and returns what it did.
func (f *Filer) file(ctx context.Context, n *notify.Notice, ev *model.Event) (status, detail string, err error) {
	key := store.ThreadKey(ev.Key())
	unlock, err := f.lock(ctx, key)
	if err != nil {
		return "", "", fmt.Errorf("wait for the %s of %s: %w", f.what, ev.ItemID, err)
	}
	defer unlock()
	u := NewUpdate(ev, n.Render)
	t, found, stale, err := f.lookup(ctx, key, u)
	if err != nil {
		return "", "", err
	}
	var note string
	if !found {
		if u.Close != Open && !OpensClosed(ev) {
			return "skipped", fmt.Sprintf("no %s for %s: nothing to close", f.what, ev.ItemID), nil
		}
		created, err := f.tracker.Create(ctx, u)
		if err != nil {
			return "", "", err
		}
		winner, dup, rnote := f.remember(ctx, key, created, stale)
		if !dup {
			status = "opened"
			if u.Close != Open {
				closing := &Update{Event: ev, Render: n.Render, Marker: u.Marker, Close: u.Close, Note: closingNote(u.Close)}
				if err := f.tracker.Close(ctx, created, closing); err != nil {
					return "", "", fmt.Errorf("close %s %s after opening it: %w", f.what, created.Label(), err)
				}
				status = "opened and closed"
			}
			return status, f.detail(created) + rnote, nil
		}
		// Another process opened a ticket for the item at the same time
		// and recorded it first: keep that one.
		dupNote := &Update{Event: ev, Render: n.Render, Marker: u.Marker, Close: Duplicate,
			Note: fmt.Sprintf("Duplicate of %s %s: shdmc keeps one ticket per item.", winner.Label(), winner.URL)}
		if err := f.tracker.Close(ctx, created, dupNote); err != nil {
			return "", "", fmt.Errorf("close duplicate %s %s: %w", f.what, created.Label(), err)
		}
		if t, err = f.tracker.Get(ctx, winner.ID); err != nil {
			return "", "", fmt.Errorf("read %s %s: %w", f.what, winner.Label(), err)
		}
		note = fmt.Sprintf(" (closed duplicate %s)", created.Label())
	}
	switch {
	case u.Close != Open && !t.Closed:
		err, status = f.tracker.Close(ctx, t, u), "closed"
	case u.Reopen && t.Closed:
		err, status = f.tracker.Reopen(ctx, t, u), "reopened"
	default:
		err, status = f.tracker.Comment(ctx, t, u), "commented"
	}
	if err != nil {
		return "", "", err
	}
	return status, f.detail(t) + note, nil
}

func (f *Filer) detail(t Ticket) string {
	return strings.TrimSpace(f.what + " " + t.Label() + " " + t.URL)
}

// closingNote is the comment of a ticket closed right after it was opened.
func closingNote(r Reason) string {
	if r == Withdrawn {
		return "Closed by shdmc: Microsoft no longer lists this item."
	}
	return "Closed by shdmc: the item was already resolved when this ticket was opened."
}

// lookup finds the item's ticket: through the cached thread reference
// (checked against the tracker), else by searching the tracker. stale is
// a cached reference to a ticket that no longer exists.
func (f *Filer) lookup(ctx context.Context, key string, u *Update) (t Ticket, found bool, stale string, err error) {
	ref, err := f.threads.ThreadRef(ctx, f.channel, key)
	switch {
	case err == nil:
		id, url, name := store.ParseTicketRef(ref)
		t, err := f.tracker.Get(ctx, id)
		if err == nil {
			t.URL, t.Name = cmpOr(t.URL, url), cmpOr(t.Name, name)
			return t, true, "", nil
		}
		if !errors.Is(err, ErrGone) {
			return Ticket{}, false, "", err
		}
		// The ticket was deleted (or moved away): its link must not stay
		// on the dashboard, and the ticket found or opened next is
		// recorded in its place. A failure leaves the stale reference,
		// which the next notice tries again.
		stale = ref
		if d, ok := f.threads.(refDeleter); ok {
			if gone, err := d.DeleteThreadRef(ctx, f.channel, key, ref); err == nil && gone {
				stale = ""
			}
		}
	case !errors.Is(err, store.ErrNotFound):
		return Ticket{}, false, "", fmt.Errorf("look up the %s of %s: %s", f.what, key, netsafe.Secrets(err.Error(), f.secrets...))
	}
	t, found, err = f.tracker.Find(ctx, u)
	if err != nil || !found {
		return t, found, stale, err
	}
	if stale == "" {
		// Found in the tracker, not in the cache (a new store, or a crash
		// between opening the ticket and recording it): record it now. A
		// failure only costs the next notice a search.
		_, _ = f.threads.SetThreadRef(ctx, f.channel, key, store.TicketRef(t.ID, t.URL, t.Name))
	}
	return t, true, stale, nil
}

// remember records a ticket just opened. When another ticket was recorded
// for the item first (another process opened one at the same moment), it
// returns that one and dup. note tells a failure to record.
func (f *Filer) remember(ctx context.Context, key string, t Ticket, stale string) (winner Ticket, dup bool, note string) {
	ref := store.TicketRef(t.ID, t.URL, t.Name)
	stored, err := f.threads.SetThreadRef(ctx, f.channel, key, ref)
	if err != nil {
		// The ticket exists: the next notice finds it by its marker.
		return t, false, " (not recorded: " + netsafe.Secrets(err.Error(), f.secrets...) + ")"
	}
	if stored == ref || stored == stale {
		return t, false, ""
	}
	id, url, name := store.ParseTicketRef(stored)
	if id == t.ID {
		return t, false, ""
	}
	return Ticket{ID: id, URL: url, Name: name}, true, ""
}

// lock takes the lock of one item, waiting for it at most until ctx ends.
func (f *Filer) lock(ctx context.Context, key string) (unlock func(), err error) {
	f.mu.Lock()
	l := f.locks[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		f.locks[key] = l
	}
	l.n++
	f.mu.Unlock()
	release := func() {
		f.mu.Lock()
		l.n--
		if l.n == 0 {
			delete(f.locks, key)
		}
		f.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// NewUpdate returns the update an item's event asks for.
func NewUpdate(ev *model.Event, o render.Options) *Update {
	u := &Update{Event: ev, Render: o, Marker: Marker(ev), Close: Closes(ev)}
	u.Reopen = u.Close == Open && Reopens(ev)
	return u
}

// Marker returns the marker of an event's item:
// "shdmc:<tenant>:<item id>" for a Service Health issue or a Message
// Center post, "shdmc:<tenant>:<source>/<item id>" for the others (a
// service's health, a source's outage, a public status page's item).
// White space and the characters trackers' queries treat specially (^ ,
// ") become "_".
func Marker(ev *model.Event) string {
	id := ev.ItemID
	if ev.Source != model.SourceSHD && ev.Source != model.SourceMC {
		id = string(ev.Source) + "/" + id
	}
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '^' || r == ',' || r == '"' || r == '\\' || r == '\u00a0' {
			return '_'
		}
		return r
	}, "shdmc:"+ev.Tenant+":"+id)
}

// Shorten returns marker when it has at most max bytes, else
// "shdmc:" and a hash of it: a tracker field with a length limit (a
// GitHub label holds 50 characters) still tells items apart.
func Shorten(marker string, max int) string {
	if len(marker) <= max {
		return marker
	}
	sum := sha256.Sum256([]byte(marker))
	h := hex.EncodeToString(sum[:])
	return "shdmc:" + h[:min(len(h), max-len("shdmc:"))]
}

// issueOver are the issue statuses that end an issue even before
// isResolved is set.
var issueOver = map[model.Status]bool{
	model.StatusServiceRestored: true, model.StatusResolved: true, model.StatusResolvedExternal: true,
	model.StatusFalsePositive: true, model.StatusPostIncidentReviewPublished: true,
}

// Closes returns why an event's item is over, or Open: a removed
// (withdrawn) item, a resolved issue, a restored service or source.
func Closes(ev *model.Event) Reason {
	switch {
	case ev.Has(model.ChangeRemoved):
		return Withdrawn
	case ev.Type == model.EventSourceRestored:
		return Resolved
	case ev.Issue != nil && (ev.Issue.IsResolved || issueOver[ev.Issue.Status]):
		return Resolved
	case ev.Service != nil && (ev.Service.Status == model.StatusServiceOperational || ev.Service.Status == model.StatusServiceRestored):
		return Resolved
	}
	return Open
}

// Reopens reports whether an event brings its item back: reopened, back
// after it had been removed, a source down again, a service degraded
// again.
func Reopens(ev *model.Event) bool {
	if ev.Has(model.ChangeReopened) || ev.Type == model.EventSourceDown || ev.Service != nil {
		return true
	}
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeNew && c.Field == model.FieldReappeared {
			return true
		}
	}
	return false
}

// OpensClosed reports whether an item that is already over when it has no
// ticket yet gets one (opened and closed at once, for the record): an
// issue that was resolved before anyone filed it does; a withdrawn post,
// a restored source or an operational service has nothing to tell.
func OpensClosed(ev *model.Event) bool {
	return ev.Issue != nil && !ev.Has(model.ChangeRemoved)
}

// Title returns the title of a new ticket, stable over the item's life:
// "[<tenant>] <item id>: <title>".
func (u *Update) Title() string {
	ev := u.Event
	var t string
	switch {
	case ev.Issue != nil:
		t = ev.ItemID + ": " + ev.Issue.Title
	case ev.Message != nil:
		t = ev.ItemID + ": " + ev.Message.Title
	case ev.Service != nil:
		t = cmpOr(ev.Service.Service, ev.ItemID) + ": service health"
	default:
		t, _ = u.Text(render.FormatText)
	}
	return strings.Join(strings.Fields("["+ev.Tenant+"] "+t), " ")
}

// Text renders the update in format f: the notice's subject and body, or
// Note as both.
func (u *Update) Text(f render.Format) (subject, body string) {
	if u.Note != "" {
		return u.Note, u.Note
	}
	o := u.Render
	o.Format = f
	return render.Notice(u.Event, o)
}

// Plain returns the update as plain text with the subject as its first
// line, for trackers without Markdown.
func (u *Update) Plain() string {
	subject, body := u.Text(render.FormatText)
	if u.Note != "" {
		return u.Note
	}
	return subject + "\n\n" + body
}

// Cut returns s cut to at most max bytes at a rune boundary, with a note
// that the rest is on the dashboard when it was cut.
func Cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const note = "\n\n[…cut: the full notice is on the shdmc dashboard]"
	n := max - len(note)
	if n < 0 {
		n = 0
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + note
}

// CutRunes returns s cut to at most max runes, ending in "…" when cut.
func CutRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}
