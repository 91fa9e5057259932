package poll

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// Workers share tenants: several `shdmc run` processes on one store (a
// PostgreSQL database, or a SQLite file on one machine) each poll only the
// tenants they hold a lease on. A coordinator per process registers the
// worker as live for workerTTL every few seconds (lease/3, at most
// maxRound), counts the live workers, and takes its fair share
// ceil(tenants/live) through store.AcquireTenantLeases. A worker that dies
// stops renewing its registration: its tenants are free once the
// registration expires (at once when it ran on the same machine and its
// process is gone), so the others, or the restarted process, take them
// over within workerTTL + maxRound, long before the leases (twice the
// polling interval) would end.

// maxRound bounds the time between coordination rounds, so that a worker
// that joins gets its share soon even with long intervals, and the
// registration is renewed several times per workerTTL.
const maxRound = 5 * time.Second

// workerTTL is how long a worker's registration lasts without renewal:
// the tenants of a worker that stopped renewing it are free after that
// (on any machine), so a dead worker's tenants are polled again within
// workerTTL + maxRound (25 s).
const workerTTL = 20 * time.Second

// joinPause is how long a starting worker waits between registering and
// taking its first share, so that workers started together see each other
// and split the tenants from their first cycle on.
const joinPause = 2 * time.Second

// coordinator holds this process's share of the tenants.
type coordinator struct {
	id      string
	st      store.Store
	cl      store.ClusterStore // nil: the store keeps no worker list (count self only)
	tenants []string           // every tenant this process could poll, sorted
	lease   time.Duration
	every   time.Duration
	// margin is how much lease must be left to start a poll: a poll
	// started with less could outlive the lease and overlap the next
	// holder's.
	margin time.Duration
	log    *slog.Logger
	// now is real time: leases are compared across processes.
	now func() time.Time

	mu      sync.Mutex
	held    map[string]time.Time // tenant → local end of its lease
	busy    map[string]bool      // tenants being polled now
	fresh   map[string]bool      // acquired since their last poll: restore the budget first
	idle    *sync.Cond           // signalled when a poll ends
	live    int
	renewed time.Time
}

// newWorkerID returns hostname-pid-random, unique among the processes that
// share a store.
func newWorkerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// newCoordinator prepares the coordination of tenants; interval is the
// (longest) polling interval.
func newCoordinator(st store.Store, id string, tenants []string, interval time.Duration, log *slog.Logger) *coordinator {
	lease := 2 * interval
	c := &coordinator{
		id: id, st: st, tenants: slices.Sorted(slices.Values(tenants)),
		lease: lease, every: min(lease/3, maxRound), margin: interval,
		log: log.With("worker", id), now: time.Now,
		held: map[string]time.Time{}, busy: map[string]bool{}, fresh: map[string]bool{},
	}
	c.tenants = slices.Compact(c.tenants)
	c.cl = st
	c.idle = sync.NewCond(&c.mu)
	return c
}

