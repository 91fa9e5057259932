// Package poll polls the sources of internal/source. A Poller runs one
// pass over one tenant's sources, the same for every source: fetch what
// changed, compare it with the stored revisions, and write the new
// revisions, the detected events and their outbox rows to the store in one
// transaction per source. A Scheduler (schedule.go) polls every tenant at
// its interval with jitter (during an incident its issues on their own, in
// the fast lane), shares the tenants with the other workers of a store
// through leases (workers.go), keeps the health of each tenant's
// Graph source and announces its outages (outage.go), and polls the public
// status pages when they are due.
package poll

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/source"
	"github.com/shdmc/shdmc/internal/store"
)

// Fetcher reads one tenant's service communications from Microsoft
// Graph. *graph.Client implements it.
type Fetcher = source.GraphClient

// Settings tune a Poller.
type Settings struct {
	// Overlap is subtracted from the watermark of incremental polls, so
	// that an item Microsoft stamps late is not missed.
	Overlap time.Duration
	// OverlapEvery is how often an incremental fetch reaches back by
	// Overlap. In between, a fetch asks only for items modified from the
	// second after the watermark's, so a quiet poll returns (almost)
	// nothing. 0 reaches back every time. The first incremental fetch
	// after a restart always reaches back.
	OverlapEvery time.Duration
	// FullResync is how often the whole collection is fetched to notice
	// removed items; 0 means never after the baseline. A source that
	// lists stamps (source.Stamper) lists only the ids and last
	// modifications then and gets the items that are new or changed.
	FullResync time.Duration
	// SpreadResync gives each tenant its own phase within FullResync
	// (ResyncOffset): its full resync falls due when its slot passes, so
	// that the tenants of a process, or of a cluster, do not all resync
	// in the same window. Off, a full resync falls due FullResync after
	// the last one. Either way no two are further apart than FullResync.
	SpreadResync bool
	// AnnounceActive announces issues that are still active when a tenant
	// is first seen; everything else found then is stored silently.
	AnnounceActive bool
	// NoBaseline announces everything found at first sight, as new (used
	// by `demo --replay`).
	NoBaseline bool
	// Issues, Messages and Health switch the sources on.
	Issues, Messages, Health bool
	// NoLicences never reads the tenant's subscribed SKUs: relevance rests
	// on service health alone.
	NoLicences bool
	// Reminders are the numbers of days before a Message Center post's
	// action-required date at which an mc.reminder event is raised after
	// a messages pass (reminders.go); none when empty.
	Reminders []int
	// Escalations are the routes' escalations (route.Router.Escalations),
	// checked after each pass of the issues or messages (escalate.go).
	Escalations []route.Escalation
	// Targets returns the deliveries of an event (route.Router.Match).
	// When nil, every event goes to every one of Channels through the
	// default route.
	Targets func(ev *model.Event) []route.Target
	// Channels are used when Targets is nil.
	Channels []string
}

// Poller polls one tenant's sources.
type Poller struct {
	tenant    string
	sources   []source.Source
	st        store.Store
	set       Settings
	now       func() time.Time
	log       *slog.Logger
	forceFull map[model.Source]bool // sources whose next pass fetches in full
	// reachedBack is when each source last fetched with the overlap;
	// in memory only, so a restart begins with a reaching-back fetch.
	reachedBack map[model.Source]time.Time
	// rel is what is known of the tenant's services (relevance.go).
	rel relevanceState
	// reminded holds the reminders known to be raised ("item/revision"),
	// so that a pass asks the store about each only once.
	reminded map[string]bool
	// escalated holds the escalations known to be raised ("route/item").
	escalated map[string]bool
}

// New returns a Poller of tenant's Graph sources, those set switches on.
func New(tenant string, f Fetcher, st store.Store, set Settings, now func() time.Time, log *slog.Logger) *Poller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	on := source.GraphSet{Health: set.Health, Issues: set.Issues, Messages: set.Messages}
	p := NewSources(tenant, source.Graph(f, on, log.With("tenant", tenant), now), st, set, now, log)
	if lr, ok := f.(LicenseReader); ok && set.Messages && !set.NoLicences {
		p.rel.reader = lr
	}
	return p
}

