package poll

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/store"
)

// TestHealthStampQuiet: a success after a success is kept in memory and
// stored only once the stored state is older than the stamp period; a
// failure, the success after it and the first success after a restart
// that finds a young stored state behave as the table says.
func TestHealthStampQuiet(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "health.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := &fakeNow{t: t0}
	const every = 5 * time.Minute
	newK := func() *keeper {
		return newKeeper(st, outage.Settings{}, nil, clock.now, slog.New(slog.DiscardHandler), every)
	}
	k := newK()
	boom := errors.New("graph down")
	steps := []struct {
		at         time.Duration
		err        error
		restart    bool
		wantStored time.Duration // UpdatedAt of the stored state, from t0
	}{
		{0, nil, false, 0},                                   // the first success is stored
		{time.Minute, nil, false, 0},                         // quiet: kept in memory
		{4 * time.Minute, nil, false, 0},                     // still younger than every
		{6 * time.Minute, nil, false, 6 * time.Minute},       // refreshed
		{7 * time.Minute, boom, false, 7 * time.Minute},      // a failure is stored at once
		{8 * time.Minute, nil, false, 8 * time.Minute},       // and so is the success after it
		{9 * time.Minute, nil, false, 8 * time.Minute},       // quiet again
		{10 * time.Minute, nil, true, 8 * time.Minute},       // after a restart: the stored one is young
		{13*time.Minute + 1, nil, false, 13*time.Minute + 1}, // older than every: refreshed
	}
	for i, s := range steps {
		clock.t = t0.Add(s.at)
		if s.restart {
			k = newK()
		}
		if _, err := k.observe(ctx, "contoso", model.SourceGraph, s.err); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		rows, err := st.SourceHealths(ctx, "contoso")
		if err != nil || len(rows) != 1 {
			t.Fatalf("step %d: %v, %v", i, rows, err)
		}
		if got := rows[0].UpdatedAt.Sub(t0); got != s.wantStored {
			t.Errorf("step %d at %s: stored at %s, want %s", i, s.at, got, s.wantStored)
		}
		if s.err == nil {
			if got := k.state(ctx, "contoso", model.SourceGraph).LastSuccess; !got.Equal(clock.t) {
				t.Errorf("step %d: last success in memory %s, want %s", i, got, clock.t)
			}
		}
	}
}
