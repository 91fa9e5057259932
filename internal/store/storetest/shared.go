package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

func testLeases(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	t0 := base()
	const lease = time.Minute
	tenants := []string{"t1", "t2", "t3", "t4", "t5"}
	steps := []struct {
		name    string
		worker  string
		tenants []string
		at      time.Duration // after t0
		max     int
		want    []string
	}{
		{"a takes free tenants in ID order", "a", []string{"t3", "t1", "t2"}, 0, 2, []string{"t1", "t2"}},
		{"b gets only what a does not hold", "b", tenants, 0, 0, []string{"t3", "t4", "t5"}},
		{"a renews, finds nothing more", "a", tenants, 30 * time.Second, 5, []string{"t1", "t2"}},
		{"b just before its lease ends", "b", []string{"t3"}, lease - time.Nanosecond, 1, []string{"t3"}},
		// a renewed at 30 s: its lease runs to 90 s.
		{"c before a's lease ends", "c", tenants, 89 * time.Second, 0, []string{"t4", "t5"}},
		{"c after a's lease ends", "c", tenants, 90 * time.Second, 0, []string{"t1", "t2", "t4", "t5"}},
		{"c over its max releases the rest", "c", tenants, 100 * time.Second, 1, []string{"t1"}},
		{"a takes what c released", "a", tenants, 100 * time.Second, 0, []string{"t2", "t4", "t5"}},
		{"empty list", "a", nil, 100 * time.Second, 0, nil},
	}
	for _, st := range steps {
		got, err := s.AcquireTenantLeases(ctx, st.worker, st.tenants, t0.Add(st.at), lease, st.max)
		if err != nil {
			t.Fatalf("%s: AcquireTenantLeases: %v", st.name, err)
		}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("%s: AcquireTenantLeases (-want +got):\n%s", st.name, diff)
		}
	}
	// b still holds t3 (renewed at 60 s - 1 ns) until 120 s - 1 ns; releasing
	// frees it at once. Releasing a tenant one does not hold changes nothing.
	at := t0.Add(110 * time.Second)
	if err := s.ReleaseTenantLeases(ctx, "b", []string{"t3", "t1"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.AcquireTenantLeases(ctx, "d", tenants, at, lease, 0)
	if err != nil || !slices.Equal(got, []string{"t3"}) {
		t.Errorf("after b released: d gets %v, %v; want [t3]", got, err)
	}
	if got, err := s.AcquireTenantLeases(ctx, "c", tenants, at, lease, 0); err != nil || !slices.Equal(got, []string{"t1"}) {
		t.Errorf("c after b released t1 it did not hold = %v, %v; want [t1]", got, err)
	}
	for _, bad := range []struct {
		worker string
		lease  time.Duration
	}{{"", lease}, {"a", 0}} {
		if _, err := s.AcquireTenantLeases(ctx, bad.worker, tenants, at, bad.lease, 0); err == nil {
			t.Errorf("AcquireTenantLeases(worker %q, lease %v) succeeded", bad.worker, bad.lease)
		}
	}
}

// RunShared runs the tests of several workers sharing one database. open
// must return two stores open on the same new, empty database (two
// processes, as far as the engine can tell) and arrange for them to be
// closed.
func RunShared(t *testing.T, open func(t *testing.T) (store.Store, store.Store)) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b store.Store)
	}{
		{"ClaimRace", testClaimRace},
		{"LeaseRace", testLeaseRace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := open(t)
			tt.fn(t, a, b)
		})
	}
}

