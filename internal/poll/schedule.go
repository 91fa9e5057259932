package poll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/source"
	"github.com/shdmc/shdmc/internal/store"
)

// Tenant is one tenant a Scheduler polls.
type Tenant struct {
	// ID names the tenant in the store.
	ID string
	// Graph configures the tenant's Graph client. The client is built at
	// the tenant's first poll and, when workers share the tenants, dropped
	// when another worker takes the tenant over, so that a worker holds
	// clients only for its share.
	Graph graph.Config
	// BudgetKey names Graph.Budget in the store: the budget is shared by
	// the tenants of one Entra tenant and app, and carried across workers.
	BudgetKey string
	// Settings tune the tenant's Poller; Issues, Messages and Health say
	// which Graph sources it polls.
	Settings Settings
	// Interval is the tenant's configured polling interval.
	Interval time.Duration
	// Lane is the tenant's fast lane mode ("" is outage.LaneAuto).
	Lane outage.Lane
	// IncidentInterval is how often the fast lane polls the tenant's
	// issues on their own (outage.Plan.IncidentInterval, which keeps the
	// tenant's requests within its budget); 0: no fast lane.
	IncidentInterval time.Duration
}

// Public configures the polling of the public status sources, stored under
// source.PublicTenant.
type Public struct {
	// Sources are polled in order; none: no public polling.
	Sources []source.Source
	// Always polls them at every interval; otherwise only while some
	// tenant's Graph source fails.
	Always bool
	// Every is the interval between two polls.
	Every time.Duration
	// Targets returns the deliveries of an event (route.Router.Match).
	Targets func(ev *model.Event) []route.Target
}

// Observation describes one poll of one tenant.
type Observation struct {
	Tenant string
	// Sources holds each polled source's duration and error.
	Sources map[model.Source]SourceResult
	// Graph is what the tenant's Graph client did during the poll.
	Graph graph.Stats
}

// Options build a Scheduler.
type Options struct {
	Store   store.Store
	Tenants []Tenant
	Public  Public
	// Outage tunes when a failing Graph source is declared down.
	Outage outage.Settings
	// SourceTargets returns the deliveries of a source.down or
	// source.restored event.
	SourceTargets func(ev *model.Event) []route.Target
	// Concurrency bounds how many tenants are polled at once; 0 = 8.
	Concurrency int
	// Now is the clock of detection and resync scheduling; nil = time.Now.
	// Intervals, leases and Graph budgets use real time.
	Now    func() time.Time
	Logger *slog.Logger
	// Observe, when set, is told about every poll of a tenant.
	Observe func(Observation)
	// Due is called by Run when deliveries may be due: a poll found
	// events, stored a source health transition or failed, or the public
	// sources were polled. Nil: not called.
	Due func()
	// Polled is called by Run after every poll of a tenant this worker
	// made (the end of a cycle, for the heartbeat). Nil: not called.
	Polled func()
	// HealthStamp is how long the stored health of a tenant's Graph
	// source that keeps succeeding may go without a rewrite: a success
	// after a success is stored only when the stored one is older, so
	// that a quiet poll writes nothing (the store's cursor stamp,
	// store.WithCursorStamp, is the same for the cursors). 0 stores it at
	// every poll. Its LastSuccess, as `shdmc status` shows it, then lags
	// by up to this much.
	HealthStamp time.Duration
}

// Scheduler polls tenants: at their intervals with jitter, sharing them
// with the other workers of the store (Run), or each once (PollAll). It
// keeps the health of every tenant's Graph source, announces its outages,
// polls faster while an incident is active or Graph fails (the issues
// fastest, in the fast lane), and polls the public status sources when
// they are due.
type Scheduler struct {
	st      store.Store
	tenants []*tenant
	public  *public
	health  *keeper
	now     func() time.Time
	log     *slog.Logger
	conc    int
	observe func(Observation)
	due     func()
	polled  func()
}

// tenant is a Tenant with its Graph client and poller, once built.
type tenant struct {
	Tenant

	mu     sync.Mutex
	poller *Poller       // nil until the first poll, and after a handover
	client *graph.Client // the poller's, for its statistics
	// budgetSaved is the newest request time of the Graph budget log this
	// worker last stored (see saveBudget).
	budgetSaved time.Time
}

