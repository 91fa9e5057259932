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
		keep    time.Duration
	}{
		{"a takes free tenants in ID order", "a", []string{"t3", "t1", "t2"}, 0, 2, []string{"t1", "t2"}, 0},
		{"b gets only what a does not hold", "b", tenants, 0, 0, []string{"t3", "t4", "t5"}, 0},
		{"a renews, finds nothing more", "a", tenants, 30 * time.Second, 5, []string{"t1", "t2"}, 0},
		// 50 s of a's lease are left, more than keep: not renewed (its lease
		// still ends at 90 s, below).
		{"a again soon after, keeping 45 s", "a", tenants, 40 * time.Second, 5, []string{"t1", "t2"}, 45 * time.Second},
		{"b just before its lease ends", "b", []string{"t3"}, lease - time.Nanosecond, 1, []string{"t3"}, 0},
		// a renewed at 30 s: its lease runs to 90 s.
		{"c before a's lease ends", "c", tenants, 89 * time.Second, 0, []string{"t4", "t5"}, 0},
		{"c after a's lease ends", "c", tenants, 90 * time.Second, 0, []string{"t1", "t2", "t4", "t5"}, 0},
		{"c over its max releases the rest", "c", tenants, 100 * time.Second, 1, []string{"t1"}, 0},
		{"a takes what c released", "a", tenants, 100 * time.Second, 0, []string{"t2", "t4", "t5"}, 0},
		{"empty list", "a", nil, 100 * time.Second, 0, nil, 0},
	}
	for _, st := range steps {
		got, err := s.AcquireTenantLeases(ctx, st.worker, st.tenants, t0.Add(st.at), lease, st.keep, st.max)
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
	got, err := s.AcquireTenantLeases(ctx, "d", tenants, at, lease, 0, 0)
	if err != nil || !slices.Equal(got, []string{"t3"}) {
		t.Errorf("after b released: d gets %v, %v; want [t3]", got, err)
	}
	if got, err := s.AcquireTenantLeases(ctx, "c", tenants, at, lease, 0, 0); err != nil || !slices.Equal(got, []string{"t1"}) {
		t.Errorf("c after b released t1 it did not hold = %v, %v; want [t1]", got, err)
	}
	for _, bad := range []struct {
		worker string
		lease  time.Duration
	}{{"", lease}, {"a", 0}} {
		if _, err := s.AcquireTenantLeases(ctx, bad.worker, tenants, at, bad.lease, 0, 0); err == nil {
			t.Errorf("AcquireTenantLeases(worker %q, 0, lease %v) succeeded", bad.worker, bad.lease)
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
		{"GoneWorkerLeases", testGoneWorkerLeases},
		{"ExtendClaims", testExtendClaims},
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
				out[w], errs[w] = s.AcquireTenantLeases(ctx, fmt.Sprintf("worker-%d", w), tenants, at, lease, 0, max)
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

// testGoneWorkerLeases: the leases of a worker whose registration expired
// are free at once, not when they end; those of a live worker, and of a
// holder that never registered, are not.
func testGoneWorkerLeases(t *testing.T, a, b store.Store) {
	ctx := ctxT(t)
	t0 := base()
	const (
		lease = time.Hour
		ttl   = 20 * time.Second
	)
	tenants := []string{"t1", "t2", "t3", "t4"}
	if _, err := a.RegisterWorker(ctx, "dead", t0, ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RegisterWorker(ctx, "alive", t0, ttl); err != nil {
		t.Fatal(err)
	}
	for _, h := range []struct {
		worker string
		take   []string
	}{{"dead", []string{"t1", "t2"}}, {"alive", []string{"t3"}}, {"unregistered", []string{"t4"}}} {
		if got, err := a.AcquireTenantLeases(ctx, h.worker, h.take, t0, lease, 0, 0); err != nil || !slices.Equal(got, h.take) {
			t.Fatalf("%s takes %v: %v, %v", h.worker, h.take, got, err)
		}
	}
	// At 19 s every registration holds: b gets nothing.
	if got, err := b.AcquireTenantLeases(ctx, "b", tenants, t0.Add(ttl-time.Second), lease, 0, 0); err != nil || len(got) != 0 {
		t.Errorf("b before the registration expired: %v, %v; want none", got, err)
	}
	// alive renews at 15 s; dead does not: at 21 s b takes dead's tenants.
	if _, err := a.RegisterWorker(ctx, "alive", t0.Add(15*time.Second), ttl); err != nil {
		t.Fatal(err)
	}
	got, err := b.AcquireTenantLeases(ctx, "b", tenants, t0.Add(ttl+time.Second), lease, 0, 0)
	if err != nil || !slices.Equal(got, []string{"t1", "t2"}) {
		t.Errorf("b after dead's registration expired: %v, %v; want [t1 t2]", got, err)
	}
	// alive still holds t3; renewing is its right.
	if got, err := a.AcquireTenantLeases(ctx, "alive", []string{"t3"}, t0.Add(ttl+2*time.Second), lease, 0, 0); err != nil || !slices.Equal(got, []string{"t3"}) {
		t.Errorf("alive renews t3: %v, %v", got, err)
	}
}

// testExtendClaims: a worker extends the lease of deliveries it holds, so
// another worker cannot claim them while they are being sent; it cannot
// extend what it no longer holds or what another worker claimed.
func testExtendClaims(t *testing.T, a, b store.Store) {
	ctx := ctxT(t)
	var dels []store.NewDelivery
	for i := range 4 {
		dels = append(dels, store.NewDelivery{Event: 0, Channel: "mail", Key: fmt.Sprintf("x%d", i)})
	}
	commit(t, a, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Events: []model.Event{event("contoso", "EX1", 1, model.EventIssueNew)}, Deliveries: dels})
	now := claimAt()
	const lease = time.Minute
	ds, err := a.ClaimDeliveries(ctx, nil, now, lease, 3)
	if err != nil || len(ds) != 3 {
		t.Fatalf("a claims 3: %v, %v", ds, err)
	}
	ids := []int64{ds[0].ID, ds[1].ID, ds[2].ID}
	if err := a.CompleteDelivery(ctx, ids[2], now); err != nil { // recorded: no longer extended
		t.Fatal(err)
	}
	if n, err := b.ExtendDeliveryClaims(ctx, ids, now.Add(40*time.Second), now.Add(100*time.Second)); err != nil || n != 0 {
		t.Errorf("b extends a's claims: %d, %v; want 0", n, err)
	}
	if n, err := a.ExtendDeliveryClaims(ctx, ids, now.Add(40*time.Second), now.Add(100*time.Second)); err != nil || n != 2 {
		t.Errorf("a extends its claims: %d, %v; want 2", n, err)
	}
	// Past the first lease but within the extension: b finds only the
	// fourth delivery.
	got, err := b.ClaimDeliveries(ctx, nil, now.Add(lease+time.Second), lease, 10)
	if err != nil || len(got) != 1 || got[0].Key != "x3" {
		t.Errorf("b claims after the first lease: %v, %v; want only x3", got, err)
	}
	// A lapsed lease is not extended (another worker may have it).
	if n, err := a.ExtendDeliveryClaims(ctx, ids, now.Add(101*time.Second), now.Add(200*time.Second)); err != nil || n != 0 {
		t.Errorf("a extends lapsed claims: %d, %v; want 0", n, err)
	}
	got, err = b.ClaimDeliveries(ctx, nil, now.Add(101*time.Second), lease, 10)
	if err != nil || len(got) != 2 {
		t.Errorf("b claims after the extension lapsed: %v, %v; want 2", got, err)
	}
	if n, err := a.ExtendDeliveryClaims(ctx, nil, now, now); err != nil || n != 0 {
		t.Errorf("extend nothing: %d, %v", n, err)
	}
}