// round registers the worker, computes its share and acquires it. Tenants
// beyond the share are given up only once their running poll ends, so
// that the next holder never polls a tenant at the same time as this one.
func (c *coordinator) round(ctx context.Context) error {
	now := c.now()
	live := 1
	if c.cl != nil {
		ws, err := c.cl.RegisterWorker(ctx, c.id, now, workerTTL)
		if err != nil {
			return fmt.Errorf("coordinate workers: %w", err)
		}
		// A registered process of this machine that is gone (killed, and
		// this one its restart) does not count: its tenants are free.
		n := 0
		for _, w := range ws {
			if !store.WorkerGone(w, c.id) {
				n++
			}
		}
		live = max(1, n)
	}
	share := (len(c.tenants) + live - 1) / live

	// Keep the first share of the held tenants in ID order (the order in
	// which AcquireTenantLeases renews them); stop polling the rest, and
	// leave out of this round any of them still being polled.
	c.mu.Lock()
	held := slices.Sorted(func(yield func(string) bool) {
		for id := range c.held {
			if !yield(id) {
				return
			}
		}
	})
	var surplus []string
	if len(held) > share {
		surplus = held[share:]
		for _, id := range surplus {
			delete(c.held, id)
		}
	}
	// A real-time bound: this is a wait inside the process, not a lease.
	deadline := time.Now().Add(c.every / 2)
	for waiting(c.busy, surplus) && time.Now().Before(deadline) && ctx.Err() == nil {
		c.waitIdle(deadline)
	}
	list := c.tenants
	if waiting(c.busy, surplus) {
		list = slices.DeleteFunc(slices.Clone(c.tenants), func(id string) bool {
			return c.busy[id] && slices.Contains(surplus, id)
		})
	}
	c.mu.Unlock()

	// A lease is rewritten only when less than keep is left: the margin
	// polls need to start, and half of what lies beyond it but at least
	// workerTTL, so that the lease never stops polls before the
	// registration's own bound does, however late the next round. With
	// the defaults (a 10-minute lease, a 5-minute margin) a lease is
	// rewritten every 2.5 minutes instead of every round (5 s). Keeping
	// only the margin and one round starved the polls of 10,000 tenants,
	// whose rounds took longer than a round.
	keep := min(c.lease, c.margin+max(workerTTL, (c.lease-c.margin)/2))
	got, err := c.st.AcquireTenantLeases(ctx, c.id, list, now, c.lease, keep, share)
	if err != nil {
		return fmt.Errorf("coordinate workers: %w", err)
	}
	until := now.Add(keep) // what the store promises at least
	c.mu.Lock()
	defer c.mu.Unlock()
	gained, lost := 0, 0
	next := make(map[string]time.Time, len(got))
	for _, id := range got {
		if _, ok := c.held[id]; !ok {
			c.fresh[id] = true
			gained++
		}
		next[id] = until
	}
	for id := range c.held {
		if _, ok := next[id]; !ok {
			delete(c.fresh, id)
			lost++
		}
	}
	lost += len(surplus)
	c.held, c.live, c.renewed = next, live, now
	if gained > 0 || lost > 0 {
		c.log.Info("tenant_share", "live_workers", live, "share", share, "held", len(next), "gained", gained, "released", lost)
	}
	return nil
}

// waiting reports whether any of ids is busy.
func waiting(busy map[string]bool, ids []string) bool {
	for _, id := range ids {
		if busy[id] {
			return true
		}
	}
	return false
}

// waitIdle waits (c.mu held) until a poll ends or the deadline passes.
func (c *coordinator) waitIdle(deadline time.Time) {
	t := time.AfterFunc(time.Until(deadline), func() {
		c.mu.Lock()
		c.idle.Broadcast()
		c.mu.Unlock()
	})
	c.idle.Wait()
	t.Stop()
}

// begin reports whether this worker may poll tenant now (it holds the
// tenant with enough lease left, and its own registration is recent
// enough that no other worker takes it for gone) and marks it busy; fresh
// is true for the first poll since the tenant was acquired. A true begin
// must be followed by end.
func (c *coordinator) begin(tenant string) (ok, fresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, held := c.held[tenant]
	now := c.now()
	if !held || until.Sub(now) < c.margin || c.busy[tenant] || now.Sub(c.renewed) >= workerTTL*3/4 {
		return false, false
	}
	c.busy[tenant] = true
	fresh = c.fresh[tenant]
	delete(c.fresh, tenant)
	return true, fresh
}

// holds reports whether this worker holds tenant's lease.
func (c *coordinator) holds(tenant string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.held[tenant]
	return ok
}

// end marks tenant's poll as ended.
func (c *coordinator) end(tenant string) {
	c.mu.Lock()
	delete(c.busy, tenant)
	c.idle.Broadcast()
	c.mu.Unlock()
}

// heldCount returns how many tenants the worker holds and how many
// workers were live at the last round.
func (c *coordinator) heldCount() (held, live int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.held), c.live
}

// run repeats round every lease/3 until ctx ends, then releases the
// worker's leases and its registration.
func (c *coordinator) run(ctx context.Context) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			c.shutdown()
			return
		case <-t.C:
		}
		if err := c.round(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("coordinate workers", "err", err)
		}
	}
}

