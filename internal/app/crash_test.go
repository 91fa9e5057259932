package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/sim"
)

// TestCrashSafety runs the outage scenario through the shdmc binary
// (`shdmc check`, one pass per scenario step) and SIGKILLs the process at a
// random moment of every step, then restarts it; a loopback webhook counts
// the deliveries by X-Shdmc-Delivery. Every expected notice must arrive,
// duplicates may not exceed one per kill, and the SQLite store must pass
// PRAGMA integrity_check. SHDMC_CRASH_KILLS sets the number of kills (CI:
// 30; run with 200 for the full figures).
func TestCrashSafety(t *testing.T) {
	kills := 30
	if v := os.Getenv("SHDMC_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			t.Fatalf("SHDMC_CRASH_KILLS=%q: want 1…1000", v)
		}
		kills = n
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "shdmc")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goBin, "build", "-o", bin, "../../cmd/shdmc")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build shdmc: %v\n%s", err, out)
	}

	sc, err := sim.ParseScenario([]byte(outageScenario), "outage.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := sim.NewSteppedClock(sc.Start)
	srv, err := sim.New(sim.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// Graph fails from 40m to 80m of the scenario: a source.down and a
	// source.restored join the notices.
	// (The sim's fault windows run on wall time, so the loop switches it.)
	storm := []sim.Fault{{PathPrefix: "graph", Kind: sim.FaultStatus, Status: 503, RetryAfter: "3600"}}
	caFile := filepath.Join(dir, "ca.pem")
	if err := srv.WriteCAFile(caFile); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	got := map[string]int{} // delivery key → times received
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Header.Get("X-Shdmc-Delivery")]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()

	db := filepath.Join(dir, "shdmc.db")
	st := sc.Tenants[0]
	cfgPath := filepath.Join(dir, "shdmc.yaml")
	cfg := fmt.Sprintf(`store: sqlite://%s
log: {level: error}
tenants:
  - id: contoso
    tenant_id: %s
    client_id: %s
    client_secret: %s
    graph_root: %s
    authority_host: %s
    ca_file: %s
channels:
  - {name: hook, type: webhook, url: "%s/hook", independent: true}
outage:
  public_status: {poll: never}
`, db, st.ID, st.ClientID, st.ClientSecret, srv.URL(), srv.URL(), caFile, rcv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(ctx context.Context) *exec.Cmd {
		c := exec.CommandContext(ctx, bin, "check", "-c", cfgPath)
		c.Dir = dir
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// One clean pass to measure how long a pass takes.
	start := time.Now()
	if out, err := check(ctx).CombinedOutput(); err != nil {
		t.Fatalf("first check: %v\n%s", err, out)
	}
	pass := time.Since(start)
	span := 150 * time.Minute
	step := span / time.Duration(kills)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	killedMidway := 0
	for i := range kills {
		if ctx.Err() != nil {
			t.Fatal("out of time")
		}
		clock.Advance(step)
		if at := clock.Now().Sub(sc.Start); at >= 40*time.Minute && at < 80*time.Minute {
			srv.SetFaults(storm)
		} else {
			srv.SetFaults(nil)
		}
		c := check(ctx)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(pass)*6/5 + 1)))
		_ = c.Process.Kill() // SIGKILL
		if err := c.Wait(); err != nil {
			killedMidway++
		}
		// The restart: a pass that runs to its end.
		if out, err := check(ctx).CombinedOutput(); err != nil && i == kills-1 {
			t.Logf("restart %d: %v\n%s", i, err, out)
		}
	}
	clock.Advance(time.Hour)
	// A delivery claimed by a process that was killed stays leased for the
	// dispatcher's lease (5 minutes of real time) before another process
	// takes it. Rather than wait, end those leases in the database, as
	// five minutes would.
	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	res, err := sdb.Exec(`UPDATE outbox SET lease_until = '0001-01-01T00:00:00.000000000Z', next_attempt = '0001-01-01T00:00:00.000000000Z'
		WHERE state IN ('pending', 'retrying')`)
	if err != nil {
		t.Fatal(err)
	}
	inFlight, _ := res.RowsAffected()
	if out, err := check(ctx).CombinedOutput(); err != nil {
		t.Fatalf("final check: %v\n%s", err, out)
	}

	want := map[string]bool{}
	for _, k := range []string{
		"contoso/shd/TM999001/1/", "contoso/shd/TM999001/3/", // new, resolved (revision after the change)
		"contoso/graph/graph/1/", "contoso/graph/graph/2/", // source.down, source.restored
	} {
		want[k] = false
	}
	mu.Lock()
	defer mu.Unlock()
	delivered, dups := 0, 0
	for k, n := range got {
		delivered++
		dups += n - 1
		for w := range want {
			if len(k) >= len(w) && k[:len(w)] == w {
				want[w] = true
			}
		}
	}
	for w, ok := range want {
		if !ok {
			t.Errorf("notice %s… never delivered (got %v)", w, got)
		}
	}
	if dups > kills {
		t.Errorf("%d duplicate deliveries for %d kills", dups, kills)
	}
	var integrity string
	if err := sdb.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check = %q, %v", integrity, err)
	}
	var pending int
	if err := sdb.QueryRow("SELECT count(*) FROM outbox WHERE state IN ('pending', 'retrying')").Scan(&pending); err != nil || pending != 0 {
		t.Errorf("%d deliveries left in the outbox (%v)", pending, err)
	}
	fmt.Printf("crash test: %d kills (%d mid-pass), pass ≈ %s, %d notices delivered (%d expected), %d duplicates (≤ 1 per kill allowed), "+
		"%d left leased or waiting by a kill and delivered after, integrity_check %s, outbox empty: %v\n",
		kills, killedMidway, pass.Round(time.Millisecond), delivered, len(want), dups, inFlight, integrity, pending == 0)
}
