package graph

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The service communications API limits, per app per tenant
// (https://learn.microsoft.com/graph/throttling-limits).
const (
	budgetPerMinute = 240
	budgetPerHour   = 800
)

// Budget keeps one tenant's requests to the service communications API under
// Microsoft's limits: at most 240 in any 60 s and 800 in any hour, as sliding
// windows. It keeps a log of the start times of the last hour's requests
// (at most 800 entries). Share one Budget between all clients of a tenant.
// It is safe for concurrent use.
type Budget struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu  sync.Mutex
	log []time.Time // oldest first, within the last hour
}

// NewBudget returns an empty budget reading time from now (time.Now if nil).
func NewBudget(now func() time.Time) *Budget {
	if now == nil {
		now = time.Now
	}
	return &Budget{now: now, sleep: sleepCtx, log: make([]time.Time, 0, 64)}
}

// Wait blocks until one more request fits in both windows, records it, and
// returns nil; or returns the context's error if it ends first.
func (b *Budget) Wait(ctx context.Context) error {
	// Each pass either takes a slot or sleeps until the oldest entry that
	// blocks leaves its window, so the loop ends; the bound guards a broken clock.
	for range 10000 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("wait for request budget: %w", err)
		}
		d := b.take()
		if d <= 0 {
			return nil
		}
		if err := b.sleep(ctx, d); err != nil {
			return fmt.Errorf("wait for request budget: %w", err)
		}
	}
	return fmt.Errorf("wait for request budget: clock does not advance")
}

// take records a request now and returns 0 when one fits; otherwise it
// records nothing and returns how long to wait before trying again.
func (b *Budget) take() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.prune(now)
	if len(b.log) >= budgetPerHour {
		return b.log[len(b.log)-budgetPerHour].Add(time.Hour).Sub(now)
	}
	if len(b.log) >= budgetPerMinute {
		if oldest := b.log[len(b.log)-budgetPerMinute]; now.Sub(oldest) < time.Minute {
			return oldest.Add(time.Minute).Sub(now)
		}
	}
	b.log = append(b.log, now)
	return 0
}

// prune drops entries an hour old or older. Entries are appended in clock
// order; a clock that steps back only makes the budget stricter.
func (b *Budget) prune(now time.Time) {
	i := 0
	for i < len(b.log) && now.Sub(b.log[i]) >= time.Hour {
		i++
	}
	if i > 0 {
		b.log = append(b.log[:0], b.log[i:]...)
	}
}

// Used returns how many requests were made in the last 60 s and the last hour.
func (b *Budget) Used() (perMinute, perHour int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.prune(now)
	for i := len(b.log) - 1; i >= 0 && now.Sub(b.log[i]) < time.Minute; i-- {
		perMinute++
	}
	return perMinute, len(b.log)
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
