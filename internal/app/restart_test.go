package app_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/store"
)

// TestRestartTakesOverAtOnce: a process killed while it held the tenant
// (a lease for an hour, a registration still valid) is restarted on the
// same machine: the new process polls within seconds, not when the dead
// one's lease ends.
func TestRestartTakesOverAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s-%d-killed", host, dead.ProcessState.Pid())
	st, err := store.Open(ctx, e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := st.RegisterWorker(ctx, id, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := st.AcquireTenantLeases(ctx, id, []string{"demo"}, now, time.Hour, 0, 0); err != nil || len(got) != 1 {
		t.Fatalf("the killed process's lease: %v, %v", got, err)
	}
	_ = st.Close()

	a, err := app.New(ctx, e.cfg, app.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	start := time.Now()
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(rctx) }()
	for graphRequests(e.srv) == 0 && time.Since(start) < 30*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if graphRequests(e.srv) == 0 {
		t.Fatalf("no poll within %v of the restart", took)
	}
	t.Logf("restart → first Graph request: %v", took.Round(time.Millisecond))
	if took > 10*time.Second {
		t.Errorf("restart → first poll took %v", took)
	}
}
