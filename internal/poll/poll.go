// Package poll runs one polling pass of one tenant: fetch what changed from
// the tenant's sources, compare it with the stored revisions, and write the
// new revisions, the detected events and their outbox rows to the store in
// one transaction per source.
package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/fingerprint"
	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
)

// Fetcher reads one tenant's service communications. *graph.Client
// implements it.
type Fetcher interface {
	HealthOverviews(ctx context.Context) ([]model.ServiceHealth, error)
	Issues(ctx context.Context, since time.Time) ([]model.Issue, error)
	Messages(ctx context.Context, since time.Time) ([]model.Message, error)
	Attachments(ctx context.Context, messageID string) ([]model.Attachment, error)
	IncidentReport(ctx context.Context, issueID string) ([]byte, string, error)
}

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
	// removed items; 0 means never after the baseline.
	FullResync time.Duration
	// AnnounceActive announces issues that are still active when a tenant
	// is first seen; everything else found then is stored silently.
	AnnounceActive bool
	// NoBaseline announces everything found at first sight, as new (used
	// by `demo --replay`).
	NoBaseline bool
	// Issues, Messages and Health switch the sources on.
	Issues, Messages, Health bool
	// Targets returns the deliveries of an event (route.Router.Match).
	// When nil, every event goes to every one of Channels through the
	// default route.
	Targets func(ev *model.Event) []route.Target
	// Channels are used when Targets is nil.
	Channels []string
}

// Poller polls one tenant.
type Poller struct {
	tenant    string
	fetch     Fetcher
	st        store.Store
	set       Settings
	now       func() time.Time
	log       *slog.Logger
	forceFull bool
	// reachedBack is when each source last fetched with the overlap;
	// in memory only, so a restart begins with a reaching-back fetch.
	reachedBack map[model.Source]time.Time
}

// New returns a Poller for tenant.
func New(tenant string, f Fetcher, st store.Store, set Settings, now func() time.Time, log *slog.Logger) *Poller {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{tenant: tenant, fetch: f, st: st, set: set, now: now, log: log.With("tenant", tenant),
		reachedBack: map[model.Source]time.Time{}}
}

// ForceFull makes the next pass fetch every collection in full.
func (p *Poller) ForceFull() { p.forceFull = true }

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
	Err                      error
	Took                     time.Duration
}

// Poll runs one pass over every enabled source. A failing source does not
// stop the others; the errors are joined.
func (p *Poller) Poll(ctx context.Context) (Result, error) {
	res := Result{Sources: map[model.Source]SourceResult{}}
	var errs []error
	var signIn error // a sign-in failure fails every source alike: try once
	run := func(src model.Source, on bool, f func(context.Context) (SourceResult, error)) {
		if !on || signIn != nil {
			return
		}
		start := time.Now()
		r, err := f(ctx)
		r.Took = time.Since(start)
		if _, ok := errors.AsType[*graph.AuthError](err); ok {
			signIn = err
		}
		r.Err = err
		res.Sources[src] = r
		res.Events += r.Events
		res.Items += r.Fetched
		res.Full = res.Full || (r.Full && src != model.SourceHealth) // health is always listed whole
		if err != nil {
			errs = append(errs, fmt.Errorf("poll %s of tenant %s: %w", src, p.tenant, err))
		}
	}
	run(model.SourceHealth, p.set.Health, p.pollHealth)
	run(model.SourceSHD, p.set.Issues, p.pollIssues)
	run(model.SourceMC, p.set.Messages, p.pollMessages)
	if len(errs) == 0 {
		p.forceFull = false
	}
	return res, errors.Join(errs...)
}