// NewSources returns a Poller of the given sources of tenant, polled in
// their order (the public status sources use it with
// source.PublicTenant). Settings.Issues, Messages and Health are not
// consulted.
func NewSources(tenant string, srcs []source.Source, st store.Store, set Settings, now func() time.Time, log *slog.Logger) *Poller {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{tenant: tenant, sources: srcs, st: st, set: set, now: now, log: log.With("tenant", tenant),
		reachedBack: map[model.Source]time.Time{}, forceFull: map[model.Source]bool{}, reminded: map[string]bool{},
		escalated: map[string]bool{}}
}

// ForceFull makes the next pass of every source fetch its collection in
// full: a whole listing, also of a source that could resync by stamps.
func (p *Poller) ForceFull() {
	for _, src := range p.sources {
		p.forceFull[src.Name()] = true
	}
}

// Sources returns the names of the Poller's sources, in the order a pass
// polls them.
func (p *Poller) Sources() []model.Source {
	out := make([]model.Source, len(p.sources))
	for i, src := range p.sources {
		out[i] = src.Name()
	}
	return out
}

// Result summarizes one pass.
type Result struct {
	Events  int
	Items   int // items fetched
	Full    bool
	Sources map[model.Source]SourceResult
}

// SourceResult is one source's part of a pass.
type SourceResult struct {
	Fetched, Changed, Events int
	Full                     bool
	// Stamped is a full resync that listed stamps and got only the items
	// that were new or changed (Fetched counts those).
	Stamped bool
	Err     error
	Took    time.Duration
}

// Poll runs one pass over every source: each is fetched and compared with
// its stored revisions first; then the service health flips an incident
// of this pass explains are folded into the incident's notice, and the
// flips no incident explains become one service status notice (group);
// then the batches are committed: one transaction per source, or one for
// the sources whose events were grouped together. A failing source does
// not stop the others; the errors are joined. A sign-in failure fails
// every Graph source alike: the pass stops at the first.
func (p *Poller) Poll(ctx context.Context) (Result, error) {
	return p.PollSources(ctx, nil)
}

// PollSources runs one pass over the named sources (all when only is
// nil), in the Poller's order, as Poll does: each source in a
// transaction of its own. The scheduler polls a tenant's issues on their
// own while an incident is active (the fast lane).
func (p *Poller) PollSources(ctx context.Context, only []model.Source) (Result, error) {
	res := Result{Sources: map[model.Source]SourceResult{}}
	var errs []error
	fail := func(name model.Source, r SourceResult, err error) {
		r.Err = err
		res.Sources[name] = r
		errs = append(errs, fmt.Errorf("poll %s of tenant %s: %w", name, p.tenant, err))
	}
	var ready []*batch
	p.rel.newPass() // service health and licences are read again when a post needs them
	for _, src := range p.sources {
		if only != nil && !slices.Contains(only, src.Name()) {
			continue
		}
		start := time.Now()
		b, err := p.prepare(ctx, src)
		b.res.Took = time.Since(start)
		if err != nil {
			fail(src.Name(), b.res, err)
			if _, ok := errors.AsType[*graph.AuthError](err); ok {
				break
			}
			continue
		}
		ready = append(ready, b)
	}
	together := group(ready)
	if len(together) > 1 {
		start := time.Now()
		if err := p.commitAll(ctx, together); err != nil {
			for _, b := range together {
				fail(b.b.Source, b.res, err)
			}
		}
		for _, b := range together {
			b.res.Took += time.Since(start) / time.Duration(len(together))
			b.committed = true
		}
	}
	for _, b := range ready {
		if !b.committed {
			start := time.Now()
			err := b.commit(ctx)
			b.res.Took += time.Since(start)
			if err != nil {
				fail(b.b.Source, b.res, err)
				continue
			}
		}
		if _, failed := res.Sources[b.b.Source]; failed {
			continue
		}
		b.done()
		if b.kind == source.KindMessage {
			n, err := p.remind(ctx)
			b.res.Events += n
			if err != nil {
				fail(b.b.Source, b.res, err)
				continue
			}
		}
		n, err := p.escalate(ctx, b.b.Source)
		b.res.Events += n
		if err != nil {
			fail(b.b.Source, b.res, err)
			continue
		}
		res.Sources[b.b.Source] = b.res
	}
	for name, r := range res.Sources {
		res.Events += r.Events
		res.Items += r.Fetched
		// A source listed whole at every pass (health) is no full resync.
		for _, src := range p.sources {
			if src.Name() == name {
				res.Full = res.Full || (r.Full && src.Traits().Incremental)
			}
		}
		if r.Err == nil {
			delete(p.forceFull, name)
		}
	}
	return res, errors.Join(errs...)
}

