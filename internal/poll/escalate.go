package poll

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
)

// escalate raises the item.escalated events due after a pass of src
// (issues or messages): for each route with an escalation
// (Settings.Escalations) and each item of the tenant that escalation
// concerns (route.Escalates: an active incident, a post whose
// action-required date is ahead) and that is still open on the dashboard
// (nobody acknowledged it, or marked it done or not applicable), when the
// route's first notice of the item (store.FirstNotices) is at least the
// escalation's After old: one event, unless it was raised before, with a
// store.KindEscalation delivery to each of the escalation's channels,
// besides the deliveries of the routes that name item.escalated. The
// events go in one commit. It returns how many it raised.
func (p *Poller) escalate(ctx context.Context, src model.Source) (int, error) {
	if len(p.set.Escalations) == 0 || (src != model.SourceSHD && src != model.SourceMC) {
		return 0, nil
	}
	now := p.now()
	items, err := p.escalatable(ctx, src, now)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	slices.SortFunc(items, func(a, b store.Item) int { return strings.Compare(a.Key.ID, b.Key.ID) })
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Key.ID
	}
	b := &batch{p: p, b: store.Batch{Tenant: p.tenant, Source: src}}
	var raised []string
	for _, e := range p.set.Escalations {
		first, err := p.st.FirstNotices(ctx, p.tenant, src, e.Route, ids)
		if err != nil {
			return 0, fmt.Errorf("escalate for route %s: %w", e.Route, err)
		}
		for _, it := range items {
			at, ok := first[it.Key.ID]
			if !ok || now.Sub(at) < e.After {
				continue
			}
			key := e.Route + "/" + it.Key.ID
			if p.escalated[key] {
				continue
			}
			done, err := p.escalatedBefore(ctx, src, it.Key.ID, e.Route)
			if err != nil {
				return 0, err
			}
			if done {
				p.escalated[key] = true
				continue
			}
			ev, ok := escalation(p.tenant, it, e, at, now)
			if !ok {
				continue
			}
			b.event(ctx, ev)
			idx := len(b.b.Events) - 1
			// The routes that name item.escalated announce it once per
			// escalating route, whatever else of the revision they sent.
			for i := range b.b.Deliveries {
				if d := &b.b.Deliveries[i]; d.Event == idx {
					d.Key = store.DeliveryKey(store.KindNotice, &b.b.Events[idx], d.Route, d.Channel, "escalated-"+e.Route)
				}
			}
			for _, ch := range e.Channels {
				b.b.Deliveries = append(b.b.Deliveries, store.NewDelivery{Event: idx, Kind: store.KindEscalation, Channel: ch,
					Route: e.Route, Key: store.DeliveryKey(store.KindEscalation, &b.b.Events[idx], e.Route, ch, "")})
			}
			raised = append(raised, key)
		}
	}
	if len(b.b.Events) == 0 {
		return 0, nil
	}
	if _, err := p.st.Commit(ctx, b.b); err != nil {
		return 0, fmt.Errorf("commit escalations: %w", err)
	}
	for _, k := range raised {
		p.escalated[k] = true
	}
	p.log.Info("escalated", "source", src, "items", raised)
	return len(raised), nil
}

// escalation is the item.escalated event of item it through escalation
// e, whose route first announced it at first; false when the item is not
// (any more) of the kind escalation concerns.
func escalation(tenant string, it store.Item, e route.Escalation, first, now time.Time) (model.Event, bool) {
	ev := model.Event{Tenant: tenant, Source: it.Key.Source, ItemID: it.Key.ID, Type: model.EventItemEscalated,
		Revision: it.Revision, DetectedAt: now,
		Changes: []model.Change{{Kind: model.ChangeEscalation, Field: e.Route, From: first.UTC().Format(time.RFC3339), To: e.After.String()}}}
	switch it.Key.Source {
	case model.SourceSHD:
		var is model.Issue
		if json.Unmarshal(it.Data, &is) != nil {
			return ev, false
		}
		ev.Issue = &is
	case model.SourceMC:
		var m model.Message
		if json.Unmarshal(it.Data, &m) != nil {
			return ev, false
		}
		ev.Message = &m
	}
	return ev, !it.Removed && route.Escalates(&ev, now)
}

// escalatable lists the tenant's current items of src that escalation
// concerns and nobody handled: open incidents, or posts whose
// action-required date is after now.
func (p *Poller) escalatable(ctx context.Context, src model.Source, now time.Time) ([]store.Item, error) {
	rd, ok := store.AsReader(p.st)
	if !ok {
		all, err := p.st.Items(ctx, p.tenant, src, nil)
		if err != nil {
			return nil, fmt.Errorf("list items to escalate: %w", err)
		}
		keys := make([]model.ItemKey, 0, len(all))
		for _, it := range all {
			keys = append(keys, it.Key)
		}
		hs, err := p.st.Handlings(ctx, keys)
		if err != nil {
			return nil, fmt.Errorf("list items to escalate: %w", err)
		}
		var out []store.Item
		for _, it := range all {
			if h, acted := hs[it.Key]; !it.Removed && (!acted || h.Open()) {
				out = append(out, it)
			}
		}
		return out, nil
	}
	q := store.ItemQuery{Tenants: []string{p.tenant}, Source: src, Handling: model.HandlingOpen, Limit: 1000, NoCount: true}
	if src == model.SourceSHD {
		yes := true
		q.Active, q.Classification = &yes, string(model.ClassificationIncident)
	} else {
		q.ActionAfter = now
	}
	var out []store.Item
	for {
		page, err := rd.SearchItems(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("list items to escalate: %w", err)
		}
		out = append(out, page.Items...)
		if !page.More || page.Next == "" {
			return out, nil
		}
		q.After = page.Next
	}
}

// escalatedBefore reports whether the store holds the escalation of item
// id of src through route (raised by an earlier process, or another
// worker that held the tenant).
func (p *Poller) escalatedBefore(ctx context.Context, src model.Source, id, routeName string) (bool, error) {
	evs, err := p.st.Events(ctx, store.EventQuery{Tenant: p.tenant, ItemID: id})
	if err != nil {
		return false, fmt.Errorf("read escalations of %s: %w", id, err)
	}
	for _, e := range evs {
		if e.Type == model.EventItemEscalated && e.Source == src &&
			slices.ContainsFunc(e.Changes, func(c model.Change) bool { return c.Kind == model.ChangeEscalation && c.Field == routeName }) {
			return true, nil
		}
	}
	return false, nil
}
