package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/serve"
)

// escalateScenario: an incident in two tenants, and an advisory.
const escalateScenario = `name: escalate
start: 2024-11-25T09:00:00Z
tenants:
  - {id: 6f1e3c2a-0000-4000-8000-00000000002a, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: s1}
  - {id: 6f1e3c2a-0000-4000-8000-00000000002b, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: s1}
steps:
  - at: 0s
    messages:
      - {id: MC100001, title: Old post, category: stayInformed, severity: normal, services: [Exchange Online], body: "<p>Old.</p>"}
  - at: 10m
    issues:
      - {id: EX700001, title: Users can't send mail, service: Exchange Online, classification: incident, status: investigating, isResolved: false, post: "Current status: We're investigating."}
      - {id: EX700002, title: Some mail is delayed, service: Exchange Online, classification: advisory, status: investigating, isResolved: false, post: "Current status: We're looking into it."}
`

// TestEscalation runs ownership end to end on the simulator with two
// tenants and a stepped clock: someone acknowledges the incident of one
// tenant on the dashboard (a form, as a browser sends it); four hours
// after the route's notice the other tenant's copy, which nobody
// acknowledged, is escalated to the pager channel, once, also after a
// restart, although the route's own notices wait for its daily digest;
// the advisory is not escalated; a route naming item.acknowledged and
// item.escalated hears of both.
func TestEscalation(t *testing.T) {
	dir := t.TempDir()
	env := startScenario(t, escalateScenario, "escalate.yaml", dir, nil)
	sc, clock, srv, caFile := env.sc, env.clock, env.srv, env.caFile
	path := func(name string) string { return filepath.Join(dir, name+".jsonl") }
	cfg := config.Default()
	cfg.Store = "sqlite://" + filepath.Join(dir, "shdmc.db")
	cfg.Outage.PublicStatus.Poll = config.PublicStatusNever
	for _, name := range []string{"teams", "pager", "audit"} {
		cfg.Channels = append(cfg.Channels, config.Channel{Name: name, Type: "file", Settings: &file.Settings{Format: "json", Path: path(name)}})
	}
	cfg.Routes = []config.Route{
		{Name: "incidents", Match: config.Match{Sources: []string{"shd"}}, Channels: []string{"teams"},
			Delivery: "digest", Digest: config.Digest{At: "08:00"}, // the next digest is tomorrow's
			Escalate: &config.Escalate{UnacknowledgedAfter: config.Duration(4 * time.Hour), To: []string{"pager"}}},
		{Name: "audit", Match: config.Match{Events: []string{"item.acknowledged", "item.escalated"}}, Channels: []string{"audit"}},
	}
	for i, reg := range sc.Tenants {
		cfg.Tenants = append(cfg.Tenants, config.Tenant{ID: fmt.Sprintf("t%d", i+1), TenantID: reg.ID, ClientID: reg.ClientID,
			Auth: "client_secret", ClientSecret: config.Secret(reg.ClientSecret), GraphRoot: srv.URL(), AuthorityHost: srv.URL(), CAFile: caFile})
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	open := func() *app.App {
		ap, err := app.New(ctx, cfg, app.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return ap
	}
	ap := open()
	check := func(advance time.Duration) {
		t.Helper()
		clock.Advance(advance)
		if _, err := ap.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check(0)                // baseline
	check(15 * time.Minute) // the incident and the advisory: notices for teams' digest
	acknowledge(t, cfg, ap, "t1", "EX700001", "Vendor case 4711")
	check(3 * time.Hour) // 3 h after the notice: nothing yet
	if got := readEvents(t, path("pager")); len(got) != 0 {
		t.Fatalf("escalated too early: %q", got)
	}
	check(time.Hour) // 4 h: t2's copy is escalated
	check(time.Hour) // once
	ap.Close()
	ap = open() // a restart
	defer ap.Close()
	check(time.Hour)

	if got, want := readEvents(t, path("pager")), []string{"t2 item.escalated EX700001 incidents 4h0m0s"}; !slices.Equal(got, want) {
		t.Errorf("pager got %q, want %q", got, want)
	}
	if got, want := readEvents(t, path("audit")), []string{"t1 item.acknowledged EX700001 by local", "t2 item.escalated EX700001 incidents 4h0m0s"}; !slices.Equal(got, want) {
		t.Errorf("audit got %q, want %q", got, want)
	}
	if teams := readEvents(t, path("teams")); len(teams) != 0 {
		t.Errorf("teams got %q before its digest", teams)
	}
	// Tomorrow at 08:00 the digest has the four issue notices, and nothing
	// of ownership.
	clock.Set(time.Date(2024, 11, 26, 8, 0, 1, 0, time.UTC))
	if _, err := ap.Check(ctx); err != nil {
		t.Fatal(err)
	}
	var items []string
	for _, line := range readLines(t, path("teams")) {
		var r struct {
			Event model.Event `json:"event"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Event.Items {
			items = append(items, e.Tenant+" "+string(e.Type)+" "+e.ItemID)
		}
	}
	slices.Sort(items)
	if want := []string{"t1 issue.new EX700001", "t1 issue.new EX700002", "t2 issue.new EX700001", "t2 issue.new EX700002"}; !slices.Equal(items, want) {
		t.Errorf("teams' digest holds %q, want %q", items, want)
	}
}

// acknowledge acknowledges an item of tenant on the dashboard of cfg over
// the App's store, as a browser does: it loads the item page, then sends
// its form with the page's token, its cookie and its Origin.
func acknowledge(t *testing.T, cfg *config.Config, ap *app.App, tenant, id, note string) {
	t.Helper()
	s, err := serve.FromConfig(cfg, ap.Store(), "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(ts.URL + "/items/" + tenant + "/shd/" + id)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"action": {"acknowledge"}, "note": {note}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+"/handling", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.URL)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge %s of %s = %d: %s", id, tenant, resp.StatusCode, body)
	}
}

// readLines reads the lines of a file.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// readEvents reads the events a file channel wrote as "tenant type item"
// and, for ownership events, the escalating route and time or who acted.
func readEvents(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		var r struct {
			Event model.Event `json:"event"`
		}
		if err := json.Unmarshal(s.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		e := r.Event
		line := e.Tenant + " " + string(e.Type) + " " + e.ItemID
		for _, c := range e.Changes {
			if c.Kind == model.ChangeEscalation {
				line += " " + c.Field + " " + c.To
			}
		}
		if e.By != "" {
			line += " by " + e.By
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}
