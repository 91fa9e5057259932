package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/cli"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify/file"
	msteams "github.com/shdmc/shdmc/internal/notify/teams"
	"github.com/shdmc/shdmc/internal/sim"
	"github.com/shdmc/shdmc/internal/store"
)

// outageScenario: a quiet baseline, then (seed 002) a Teams incident opens
// at 30m, gets a post at 1h30m and is resolved at 2h30m.
const outageScenario = `name: outage
start: 2024-11-25T09:00:00Z
tenants:
  - id: 6f1e3c2a-0000-4000-8000-000000000001
    client_id: 5d7c0000-0000-4000-8000-0000000000aa
    client_secret: demo-secret
steps:
  - at: 0s
    services:
      - {id: MicrosoftTeams, service: Microsoft Teams, status: serviceOperational}
    issues:
      - id: SP100001
        title: Old resolved issue
        service: SharePoint Online
        classification: incident
        status: serviceRestored
        isResolved: true
        post: Resolved long ago.
  - at: 30m
    issues:
      - id: TM999001
        title: Users can't access Microsoft Teams
        service: Microsoft Teams
        feature: Teams Components
        featureGroup: Teams Components
        classification: incident
        status: investigating
        isResolved: false
        post: "Current status: A configuration change is returning incorrect configurations (ECS)."
  - at: 90m
    issues:
      - id: TM999001
        status: restoringService
        post: "Current status: We've reverted the configuration change."
  - at: 150m
    issues:
      - id: TM999001
        status: serviceRestored
        isResolved: true
        post: "Final status: Service is restored."
`