// public is the public status sources' pollers (one each, so that an
// unreachable one can wait while the others are polled) and schedule.
type public struct {
	pollers []*Poller
	always  bool
	every   time.Duration

	mu   sync.Mutex
	last time.Time // real time of the last poll
}

// publicBackoffCap bounds how long an unreachable public status source
// waits between attempts.
const publicBackoffCap = time.Hour

// NewScheduler returns a Scheduler of o.Tenants. It builds no Graph client
// yet: each is built at its tenant's first poll.
func NewScheduler(o Options) *Scheduler {
	s := &Scheduler{st: o.Store, now: o.Now, log: o.Logger, conc: o.Concurrency, observe: o.Observe, due: o.Due, polled: o.Polled}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.conc <= 0 {
		s.conc = 8
	}
	for _, t := range o.Tenants {
		s.tenants = append(s.tenants, &tenant{Tenant: t})
	}
	s.health = newKeeper(s.st, o.Outage, o.SourceTargets, s.now, s.log, o.HealthStamp)
	if p := o.Public; len(p.Sources) > 0 {
		s.public = &public{always: p.Always, every: p.Every}
		for _, src := range p.Sources {
			s.public.pollers = append(s.public.pollers,
				NewSources(source.PublicTenant, []source.Source{src}, s.st, Settings{Targets: p.Targets}, s.now, s.log))
		}
	}
	return s
}

// Tenants returns how many tenants the Scheduler polls.
func (s *Scheduler) Tenants() int { return len(s.tenants) }

// Failing returns how many tenants' Graph source failed at its last poll.
func (s *Scheduler) Failing() int { return s.health.failing() }

// pollerOf returns t's poller, building its Graph client first if needed.
func (s *Scheduler) pollerOf(t *tenant) (*Poller, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.poller == nil {
		client, err := graph.New(t.Graph)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: create graph client: %w", t.ID, err)
		}
		t.poller, t.client = New(t.ID, client, s.st, t.Settings, s.now, s.log), client
	}
	return t.poller, nil
}

// stats returns the counters of t's Graph client.
func (t *tenant) stats() graph.Stats {
	t.mu.Lock()
	c := t.client
	t.mu.Unlock()
	if c == nil {
		return graph.Stats{}
	}
	return c.Stats()
}

// statsDelta is what a Graph client did between two snapshots.
func statsDelta(a, b graph.Stats) graph.Stats {
	d := graph.Stats{Requests: b.Requests - a.Requests, BytesRead: b.BytesRead - a.BytesRead,
		Throttled: b.Throttled - a.Throttled, ThrottledWait: b.ThrottledWait - a.ThrottledWait,
		Retries: b.Retries - a.Retries, TokenRefreshes: b.TokenRefreshes - a.TokenRefreshes,
		ByStatus: map[int]int64{}}
	for code, n := range b.ByStatus {
		if n -= a.ByStatus[code]; n > 0 {
			d.ByStatus[code] = n
		}
	}
	return d
}

// drop forgets t's Graph client and poller (the tenant went to another
// worker); a later poll builds them again.
func (t *tenant) drop() {
	t.mu.Lock()
	t.poller, t.client = nil, nil
	t.mu.Unlock()
}

// Round summarizes one pass over every tenant.
type Round struct {
	Tenants, Failed int
	Events          int
}

