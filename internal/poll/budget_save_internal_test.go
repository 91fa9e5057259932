package poll

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/store"
)

// TestBudgetSaving: a worker stores a tenant's Graph budget log after its
// first poll, then only once budgetSaveAfter requests are not stored yet
// (a quiet poll's two or three requests write nothing).
func TestBudgetSaving(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := &fakeNow{t: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)}
	c := newCoordinator(st, "w", []string{"t1"}, 5*time.Minute, slog.New(slog.DiscardHandler))
	c.now = clock.now
	s := &Scheduler{log: slog.New(slog.DiscardHandler)}
	tn := &tenant{}
	tn.ID, tn.BudgetKey = "t1", "tid/app"
	tn.Graph.Budget = graph.NewBudget(clock.now)
	s.tenants = []*tenant{tn}

	requests := func(n int) {
		var log []time.Time
		for range n {
			clock.t = clock.t.Add(time.Second)
			log = append(log, clock.t)
		}
		tn.Graph.Budget.Restore(log)
	}
	stored := func() int {
		t.Helper()
		log, err := st.BudgetLog(ctx, "tid/app")
		if err != nil {
			t.Fatal(err)
		}
		return len(log)
	}
	steps := []struct {
		name     string
		requests int
		first    bool
		want     int
	}{
		{"first poll", 3, true, 3},
		{"quiet poll", 3, false, 3},
		{"another", 3, false, 3},
		{"until 20 are not stored", 17, false, 26},
		{"quiet again", 2, false, 26},
	}
	for _, step := range steps {
		requests(step.requests)
		s.saveBudget(ctx, c, tn, step.first)
		if got := stored(); got != step.want {
			t.Errorf("%s: stored log holds %d requests, want %d", step.name, got, step.want)
		}
	}
}