type resEnv struct {
	srv     *sim.Server
	clock   *sim.SteppedClock
	cfg     *config.Config
	mailbox string // independent file channel
	chat    string // a channel that depends on nothing, not marked
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newResEnv(t *testing.T) *resEnv {
	t.Helper()
	sc, err := sim.ParseScenario([]byte(outageScenario), "outage.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := &resEnv{clock: sim.NewSteppedClock(sc.Start), logs: &syncBuffer{}}
	if e.srv, err = sim.New(sim.Options{Clock: e.clock}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.srv.Close() })
	dir := t.TempDir()
	caFile := filepath.Join(dir, "sim-ca.pem")
	if err := e.srv.WriteCAFile(caFile); err != nil {
		t.Fatal(err)
	}
	e.mailbox, e.chat = filepath.Join(dir, "mailbox.jsonl"), filepath.Join(dir, "chat.jsonl")
	cfg := config.Default()
	cfg.Store = "sqlite://" + filepath.Join(dir, "shdmc.db")
	cfg.Outage.PublicStatus.Poll = config.PublicStatusNever
	cfg.Channels = []config.Channel{
		{Name: "mailbox", Type: "file", Settings: &file.Settings{Format: "json", Path: e.mailbox}, Independent: true},
		{Name: "chat", Type: "file", Settings: &file.Settings{Format: "json", Path: e.chat}},
	}
	st := sc.Tenants[0]
	cfg.Tenants = []config.Tenant{{
		ID: "contoso", Name: "Contoso", TenantID: st.ID, ClientID: st.ClientID, Auth: "client_secret",
		ClientSecret: config.Secret(st.ClientSecret), GraphRoot: e.srv.URL(), AuthorityHost: e.srv.URL(), CAFile: caFile,
	}}
	e.cfg = cfg
	return e
}

func (e *resEnv) newApp(t *testing.T) *app.App {
	t.Helper()
	if err := e.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), e.cfg, app.Options{Now: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// run checks every step from the clock's time for span.
func (e *resEnv) run(t *testing.T, a *app.App, span, step time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for end := e.clock.Now().Add(span); e.clock.Now().Before(end); {
		e.clock.Advance(step)
		_, _ = a.Check(ctx)
	}
}

// notice is what the test compares: the event type and item per channel.
func summary(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, r := range readNotices(t, path) {
		s := string(r.Event.Type) + " " + r.Event.ItemID
		for _, c := range r.Event.Changes {
			switch c.Kind {
			case model.ChangeFailure:
				s += " " + c.Field + " " + c.From
			case model.ChangeOutage:
				s += " " + c.From + " " + c.To + "s"
			}
		}
		out = append(out, s)
	}
	return out
}

func wantLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func pending(t *testing.T, a *app.App) int {
	t.Helper()
	ds, err := a.Store().Deliveries(context.Background(), []store.DeliveryState{store.DeliveryPending, store.DeliveryRetrying}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(ds)
}

// TestSeedOutages plays the seeds' outages against the simulator on a
// stepped clock: each must raise exactly one "source unavailable" notice on
// the independent channel, one "source restored" with the outage's length,
// and catch up on what happened meanwhile.
func TestSeedOutages(t *testing.T) {
	tests := []struct {
		name   string
		faults []sim.Fault
		span   time.Duration // how long the fault lasts
		down   string        // the expected source.down line
		up     string        // the expected source.restored line
	}{
		{
			// Seed 003: Entra ID sign-in fails for an hour; Graph rejects
			// the old token, a new one cannot be had.
			name: "entra token endpoint failing for an hour",
			faults: []sim.Fault{
				{PathPrefix: "token", Kind: sim.FaultStatus, Status: 401},
				{PathPrefix: "graph", Kind: sim.FaultStatus, Status: 401},
			},
			span: time.Hour,
			down: "source.down graph auth AADSTS7000215",
			up:   "source.restored graph auth 3600s",
		},
		{
			// Seed 004: token generation for web apps and the admin center
			// broken: the authority answers with an HTML error page.
			name: "token generation fault",
			faults: []sim.Fault{
				{PathPrefix: "token", Kind: sim.FaultHTML, Status: 200},
				{PathPrefix: "graph", Kind: sim.FaultStatus, Status: 401},
			},
			span: time.Hour,
			down: "source.down graph auth ",
			up:   "source.restored graph auth 3600s",
		},
		{
			// Seed 002's aftermath: Graph 503 storms, then 429 storms that
			// do not clear (Retry-After far beyond what the client waits).
			name: "graph 503 then 429 storms",
			faults: []sim.Fault{
				{PathPrefix: "graph", Kind: sim.FaultStatus, Status: 503, RetryAfter: "3600", Count: 9},
				{PathPrefix: "graph", Kind: sim.FaultStatus, Status: 429, RetryAfter: "3600"},
			},
			span: time.Hour,
			down: "source.down graph server 503",
			up:   "source.restored graph throttled 3600s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newResEnv(t)
			a := e.newApp(t)
			e.run(t, a, 5*time.Minute, 5*time.Minute) // baseline at 09:05
			// The fault starts at 09:10; the incident opens at 09:30 in
			// the middle of it.
			e.clock.Advance(5 * time.Minute)
			e.srv.SetFaults(tt.faults)
			ctx := context.Background()
			_, _ = a.Check(ctx)
			e.run(t, a, tt.span-5*time.Minute, 5*time.Minute)
			wantLines(t, "mailbox during the outage", summary(t, e.mailbox), []string{tt.down})
			wantLines(t, "chat during the outage", summary(t, e.chat), nil)
			e.srv.SetFaults(nil)
			e.run(t, a, 5*time.Minute, 5*time.Minute)
			wantLines(t, "mailbox after recovery", summary(t, e.mailbox), []string{tt.down, "issue.new TM999001", tt.up})
			wantLines(t, "chat after recovery", summary(t, e.chat), []string{"issue.new TM999001"})
			// Flapping after recovery (one failure) announces nothing.
			e.srv.SetFaults([]sim.Fault{{PathPrefix: "graph", Kind: sim.FaultStatus, Status: 503, RetryAfter: "3600", Count: 3}})
			e.run(t, a, 5*time.Minute, 5*time.Minute)
			e.srv.SetFaults(nil)
			e.run(t, a, 2*time.Hour, 10*time.Minute)
			wantLines(t, "mailbox at the end", summary(t, e.mailbox), []string{tt.down, "issue.new TM999001", tt.up,
				"issue.status TM999001", "issue.resolved TM999001"})
			if n := pending(t, a); n != 0 {
				t.Errorf("%d deliveries not caught up", n)
			}
			rec := readNotices(t, e.mailbox)
			if !strings.Contains(rec[0].Subject, "Source unavailable") || !strings.Contains(rec[2].Subject, "after 1 h 0 min") {
				t.Errorf("subjects: %q / %q", rec[0].Subject, rec[2].Subject)
			}
		})
	}
}

// TestRestartDuringOutage: a restart in the middle of a long outage
// resumes it: no second notice, and the restored notice counts from the
// first failure before the restart.
func TestRestartDuringOutage(t *testing.T) {
	e := newResEnv(t)
	a := e.newApp(t)
	e.run(t, a, 5*time.Minute, 5*time.Minute)
	e.srv.SetFaults([]sim.Fault{{PathPrefix: "graph", Kind: sim.FaultStatus, Status: 503, RetryAfter: "3600"}})
	e.run(t, a, 30*time.Minute, 5*time.Minute) // first failure at 09:10
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := e.newApp(t)
	e.run(t, b, 2*time.Hour, 10*time.Minute)
	wantLines(t, "after the restart", summary(t, e.mailbox), []string{"source.down graph server 503"})
	e.srv.SetFaults(nil)
	e.clock.Advance(5 * time.Minute) // 11:40
	_, _ = b.Check(context.Background())
	got := summary(t, e.mailbox)
	if len(got) != 3 || got[2] != "source.restored graph server 9000s" {
		t.Errorf("notices after recovery: %q, want the restored notice of a 2h30m outage", got)
	}
}

// TestTeamsDownFailover: the Teams webhook is down for two hours while an
// incident runs; the route fails over to email, nothing is lost, and no
// source.down is raised (Graph is fine).
func TestTeamsDownFailover(t *testing.T) {
	var mu sync.Mutex
	down := true
	var teamsGot []string
	teams := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		teamsGot = append(teamsGot, string(b))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer teams.Close()
	e := newResEnv(t)
	e.cfg.Channels = append(e.cfg.Channels, config.Channel{Name: "teams", Type: "teams", Settings: &msteams.Settings{URL: config.Secret(teams.URL + "/workflows/hook")}})
	e.cfg.Routes = []config.Route{{Name: "ops", Channels: []string{"teams"}, Failover: config.Failover{Channel: "mailbox", After: config.Duration(15 * time.Minute)}}}
	if w := e.cfg.Warnings(); len(w) != 0 {
		t.Errorf("warnings with an independent mailbox: %q", w)
	}
	a := e.newApp(t)
	e.run(t, a, 5*time.Minute, 5*time.Minute)
	e.run(t, a, 2*time.Hour, 5*time.Minute) // Teams down 09:05–11:05; the incident opens at 09:30
	got := summary(t, e.mailbox)
	wantLines(t, "failover to the mailbox", got, []string{"issue.new TM999001", "issue.status TM999001"})
	mu.Lock()
	down = false
	mu.Unlock()
	e.run(t, a, time.Hour, 5*time.Minute) // resolved at 11:30 goes to Teams again
	mu.Lock()
	n := len(teamsGot)
	mu.Unlock()
	if n != 1 {
		t.Errorf("Teams received %d notices after it came back, want 1 (the resolution)", n)
	}
	if p := pending(t, a); p != 0 {
		t.Errorf("%d deliveries pending after recovery", p)
	}
	for _, l := range summary(t, e.mailbox) {
		if strings.HasPrefix(l, "source.") {
			t.Errorf("source notice while Graph was fine: %s", l)
		}
	}
}

// TestMalformedPageRetried: a truncated Graph page is retried, reported in
// the log, and never half-applied.
func TestMalformedPageRetried(t *testing.T) {
	e := newResEnv(t)
	a := e.newApp(t)
	e.run(t, a, 5*time.Minute, 5*time.Minute)
	e.clock.Advance(30 * time.Minute) // the incident is there now
	e.srv.SetFaults([]sim.Fault{{PathPrefix: "/v1.0/admin/serviceAnnouncement/issues", Kind: sim.FaultMalformed, Count: 1}})
	res, err := a.Check(context.Background())
	if err != nil {
		t.Fatalf("check after one malformed page: %v", err)
	}
	if !strings.Contains(e.logs.String(), "malformed response") {
		t.Error("the malformed page was not reported in the log")
	}
	if res.Events != 1 {
		t.Errorf("events = %d, want exactly the new incident once", res.Events)
	}
	// A page that stays malformed fails the poll and stores nothing.
	e.clock.Advance(60 * time.Minute)
	before, _ := a.Store().History(context.Background(), "contoso", "TM999001")
	e.srv.SetFaults([]sim.Fault{{PathPrefix: "/v1.0/admin/serviceAnnouncement/issues", Kind: sim.FaultMalformed, Count: 5}})
	if _, err := a.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("check with malformed pages: %v, want a malformed error", err)
	}
	after, _ := a.Store().History(context.Background(), "contoso", "TM999001")
	if len(after) != len(before) {
		t.Errorf("revisions %d → %d: a malformed page was half-applied", len(before), len(after))
	}
	e.srv.SetFaults(nil)
	if _, err := a.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := summary(t, e.chat)
	wantLines(t, "caught up", got, []string{"issue.new TM999001", "issue.status TM999001"})
	_ = fmt.Sprint
	_ = file.Record{}
}

// TestStatusShowsStaleState: `shdmc status` marks a failing source stale
// with its age and shows the outbox.
func TestStatusShowsStaleState(t *testing.T) {
	e := newResEnv(t)
	e.cfg.Channels[0].Settings.(*file.Settings).Path = filepath.Join(t.TempDir(), "no-such-dir", "x.jsonl") // the mailbox cannot be written
	a := e.newApp(t)
	e.run(t, a, 5*time.Minute, 5*time.Minute)
	e.srv.SetFaults([]sim.Fault{{PathPrefix: "token", Kind: sim.FaultStatus, Status: 401}, {PathPrefix: "graph", Kind: sim.FaultStatus, Status: 401}})
	e.run(t, a, 20*time.Minute, 5*time.Minute)
	var b bytes.Buffer
	if err := cli.WriteStatus(context.Background(), &b, a.Store(), time.UTC, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"contoso", "graph", "DOWN", "2024-11-25 09:10 UTC", "auth AADSTS7000215 (4 in a row)",
		"2024-11-25 09:05 UTC", "STALE 20m0s", "outbox: 1 pending"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

// TestHeartbeat: a successful cycle calls the heartbeat URL (GET or POST
// with a summary); a failing receiver never shows the secret URL.
func TestHeartbeat(t *testing.T) {
	type hit struct{ method, body string }
	hits := make(chan hit, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits <- hit{r.Method, string(b)}
	}))
	defer rcv.Close()
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			e := newResEnv(t)
			e.cfg.Outage.Heartbeat = config.Heartbeat{URL: config.Secret(rcv.URL + "/ping/token-123"), Method: method, Timeout: config.Duration(5 * time.Second)}
			a := e.newApp(t)
			e.run(t, a, 5*time.Minute, 5*time.Minute)
			select {
			case h := <-hits:
				if h.method != method {
					t.Errorf("method %s, want %s", h.method, method)
				}
				if method == "POST" && !strings.Contains(h.body, `"tenants":1`) {
					t.Errorf("POST body %q lacks the summary", h.body)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no heartbeat after a successful cycle")
			}
		})
	}
	// A receiver that is gone: the log names the failure, not the URL.
	e := newResEnv(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL + "/ping/secret-token-456"
	dead.Close()
	e.cfg.Outage.Heartbeat = config.Heartbeat{URL: config.Secret(url), Method: "GET", Timeout: config.Duration(2 * time.Second)}
	a := e.newApp(t)
	e.run(t, a, 5*time.Minute, 5*time.Minute)
	logs := e.logs.String()
	if !strings.Contains(logs, "heartbeat failed") {
		t.Errorf("no heartbeat failure logged:\n%s", logs)
	}
	if strings.Contains(logs, "secret-token-456") {
		t.Errorf("the heartbeat URL leaked into the log")
	}
}