// shutdown waits (bounded) for running polls, then gives the tenants back.
func (c *coordinator) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.mu.Lock()
	held := make([]string, 0, len(c.held))
	for id := range c.held {
		held = append(held, id)
	}
	c.held = map[string]time.Time{}
	deadline := time.Now().Add(5 * time.Second)
	for len(c.busy) > 0 && time.Now().Before(deadline) {
		c.waitIdle(deadline)
	}
	c.mu.Unlock()
	if err := c.st.ReleaseTenantLeases(ctx, c.id, held); err != nil {
		c.log.Warn("release tenant leases", "err", err)
	}
	if c.cl != nil {
		if err := c.cl.UnregisterWorker(ctx, c.id); err != nil {
			c.log.Warn("unregister worker", "err", err)
		}
	}
	c.log.Info("worker_stopped", "released", len(held))
}

// budgetSaveAfter is how many Graph requests a tenant's stored budget log
// may lack before a poll stores it again. A quiet poll makes two or three,
// so it writes the log about once in seven polls rather than at every
// one. A worker that takes the tenant over (after a rebalance or a crash)
// undercounts the tenant's hour by fewer than this many requests, well
// inside the 20 % of Graph's limit that the plan keeps free; storing every
// given-back tenant's log at a rebalance delayed the handover by a write
// per tenant.
const budgetSaveAfter = 20

// pollShared polls t if this worker holds it. The tenant's Graph budget
// starts from the request log its previous holder stored, and its own log
// is stored after the first poll, then whenever budgetSaveAfter requests
// are not stored yet, so that the per-app-per-tenant limits hold across
// workers.
func (s *Scheduler) pollShared(ctx context.Context, c *coordinator, t *tenant, set []model.Source) (polled, due bool) {
	ok, fresh := c.begin(t.ID)
	if !ok {
		if !c.holds(t.ID) {
			t.drop() // another worker's now, or never ours: no client kept for it
		}
		return false, false
	}
	defer c.end(t.ID)
	cl := c.cl
	budget := t.Graph.Budget
	if fresh && cl != nil && budget != nil {
		log, err := cl.BudgetLog(ctx, t.BudgetKey)
		if err != nil {
			s.log.Warn("read graph budget", "tenant", t.ID, "err", err)
		}
		budget.Restore(log)
	}
	_, due, _ = s.pollTenant(ctx, t, set)
	if cl != nil && budget != nil {
		s.saveBudget(ctx, c, t, fresh)
	}
	return true, due
}

// saveBudget stores t's Graph budget log when always or when it holds
// budgetSaveAfter requests newer than the stored one.
func (s *Scheduler) saveBudget(ctx context.Context, c *coordinator, t *tenant, always bool) {
	log := t.Graph.Budget.Log()
	t.mu.Lock()
	mark := t.budgetSaved
	t.mu.Unlock()
	unsaved := 0
	for _, at := range log {
		if at.After(mark) {
			unsaved++
		}
	}
	if unsaved == 0 || !always && unsaved < budgetSaveAfter {
		return
	}
	if err := c.cl.SaveBudgetLog(ctx, t.BudgetKey, log, c.now()); err != nil {
		if ctx.Err() == nil {
			s.log.Warn("save graph budget", "tenant", t.ID, "err", err)
		}
		return
	}
	t.mu.Lock()
	t.budgetSaved = log[len(log)-1]
	t.mu.Unlock()
}

// startWorker registers this process as a worker and takes its first share
// of the tenants, before any poll starts.
func (s *Scheduler) startWorker(ctx context.Context) (*coordinator, error) {
	ids := make([]string, 0, len(s.tenants))
	var iv time.Duration
	for _, t := range s.tenants {
		ids = append(ids, t.ID)
		iv = max(iv, t.Interval)
	}
	c := newCoordinator(s.st, newWorkerID(), ids, iv, s.log)
	if c.cl != nil {
		if _, err := c.cl.RegisterWorker(ctx, c.id, c.now(), workerTTL); err != nil {
			return nil, fmt.Errorf("coordinate workers: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(joinPause):
		}
	}
	if err := c.round(ctx); err != nil {
		return nil, err
	}
	held, live := c.heldCount()
	c.log.Info("worker_started", "tenants", len(ids), "held", held, "live_workers", live, "lease", c.lease)
	return c, nil
}
