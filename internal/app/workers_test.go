package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/store"
)

// TestBudgetHandover runs two workers one after the other on one store, as
// when a tenant moves to another worker: the second starts its Graph budget
// from the first one's request log, so the stored log ends up holding
// every request of both (the 240/min and 800/h limits count them all).
func TestBudgetHandover(t *testing.T) {
	e := newEnv(t)
	e.cfg.Interval = config.Duration(time.Hour) // one poll per run
	key := e.cfg.Tenants[0].TenantID + "/" + e.cfg.Tenants[0].ClientID
	var logLen []int
	for worker := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		a, err := app.New(ctx, e.cfg, app.Options{Now: e.clock.Now})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		cl := a.Store().(store.ClusterStore)
		for ctx.Err() == nil {
			log, err := cl.BudgetLog(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if len(log) > 0 && (worker == 0 || len(log) > logLen[0]) {
				logLen = append(logLen, len(log))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("worker %d: Run: %v", worker, err)
		}
		a.Close()
	}
	if len(logLen) != 2 {
		t.Fatalf("budget logs seen: %v", logLen)
	}
	g := graphRequests(e.srv)
	// The log counts Graph requests (the token requests go to Entra,
	// outside the budget): the second worker's log holds both workers'.
	if logLen[1] != g || logLen[0] >= logLen[1] {
		t.Errorf("stored budget logs %v; the simulator saw %d Graph requests in all", logLen, g)
	}
}
