package poll

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/store"
)

// fakeNow is a clock the test moves.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func heldIDs(c *coordinator) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for id := range c.held {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func TestCoordinatorShares(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var tenants []string
	for i := range 10 {
		tenants = append(tenants, fmt.Sprintf("t%02d", i))
	}
	clock := &fakeNow{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	const iv = 30 * time.Second
	newC := func(id string) *coordinator {
		c := newCoordinator(st, id, tenants, iv, slog.New(slog.DiscardHandler))
		c.now = clock.now
		c.every = 10 * time.Millisecond // bounds the wait for busy tenants
		return c
	}
	a, b, c := newC("a"), newC("b"), newC("c")
	step := func(cs ...*coordinator) {
		t.Helper()
		for _, co := range cs {
			if err := co.round(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	step(a)
	if got := heldIDs(a); len(got) != 10 {
		t.Fatalf("a alone holds %v, want all 10", got)
	}
	// a is polling t09 when b and c join: a gives up its surplus, but
	// t09 only after the poll ends.
	if ok, fresh := a.begin("t09"); !ok || !fresh {
		t.Fatalf("begin t09 = %v, %v; want true, true (first poll)", ok, fresh)
	}
	if ok, _ := a.begin("t09"); ok {
		t.Fatal("t09 begun twice")
	}
	step(b, c, a)
	if ok, _ := a.begin("t08"); ok {
		t.Error("a may still poll t08, which it is giving up")
	}
	clock.t = clock.t.Add(time.Second)
	step(b, c)
	for _, co := range []*coordinator{b, c} {
		if slices.Contains(heldIDs(co), "t09") {
			t.Errorf("%s took t09 while a polls it", co.id)
		}
	}
	a.end("t09")
	clock.t = clock.t.Add(time.Second)
	step(a, b, c, a, b, c)
	all := map[string]string{}
	for _, co := range []*coordinator{a, b, c} {
		got := heldIDs(co)
		if len(got) < 2 || len(got) > 4 { // ceil(10/3) = 4: 4, 4, 2
			t.Errorf("%s holds %d tenants %v, want 2 to 4 of 10", co.id, len(got), got)
		}
		for _, id := range got {
			if other, dup := all[id]; dup {
				t.Errorf("%s held by %s and %s", id, other, co.id)
			}
			all[id] = co.id
		}
	}
	if len(all) != 10 {
		t.Errorf("%d of 10 tenants held", len(all))
	}

	// c dies: after its lease ends (two intervals) a and b split all ten.
	clock.t = clock.t.Add(2*iv + time.Second)
	step(a, b, a, b)
	if ga, gb := heldIDs(a), heldIDs(b); len(ga)+len(gb) != 10 || len(ga) != 5 {
		t.Errorf("after c died: a %v, b %v; want 5 and 5", ga, gb)
	}
	// A poll needs a lease that outlives it: not with less than an
	// interval left.
	clock.t = clock.t.Add(2*iv - iv/2)
	if ok, _ := a.begin(heldIDs(a)[0]); ok {
		t.Error("a began a poll with half an interval of lease left")
	}

	// Shutdown gives everything back at once.
	a.shutdown()
	step(b)
	if got := heldIDs(b); len(got) != 10 {
		t.Errorf("after a shut down b holds %d, want 10", len(got))
	}
}

// TestCoordinatorLeaseSlack: after a round, the lease a coordinator keeps
// (it no longer rewrites every lease at every round) still lets polls
// begin for as long as its registration does (or, at intervals so short
// that the whole lease is shorter, as long as the lease allows).
func TestCoordinatorLeaseSlack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, iv := range []time.Duration{3 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, time.Hour} {
		st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
		if err != nil {
			t.Fatal(err)
		}
		clock := &fakeNow{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		c := newCoordinator(st, "w", []string{"t1", "t2"}, iv, slog.New(slog.DiscardHandler))
		c.now = clock.now
		if err := c.round(ctx); err != nil {
			t.Fatal(err)
		}
		// The registration allows polls for workerTTL·3/4 after a round.
		wait := min(workerTTL*3/4, c.lease-c.margin) - time.Millisecond
		clock.t = clock.t.Add(wait)
		if ok, _ := c.begin("t1"); !ok {
			t.Errorf("interval %s: no poll may begin %s after a round", iv, wait)
		} else {
			c.end("t1")
		}
		_ = st.Close()
	}
}