// PollAll polls every tenant once (`shdmc check`: no leases), then the
// public status sources if they are due. Tenant failures are returned
// joined after every tenant was tried; those of the public sources are
// logged and kept in the source health.
func (s *Scheduler) PollAll(ctx context.Context) (Round, error) {
	var (
		mu   sync.Mutex
		res  Round
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, s.conc)
	)
	for _, t := range s.tenants {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, _, err := s.pollTenant(ctx, t, nil)
			mu.Lock()
			defer mu.Unlock()
			res.Tenants++
			res.Events += r.Events
			if err != nil {
				res.Failed++
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if s.publicDue() {
		_ = s.pollPublic(ctx, false) // failures are logged and kept in the source health
	} else {
		s.pausePublic(ctx)
	}
	return res, errors.Join(errs...)
}

// pollTenant polls t's sources of set once (all when set is nil); due
// reports whether the poll may have queued deliveries (events, a source
// health transition, or a failure).
func (s *Scheduler) pollTenant(ctx context.Context, t *tenant, set []model.Source) (r Result, due bool, err error) {
	start := time.Now()
	p, err := s.pollerOf(t)
	if err != nil {
		return r, true, err
	}
	var before graph.Stats
	if s.observe != nil {
		before = t.stats()
	}
	r, err = p.PollSources(ctx, set)
	if s.observe != nil {
		s.observe(Observation{Tenant: t.ID, Sources: r.Sources, Graph: statsDelta(before, t.stats())})
	}
	announced := s.health.afterPoll(ctx, t.ID, r, err)
	due = r.Events > 0 || announced || err != nil
	log := s.log.With("tenant", t.ID, "events", r.Events, "items", r.Items, "full", r.Full,
		"took", time.Since(start).Round(time.Millisecond))
	if set != nil {
		log = log.With("sources", set)
	}
	if err != nil {
		log.Warn("poll failed", "err", err)
	} else {
		log.Debug("poll done")
	}
	return r, due, err
}

// Run polls every tenant this worker holds at its interval (with jitter)
// and the public status sources when due, until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	if len(s.tenants) == 0 {
		return errors.New("no enabled tenants in config")
	}
	co, err := s.startWorker(ctx) // share the tenants with other workers (workers.go)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); co.run(ctx) }()
	sem := make(chan struct{}, s.conc)
	for i, t := range s.tenants {
		// Spread the first polls over the first interval (at most 30 s)
		// so that many tenants do not start at once.
		first := time.Duration(0)
		if n := len(s.tenants); n > 1 {
			first = min(t.Interval, 30*time.Second) * time.Duration(i) / time.Duration(n)
		}
		wg.Add(1)
		go func() { defer wg.Done(); s.runTenant(ctx, co, sem, t, first) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); s.runPublic(ctx) }()
	wg.Wait()
	return nil
}

// runTenant polls t while this worker holds it, until ctx is done. Each
// source has its own due time: the messages and the health overview (and
// the issues, outside the fast lane) come due together every interval
// (faster while an incident is active or Graph fails, outage.Interval);
// in the fast lane the issues come due every IncidentInterval on their
// own. One pass polls the sources due, each in a transaction of its own.
func (s *Scheduler) runTenant(ctx context.Context, co *coordinator, sem chan struct{}, t *tenant, first time.Duration) {
	srcs := graphSources(t.Settings)
	if len(srcs) == 0 {
		return
	}
	next := make(map[model.Source]time.Time, len(srcs))
	for _, src := range srcs {
		next[src] = time.Now().Add(first)
	}
	timer := time.NewTimer(first)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now := time.Now()
		var set []model.Source
		for _, src := range srcs {
			if !next[src].After(now) {
				set = append(set, src)
			}
		}
		if len(set) == len(srcs) {
			set = nil // the whole pass
		}
		sem <- struct{}{}
		ok, due := s.pollShared(ctx, co, t, set)
		<-sem
		if ok {
			call(s.polled)
			if due {
				call(s.due)
			}
			s.reschedule(t, next, set, time.Now())
		} else {
			// Not this worker's (now): look again after the next
			// coordination round, which may give it to this worker.
			at := time.Now().Add(jitter(min(t.Interval, co.every)))
			for _, src := range srcs {
				next[src] = at
			}
		}
		timer.Reset(time.Until(earliest(next)))
	}
}

// reschedule sets the next due time of the sources of set (all when nil)
// that a pass ending at now polled.
func (s *Scheduler) reschedule(t *tenant, next map[model.Source]time.Time, set []model.Source, now time.Time) {
	slow := now.Add(jitter(s.health.interval(t)))
	fast := s.health.fastLane(t)
	rest := time.Time{} // when the other sources come due
	for src, at := range next {
		if src != model.SourceSHD && (set == nil || slices.Contains(set, src)) {
			next[src] = slow
			at = slow
		}
		if src != model.SourceSHD && (rest.IsZero() || at.Before(rest)) {
			rest = at
		}
	}
	if _, ok := next[model.SourceSHD]; !ok || (set != nil && !slices.Contains(set, model.SourceSHD)) {
		return
	}
	switch {
	case fast:
		next[model.SourceSHD] = now.Add(jitter(t.IncidentInterval))
	case !rest.IsZero() && rest.Before(slow):
		next[model.SourceSHD] = rest // out of the fast lane: with the others again
	default:
		next[model.SourceSHD] = slow
	}
}

// earliest returns the earliest of the due times.
func earliest(next map[model.Source]time.Time) time.Time {
	var e time.Time
	for _, at := range next {
		if e.IsZero() || at.Before(e) {
			e = at
		}
	}
	return e
}

