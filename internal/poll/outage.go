package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
)

// keeper holds the health of every tenant's sources (the state machine of
// internal/outage), backed by the store so that an outage survives a
// restart, and announces its transitions.
type keeper struct {
	st      store.Store
	set     outage.Settings
	targets func(*model.Event) []route.Target
	now     func() time.Time
	log     *slog.Logger

	// stampEvery is how long the stored state of a source that keeps
	// succeeding may go without a rewrite (Options.HealthStamp).
	stampEvery time.Duration

	mu     sync.Mutex
	loaded bool
	states map[healthKey]outage.State
	// stored is when each state was last written (or read at load).
	stored map[healthKey]time.Time
	// incident is whether a tenant has an active incident, from its last
	// poll that changed Service Health issues.
	incident map[string]bool
}

type healthKey struct {
	tenant string
	source model.Source
}

func newKeeper(st store.Store, set outage.Settings, targets func(*model.Event) []route.Target, now func() time.Time, log *slog.Logger, stampEvery time.Duration) *keeper {
	return &keeper{st: st, set: set, targets: targets, now: now, log: log, stampEvery: stampEvery,
		states: map[healthKey]outage.State{}, stored: map[healthKey]time.Time{}, incident: map[string]bool{}}
}

// load reads the stored states once. Callers hold mu.
func (h *keeper) load(ctx context.Context) error {
	if h.loaded {
		return nil
	}
	rows, err := h.st.SourceHealths(ctx, "")
	if err != nil {
		return fmt.Errorf("load source health: %w", err)
	}
	for _, r := range rows {
		var s outage.State
		if err := json.Unmarshal(r.Data, &s); err != nil {
			return fmt.Errorf("decode source health of %s/%s: %w", r.Tenant, r.Source, err)
		}
		h.states[healthKey{r.Tenant, r.Source}] = s
		h.stored[healthKey{r.Tenant, r.Source}] = r.UpdatedAt
	}
	h.loaded = true
	return nil
}

// anyFailing reports whether some tenant's Graph source is failing or
// down.
func (h *keeper) anyFailing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, s := range h.states {
		if k.source == model.SourceGraph && (s.Down || s.Failing()) {
			return true
		}
	}
	return false
}

// failing counts the tenants whose Graph source failed at its last poll.
func (h *keeper) failing() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for k, s := range h.states {
		if k.source == model.SourceGraph && s.Failing() {
			n++
		}
	}
	return n
}

// observe records the outcome of one attempt on a tenant's source and, on
// a transition, stores the source.down or source.restored event with its
// deliveries in the same transaction as the new state.
func (h *keeper) observe(ctx context.Context, tenant string, src model.Source, err error) (outage.Transition, error) {
	if err != nil && ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return outage.None, nil // shutting down: not the source's fault
	}
	now := h.now()
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
	if err == nil && tr == outage.None && h.quiet(k, prev, now) {
		h.states[k] = next // only LastSuccess moved: kept in memory
		return tr, nil
	}
	var b store.Batch
	if tr != outage.None {
		ev := sourceEvent(tenant, src, next, tr, now)
		var targets []route.Target
		if h.targets != nil {
			targets = h.targets(&ev)
		}
		b = store.Batch{Tenant: tenant, Source: src, Events: []model.Event{ev}, Deliveries: deliveries(0, &ev, targets)}
	}
	data, merr := json.Marshal(next)
	if merr != nil {
		return outage.None, fmt.Errorf("encode source health: %w", merr)
	}
	// A failing store leaves the state in memory unchanged, so that the
	// transition is tried again on the next attempt.
	if _, perr := h.st.PutSourceHealth(context.WithoutCancel(ctx), store.SourceHealth{Tenant: tenant, Source: src, Data: data, UpdatedAt: now}, b); perr != nil {
		return outage.None, perr
	}
	h.states[k] = next
	h.stored[k] = now
	log := h.log.With("tenant", tenant, "source", src)
	switch tr {
	case outage.Down:
		log.Warn("source unavailable", "class", next.Last.Class, "code", next.Last.Code, "since", next.DownSince, "failures", next.Failures)
	case outage.Restored:
		log.Info("source restored", "outage", next.LastOutage)
	}
	return tr, nil
}

// quiet reports whether a success of source k after prev need not be
// stored: prev was a success (the new state differs from it only in
// LastSuccess), and the stored state is younger than the stamp period.
// Callers hold mu.
func (h *keeper) quiet(k healthKey, prev outage.State, now time.Time) bool {
	if h.stampEvery <= 0 || prev.Down || prev.Failing() || prev.LastSuccess.IsZero() {
		return false
	}
	at, ok := h.stored[k]
	return ok && now.Sub(at) < h.stampEvery && !now.Before(at)
}

