package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestRunPrunes: `shdmc run` prunes every retention.every: an event older
// than retention.events goes, with its delivered notice, while the worker
// holds the prune lease; while another worker of the store holds it, this
// one leaves the store alone.
func TestRunPrunes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e := newEnv(t)
	e.clock.Set(e.sc.Steps[0].Time)
	a := e.newApp(t, ctx)
	if _, err := a.Check(ctx); err != nil { // the baseline announces EX557913
		t.Fatal(err)
	}
	_ = a.Close()
	st, err := store.Open(ctx, e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	baseline := func() int {
		evs, err := st.Events(ctx, store.EventQuery{Tenant: "demo", ItemID: "EX557913"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Type == model.EventIssueNew {
				n++
			}
		}
		return n
	}
	if n := baseline(); n != 1 {
		t.Fatalf("%d baseline events, want 1", n)
	}

	// A year on (scenario time), with a short every.
	e.clock.Advance(365 * 24 * time.Hour)
	e.cfg.Retention.Every = config.Duration(100 * time.Millisecond)
	run := func() {
		t.Helper()
		a := e.newApp(t, ctx)
		defer a.Close()
		rctx, stop := context.WithTimeout(ctx, 1500*time.Millisecond)
		defer stop()
		if err := a.Run(rctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
	}
	other := "otherhost-1-0badc0de" // a live worker on another machine
	if got, err := st.AcquireTenantLeases(ctx, other, []string{"~prune"}, time.Now(), time.Hour, 0, 1); err != nil || len(got) != 1 {
		t.Fatalf("the other worker's lease: %v, %v", got, err)
	}
	run()
	if n := baseline(); n != 1 {
		t.Errorf("pruned while another worker held the lease: %d baseline events left", n)
	}
	if err := st.ReleaseTenantLeases(ctx, other, []string{"~prune"}); err != nil {
		t.Fatal(err)
	}
	run()
	if n := baseline(); n != 0 {
		t.Errorf("%d baseline events left after a run with retention.events %s", n, e.cfg.Retention.Events)
	}
	ds, err := st.Deliveries(ctx, []store.DeliveryState{store.DeliveryDone}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Event.ItemID == "EX557913" && d.Event.Type == model.EventIssueNew {
			t.Errorf("the baseline notice's delivery is still stored: %+v", d)
		}
	}
	// The lease is given back at shutdown.
	if got, err := st.AcquireTenantLeases(ctx, other, []string{"~prune"}, time.Now(), time.Hour, 0, 1); err != nil || len(got) != 1 {
		t.Errorf("prune lease after the run: %v, %v; want it free", got, err)
	}
}