// graphSources names the Graph sources set switches on, in the order of
// a pass.
func graphSources(set Settings) []model.Source {
	var out []model.Source
	for _, s := range []struct {
		on  bool
		src model.Source
	}{{set.Health, model.SourceHealth}, {set.Issues, model.SourceSHD}, {set.Messages, model.SourceMC}} {
		if s.on {
			out = append(out, s.src)
		}
	}
	return out
}

// call calls f unless it is nil.
func call(f func()) {
	if f != nil {
		f()
	}
}

// jitter returns d ± 10 %.
func jitter(d time.Duration) time.Duration {
	j := int64(d) / 10
	if j <= 0 {
		return d
	}
	return d - time.Duration(j) + time.Duration(rand.Int64N(2*j+1))
}

// publicDue reports whether the public sources should be polled now:
// always mode, or some tenant's Graph source failing; and the interval
// passed.
func (s *Scheduler) publicDue() bool {
	p := s.public
	if p == nil {
		return false
	}
	if !p.always && !s.health.anyFailing() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last.IsZero() || time.Since(p.last) >= p.every
}

// PollPublic polls every public status source once, due or not, through
// the pass of every source: new and changed items are stored under
// source.PublicTenant and announced through the routes. A source that
// fails keeps its last good items; its failure is recorded in the source
// health without a notice (these pages are undocumented and only a
// fallback) and logged as a warning once per outage.
func (s *Scheduler) PollPublic(ctx context.Context) error {
	return s.pollPublic(ctx, true)
}

// pollPublic polls the public status sources; unless all is set, a source
// that is failing waits out its backoff first (publicBackoff), so that an
// unreachable page (no way out of this network) is not asked every
// interval.
func (s *Scheduler) pollPublic(ctx context.Context, all bool) error {
	p := s.public
	if p == nil {
		return nil
	}
	p.mu.Lock()
	p.last = time.Now()
	p.mu.Unlock()
	var errs []error
	for _, pl := range p.pollers {
		src := pl.sources[0].Name()
		before := s.health.state(ctx, source.PublicTenant, src)
		if !all && before.Failing() && s.now().Before(before.LastFailure.Add(publicBackoff(p.every, before.Failures))) {
			continue
		}
		res, err := pl.Poll(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		sr, ok := res.Sources[src]
		if !ok {
			continue
		}
		after := s.health.record(ctx, source.PublicTenant, src, sr.Err)
		log := s.log.With("source", src)
		switch {
		case sr.Err != nil && before.Failing():
			// Warned at the first failure of this outage.
			log.Debug("public status still unavailable", "failures", after.Failures,
				"retry_in", publicBackoff(p.every, after.Failures), "err", sr.Err)
		case sr.Err != nil:
			log.Warn("public status unavailable", "err", sr.Err,
				"retry_in", publicBackoff(p.every, after.Failures))
		case before.Failing():
			log.Info("public status available again", "failures", before.Failures)
		}
	}
	return errors.Join(errs...)
}

// pausePublic marks the failing public status sources paused when they
// are polled only while Graph fails and no Graph source fails any more:
// they are not polled again until the next Graph outage, so their last
// failure must not show as a current one (`shdmc status`).
func (s *Scheduler) pausePublic(ctx context.Context) {
	p := s.public
	if p == nil || p.always || s.health.anyFailing() {
		return
	}
	for _, pl := range p.pollers {
		src := pl.sources[0].Name()
		if s.health.pause(ctx, source.PublicTenant, src) {
			s.log.Info("public status not polled while Graph works", "source", src)
		}
	}
}

// publicBackoff is how long a public status source that failed failures
// times in a row waits before the next attempt: the interval, doubled at
// every further failure, at most publicBackoffCap (or the interval, if
// that is longer).
func publicBackoff(every time.Duration, failures int) time.Duration {
	d := every
	for i := 1; i < failures && d < publicBackoffCap; i++ {
		d *= 2
	}
	return max(min(d, publicBackoffCap), every)
}

// runPublic polls the public sources while Run runs, when due.
func (s *Scheduler) runPublic(ctx context.Context) {
	if s.public == nil {
		return
	}
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if s.publicDue() {
			_ = s.pollPublic(ctx, false)
			call(s.due)
		} else {
			s.pausePublic(ctx)
		}
	}
}
