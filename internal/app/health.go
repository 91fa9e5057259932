package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
)

// sourceRoute is the route name of source health notices that no
// configured route carries (they go to the independent channels).
const sourceRoute = "source-health"

// healthKeeper holds the health of every tenant's sources, backed by the
// store so that an outage survives a restart.
type healthKeeper struct {
	mu     sync.Mutex
	set    outage.Settings
	hs     store.HealthStore // nil: memory only
	loaded bool
	states map[healthKey]outage.State
	// incident is whether a tenant has an active incident, from its last
	// poll that changed Service Health issues.
	incident map[string]bool
}

type healthKey struct {
	tenant string
	source model.Source
}

func newHealthKeeper(st store.Store, set outage.Settings) *healthKeeper {
	return &healthKeeper{set: set, hs: st, states: map[healthKey]outage.State{}, incident: map[string]bool{}}
}

// load reads the stored states once. Callers hold mu.
func (h *healthKeeper) load(ctx context.Context) error {
	if h.loaded || h.hs == nil {
		h.loaded = true
		return nil
	}
	rows, err := h.hs.SourceHealths(ctx, "")
	if err != nil {
		return fmt.Errorf("load source health: %w", err)
	}
	for _, r := range rows {
		var s outage.State
		if err := json.Unmarshal(r.Data, &s); err != nil {
			return fmt.Errorf("decode source health of %s/%s: %w", r.Tenant, r.Source, err)
		}
		h.states[healthKey{r.Tenant, r.Source}] = s
	}
	h.loaded = true
	return nil
}

// state returns the current state of a tenant's source.
func (h *healthKeeper) state(ctx context.Context, tenant string, src model.Source) (outage.State, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.load(ctx); err != nil {
		return outage.State{}, err
	}
	return h.states[healthKey{tenant, src}], nil
}

// anyDown reports whether some tenant's Graph source is failing or down.
func (h *healthKeeper) anyFailing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, s := range h.states {
		if k.source == model.SourceGraph && (s.Down || s.Failing()) {
			return true
		}
	}
	return false
}

// observe records the outcome of one attempt on a tenant's source and, on
// a transition, stores the source.down or source.restored event with its
// deliveries in the same transaction as the new state.
func (a *App) observe(ctx context.Context, tenant string, src model.Source, err error) (outage.Transition, error) {
	h := a.health
	if err != nil && ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return outage.None, nil // shutting down: not the source's fault
	}
	now := a.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if lerr := h.load(ctx); lerr != nil {
		return outage.None, lerr
	}
	k := healthKey{tenant, src}
	prev := h.states[k]
	var next outage.State
	var tr outage.Transition
	if err != nil {
		next, tr = prev.Fail(now, outage.Classify(ctx, err), h.set)
	} else {
		next, tr = prev.Succeed(now)
	}
	var b store.Batch
	if tr != outage.None {
		ev := sourceEvent(tenant, src, next, tr, now)
		b = store.Batch{Tenant: tenant, Source: src, Events: []model.Event{ev}}
		for _, t := range a.sourceTargets(&ev) {
			b.Deliveries = append(b.Deliveries, store.NewDelivery{Event: 0, Channel: t.Channel, Route: t.Route,
				Key: fmt.Sprintf("%s/%s/%s/%d/%s/%s", ev.Tenant, ev.Source, ev.ItemID, ev.Revision, t.Route, t.Channel)})
		}
	}
	if h.hs != nil {
		data, merr := json.Marshal(next)
		if merr != nil {
			return outage.None, fmt.Errorf("encode source health: %w", merr)
		}
		// A failing store leaves the state in memory unchanged, so that the
		// transition is tried again on the next attempt.
		if _, perr := h.hs.PutSourceHealth(context.WithoutCancel(ctx), store.SourceHealth{Tenant: tenant, Source: src, Data: data, UpdatedAt: now}, b); perr != nil {
			return outage.None, perr
		}
	}
	h.states[k] = next
	log := a.log.With("tenant", tenant, "source", src)
	switch tr {
	case outage.Down:
		log.Warn("source unavailable", "class", next.Last.Class, "code", next.Last.Code, "since", next.DownSince, "failures", next.Failures)
	case outage.Restored:
		log.Info("source restored", "outage", next.LastOutage)
	}
	return tr, nil
}

