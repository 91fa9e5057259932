package graph_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/sim"
)

// These tests run the real Graph client, with a real azidentity
// client-secret credential, over HTTPS on loopback against the simulator.

const (
	simTenant = "6f1e3c2a-0000-4000-8000-000000000001"
	simClient = "5d7c0000-0000-4000-8000-0000000000aa"
	simSecret = "s3cr3t-Value~of.the.app"
)

var simStart = time.Date(2023, 5, 14, 19, 45, 0, 0, time.UTC)

// wall is a settable offset on the real clock for the simulator's token
// expiry, throttling and fault windows.
type wall struct {
	mu  sync.Mutex
	off time.Duration
}

func (w *wall) now() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return time.Now().Add(w.off) }
func (w *wall) add(d time.Duration) {
	w.mu.Lock()
	w.off += d
	w.mu.Unlock()
}

type simEnv struct {
	srv    *sim.Server
	clock  *sim.SteppedClock
	wall   *wall
	caFile string
}

// startSim starts a simulator with the test tenant registered and sc
// loaded (the stepped clock stands at the scenario's end).
func startSim(t *testing.T, opts sim.Options, sc *sim.Scenario) *simEnv {
	t.Helper()
	e := &simEnv{clock: sim.NewSteppedClock(simStart), wall: &wall{}}
	opts.Clock = e.clock
	if opts.WallClock == nil {
		opts.WallClock = e.wall.now
	}
	srv, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	srv.AddTenant(sim.Tenant{ID: simTenant, ClientID: simClient, ClientSecret: simSecret})
	if sc != nil {
		if err := srv.LoadScenario(sc); err != nil {
			t.Fatal(err)
		}
		if n := len(sc.Steps); n > 0 {
			e.clock.Set(sc.Steps[n-1].Time)
		}
	}
	e.caFile = filepath.Join(t.TempDir(), "sim-ca.pem")
	if err := srv.WriteCAFile(e.caFile); err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	return e
}