// testClaimRace has two workers claim many small batches of one outbox at
// once: no delivery may be claimed twice, none may be left behind.
func testClaimRace(t *testing.T, a, b store.Store) {
	ctx := ctxT(t)
	const n = 300
	var dels []store.NewDelivery
	for i := range n {
		dels = append(dels, store.NewDelivery{Event: 0, Channel: "mail", Key: fmt.Sprintf("k%03d", i)})
	}
	commit(t, a, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Events: []model.Event{event("contoso", "EX1", 1, model.EventIssueNew)}, Deliveries: dels})
	now := claimAt()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed = map[int64][]int{}
		errs    []error
	)
	for w, s := range []store.Store{a, b} {
		wg.Go(func() {
			for range n { // bounded: at most n claims per worker
				ds, err := s.ClaimDeliveries(ctx, nil, now, time.Hour, 2)
				mu.Lock()
				errs = append(errs, err)
				for _, d := range ds {
					claimed[d.ID] = append(claimed[d.ID], w)
				}
				mu.Unlock()
				if err != nil || len(ds) == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("racing claims: %v", err)
	}
	if len(claimed) != n {
		t.Errorf("%d deliveries claimed, want %d", len(claimed), n)
	}
	perWorker := [2]int{}
	for id, ws := range claimed {
		if len(ws) != 1 {
			t.Errorf("delivery %d claimed by workers %v", id, ws)
		}
		perWorker[ws[0]]++
	}
	t.Logf("claims per worker: %v", perWorker)
}

// testLeaseRace has two workers acquire leases over 300 tenants in rounds,
// concurrently: they never hold the same tenant, and when one stops
// renewing, the other takes over its tenants once, and only once, their
// leases have ended.
func testLeaseRace(t *testing.T, a, b store.Store) {
	ctx := ctxT(t)
	var tenants []string
	for i := range 300 {
		tenants = append(tenants, fmt.Sprintf("tenant-%03d", i))
	}
	const (
		lease = 10 * time.Second
		step  = time.Second
	)
	t0 := base()
	// acquire runs the given workers' acquisitions at the same time and
	// returns what each holds.
	acquire := func(at time.Time, max int, workers ...int) [2][]string {
		t.Helper()
		var (
			wg   sync.WaitGroup
			out  [2][]string
			errs [2]error
		)
		for _, w := range workers {
			s := []store.Store{a, b}[w]
			wg.Go(func() {
				out[w], errs[w] = s.AcquireTenantLeases(ctx, fmt.Sprintf("worker-%d", w), tenants, at, lease, max)
			})
		}
		wg.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			t.Fatalf("AcquireTenantLeases at %v: %v", at.Sub(t0), err)
		}
		return out
	}
	disjoint := func(round string, h [2][]string) {
		t.Helper()
		for _, x := range h[0] {
			if _, found := slices.BinarySearch(h[1], x); found {
				t.Fatalf("%s: both workers hold %s", round, x)
			}
		}
	}

	var last [2][]string
	for r := range 8 {
		h := acquire(t0.Add(time.Duration(r)*step), 200, 0, 1)
		disjoint(fmt.Sprintf("round %d", r), h)
		if got := len(h[0]) + len(h[1]); r > 0 && got != len(tenants) {
			t.Errorf("round %d: workers hold %d tenants, want all %d", r, got, len(tenants))
		}
		last = h
	}
	t.Logf("shares: %d + %d", len(last[0]), len(last[1]))
	if len(last[1]) == 0 {
		t.Fatal("worker 1 holds nothing: the takeover below would prove nothing")
	}
	// Worker 1 stops renewing after round 7 (its leases end at 7 s + lease).
	end := t0.Add(7*step + lease)
	for at := t0.Add(8 * step); at.Before(end); at = at.Add(2 * step) {
		h := acquire(at, 0, 0)
		if !slices.Equal(h[0], last[0]) {
			t.Fatalf("at %v, before worker 1's leases ended, worker 0 holds %d tenants; want its own %d",
				at.Sub(t0), len(h[0]), len(last[0]))
		}
	}
	h := acquire(end, 0, 0)
	if !slices.Equal(h[0], tenants) {
		t.Errorf("after worker 1's leases ended, worker 0 holds %d tenants; want all %d", len(h[0]), len(tenants))
	}
}
