package poll

// A batch is what one pass of one source writes: its items' revisions,
// events with their deliveries, removals and the cursor.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/source"
	"github.com/shdmc/shdmc/internal/store"
)

// batch collects one source's writes.
type batch struct {
	p    *Poller
	src  source.Source
	kind source.Kind
	b    store.Batch
	res  SourceResult
	plan plan
	// write reports whether the batch has anything to store (a source
	// without a cursor and without changes writes nothing).
	write bool
	// committed is set once the batch went in with others (commitAll).
	committed bool
	// judged is the knowledge of the tenant's services the batch judged
	// its stored posts by (rejudge).
	judged string
}

// plan is how a source was fetched.
type plan struct {
	cur   store.Cursor
	since time.Time
	full  bool
}

// change compares a fetched item with its stored revision old (had: there
// is one) and adds a new revision, and its event if any, when it differs.
func (b *batch) change(ctx context.Context, it *source.Item, old store.Item, had bool, o detect.Options) error {
	h := it.Hash()
	if had && old.Hash == h && !old.Removed {
		return nil
	}
	var prev *source.Item
	if had && !old.Removed {
		v, err := source.Decode(b.kind, old.Data)
		if err != nil {
			return fmt.Errorf("decode stored %s %s: %w", b.kind, it.ID(), err)
		}
		prev = &v
	}
	if had || !it.Quiet {
		if ev, ok := detectItem(b.p.tenant, it, prev, old.Revision, reappeared(o, had && old.Removed)); ok {
			ev.Source = b.b.Source
			if a, ok := b.src.(source.Annotator); ok {
				a.Annotate(ctx, &ev, *it)
			}
			b.event(ctx, ev)
		}
	}
	b.relevance(ctx, it, had && !old.Removed)
	return b.item(it.ID(), old.Revision+1, h, it.LastModified(), it.Value())
}

// touch records the last modification of an item a full resync by stamps
// got and found unchanged (Microsoft touched it without changing what
// shdmc compares), on its stored revision: the next resync then does not
// get it again.
func (b *batch) touch(it *source.Item, old store.Item, had bool) {
	if !had || old.Removed || old.LastModified.Equal(it.LastModified()) {
		return
	}
	b.b.Items = append(b.b.Items, store.Item{Key: old.Key, Revision: old.Revision, Hash: old.Hash,
		LastModified: it.LastModified(), SeenAt: old.SeenAt, Data: old.Data})
}

func (b *batch) item(id string, rev int, hash string, lastMod time.Time, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", id, err)
	}
	b.b.Items = append(b.b.Items, store.Item{
		Key:      model.ItemKey{Tenant: b.p.tenant, Source: b.b.Source, ID: id},
		Revision: rev, Hash: hash, LastModified: lastMod, SeenAt: b.p.now(), Data: data,
	})
	b.res.Changed++
	return nil
}

func (b *batch) event(ctx context.Context, ev model.Event) {
	b.p.markRelevance(ctx, &ev)
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
	b.b.Deliveries = append(b.b.Deliveries, deliveries(idx, &ev, targets)...)
	b.res.Events++
}

// deliveries returns the outbox rows of the event at index idx of a batch.
func deliveries(idx int, ev *model.Event, targets []route.Target) []store.NewDelivery {
	out := make([]store.NewDelivery, 0, len(targets))
	for _, t := range targets {
		out = append(out, store.NewDelivery{Event: idx, Kind: store.KindNotice, Channel: t.Channel, Route: t.Route,
			Key: store.DeliveryKey(store.KindNotice, ev, t.Route, t.Channel, "")})
	}
	return out
}

// vanished handles the stored items a full fetch did not return: a
// Resolver source resolves them, any other marks them removed.
func (b *batch) vanished(ctx context.Context, seen map[string]bool, o detect.Options) error {
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
	if r, ok := b.src.(source.Resolver); ok {
		for _, id := range gone {
			old := prev[id]
			last, err := source.Decode(b.kind, old.Data)
			if old.Removed || err != nil {
				continue
			}
			if it, ok := r.Resolve(last, b.p.now()); ok {
				if err := b.change(ctx, &it, old, true, o); err != nil {
					return err
				}
			}
		}
		return nil
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
			// The last stored revision tells what was removed; one that
			// does not decode leaves the event without it.
			if last, err := source.Decode(b.kind, it.Data); err == nil {
				last.AttachTo(&ev)
			}
			b.event(ctx, ev)
		}
	}
	return nil
}

// cursor sets the batch's next cursor, when the source keeps one, and
// whether the batch has anything to write.
//
// A full listing sets the watermark to its own newest modification, so that
// a date Microsoft corrected (or one an older shdmc stored from the future)
// does not stick; an incremental one only moves it forward. It never passes
// ceiling.
//
// A source listed whole at every pass (not incremental) has no resyncs:
// its LastFull is the last listing that stored a change (or the
// baseline), so that a quiet listing leaves the cursor as it is and the
// commit writes nothing (store.WithCursorStamp).
func (b *batch) cursor(cur store.Cursor, full bool, watermark, ceiling time.Time, cursor, incremental bool) {
	b.res.Full = full
	if !cursor {
		b.write = len(b.b.Items) > 0
		return
	}
	next := cur
	if full && !watermark.IsZero() || next.Watermark.After(ceiling) {
		next.Watermark = watermark
	} else if watermark.After(next.Watermark) {
		next.Watermark = watermark
	}
	if full && (incremental || !cur.Baselined || len(b.b.Items) > 0) {
		next.LastFull = b.p.now()
	}
	if full {
		next.Baselined = true
	}
	b.b.Cursor = &next
	b.write = true
}

// commit writes the batch in a transaction of its own.
func (b *batch) commit(ctx context.Context) error {
	if !b.write {
		return nil
	}
	if _, err := b.p.st.Commit(ctx, b.b); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// commitAll writes batches whose events were grouped together in one
// transaction.
func (p *Poller) commitAll(ctx context.Context, bs []*batch) error {
	var all []store.Batch
	for _, b := range bs {
		if b.write {
			all = append(all, b.b)
		}
	}
	if _, err := p.st.CommitAll(ctx, all); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// done records a committed fetch that reached back by the overlap.
func (b *batch) done() {
	if b.src.Traits().Incremental {
		b.p.reached(b.b.Source, b.plan.cur, b.plan.since, b.plan.full)
	}
	if b.judged != "" {
		b.p.rel.judged = b.judged
	}
}

// detectItem compares prev (nil when never seen, or removed) with the item
// and returns the event to raise, as the detect function of its kind does.
// The event's Source is that of the kind's Graph source; the caller sets
// the source the item came from.
func detectItem(tenant string, it *source.Item, prev *source.Item, prevRev int, o detect.Options) (model.Event, bool) {
	switch {
	case it.Issue != nil:
		var p *model.Issue
		if prev != nil {
			p = prev.Issue
		}
		return detect.Issue(tenant, p, prevRev, it.Issue, o)
	case it.Message != nil:
		var p *model.Message
		if prev != nil {
			p = prev.Message
		}
		return detect.Message(tenant, p, prevRev, it.Message, o)
	case it.Service != nil:
		var p *model.ServiceHealth
		if prev != nil {
			p = prev.Service
		}
		return detect.Service(tenant, p, prevRev, it.Service, o)
	}
	return model.Event{}, false
}