// plan decides between a full and an incremental fetch. A source that
// neither baselines nor fetches incrementally keeps no cursor.
func (p *Poller) plan(ctx context.Context, src model.Source, tr source.Traits) (cur store.Cursor, since time.Time, full bool, err error) {
	if !keepsCursor(tr) {
		return cur, time.Time{}, true, nil
	}
	cur, err = p.st.Cursor(ctx, p.tenant, src)
	if err != nil {
		return cur, time.Time{}, false, fmt.Errorf("read cursor: %w", err)
	}
	full = !tr.Incremental || p.forceFull[src] || !cur.Baselined || cur.Watermark.IsZero() || p.resyncDue(cur.LastFull)
	if full {
		return cur, time.Time{}, true, nil
	}
	last, ok := p.reachedBack[src]
	if !ok || p.now().Sub(last) >= p.set.OverlapEvery {
		return cur, cur.Watermark.Add(-p.set.Overlap), false, nil
	}
	// Graph filters at whole seconds: start at the second after the
	// watermark's, which excludes the newest item already stored.
	return cur, cur.Watermark.Truncate(time.Second).Add(time.Second), false, nil
}

// resyncDue reports whether a full resync is due after one at last.
func (p *Poller) resyncDue(last time.Time) bool {
	period := p.set.FullResync
	if period <= 0 {
		return false
	}
	now := p.now()
	if now.Sub(last) >= period {
		return true
	}
	if !p.set.SpreadResync {
		return false
	}
	return last.Before(ResyncSlot(now, period, ResyncOffset(p.tenant, period)))
}

// ResyncOffset is the tenant's phase within a full resync period: its
// resyncs fall due at offset, offset + period, … counted from the Unix
// epoch. It is a hash of the tenant ID (FNV-1a), so it is the same after a
// restart and on every worker, and the offsets of many tenants spread
// evenly over the period.
func ResyncOffset(tenant string, period time.Duration) time.Duration {
	if period <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(tenant))
	return time.Duration(h.Sum64() % uint64(period))
}

// ResyncSlot is the latest time at or before now that is offset plus a
// whole number of periods after the Unix epoch: when a tenant's spread full
// resync last fell due.
func ResyncSlot(now time.Time, period, offset time.Duration) time.Time {
	r := (now.UnixNano() - int64(offset)) % int64(period)
	if r < 0 {
		r += int64(period)
	}
	return now.Add(-time.Duration(r))
}

// keepsCursor reports whether a source's pass reads and writes a cursor:
// its watermark or its baseline.
func keepsCursor(tr source.Traits) bool { return tr.Incremental || tr.Baseline }

// reached records a successful fetch that reached back by the overlap.
func (p *Poller) reached(src model.Source, cur store.Cursor, since time.Time, full bool) {
	if full || since.Equal(cur.Watermark.Add(-p.set.Overlap)) {
		p.reachedBack[src] = p.now()
	}
}