// state returns the stored health of a source (the zero State when it
// was never observed or cannot be read).
func (h *keeper) state(ctx context.Context, tenant string, src model.Source) outage.State {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.load(ctx) != nil {
		return outage.State{}
	}
	return h.states[healthKey{tenant, src}]
}

// record keeps the health of a source without announcing it (the public
// status sources: undocumented pages, only a fallback), for `shdmc status`
// and the sources' backoff, and returns it.
func (h *keeper) record(ctx context.Context, tenant string, src model.Source, err error) outage.State {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.load(ctx) != nil {
		return outage.State{}
	}
	k := healthKey{tenant, src}
	s := h.states[k]
	now := h.now()
	if err != nil {
		s, _ = s.Fail(now, outage.Classify(ctx, err), h.set)
	} else {
		s, _ = s.Succeed(now)
	}
	h.states[k] = s
	if data, merr := json.Marshal(s); merr == nil {
		_, _ = h.st.PutSourceHealth(context.WithoutCancel(ctx), store.SourceHealth{Tenant: tenant, Source: src, Data: data, UpdatedAt: now}, store.Batch{})
	}
	return s
}

// pause marks a failing fallback source as no longer polled (State.Paused)
// and reports whether it changed anything.
func (h *keeper) pause(ctx context.Context, tenant string, src model.Source) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.load(ctx) != nil {
		return false
	}
	k := healthKey{tenant, src}
	s, ok := h.states[k]
	if !ok || s.Paused || !(s.Failing() || s.Down) {
		return false
	}
	s.Paused = true
	h.states[k] = s
	if data, merr := json.Marshal(s); merr == nil {
		_, _ = h.st.PutSourceHealth(context.WithoutCancel(ctx), store.SourceHealth{Tenant: tenant, Source: src, Data: data, UpdatedAt: h.now()}, store.Batch{})
	}
	return true
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

// afterPoll feeds one tenant poll into the keeper, and notes whether the
// tenant has an active incident.
func (h *keeper) afterPoll(ctx context.Context, tenant string, r Result, err error) (announced bool) {
	tr, herr := h.observe(ctx, tenant, model.SourceGraph, err)
	if herr != nil {
		h.log.Error("record source health", "tenant", tenant, "err", herr)
	}
	announced = tr != outage.None
	if sr, ok := r.Sources[model.SourceSHD]; ok && sr.Err == nil {
		h.mu.Lock()
		_, known := h.incident[tenant]
		h.mu.Unlock()
		if sr.Changed > 0 || !known {
			active, aerr := activeIncident(ctx, h.st, tenant)
			if aerr != nil {
				h.log.Warn("look for active incidents", "tenant", tenant, "err", aerr)
				return announced
			}
			h.mu.Lock()
			h.incident[tenant] = active
			h.mu.Unlock()
		}
	}
	return announced
}

// ActiveIncident reports whether a tenant has a stored, unresolved issue
// classified as an incident: what puts the tenant's issues in the fast
// lane (`shdmc status` shows it).
func ActiveIncident(ctx context.Context, st store.Store, tenant string) (bool, error) {
	return activeIncident(ctx, st, tenant)
}

// activeIncident reports whether a tenant has a stored, unresolved issue
// classified as an incident. A store with a read index answers from it
// (one row at most); reading and decoding every stored issue of the tenant
// after each poll that changed one cost a tenth of an onboarding's CPU.
func activeIncident(ctx context.Context, st store.Store, tenant string) (bool, error) {
	if rd, ok := store.AsReader(st); ok {
		return rd.ActiveIncident(ctx, tenant)
	}
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

// interval is a tenant's next interval: faster while an incident is
// active or its Graph source fails (outage.Interval keeps it within the
// Graph budget), the configured one otherwise.
func (h *keeper) interval(t *tenant) time.Duration {
	h.mu.Lock()
	s := h.states[healthKey{t.ID, model.SourceGraph}]
	busy := h.incident[t.ID] || s.Down
	h.mu.Unlock()
	reqs := 1
	for _, on := range []bool{t.Settings.Issues, t.Settings.Messages, t.Settings.Health} {
		if on {
			reqs++
		}
	}
	return outage.Interval(t.Interval, busy, reqs)
}

// fastLane reports whether t's issues are polled in the fast lane now: t
// has one, its mode is always or it has an active incident, and its Graph
// source's last poll succeeded (a failing Graph is not asked more often).
func (h *keeper) fastLane(t *tenant) bool {
	if t.IncidentInterval <= 0 || !t.Settings.Issues || t.Lane == outage.LaneOff {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.states[healthKey{t.ID, model.SourceGraph}]; s.Down || s.Failing() {
		return false
	}
	return t.Lane == outage.LaneAlways || h.incident[t.ID]
}
