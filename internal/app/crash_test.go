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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/sim"
)

// crashScenario has every kind of event shdmc sends, and several
// revisions of each item: service health flips, an incident with posts and
// status changes up to its resolution, an advisory, Message Center posts
// arriving and being updated, and (from the test loop) a Graph outage that
// brings source.down and source.restored.
const crashScenario = `name: crash
start: 2024-11-25T09:00:00Z
tenants:
  - id: 6f1e3c2a-0000-4000-8000-000000000001
    client_id: 5d7c0000-0000-4000-8000-0000000000aa
    client_secret: demo-secret
steps:
  - at: 0s
    services:
      - {id: MicrosoftTeams, service: Microsoft Teams, status: serviceOperational}
      - {id: Exchange, service: Exchange Online, status: serviceOperational}
    issues:
      - {id: SP100001, title: Old resolved issue, service: SharePoint Online, classification: incident, status: serviceRestored, isResolved: true, post: Resolved long ago.}
    messages:
      - {id: MC100001, title: Old post, category: stayInformed, severity: normal, services: [Exchange Online], body: "<p>Seen at the baseline.</p>"}
  - at: 10m
    issues:
      - {id: TM999001, title: Users can't access Microsoft Teams, service: Microsoft Teams, classification: incident, status: investigating, isResolved: false, post: "Current status: We're investigating."}
    services:
      - {id: MicrosoftTeams, service: Microsoft Teams, status: serviceInterruption}
    messages:
      - {id: MC200001, title: Teams town halls get captions, category: planForChange, severity: high, services: [Microsoft Teams], body: "<p>Captions arrive in June.</p>"}
  - at: 25m
    issues:
      - {id: TM999001, status: serviceDegradation, post: "Current status: A configuration change is being reverted."}
      - {id: EX559755, title: OME mail may be unreadable, service: Exchange Online, classification: advisory, status: investigating, isResolved: false, post: "Current status: We're looking into reports."}
    services:
      - {id: MicrosoftTeams, service: Microsoft Teams, status: serviceDegradation}
      - {id: Exchange, service: Exchange Online, status: serviceDegradation}
  - at: 35m
    messages:
      - {id: MC200001, body: "<p>Captions arrive in July (previously June).</p>"}
      - {id: MC200002, title: Retirement of basic auth, category: preventOrFixIssue, severity: critical, services: [Exchange Online], actionRequiredByDateTime: 2025-01-31T00:00:00Z, body: "<p>Act by January.</p>"}
  - at: 90m
    issues:
      - {id: TM999001, status: restoringService, post: "Current status: The revert is complete in most regions."}
      - {id: EX559755, status: serviceRestored, isResolved: true, post: "Final status: We deployed a fix."}
    services:
      - {id: Exchange, service: Exchange Online, status: serviceOperational}
  - at: 110m
    messages:
      - {id: MC200002, actionRequiredByDateTime: 2025-02-28T00:00:00Z, body: "<p>Act by February (previously January).</p>"}
  - at: 130m
    issues:
      - {id: TM999001, status: serviceRestored, isResolved: true, post: "Final status: Service is restored."}
    services:
      - {id: MicrosoftTeams, service: Microsoft Teams, status: serviceOperational}
`

// Kill aims of the crash test.
const (
	aimRandom = "random" // any moment of a pass
	aimFetch  = "fetch"  // while Graph is being read
	aimCommit = "commit" // right after the last Graph request: the commit and the claims
	aimSend   = "send"   // while a webhook request is in flight
)

// crashRun is what one play of the crash scenario saw.
type crashRun struct {
	got         map[string]int // delivery key → times received
	kills       int
	killsBySend int // kills that landed in the sending phase of a pass
	byAim       map[string]int
	pass        time.Duration
	toPoll      []time.Duration // restart → its first Graph request
	toRedeliver []time.Duration // restart → its first delivery, when one was waiting
	integrity   string
	left        int    // outbox rows still pending or retrying at the end
	sends       []bool // per step: whether the pass delivered something
}