// TestPublicStatus polls fakes of the public status pages: degraded
// entries and feed items are announced, an HTML interstitial keeps the last
// good state, an emptied feed resolves its item, and in the default mode
// they are polled only while Graph fails.
func TestPublicStatus(t *testing.T) {
	var mu sync.Mutex
	azure := `<rss xmlns:a10="http://www.w3.org/2005/Atom" version="2.0"><channel><title>Azure Status</title>
<lastBuildDate>Mon, 25 Nov 2024 09:00:00 Z</lastBuildDate>
<item><guid>AZ-1</guid><title>Microsoft Entra ID - Global</title><description>Summary of impact: sign-in failures.</description>
<pubDate>Mon, 25 Nov 2024 09:00:00 Z</pubDate></item></channel></rss>`
	posts := `[{"Id":"TM1","ServiceDisplayName":"Microsoft Teams","Status":"ServiceDegradation","Title":"Teams is slow","Message":"<p>Investigating</p>","AuthoredDateTime":"0001-01-01T00:00:00+00:00"},
{"Id":"OL1","ServiceDisplayName":"Outlook.com","Status":"Operational"}]`
	requests := 0
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		requests++
		switch r.URL.Path {
		case "/azure":
			_, _ = io.WriteString(w, azure)
		case "/posts":
			_, _ = io.WriteString(w, posts)
		}
	}))
	defer fake.Close()
	set := func(a, p string) { mu.Lock(); azure, posts = a, p; mu.Unlock() }
	e := newResEnv(t)
	e.cfg.Outage.PublicStatus = config.PublicStatus{Poll: config.PublicStatusFailing, Interval: config.Duration(time.Minute),
		M365URL: fake.URL + "/posts", AzureURL: fake.URL + "/azure"}
	a := e.newApp(t)
	e.run(t, a, 5*time.Minute, 5*time.Minute)
	mu.Lock()
	if requests != 0 {
		t.Errorf("%d public status requests while Graph works, want none in mode failing", requests)
	}
	mu.Unlock()
	if err := a.PollPublicStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _ = a.Check(context.Background())
	wantLines(t, "announced", summary(t, e.chat), []string{"issue.new TM1", "issue.new AZ-1"})
	// An interstitial is an error and changes nothing.
	set(`<!DOCTYPE html><html><body>Just a moment...</body></html>`, `<html><body>Sign in</body></html>`)
	if err := a.PollPublicStatus(context.Background()); err == nil || !strings.Contains(err.Error(), "not a status feed") {
		t.Errorf("interstitial: err = %v", err)
	}
	// The feed empties and Teams recovers: both are resolved.
	set(`<rss version="2.0"><channel><title>Azure Status</title></channel></rss>`,
		`[{"Id":"TM1","ServiceDisplayName":"Microsoft Teams","Status":"Operational","Title":"Teams is slow"},{"Id":"OL1","ServiceDisplayName":"Outlook.com","Status":"Operational"}]`)
	if err := a.PollPublicStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _ = a.Check(context.Background())
	wantLines(t, "resolved", summary(t, e.chat), []string{"issue.new TM1", "issue.new AZ-1", "issue.resolved TM1", "issue.resolved AZ-1"})
	items, err := a.Store().Items(context.Background(), app.PublicTenant, model.SourceM365Status, nil)
	if err != nil || len(items) != 2 {
		t.Errorf("stored m365status items: %d, %v", len(items), err)
	}
}