// sourceEvent builds the notice event of a transition. Its revision is
// the outage's number (down odd, restored even), so that its idempotency
// keys differ from every other outage's.
func sourceEvent(tenant string, src model.Source, s outage.State, tr outage.Transition, now time.Time) model.Event {
	ev := model.Event{Tenant: tenant, Source: src, ItemID: string(src), DetectedAt: now}
	if tr == outage.Down {
		ev.Type, ev.Revision = model.EventSourceDown, 2*s.Outages-1
		ev.Changes = []model.Change{
			{Kind: model.ChangeFailure, Field: string(s.Last.Class), From: s.Last.Code, To: s.Last.Detail},
			{Kind: model.ChangeStart, To: s.DownSince.UTC().Format(time.RFC3339)},
		}
		return ev
	}
	ev.Type, ev.Revision = model.EventSourceRestored, 2*s.Outages
	ev.Changes = []model.Change{{Kind: model.ChangeOutage, Field: s.DownSince.UTC().Format(time.RFC3339),
		From: string(s.Last.Class), To: strconv.FormatInt(int64(s.LastOutage/time.Second), 10)}}
	return ev
}

// sourceTargets are the deliveries of a source health event: the routes
// that name such events when some do, otherwise the channels that do not
// depend on Microsoft 365.
func (a *App) sourceTargets(ev *model.Event) []route.Target {
	if a.cfg.RoutesSourceEvents() {
		return a.router.Match(ev)
	}
	var out []route.Target
	for _, ch := range a.cfg.SourceDownChannels() {
		out = append(out, route.Target{Route: sourceRoute, Channel: ch})
	}
	return out
}

// afterPoll feeds one tenant poll into the health keeper, and notes
// whether the tenant has an active incident.
func (a *App) afterPoll(ctx context.Context, t *tenant, r poll.Result, err error) (announced bool) {
	tr, herr := a.observe(ctx, t.cfg.ID, model.SourceGraph, err)
	if herr != nil {
		a.log.Error("record source health", "tenant", t.cfg.ID, "err", herr)
	}
	announced = tr != outage.None
	if sr, ok := r.Sources[model.SourceSHD]; ok && sr.Err == nil {
		a.health.mu.Lock()
		_, known := a.health.incident[t.cfg.ID]
		a.health.mu.Unlock()
		if sr.Changed > 0 || !known {
			active, aerr := activeIncident(ctx, a.st, t.cfg.ID)
			if aerr != nil {
				a.log.Warn("look for active incidents", "tenant", t.cfg.ID, "err", aerr)
				return announced
			}
			a.health.mu.Lock()
			a.health.incident[t.cfg.ID] = active
			a.health.mu.Unlock()
		}
	}
	return announced
}

// activeIncident reports whether a tenant has a stored, unresolved issue
// classified as an incident.
func activeIncident(ctx context.Context, st store.Store, tenant string) (bool, error) {
	items, err := st.Items(ctx, tenant, model.SourceSHD, nil)
	if err != nil {
		return false, err
	}
	for _, it := range items {
		if it.Removed {
			continue
		}
		var is struct {
			Classification model.Classification `json:"classification"`
			IsResolved     bool                 `json:"isResolved"`
		}
		if json.Unmarshal(it.Data, &is) == nil && is.Classification == model.ClassificationIncident && !is.IsResolved {
			return true, nil
		}
	}
	return false, nil
}

// pollInterval is the tenant's next interval: faster while an incident is
// active or its Graph source fails (outage.Interval keeps it within the
// Graph budget), the configured one otherwise.
func (a *App) pollInterval(t *tenant) time.Duration {
	a.health.mu.Lock()
	s := a.health.states[healthKey{t.cfg.ID, model.SourceGraph}]
	busy := a.health.incident[t.cfg.ID] || s.Down
	a.health.mu.Unlock()
	reqs := 1
	for _, on := range []*bool{t.cfg.Sources.Issues, t.cfg.Sources.Messages, t.cfg.Sources.Health} {
		if enabled(on) {
			reqs++
		}
	}
	return outage.Interval(t.interval, busy, reqs)
}