// client builds the real client for the simulator with fast backoff.
func (e *simEnv) client(t *testing.T, mod func(*graph.Config)) *graph.Client {
	t.Helper()
	cfg := graph.Config{
		TenantID:      simTenant,
		ClientID:      simClient,
		ClientSecret:  simSecret,
		GraphRoot:     e.srv.URL(),
		AuthorityHost: e.srv.URL(),
		CAFile:        e.caFile,
		BackoffBase:   5 * time.Millisecond,
		BackoffCap:    20 * time.Millisecond,
		Timeout:       5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := graph.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// graphRecords returns the recorded Graph (not token) requests.
func (e *simEnv) graphRecords() []sim.RequestRecord {
	var out []sim.RequestRecord
	for _, r := range e.srv.Requests() {
		if strings.HasPrefix(r.Path, "/v1.0/") || strings.HasPrefix(r.Path, "/beta/") {
			out = append(out, r)
		}
	}
	return out
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func issueIDs(is []model.Issue) map[string]int {
	m := map[string]int{}
	for _, i := range is {
		m[i.ID]++
	}
	return m
}

func checkUnique(t *testing.T, is []model.Issue, want int) {
	t.Helper()
	m := issueIDs(is)
	if len(is) != want || len(m) != want {
		t.Fatalf("got %d issues (%d distinct), want %d distinct", len(is), len(m), want)
	}
}

func TestSimPaging(t *testing.T) {
	tests := []struct {
		name     string
		pageSize int
		wantPath []string
	}{
		{"page size 100", 100, []string{"", "$skip=100", "$skip=200"}},
		// 120 is not the simulator's default of 100: the $skip values
		// prove that the Prefer: odata.maxpagesize header was honoured.
		{"page size 120", 120, []string{"", "$skip=120", "$skip=240"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 250, 30))
			c := e.client(t, func(c *graph.Config) { c.PageSize = tt.pageSize })
			ctx := ctxFor(t, 20*time.Second)
			is, err := c.Issues(ctx, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			checkUnique(t, is, 250)
			recs := e.graphRecords()
			if len(recs) != len(tt.wantPath) {
				t.Fatalf("simulator saw %d graph requests, want %d: %+v", len(recs), len(tt.wantPath), recs)
			}
			for i, r := range recs {
				if !strings.HasPrefix(r.Path, "/v1.0/admin/serviceAnnouncement/issues") || r.Status != 200 {
					t.Errorf("request %d: %s → %d", i, r.Path, r.Status)
				}
				if tt.wantPath[i] == "" && strings.Contains(r.Path, "$skip") || !strings.Contains(r.Path, tt.wantPath[i]) {
					t.Errorf("request %d path %q, want it to carry %q", i, r.Path, tt.wantPath[i])
				}
			}
			if s := c.Stats(); s.Requests != int64(len(tt.wantPath)) || s.ByStatus[200] != int64(len(tt.wantPath)) {
				t.Errorf("stats %+v", s)
			}
			ms, err := c.Messages(ctx, time.Time{})
			if err != nil || len(ms) != 30 {
				t.Fatalf("messages: %d, %v", len(ms), err)
			}
			hs, err := c.HealthOverviews(ctx)
			if err != nil || len(hs) != 1 || hs[0].Status != model.StatusServiceDegradation {
				t.Fatalf("health overviews: %+v, %v", hs, err)
			}
			// One token for all of it: azidentity caches a 1 h token.
			if n := e.srv.Counters().Total.Tokens; n != 1 {
				t.Errorf("tokens issued = %d, want 1", n)
			}
		})
	}
}

const sinceScenario = `
name: since
start: 2023-05-14T19:45:00Z
steps:
  - at: 0s
    issues:
      - {id: EX1, title: one, service: Exchange Online, status: investigating, post: first}
      - {id: EX2, title: two, service: Exchange Online, status: investigating, post: first}
    messages:
      - {id: MC1, title: m1, body: "<p>x</p>"}
  - at: 1h
    issues:
      - {id: EX2, status: serviceRestored, post: second}
      - {id: EX3, title: three, service: Exchange Online, post: first}
    messages:
      - {id: MC2, title: m2, body: "<p>y</p>"}
  - at: 2h
    issues:
      - {id: EX4, title: four, service: Exchange Online, post: first}
`

func TestSimSinceFilter(t *testing.T) {
	sc, err := sim.ParseScenario([]byte(sinceScenario), "since.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := startSim(t, sim.Options{}, sc)
	c := e.client(t, nil)
	ctx := ctxFor(t, 20*time.Second)
	tests := []struct {
		name      string
		since     time.Time
		wantIss   []string
		wantMsgs  []string
		wantPosts map[string]int
	}{
		{"all", time.Time{}, []string{"EX1", "EX2", "EX3", "EX4"}, []string{"MC1", "MC2"}, map[string]int{"EX2": 2}},
		{"since 1h", simStart.Add(time.Hour), []string{"EX2", "EX3", "EX4"}, []string{"MC2"}, map[string]int{"EX2": 2}},
		{"since 1h30m", simStart.Add(90 * time.Minute), []string{"EX4"}, nil, nil},
		{"since 3h", simStart.Add(3 * time.Hour), nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is, err := c.Issues(ctx, tt.since)
			if err != nil {
				t.Fatal(err)
			}
			got := issueIDs(is)
			if len(got) != len(tt.wantIss) || len(is) != len(tt.wantIss) {
				t.Fatalf("issues %v, want %v", got, tt.wantIss)
			}
			for _, id := range tt.wantIss {
				if got[id] != 1 {
					t.Errorf("issue %s missing: %v", id, got)
				}
			}
			for _, i := range is {
				if !tt.since.IsZero() && i.LastModified.Before(tt.since) {
					t.Errorf("%s modified %s, before since %s", i.ID, i.LastModified, tt.since)
				}
				if n, ok := tt.wantPosts[i.ID]; ok && len(i.Posts) != n {
					t.Errorf("%s has %d posts, want %d", i.ID, len(i.Posts), n)
				}
			}
			ms, err := c.Messages(ctx, tt.since)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != len(tt.wantMsgs) {
				t.Fatalf("messages %+v, want %v", ms, tt.wantMsgs)
			}
			for k, id := range tt.wantMsgs {
				found := false
				for _, m := range ms {
					found = found || m.ID == id
				}
				if !found {
					t.Errorf("message %d %s missing", k, id)
				}
			}
		})
	}
	last := e.graphRecords()
	if p := last[len(last)-1].Path; !strings.Contains(p, "$filter=lastModifiedDateTime%20ge%202023-05-14T22:45:00Z") {
		t.Errorf("last request %q lacks the since filter", p)
	}
}

func TestSimThrottling(t *testing.T) {
	// The client's own budget (240/60 s) stays far away; the simulator's
	// small limit is what trips.
	e := startSim(t, sim.Options{Throttle: sim.ThrottleLimits{Short: 3, ShortWindow: time.Second, Long: -1}},
		sim.GenerateScenario(simStart, 160, 0))
	c := e.client(t, func(c *graph.Config) { c.PageSize = 20; c.MaxRetries = 10 })
	ctx := ctxFor(t, 30*time.Second)
	start := time.Now()
	is, err := c.Issues(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	checkUnique(t, is, 160)
	const pages = 8
	cnt := e.srv.Counters()
	st := c.Stats()
	if cnt.Total.Throttled == 0 {
		t.Fatal("the simulator throttled nothing")
	}
	if st.Throttled != cnt.Total.Throttled || st.ByStatus[429] != cnt.Total.Throttled {
		t.Errorf("client throttled %d (429s %d), simulator %d", st.Throttled, st.ByStatus[429], cnt.Total.Throttled)
	}
	if st.ByStatus[200] != pages {
		t.Errorf("200 answers = %d, want %d", st.ByStatus[200], pages)
	}
	// Waiting out Retry-After exactly means at most one 429 per page.
	if cnt.Total.Throttled > pages {
		t.Errorf("%d 429s for %d pages: the client does not honour Retry-After", cnt.Total.Throttled, pages)
	}
	// 8 pages at 3 per second need at least 2 s.
	if took < 1500*time.Millisecond {
		t.Errorf("took %s: the throttle cannot have been honoured", took)
	}
	// Never more than 3 successful requests within one second.
	var ok []time.Time
	for _, r := range e.graphRecords() {
		if r.Status == 200 {
			ok = append(ok, r.Time)
		}
	}
	for i := 3; i < len(ok); i++ {
		if ok[i].Sub(ok[i-3]) < time.Second-10*time.Millisecond {
			t.Errorf("4 successful requests within %s", ok[i].Sub(ok[i-3]))
		}
	}
}

func TestSimTokenExpiry(t *testing.T) {
	e := startSim(t, sim.Options{TokenLifetime: time.Hour}, sim.GenerateScenario(simStart, 5, 0))
	c := e.client(t, nil)
	ctx := ctxFor(t, 20*time.Second)
	if _, err := c.Issues(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// Two hours pass for the simulator: azidentity still holds its cached
	// token (it counts real time), Graph says it expired.
	e.wall.add(2 * time.Hour)
	is, err := c.Issues(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	checkUnique(t, is, 5)
	st := c.Stats()
	if st.TokenRefreshes < 1 || st.ByStatus[401] != 1 {
		t.Errorf("token refreshes %d, 401s %d; want ≥ 1 and 1", st.TokenRefreshes, st.ByStatus[401])
	}
	if n := e.srv.Counters().Total.Tokens; n != 2 {
		t.Errorf("tokens issued = %d, want 2", n)
	}
	recs := e.graphRecords()
	if len(recs) != 3 || recs[1].Status != 401 || recs[2].Status != 200 {
		t.Errorf("graph requests: %+v", recs)
	}
}

func TestSimShortTokenLifetime(t *testing.T) {
	// A token valid for less than 300 s is never cached by azidentity: every
	// request signs in again and never meets an expired token.
	e := startSim(t, sim.Options{TokenLifetime: 2 * time.Second}, sim.GenerateScenario(simStart, 5, 0))
	c := e.client(t, nil)
	ctx := ctxFor(t, 20*time.Second)
	for range 3 {
		if _, err := c.Issues(ctx, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.srv.Counters().Total.Tokens; n != 3 {
		t.Errorf("tokens issued = %d, want 3", n)
	}
	if st := c.Stats(); st.ByStatus[401] != 0 || st.TokenRefreshes != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestSimFaults(t *testing.T) {
	const n = 30
	tests := []struct {
		name     string
		fault    sim.Fault
		timeout  time.Duration // the client's per-attempt timeout; 0 = 5 s
		wantErr  bool
		status   int    // APIError.Status wanted when wantErr
		errText  string // wanted in the error text
		graphReq int    // graph requests the simulator must have seen (0 = don't check)
		check    func(t *testing.T, st graph.Stats)
		minTook  time.Duration
	}{
		{name: "401 once: token refreshed", fault: sim.Fault{Kind: sim.FaultStatus, Status: 401, Count: 1, PathPrefix: "graph"},
			graphReq: 2, check: func(t *testing.T, st graph.Stats) {
				if st.TokenRefreshes != 1 {
					t.Errorf("token refreshes %d", st.TokenRefreshes)
				}
			}},
		{name: "401 always: one refresh, then error", fault: sim.Fault{Kind: sim.FaultStatus, Status: 401, PathPrefix: "graph"},
			wantErr: true, status: 401, errText: "InvalidAuthenticationToken", graphReq: 2},
		{name: "403 not retried", fault: sim.Fault{Kind: sim.FaultStatus, Status: 403, PathPrefix: "graph"},
			wantErr: true, status: 403, errText: "Forbidden", graphReq: 1, check: func(t *testing.T, st graph.Stats) {
				if st.Retries != 0 {
					t.Errorf("retries %d", st.Retries)
				}
			}},
		{name: "429 with Retry-After", fault: sim.Fault{Kind: sim.FaultStatus, Status: 429, RetryAfter: "0.15", Count: 2, PathPrefix: "graph"},
			graphReq: 3, minTook: 300 * time.Millisecond, check: func(t *testing.T, st graph.Stats) {
				if st.Throttled != 2 || st.ByStatus[429] != 2 {
					t.Errorf("throttled %d, 429s %d", st.Throttled, st.ByStatus[429])
				}
			}},
		{name: "429 Retry-After too long is returned", fault: sim.Fault{Kind: sim.FaultStatus, Status: 429, RetryAfter: "3600", PathPrefix: "graph"},
			wantErr: true, status: 429, errText: "retry after 1h0m0s", graphReq: 1},
		{name: "500 retried", fault: sim.Fault{Kind: sim.FaultStatus, Status: 500, Count: 2, PathPrefix: "graph"}, graphReq: 3},
		{name: "503 retried", fault: sim.Fault{Kind: sim.FaultStatus, Status: 503, Count: 2, PathPrefix: "graph"}, graphReq: 3,
			check: func(t *testing.T, st graph.Stats) {
				if st.Throttled != 2 {
					t.Errorf("throttled %d", st.Throttled)
				}
			}},
		{name: "500 persistent", fault: sim.Fault{Kind: sim.FaultStatus, Status: 500, PathPrefix: "graph"},
			wantErr: true, status: 500, errText: "giving up after 5 attempts", graphReq: 5},
		{name: "timeout retried", fault: sim.Fault{Kind: sim.FaultTimeout, Count: 1, PathPrefix: "graph"}, timeout: 300 * time.Millisecond,
			graphReq: 2, minTook: 300 * time.Millisecond},
		{name: "slow body", fault: sim.Fault{Kind: sim.FaultSlow, Delay: 400 * time.Millisecond, Count: 1, PathPrefix: "graph"},
			graphReq: 1, minTook: 300 * time.Millisecond},
		{name: "slow body beyond the attempt timeout retried", fault: sim.Fault{Kind: sim.FaultSlow, Delay: 3 * time.Second, Count: 1, PathPrefix: "graph"},
			timeout: 400 * time.Millisecond, graphReq: 2},
		{name: "malformed JSON retried", fault: sim.Fault{Kind: sim.FaultMalformed, Count: 1, PathPrefix: "graph"}, graphReq: 2},
		{name: "malformed JSON persistent", fault: sim.Fault{Kind: sim.FaultMalformed, PathPrefix: "graph"},
			wantErr: true, errText: "malformed response", graphReq: 5},
		{name: "HTML error page retried", fault: sim.Fault{Kind: sim.FaultHTML, Status: 502, Count: 1, PathPrefix: "graph"}, graphReq: 2},
		{name: "HTML page with 200 retried", fault: sim.Fault{Kind: sim.FaultHTML, Status: 200, Count: 1, PathPrefix: "graph"}, graphReq: 2},
		{name: "HTML error persistent", fault: sim.Fault{Kind: sim.FaultHTML, Status: 502, PathPrefix: "graph"},
			wantErr: true, status: 502, errText: "The service is temporarily unable", graphReq: 5},
		// Go's transport itself replays a GET once when a reused
		// connection is reset, so the simulator may see more requests
		// than the client made; the client's own counters are checked.
		{name: "connection reset retried", fault: sim.Fault{Kind: sim.FaultReset, Count: 2, PathPrefix: "graph"},
			check: func(t *testing.T, st graph.Stats) {
				if st.Retries < 1 || st.ByStatus[200] != 1 {
					t.Errorf("retries %d, 200s %d", st.Retries, st.ByStatus[200])
				}
			}},
		{name: "connection reset persistent", fault: sim.Fault{Kind: sim.FaultReset, PathPrefix: "graph"},
			wantErr: true, errText: "giving up after 5 attempts", check: func(t *testing.T, st graph.Stats) {
				if st.Requests != 5 || st.Retries != 4 {
					t.Errorf("requests %d, retries %d", st.Requests, st.Retries)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, n, 0))
			c := e.client(t, func(c *graph.Config) {
				if tt.timeout > 0 {
					c.Timeout = tt.timeout
				}
			})
			e.srv.SetFaults([]sim.Fault{tt.fault})
			ctx := ctxFor(t, 20*time.Second)
			start := time.Now()
			is, err := c.Issues(ctx, time.Time{})
			took := time.Since(start)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("no error; %d issues", len(is))
				}
				if is != nil {
					t.Errorf("partial result of %d issues with the error", len(is))
				}
				var ae *graph.APIError
				if tt.status != 0 && (!errors.As(err, &ae) || ae.Status != tt.status) {
					t.Errorf("error %v: want an APIError with status %d", err, tt.status)
				}
				var auth *graph.AuthError
				if errors.As(err, &auth) {
					t.Errorf("a Graph failure is an AuthError: %v", err)
				}
				if !strings.Contains(err.Error(), tt.errText) {
					t.Errorf("error %q lacks %q", err, tt.errText)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				checkUnique(t, is, n)
			}
			if tt.graphReq > 0 {
				if got := len(e.graphRecords()); got != tt.graphReq {
					t.Errorf("simulator saw %d graph requests, want %d", got, tt.graphReq)
				}
			}
			if cnt := e.srv.Counters().Total.Faults; cnt == 0 {
				t.Error("the fault never hit")
			}
			if took < tt.minTook {
				t.Errorf("took %s, want ≥ %s", took, tt.minTook)
			}
			if tt.check != nil {
				tt.check(t, c.Stats())
			}
			if strings.Contains(errText(err), simSecret) {
				t.Errorf("secret in error: %v", err)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSimMalformedSecondPage checks that a list is all or nothing: page 1
// is fine, every later answer is cut short.
func TestSimMalformedSecondPage(t *testing.T) {
	e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 250, 0))
	c := e.client(t, func(c *graph.Config) { c.PageSize = 100; c.MaxRetries = 2 })
	e.srv.SetFaults([]sim.Fault{{Kind: sim.FaultMalformed, After: 1, PathPrefix: "graph"}})
	is, err := c.Issues(ctxFor(t, 20*time.Second), time.Time{})
	if err == nil || is != nil {
		t.Fatalf("got %d issues, err %v; want no issues and an error", len(is), err)
	}
	if !strings.Contains(err.Error(), "page 2") || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("error %q should name page 2 and the malformed body", err)
	}
	recs := e.graphRecords()
	if len(recs) != 4 || recs[0].Status != 200 || !strings.Contains(recs[3].Path, "$skip=100") {
		t.Errorf("requests: %+v", recs)
	}
}

func TestSimTokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name     string
		secret   string
		fault    *sim.Fault
		wantCode string
	}{
		// Retry-After beyond azcore's 60 s cap makes azidentity give up
		// at once instead of retrying for ~10 s.
		{"token endpoint 500", simSecret, &sim.Fault{Kind: sim.FaultStatus, Status: 500, PathPrefix: "token", RetryAfter: "3600"}, "AADSTS50000"},
		{"invalid client secret", "wrong-" + simSecret, nil, "AADSTS7000215"},
		{"app disabled", simSecret, &sim.Fault{Kind: sim.FaultStatus, Status: 403, PathPrefix: "token"}, "AADSTS7000112"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 3, 0))
			if tt.fault != nil {
				e.srv.SetFaults([]sim.Fault{*tt.fault})
			}
			c := e.client(t, func(c *graph.Config) { c.ClientSecret = tt.secret })
			start := time.Now()
			is, err := c.Issues(ctxFor(t, 20*time.Second), time.Time{})
			if err == nil || is != nil {
				t.Fatalf("got %d issues, err %v", len(is), err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("sign-in failure took %s", took)
			}
			var auth *graph.AuthError
			if !errors.As(err, &auth) {
				t.Fatalf("error %v (%T) is not an AuthError", err, err)
			}
			if auth.Code != tt.wantCode || auth.Timeout {
				t.Errorf("code %q timeout %t, want %q", auth.Code, auth.Timeout, tt.wantCode)
			}
			var ae *graph.APIError
			if errors.As(err, &ae) {
				t.Errorf("sign-in failure is also an APIError: %v", err)
			}
			for _, s := range []string{simSecret, tt.secret} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("secret %q in error %q", s, err)
				}
			}
			if n := len(e.graphRecords()); n != 0 {
				t.Errorf("graph was called %d times without a token", n)
			}
		})
	}
}

func TestSimAttachmentsAndIncidentReport(t *testing.T) {
	const sc = `
name: att
start: 2023-05-14T19:45:00Z
steps:
  - at: 0s
    issues:
      - {id: EX9, title: nine, service: Exchange Online, status: postIncidentReviewPublished, post: done}
      - {id: EX8, title: eight, service: Exchange Online, status: serviceRestored, post: done}
    messages:
      - id: MC9
        title: with attachment
        body: "<p>x</p>"
        attachments: [{name: "Sites that use the feature", contentType: application/csv, size: 300}]
`
	s, err := sim.ParseScenario([]byte(sc), "att.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := startSim(t, sim.Options{}, s)
	c := e.client(t, nil)
	ctx := ctxFor(t, 20*time.Second)
	att, err := c.Attachments(ctx, "MC9")
	if err != nil || len(att) != 1 || att[0].Size != 300 || att[0].ContentType != "application/csv" {
		t.Fatalf("attachments %+v, %v", att, err)
	}
	body, ct, err := c.IncidentReport(ctx, "EX9")
	if err != nil || ct != "application/octet-stream" || !strings.Contains(string(body), "Incident ID: EX9") {
		t.Fatalf("incident report %q %q %v", body, ct, err)
	}
	_, _, err = c.IncidentReport(ctx, "EX8")
	var ae *graph.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		t.Fatalf("report of an issue without review: %v", err)
	}
}