func (p *Poller) opts(cur store.Cursor, tr source.Traits) detect.Options {
	return detect.Options{Now: p.now(), Baseline: tr.Baseline && !cur.Baselined && !p.set.NoBaseline,
		AnnounceActive: p.set.AnnounceActive}
}

// reappeared marks o for an item that was removed before and is back.
func reappeared(o detect.Options, was bool) detect.Options {
	o.PrevRemoved = was
	return o
}

// prepare is the pass of one source up to its commit: fetch, and compare
// every item with its stored revision. The batch it returns holds the new
// revisions, their events and the events' outbox rows, and the source's
// next cursor; nothing is stored yet.
func (p *Poller) prepare(ctx context.Context, src source.Source) (*batch, error) {
	name, tr := src.Name(), src.Traits()
	b := &batch{p: p, src: src, kind: tr.Kind, b: store.Batch{Tenant: p.tenant, Source: name}}
	cur, since, full, err := p.plan(ctx, name, tr)
	if err != nil {
		return b, err
	}
	var info graph.ListInfo
	fetchStart := p.now()
	f, err := p.fetch(graph.WithListInfo(ctx, &info), src, cur, since, full)
	if err != nil {
		return b, err
	}
	list := f.items
	p.noteServices(name, list)
	o := p.opts(cur, tr)
	b.res.Fetched, b.res.Stamped = len(list), f.stamped
	ids := make([]string, len(f.stamps))
	seen := make(map[string]bool, len(f.stamps))
	// The next watermark is the newest modification, but never later than
	// the fetch began: one item dated 9999-12-31 would otherwise hide every
	// later change from incremental polls. Dates up to clockSkew ahead are
	// Graph's clock running ahead of ours; later ones are logged.
	ceiling := fetchTime(info, fetchStart)
	var wm time.Time
	var future []string
	for i, st := range f.stamps {
		id, mod := st.ID, st.LastModified
		ids[i] = id
		seen[id] = true
		if mod.After(ceiling) {
			if mod.After(ceiling.Add(clockSkew)) {
				future = append(future, id)
			}
			mod = ceiling
		}
		if mod.After(wm) {
			wm = mod
		}
	}
	if len(future) > 0 {
		p.log.Warn("items modified in the future; the watermark stops at the fetch time",
			"source", name, "items", future[:min(len(future), 10)], "count", len(future), "fetch_time", ceiling)
	}
	prev := f.prev
	if prev == nil {
		if prev, err = p.prior(ctx, name, ids); err != nil {
			return b, err
		}
	}
	completer, _ := src.(source.Completer)
	for i := range list {
		it := &list[i]
		old, had := prev[it.ID()]
		if completer != nil {
			var stored *source.Stored
			if had && !old.Removed {
				stored = &source.Stored{LastModified: old.LastModified, Data: old.Data}
			}
			if err := completer.Complete(ctx, it, stored); err != nil {
				return b, err
			}
		}
		n := len(b.b.Items)
		if err := b.change(ctx, it, old, had, o); err != nil {
			return b, err
		}
		if f.stamped && len(b.b.Items) == n {
			b.touch(it, old, had)
		}
	}
	if full {
		if err := b.vanished(ctx, seen, o); err != nil {
			return b, err
		}
	}
	b.rejudge(ctx)
	b.cursor(cur, full, wm, ceiling, keepsCursor(tr), tr.Incremental)
	b.plan = plan{cur: cur, since: since, full: full}
	return b, nil
}

// fetched is what a source's fetch returned.
type fetched struct {
	// items were got in full: every item listed, or at a full resync by
	// stamps the new and changed ones.
	items []source.Item
	// stamps are every listed item's id and last modification.
	stamps []source.Stamp
	// prev are the stored items of stamps, when the fetch read them.
	prev map[string]store.Item
	// stamped: a full resync by stamps.
	stamped bool
}