// plan decides between a full and an incremental fetch.
func (p *Poller) plan(ctx context.Context, src model.Source) (store.Cursor, time.Time, bool, error) {
	cur, err := p.st.Cursor(ctx, p.tenant, src)
	if err != nil {
		return cur, time.Time{}, false, fmt.Errorf("read cursor: %w", err)
	}
	full := p.forceFull || !cur.Baselined || cur.Watermark.IsZero() ||
		(p.set.FullResync > 0 && p.now().Sub(cur.LastFull) >= p.set.FullResync)
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

// reached records a successful fetch that reached back by the overlap.
func (p *Poller) reached(src model.Source, cur store.Cursor, since time.Time, full bool) {
	if full || since.Equal(cur.Watermark.Add(-p.set.Overlap)) {
		p.reachedBack[src] = p.now()
	}
}

func (p *Poller) opts(cur store.Cursor) detect.Options {
	return detect.Options{Now: p.now(), Baseline: !cur.Baselined && !p.set.NoBaseline, AnnounceActive: p.set.AnnounceActive}
}

// reappeared marks o for an item that was removed before and is back.
func reappeared(o detect.Options, was bool) detect.Options {
	o.PrevRemoved = was
	return o
}

// batch collects one source's writes.
type batch struct {
	p   *Poller
	b   store.Batch
	res SourceResult
}

func (p *Poller) newBatch(src model.Source) *batch {
	return &batch{p: p, b: store.Batch{Tenant: p.tenant, Source: src}}
}

func (b *batch) item(id string, rev int, hash string, lastMod time.Time, removed bool, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", id, err)
	}
	b.b.Items = append(b.b.Items, store.Item{
		Key:      model.ItemKey{Tenant: b.p.tenant, Source: b.b.Source, ID: id},
		Revision: rev, Hash: hash, LastModified: lastMod, SeenAt: b.p.now(), Removed: removed, Data: data,
	})
	b.res.Changed++
	return nil
}

func (b *batch) event(ev model.Event) {
	b.b.Events = append(b.b.Events, ev)
	idx := len(b.b.Events) - 1
	var targets []route.Target
	if b.p.set.Targets != nil {
		targets = b.p.set.Targets(&b.b.Events[idx])
	} else {
		for _, ch := range b.p.set.Channels {
			targets = append(targets, route.Target{Route: route.DefaultRoute, Channel: ch})
		}
	}
	for _, t := range targets {
		b.b.Deliveries = append(b.b.Deliveries, store.NewDelivery{
			Event: idx, Channel: t.Channel, Route: t.Route,
			Key: fmt.Sprintf("%s/%s/%s/%d/%s/%s", ev.Tenant, ev.Source, ev.ItemID, ev.Revision, t.Route, t.Channel),
		})
	}
	b.res.Events++
}

