package poll

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/store"
)

// TestCoordinatorTakesOverGone: a worker that died is replaced within
// workerTTL + maxRound (≤ 30 s), not after its leases (two intervals)
// end: at its restart on the same machine at once, from another machine
// once its registration expired. A worker whose own registration is stale
// starts no poll.
func TestCoordinatorTakesOverGone(t *testing.T) {
	if workerTTL+maxRound > 30*time.Second {
		t.Fatalf("workerTTL %v + maxRound %v: a dead worker's tenants wait longer than 30 s", workerTTL, maxRound)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var tenants []string
	for i := range 6 {
		tenants = append(tenants, fmt.Sprintf("t%02d", i))
	}
	clock := &fakeNow{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	const iv = 5 * time.Minute // leases of 10 minutes
	newC := func(id string) *coordinator {
		c := newCoordinator(st, id, tenants, iv, slog.New(slog.DiscardHandler))
		c.now = clock.now
		return c
	}
	round := func(c *coordinator) {
		t.Helper()
		if err := c.round(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// A process of this machine that was killed: its successor takes
	// everything in its first round.
	host, _ := os.Hostname()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	killed := newC(fmt.Sprintf("%s-%d-dead", host, dead.ProcessState.Pid()))
	round(killed)
	clock.t = clock.t.Add(time.Second)
	// (Named after a live process: the others in this test process would
	// take one named after this process for an earlier life of its PID.)
	restarted := newC(fmt.Sprintf("%s-%d-restarted", host, os.Getppid()))
	round(restarted)
	if got := heldIDs(restarted); len(got) != 6 {
		t.Fatalf("the restarted process holds %v, want all 6 at once", got)
	}

	// Workers a and b (on other machines, as far as their IDs tell) share
	// the tenants with the restarted one; then a stops renewing.
	a, b := newC("a"), newC("b")
	round(a)
	round(b)
	round(restarted)
	round(a)
	round(b)
	if got := len(heldIDs(a)); got != 2 {
		t.Fatalf("a holds %d, want its share of 2", got)
	}
	clock.t = clock.t.Add(workerTTL - time.Second)
	round(b)
	round(restarted)
	if got := len(heldIDs(b)) + len(heldIDs(restarted)); got != 4 {
		t.Errorf("before a's registration expired the others hold %d, want 4", got)
	}
	// b's registration is fresh, a's is not: a starts no poll.
	if ok, _ := b.begin(heldIDs(b)[0]); !ok {
		t.Error("b may not poll with a fresh registration")
	} else {
		b.end(heldIDs(b)[0])
	}
	if ok, _ := a.begin(heldIDs(a)[0]); ok {
		t.Error("a began a poll with a registration about to expire")
	}
	clock.t = clock.t.Add(2 * time.Second)
	round(b)
	round(restarted)
	round(b)
	if got := len(heldIDs(b)) + len(heldIDs(restarted)); got != 6 {
		t.Errorf("after a's registration expired the others hold %d, want all 6 (a's leases run for minutes)", got)
	}
}