// fetch asks a source for its items: those modified at or after since, or
// at a full resync (full) all of them. A baselined Stamper resyncs by
// stamps unless ForceFull asked for a whole listing.
func (p *Poller) fetch(ctx context.Context, src source.Source, cur store.Cursor, since time.Time, full bool) (fetched, error) {
	if st, ok := src.(source.Stamper); ok && full && cur.Baselined && !p.forceFull[src.Name()] {
		f, ok, err := p.fetchStamped(ctx, st, src.Name())
		if err != nil || ok {
			return f, err
		}
	}
	list, err := src.Fetch(ctx, since)
	if err != nil {
		return fetched{}, err
	}
	f := fetched{items: list, stamps: make([]source.Stamp, len(list))}
	for i := range list {
		f.stamps[i] = source.Stamp{ID: list[i].ID(), LastModified: list[i].LastModified()}
	}
	return f, nil
}

// maxGets bounds the items a full resync by stamps gets one by one, each
// a request of the tenant's Graph budget: when more are new or changed,
// listing the collection whole takes fewer requests.
const maxGets = 25

// fetchStamped is a full resync by stamps: it lists every item's id and
// last modification, compares them with the stored items and gets the
// items that are new, changed (another last modification), back after
// their removal, or due again (Stamper.Refetch). ok is false when the
// resync lists in full instead: the source lists no stamps, a stamp has no
// last modification (Graph ignored the $select), more than maxGets items
// are to be got, or one went between the two requests (404).
func (p *Poller) fetchStamped(ctx context.Context, st source.Stamper, name model.Source) (f fetched, ok bool, err error) {
	stamps, err := st.Stamps(ctx)
	if errors.Is(err, source.ErrNoStamps) {
		return f, false, nil
	}
	if err != nil {
		return f, false, err
	}
	ids := make([]string, len(stamps))
	for i, s := range stamps {
		if s.LastModified.IsZero() {
			p.log.Warn("stamp without lastModifiedDateTime; the full resync lists in full", "source", name, "item", s.ID)
			return f, false, nil
		}
		ids[i] = s.ID
	}
	prev, err := p.prior(ctx, name, ids)
	if err != nil {
		return f, false, err
	}
	var get []string
	for _, s := range stamps {
		old, had := prev[s.ID]
		if !had || old.Removed || !old.LastModified.Equal(s.LastModified) ||
			st.Refetch(s.ID, source.Stored{LastModified: old.LastModified, Data: old.Data}) {
			get = append(get, s.ID)
		}
	}
	if len(get) > maxGets {
		p.log.Info("many items changed; the full resync lists in full", "source", name, "changed", len(get), "max_gets", maxGets)
		return f, false, nil
	}
	f = fetched{stamps: stamps, prev: prev, stamped: true, items: make([]source.Item, 0, len(get))}
	for _, id := range get {
		it, err := st.Get(ctx, id)
		if ae, ok := errors.AsType[*graph.APIError](err); ok && ae.Status == http.StatusNotFound {
			p.log.Info("item gone while the full resync got it; listing in full", "source", name, "item", id)
			return fetched{}, false, nil
		}
		if err != nil {
			return fetched{}, false, err
		}
		f.items = append(f.items, it)
	}
	return f, true, nil
}

// clockSkew is how far Graph's clock may run ahead of ours before an item
// counts as dated in the future.
const clockSkew = 5 * time.Minute

// fetchTime is when a listing was made, on Graph's clock when its Date
// header said (the clock that dates the items), else on ours.
func fetchTime(info graph.ListInfo, fetchStart time.Time) time.Time {
	switch {
	case !info.ServerDate.IsZero():
		return info.ServerDate
	case !info.Start.IsZero():
		return info.Start
	}
	return fetchStart
}

// prior returns the stored items for ids.
func (p *Poller) prior(ctx context.Context, src model.Source, ids []string) (map[string]store.Item, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	m, err := p.st.Items(ctx, p.tenant, src, ids)
	if err != nil {
		return nil, fmt.Errorf("load stored items: %w", err)
	}
	return m, nil
}
