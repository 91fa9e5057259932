package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/shdmc/shdmc/internal/sim"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/tenants"
)

// scaleScenario: one active issue (announced at each tenant's first poll,
// baseline.announce_active) that is updated 90 minutes later, shared by
// every tenant.
const scaleScenario = `name: scale
start: 2023-05-14T19:45:00Z
steps:
  - at: 0s
    services:
      - {id: Exchange, service: Exchange Online, status: serviceDegradation}
    issues:
      - id: EX559755
        title: Users may be unable to access their mailbox
        service: Exchange Online
        feature: E-Mail and calendar access
        featureGroup: Networking Issues
        classification: incident
        origin: microsoft
        status: investigating
        impactDescription: Users may be unable to access their mailbox.
        isResolved: false
        startDateTime: "+15m"
        post: |
          Current status: We're investigating.
  - at: 90m
    issues:
      - id: EX559755
        status: restoringService
        post: |
          Current status: We're deploying a fix.
`

// postgresDatabase creates a database on SHDMC_TEST_POSTGRES for the test.
func postgresDatabase(t *testing.T) string {
	t.Helper()
	server := os.Getenv("SHDMC_TEST_POSTGRES")
	if server == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SHDMC_TEST_POSTGRES is not set: the scale-out test must run in CI (scripts/test)")
		}
		t.Skip("the scale-out test needs SHDMC_TEST_POSTGRES=postgres://…; scripts/test starts a server and sets it")
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "scale_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// receiver counts the deliveries a webhook channel makes.
type receiver struct {
	mu   sync.Mutex
	seen map[string]int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.seen[r.Header.Get("X-Shdmc-Delivery")]++
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// TestScaleOutWorkers runs three `shdmc run` workers on one PostgreSQL
// database for 300 simulated tenants (one in the config file, 299 added to
// the database) and kills one of them (SIGKILL) mid-cycle. The simulator
// sees every request: no tenant is ever polled by two workers at once,
// every tenant is polled in every cycle (but for the handover of the dead
// worker's tenants, bounded by its lease), and every notice reaches the
// webhook exactly once.
func TestScaleOutWorkers(t *testing.T) {
	dsn := postgresDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()

	bin := filepath.Join(dir, "shdmc")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build shdmc: %v\n%s", err, out)
	}

	sc, err := sim.ParseScenario([]byte(scaleScenario), "scale.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := sim.NewSteppedClock(sc.Start.Add(time.Minute))
	srv, err := sim.New(sim.Options{Clock: clock, MaxRecords: 200000})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	const clientID, secret = "5d7c0000-0000-4000-8000-0000000000cc", "scale-secret"
	ids := srv.AddTenants(300, sim.Tenant{ClientID: clientID, ClientSecret: secret})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ca := filepath.Join(dir, "ca.pem")
	if err := srv.WriteCAFile(ca); err != nil {
		t.Fatal(err)
	}
	rc := &receiver{seen: map[string]int{}}
	hook := httptest.NewServer(rc)
	defer hook.Close()

	cfgPath := write(t, dir, "shdmc.yaml", fmt.Sprintf(`store: %s
interval: 30s
baseline: {announce_active: true}
log: {level: info}
channels:
  - {name: hook, type: webhook, url: %s/hook}
tenants:
  - {id: t000, tenant_id: %s, client_id: %s, client_secret: %s, graph_root: %s, authority_host: %s, ca_file: %s}
`, dsn, hook.URL, ids[0], clientID, secret, srv.URL(), srv.URL(), ca))

	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids[1:] {
		r := tenants.Record{ID: fmt.Sprintf("t%03d", i+1), TenantID: id, ClientID: clientID,
			ClientSecretRef: "env:SCALE_SECRET", GraphRoot: srv.URL(), AuthorityHost: srv.URL(), CAFile: ca}
		if err := tenants.Add(ctx, st, r, time.Now()); err != nil {
			t.Fatal(err)
		}
	}

	const every = 3 * time.Second // lease 6 s, coordination every 2 s
	type worker struct {
		cmd *exec.Cmd
		log string
	}
	var workers []*worker
	start := time.Now()
	for i := range 3 {
		w := &worker{log: filepath.Join(dir, fmt.Sprintf("worker%d.log", i))}
		f, err := os.Create(w.log)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w.cmd = exec.CommandContext(ctx, bin, "run", "-c", cfgPath, "--poll-every", every.String())
		w.cmd.Env = append(os.Environ(), "SCALE_SECRET="+secret)
		w.cmd.Stdout, w.cmd.Stderr = f, f
		w.cmd.WaitDelay = 10 * time.Second
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
	defer func() {
		for _, w := range workers {
			if w.cmd.ProcessState == nil {
				_ = w.cmd.Process.Kill()
				_ = w.cmd.Wait()
			}
		}
	}()
	sleep := func(d time.Duration) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}

	sleep(9 * time.Second) // shares settle within two coordination rounds
	kill := time.Now()
	if err := workers[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = workers[1].cmd.Wait()
	sleep(2 * time.Second)
	clock.Set(sc.Start.Add(91 * time.Minute)) // the issue is updated in every tenant
	sleep(19 * time.Second)
	end := time.Now()
	for _, w := range []*worker{workers[0], workers[2]} {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		if err := w.cmd.Wait(); err != nil {
			t.Errorf("worker exited: %v\n%s", err, tail(w.log))
		}
	}

	// None twice concurrently: a poll's requests are sequential, so two
	// requests of one tenant in flight at once mean two workers.
	recs := srv.Requests()
	polls := map[string][]time.Time{}
	tenantOf := map[string]string{}
	for i, id := range ids {
		tenantOf[strings.ToLower(id)] = fmt.Sprintf("t%03d", i)
	}
	for _, r := range recs {
		if r.InFlight > 1 {
			t.Errorf("tenant %s: %d requests in flight at %s (%s)", tenantOf[strings.ToLower(r.Tenant)], r.InFlight,
				r.Time.Sub(start).Round(time.Millisecond), r.Path)
		}
		if strings.HasPrefix(r.Path, "/v1.0/admin/serviceAnnouncement/issues") && !strings.Contains(r.Path, "/issues/") && r.Status == 200 {
			polls[strings.ToLower(r.Tenant)] = append(polls[strings.ToLower(r.Tenant)], r.Time)
		}
	}
	// Every tenant polled every cycle: in steady state a tenant's polls
	// are an interval (±10 % jitter) apart; a tenant may move to another
	// worker when the shares settle (a gap of up to two intervals), and
	// the dead worker's tenants wait for its lease (6 s), the next
	// coordination round (2 s) and their next timer (3.3 s).
	// slack absorbs a loaded 2-core CI machine (three workers, PostgreSQL
	// and the simulator share it with other test packages); a tenant that
	// skipped two cycles in a row (a gap of three intervals, 9 s) still
	// fails the steady bound.
	const slack = 1500 * time.Millisecond
	const steady, handover = 2*every + time.Second + slack, 2*every + 2*time.Second/3*3 + every + 2*time.Second + slack
	warm := start.Add(2*every + 2*time.Second + 2*slack) // process start, a share handed over, its next timer
	for _, id := range ids {
		ts := polls[strings.ToLower(id)]
		name := tenantOf[strings.ToLower(id)]
		if len(ts) == 0 {
			t.Errorf("tenant %s never polled", name)
			continue
		}
		if ts[0].After(warm) {
			t.Errorf("tenant %s first polled %s after the start", name, ts[0].Sub(start))
		}
		bounds := append(slices.Clone(ts), end)
		for i := 1; i < len(bounds); i++ {
			gap := bounds[i].Sub(bounds[i-1])
			limit := steady
			if bounds[i].After(kill) && bounds[i-1].Before(kill.Add(handover)) {
				limit = handover
			}
			if gap > limit {
				t.Errorf("tenant %s: no poll for %s from %s (limit %s)", name, gap.Round(time.Millisecond),
					bounds[i-1].Sub(start).Round(time.Millisecond), limit)
			}
		}
	}

	// Every notice delivered, exactly once.
	ds, err := st.Deliveries(ctx, nil, 100000)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(ds) < 2*len(ids) {
		t.Errorf("%d deliveries stored, want at least %d (a new and an updated issue per tenant)", len(ds), 2*len(ids))
	}
	for _, d := range ds {
		if d.State != store.DeliveryDone {
			t.Errorf("delivery %s is %s (%s)", d.Key, d.State, d.LastError)
		}
		if n := rc.seen[d.Key]; n != 1 {
			t.Errorf("delivery %s received %d times", d.Key, n)
		}
	}
	if len(rc.seen) != len(ds) {
		t.Errorf("receiver saw %d keys, the store holds %d deliveries", len(rc.seen), len(ds))
	}
	n := 0
	for _, ts := range polls {
		n += len(ts)
	}
	t.Logf("%d tenants, %d polls, %d requests, %d notices in %s; worker 1 killed at %s",
		len(ids), n, len(recs), len(ds), end.Sub(start).Round(time.Second), kill.Sub(start).Round(time.Second))
}

// write writes text to the file name in dir and returns its path.
func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// tail returns the end of a log file for a failure message.
func tail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}