// removals marks stored items missing from a full fetch as removed.
func (b *batch) removals(ctx context.Context, seen map[string]bool, o detect.Options) error {
	ids, err := b.p.st.ItemIDs(ctx, b.p.tenant, b.b.Source)
	if err != nil {
		return fmt.Errorf("list stored items: %w", err)
	}
	var gone []string
	for _, id := range ids {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	prev, err := b.p.st.Items(ctx, b.p.tenant, b.b.Source, gone)
	if err != nil {
		return fmt.Errorf("load removed items: %w", err)
	}
	for _, id := range gone {
		it := prev[id]
		b.b.Items = append(b.b.Items, store.Item{
			Key: it.Key, Revision: it.Revision + 1, Hash: it.Hash, LastModified: it.LastModified,
			SeenAt: b.p.now(), Removed: true, Data: it.Data,
		})
		b.res.Changed++
		if !o.Baseline {
			ev := detect.Removed(b.p.tenant, b.b.Source, id, it.Revision, o)
			attachSnapshot(&ev, it.Data) // so the notice can say what was removed
			b.event(ev)
		}
	}
	return nil
}

// attachSnapshot decodes the last stored revision into the event; a
// revision that does not decode leaves the event without one.
func attachSnapshot(ev *model.Event, data []byte) {
	switch ev.Source {
	case model.SourceSHD:
		var v model.Issue
		if json.Unmarshal(data, &v) == nil {
			ev.Issue = &v
		}
	case model.SourceMC:
		var v model.Message
		if json.Unmarshal(data, &v) == nil {
			ev.Message = &v
		}
	case model.SourceHealth:
		var v model.ServiceHealth
		if json.Unmarshal(data, &v) == nil {
			ev.Service = &v
		}
	}
}

func (b *batch) commit(ctx context.Context, cur store.Cursor, full bool, watermark time.Time) error {
	next := cur
	if watermark.After(next.Watermark) {
		next.Watermark = watermark
	}
	if full {
		next.LastFull = b.p.now()
		next.Baselined = true
	}
	b.b.Cursor = &next
	if _, err := b.p.st.Commit(ctx, b.b); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	b.res.Full = full
	return nil
}

// scan collects the IDs of a fetched list and its newest modification
// time (the next watermark).
func scan[T any](list []T, key func(*T) (string, time.Time)) (ids []string, seen map[string]bool, wm time.Time) {
	ids = make([]string, len(list))
	seen = make(map[string]bool, len(list))
	for i := range list {
		id, mod := key(&list[i])
		ids[i] = id
		seen[id] = true
		if mod.After(wm) {
			wm = mod
		}
	}
	return ids, seen, wm
}

// finish ends an issues or messages pass: removals on a full fetch, the
// commit, and the note that the fetch reached back.
func (b *batch) finish(ctx context.Context, cur store.Cursor, since time.Time, full bool, seen map[string]bool, wm time.Time, o detect.Options) error {
	if full {
		if err := b.removals(ctx, seen, o); err != nil {
			return err
		}
	}
	if err := b.commit(ctx, cur, full, wm); err != nil {
		return err
	}
	b.p.reached(b.b.Source, cur, since, full)
	return nil
}

// prior returns the stored items for ids, decoded lazily by the caller.
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

func (p *Poller) pollHealth(ctx context.Context) (SourceResult, error) {
	cur, err := p.st.Cursor(ctx, p.tenant, model.SourceHealth)
	if err != nil {
		return SourceResult{}, fmt.Errorf("read cursor: %w", err)
	}
	list, err := p.fetch.HealthOverviews(ctx)
	if err != nil {
		return SourceResult{}, err
	}
	o := p.opts(cur)
	b := p.newBatch(model.SourceHealth)
	b.res.Fetched = len(list)
	ids, seen, _ := scan(list, func(v *model.ServiceHealth) (string, time.Time) { return v.ID, time.Time{} })
	prev, err := p.prior(ctx, model.SourceHealth, ids)
	if err != nil {
		return b.res, err
	}
	for i := range list {
		s := &list[i]
		h := fingerprint.Service(s)
		old, had := prev[s.ID]
		if had && old.Hash == h && !old.Removed {
			continue
		}
		var prevS *model.ServiceHealth
		if had && !old.Removed {
			prevS = new(model.ServiceHealth)
			if err := json.Unmarshal(old.Data, prevS); err != nil {
				return b.res, fmt.Errorf("decode stored service %s: %w", s.ID, err)
			}
		}
		if ev, ok := detect.Service(p.tenant, prevS, old.Revision, s, reappeared(o, had && old.Removed)); ok {
			b.event(ev)
		}
		if err := b.item(s.ID, old.Revision+1, h, time.Time{}, false, s); err != nil {
			return b.res, err
		}
	}
	if err := b.removals(ctx, seen, o); err != nil {
		return b.res, err
	}
	return b.res, b.commit(ctx, cur, true, time.Time{})
}

func (p *Poller) pollIssues(ctx context.Context) (SourceResult, error) {
	cur, since, full, err := p.plan(ctx, model.SourceSHD)
	if err != nil {
		return SourceResult{}, err
	}
	list, err := p.fetch.Issues(ctx, since)
	if err != nil {
		return SourceResult{}, err
	}
	o := p.opts(cur)
	b := p.newBatch(model.SourceSHD)
	b.res.Fetched = len(list)
	ids, seen, wm := scan(list, func(v *model.Issue) (string, time.Time) { return v.ID, v.LastModified })
	prev, err := p.prior(ctx, model.SourceSHD, ids)
	if err != nil {
		return b.res, err
	}
	for i := range list {
		is := &list[i]
		h := fingerprint.Issue(is)
		old, had := prev[is.ID]
		if had && old.Hash == h && !old.Removed {
			continue
		}
		var prevI *model.Issue
		if had && !old.Removed {
			prevI = new(model.Issue)
			if err := json.Unmarshal(old.Data, prevI); err != nil {
				return b.res, fmt.Errorf("decode stored issue %s: %w", is.ID, err)
			}
		}
		ev, ok := detect.Issue(p.tenant, prevI, old.Revision, is, reappeared(o, had && old.Removed))
		if ok {
			if ev.Has(model.ChangeStatus) && is.Status == model.StatusPostIncidentReviewPublished {
				p.incidentReport(ctx, &ev)
			}
			b.event(ev)
		}
		if err := b.item(is.ID, old.Revision+1, h, is.LastModified, false, is); err != nil {
			return b.res, err
		}
	}
	return b.res, b.finish(ctx, cur, since, full, seen, wm, o)
}

// incidentReport notes the post-incident report's size and type on the
// event. A failure to fetch it is logged, not fatal: the status change is
// news on its own.
func (p *Poller) incidentReport(ctx context.Context, ev *model.Event) {
	body, ctype, err := p.fetch.IncidentReport(ctx, ev.ItemID)
	if err != nil {
		p.log.Warn("incident report unavailable", "item", ev.ItemID, "err", err)
		return
	}
	ev.Changes = append(ev.Changes, model.Change{
		Kind: model.ChangeIncidentReport, Field: ctype, To: strconv.Itoa(len(body)),
	})
}

func (p *Poller) pollMessages(ctx context.Context) (SourceResult, error) {
	cur, since, full, err := p.plan(ctx, model.SourceMC)
	if err != nil {
		return SourceResult{}, err
	}
	list, err := p.fetch.Messages(ctx, since)
	if err != nil {
		return SourceResult{}, err
	}
	o := p.opts(cur)
	b := p.newBatch(model.SourceMC)
	b.res.Fetched = len(list)
	ids, seen, wm := scan(list, func(v *model.Message) (string, time.Time) { return v.ID, v.LastModified })
	prev, err := p.prior(ctx, model.SourceMC, ids)
	if err != nil {
		return b.res, err
	}
	for i := range list {
		m := &list[i]
		old, had := prev[m.ID]
		live := had && !old.Removed
		var prevM *model.Message
		decodePrev := func() error {
			if prevM != nil || !live {
				return nil
			}
			prevM = new(model.Message)
			if err := json.Unmarshal(old.Data, prevM); err != nil {
				return fmt.Errorf("decode stored message %s: %w", m.ID, err)
			}
			return nil
		}
		if m.HasAttachments && len(m.Attachments) == 0 {
			// Attachments cost a request per message: ask only when the
			// message is new or Microsoft modified it.
			if live && old.LastModified.Equal(m.LastModified) {
				if err := decodePrev(); err != nil {
					return b.res, err
				}
				m.Attachments = prevM.Attachments
			} else if att, err := p.fetch.Attachments(ctx, m.ID); err != nil {
				return b.res, fmt.Errorf("list attachments of %s: %w", m.ID, err)
			} else {
				m.Attachments = att
			}
		}
		h := fingerprint.Message(m)
		if live && old.Hash == h {
			continue
		}
		if err := decodePrev(); err != nil {
			return b.res, err
		}
		if ev, ok := detect.Message(p.tenant, prevM, old.Revision, m, reappeared(o, had && old.Removed)); ok {
			b.event(ev)
		}
		if err := b.item(m.ID, old.Revision+1, h, m.LastModified, false, m); err != nil {
			return b.res, err
		}
	}
	return b.res, b.finish(ctx, cur, since, full, seen, wm, o)
}