// playCrash plays crashScenario through the binary bin (`shdmc check`, one
// pass per step, four webhook channels with slow receivers) and SIGKILLs
// one pass per step, aimed in turn at every aim, then restarts it. With
// kills == 0 it is the reference: the same steps, no kill. Kills are aimed
// at the sends and the commit in the steps where the reference delivered
// something (sends), at the fetch or a random moment in the others. Nothing
// in the database is touched by the test.
func playCrash(t *testing.T, bin string, steps, kills int, sends []bool) crashRun {
	t.Helper()
	dir := t.TempDir()
	env := startScenario(t, crashScenario, "crash.yaml", dir, nil)
	sc, clock, srv, caFile := env.sc, env.clock, env.srv, env.caFile
	// Graph fails from 40m to 80m of the scenario (the sim's fault windows
	// run on wall time, so the loop switches it).
	storm := []sim.Fault{{PathPrefix: "graph", Kind: sim.FaultStatus, Status: 503, RetryAfter: "3600"}}

	var (
		mu       sync.Mutex
		got      = map[string]int{}
		inFlight atomic.Int32
		arrivals atomic.Int64 // requests received, for aiming and timing
		lastAt   atomic.Int64 // UnixNano of the last arrival
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		mu.Lock()
		got[r.URL.Path+" "+r.Header.Get("X-Shdmc-Delivery")]++
		mu.Unlock()
		lastAt.Store(time.Now().UnixNano())
		arrivals.Add(1)
		// A slow receiver: kills land during sends.
		time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
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
  - {name: hook-a, type: webhook, url: "%[8]s/a", independent: true}
  - {name: hook-b, type: webhook, url: "%[8]s/b", independent: true}
  - {name: hook-c, type: webhook, url: "%[8]s/c", independent: true}
  - {name: hook-d, type: webhook, url: "%[8]s/d", independent: true}
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
	graphRequests := func() int64 { return srv.Counters().Total.Requests }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res := crashRun{byAim: map[string]int{}}
	// One clean pass (the baseline) to measure a pass and its requests.
	start, before := time.Now(), graphRequests()
	if out, err := check(ctx).CombinedOutput(); err != nil {
		t.Fatalf("first check: %v\n%s", err, out)
	}
	res.pass = time.Since(start)
	perPass := graphRequests() - before
	step := 150 * time.Minute / time.Duration(steps)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	res.sends = make([]bool, steps)
	// waitFor polls cond until it holds or d passes.
	waitFor := func(d time.Duration, cond func() bool) bool {
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(200 * time.Microsecond) {
			if cond() {
				return true
			}
		}
		return false
	}
	for i := range steps {
		if ctx.Err() != nil {
			t.Fatal("out of time")
		}
		clock.Advance(step)
		if at := clock.Now().Sub(sc.Start); at >= 40*time.Minute && at < 80*time.Minute {
			srv.SetFaults(storm)
		} else {
			srv.SetFaults(nil)
		}
		g0, a0 := graphRequests(), arrivals.Load()
		if i >= kills {
			if out, err := check(ctx).CombinedOutput(); err != nil && !strings.Contains(string(out), "503") {
				t.Logf("check %d: %v\n%s", i, err, out)
			}
			res.sends[i] = arrivals.Load() > a0
			continue
		}
		aim := []string{aimFetch, aimRandom}[i%2]
		if i < len(sends) && sends[i] {
			aim = []string{aimSend, aimCommit}[i%2]
		}
		c := check(ctx)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		switch aim {
		case aimRandom:
			time.Sleep(time.Duration(rng.Int64N(int64(res.pass)*6/5 + 1)))
		case aimFetch:
			waitFor(res.pass*3, func() bool { return graphRequests() > g0 })
		case aimCommit:
			waitFor(res.pass*3, func() bool { return graphRequests() >= g0+perPass })
		case aimSend:
			waitFor(res.pass*3, func() bool { return inFlight.Load() > 0 })
		}
		sending := inFlight.Load() > 0
		_ = c.Process.Kill() // SIGKILL
		_ = c.Wait()
		res.kills++
		res.byAim[aim]++
		// A kill in the sending phase (a request in flight, or answered and
		// not yet recorded) may cost one duplicate: sends are one at a time.
		pending := arrivals.Load() > a0 || sending
		if pending {
			res.killsBySend++
		}
		// The restart: a pass that runs to its end.
		g1, a1 := graphRequests(), arrivals.Load()
		restart := time.Now()
		rc := check(ctx)
		if err := rc.Start(); err != nil {
			t.Fatal(err)
		}
		if waitFor(res.pass*10, func() bool { return graphRequests() > g1 }) {
			res.toPoll = append(res.toPoll, time.Since(restart))
		}
		_ = rc.Wait()
		if pending && arrivals.Load() > a1 {
			res.toRedeliver = append(res.toRedeliver, time.Unix(0, lastAt.Load()).Sub(restart))
		}
	}
	clock.Advance(time.Hour)
	if out, err := check(ctx).CombinedOutput(); err != nil {
		t.Fatalf("final check: %v\n%s", err, out)
	}
	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if err := sdb.QueryRow("PRAGMA integrity_check").Scan(&res.integrity); err != nil {
		t.Fatal(err)
	}
	if err := sdb.QueryRow("SELECT count(*) FROM outbox WHERE state IN ('pending', 'retrying')").Scan(&res.left); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	res.got = got
	mu.Unlock()
	return res
}

// crashVerdict compares a run with the reference key by key: every
// delivery of the reference arrived, nothing else did, and no delivery
// arrived twice more often than kills landed during a send.
func crashVerdict(ref, run crashRun) (problems []string) {
	var missing, extra []string
	dups := 0
	for k := range ref.got {
		if run.got[k] == 0 {
			missing = append(missing, k)
		}
	}
	for k, n := range run.got {
		if ref.got[k] == 0 {
			extra = append(extra, k)
		}
		dups += n - 1
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d notices never delivered: %s", len(missing), len(ref.got), strings.Join(missing, ", ")))
	}
	if len(extra) > 0 {
		problems = append(problems, fmt.Sprintf("%d deliveries the reference does not have: %s", len(extra), strings.Join(extra, ", ")))
	}
	if dups > run.killsBySend {
		problems = append(problems, fmt.Sprintf("%d duplicate deliveries for %d kills during a send", dups, run.killsBySend))
	}
	if run.integrity != "ok" {
		problems = append(problems, "integrity_check: "+run.integrity)
	}
	if run.left != 0 {
		problems = append(problems, fmt.Sprintf("%d deliveries left in the outbox", run.left))
	}
	return problems
}

// buildShdmc builds the binary, with build tags if any.
func buildShdmc(t *testing.T, tags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shdmc")
	args := []string{"build", "-o", bin}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), append(args, "../../cmd/shdmc")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build shdmc: %v\n%s", err, out)
	}
	return bin
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestCrashSafety plays the crash scenario once without kills (the
// reference) and once with a SIGKILL in every step, aimed in turn at the
// fetch, the commit, a send and a random moment, each followed by a
// restart. The killed run must deliver exactly the reference's deliveries
// (every revision, four channels, compared key by key), with at most one
// duplicate per kill that landed during a send, an intact database and an
// empty outbox; no database row is edited by the test. SHDMC_CRASH_KILLS
// sets the number of kills (default 30; 200 for the full figures).
func TestCrashSafety(t *testing.T) {
	kills := 30
	if v := os.Getenv("SHDMC_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			t.Fatalf("SHDMC_CRASH_KILLS=%q: want 1…1000", v)
		}
		kills = n
	}
	bin := buildShdmc(t, "")
	ref := playCrash(t, bin, kills, 0, nil)
	if len(ref.got) < 20 {
		t.Fatalf("the reference delivered only %d notices: %v", len(ref.got), ref.got)
	}
	run := playCrash(t, bin, kills, kills, ref.sends)
	for _, p := range crashVerdict(ref, run) {
		t.Error(p)
	}
	dups := 0
	for _, n := range run.got {
		dups += n - 1
	}
	fmt.Printf("crash test: %d kills (aimed %v; %d during a send), pass ≈ %s; %d deliveries expected (4 channels), %d delivered, "+
		"%d duplicates; restart → first poll p50 %s, restart → redelivery p50 %s (max %s, %d cases); integrity_check %s, outbox left %d\n",
		run.kills, run.byAim, run.killsBySend, run.pass.Round(time.Millisecond), len(ref.got), len(run.got), dups,
		median(run.toPoll).Round(time.Millisecond), median(run.toRedeliver).Round(time.Millisecond),
		slices.Max(append([]time.Duration{0}, run.toRedeliver...)).Round(time.Millisecond), len(run.toRedeliver),
		run.integrity, run.left)
}

// TestCrashSafetyCatchesFaults shows that the crash test can fail: with a
// dispatcher that drops the notices of every item's second revision and
// sends every other notice twice (build tag shdmc_faulty_dispatcher), its
// verdict names both faults.
func TestCrashSafetyCatchesFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a second binary; skipped with -short")
	}
	ref := playCrash(t, buildShdmc(t, ""), 10, 0, nil)
	run := playCrash(t, buildShdmc(t, "shdmc_faulty_dispatcher"), 10, 4, ref.sends)
	problems := strings.Join(crashVerdict(ref, run), "\n")
	for _, want := range []string{"never delivered", "duplicate deliveries"} {
		if !strings.Contains(problems, want) {
			t.Errorf("the verdict on a faulty dispatcher does not say %q:\n%s", want, problems)
		}
	}
	t.Logf("verdict on the faulty dispatcher:\n%s", problems)
}
