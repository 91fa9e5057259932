package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/model"
)

// TestObserve: every poll reports each source's duration and outcome and
// what the Graph client did (requests by status).
func TestObserve(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := newEnv(t)
	var (
		mu  sync.Mutex
		obs []app.Observation
	)
	a, err := app.New(ctx, e.cfg, app.Options{Now: e.clock.Now, Observe: func(o app.Observation) {
		mu.Lock()
		obs = append(obs, o)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, st := range e.sc.Steps[:2] {
		e.clock.Set(st.Time)
		if _, err := a.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(obs) != 2 {
		t.Fatalf("%d observations for 2 polls", len(obs))
	}
	for i, o := range obs {
		if o.Tenant != "demo" || len(o.Sources) != 3 {
			t.Errorf("poll %d: %+v", i, o)
		}
		for src, r := range o.Sources {
			if r.Err != nil || r.Took <= 0 {
				t.Errorf("poll %d, %s: took %s, err %v", i, src, r.Took, r.Err)
			}
		}
		if o.Graph.Requests < 3 || o.Graph.ByStatus[200] < 3 {
			t.Errorf("poll %d: graph %+v, want at least 3 answered requests", i, o.Graph)
		}
	}
	if _, ok := obs[0].Sources[model.SourceMC]; !ok {
		t.Error("no Message Center pass observed")
	}
}
