package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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
	"github.com/shdmc/shdmc/internal/sim"
	"github.com/shdmc/shdmc/internal/store"
)

// mspScenario: three tenants. The first lets the app read its licences
// (Exchange only); the others do not, and their service health lists
// Exchange and Teams (b) or Exchange alone (c). MC100001 is in the
// baseline of all three; MC400002 (Teams) reaches all three, and a later
// revision with another action date reaches b only; MC400009 is only in c.
const mspScenario = `name: msp
start: 2024-11-25T09:00:00Z
tenants:
  - {id: 6f1e3c2a-0000-4000-8000-00000000000a, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: s1}
  - {id: 6f1e3c2a-0000-4000-8000-00000000000b, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: s1}
  - {id: 6f1e3c2a-0000-4000-8000-00000000000c, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: s1}
steps:
  - at: 0s
    services:
      - {id: Exchange, service: Exchange Online, status: serviceOperational}
    messages:
      - {id: MC100001, title: Old Exchange post, category: stayInformed, severity: normal, services: [Exchange Online], body: "<p>Old.</p>"}
  - at: 0s
    tenants: [6f1e3c2a-0000-4000-8000-00000000000b]
    services:
      - {id: MicrosoftTeams, service: Microsoft Teams, status: serviceOperational}
  - at: 10m
    messages:
      - {id: MC400002, title: Teams change, category: planForChange, severity: normal, services: [Microsoft Teams], actionRequiredByDateTime: 2025-01-31T00:00:00Z, body: "<p>T.</p>"}
  - at: 10m
    tenants: [6f1e3c2a-0000-4000-8000-00000000000c]
    messages:
      - {id: MC400009, title: Exchange change for c, category: planForChange, severity: normal, services: [Exchange Online], body: "<p>C.</p>"}
  - at: 20m
    tenants: [6f1e3c2a-0000-4000-8000-00000000000b]
    messages:
      - {id: MC400002, title: Teams change, category: planForChange, severity: normal, services: [Microsoft Teams], actionRequiredByDateTime: 2025-02-28T00:00:00Z, body: "<p>T, later.</p>"}
`

// TestDashboardForMSP runs the poller on the simulator for three tenants
// and reads the dashboard it leaves: every post, the baseline's too, is
// judged for each tenant, the list filters by relevance and by "only in
// one tenant", and a post's page compares its copies.
func TestDashboardForMSP(t *testing.T) {
	dir := t.TempDir()
	env := startScenario(t, mspScenario, "msp.yaml", dir, func(srv *sim.Server, sc *sim.Scenario) {
		a := sc.Tenants[0]
		srv.AddTenant(sim.Tenant{ID: a.ID, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
			SubscribedSkus: []model.SubscribedSku{{SkuPartNumber: "EXCHANGESTANDARD", ServicePlans: []model.ServicePlan{
				{ServicePlanName: "EXCHANGE_S_STANDARD", ProvisioningStatus: "Success"}}}}})
	})
	sc, clock, srv, caFile := env.sc, env.clock, env.srv, env.caFile
	dbPath := filepath.Join(dir, "shdmc.db")
	cfg := config.Default()
	cfg.Store = "sqlite://" + dbPath
	cfg.Outage.PublicStatus.Poll = config.PublicStatusNever
	cfg.Channels = []config.Channel{{Name: "out", Type: "file", Settings: &file.Settings{Format: "json", Path: filepath.Join(dir, "out.jsonl")}}}
	for i, name := range []string{"alpha", "beta", "gamma"} {
		reg := sc.Tenants[i]
		cfg.Tenants = append(cfg.Tenants, config.Tenant{ID: name, TenantID: reg.ID, ClientID: reg.ClientID, Auth: "client_secret",
			ClientSecret: config.Secret(reg.ClientSecret), GraphRoot: srv.URL(), AuthorityHost: srv.URL(), CAFile: caFile})
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ap, err := app.New(context.Background(), cfg, app.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, step := range []time.Duration{0, 15 * time.Minute, 10 * time.Minute} {
		clock.Advance(step)
		if _, err := ap.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ap.Close()

	st, err := store.Open(ctx, "sqlite://"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := serve.New(serve.Options{Store: st, Interval: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	page := func(path string) string {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d: %.300s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	rowRE := regexp.MustCompile(`(?s)<td class="c-id"[^>]*><a href="/items/([^/]+)/mc/([^"?]+)"`)
	rows := func(path string) []string {
		var out []string
		for _, m := range rowRE.FindAllStringSubmatch(page(path), -1) {
			out = append(out, m[1]+"/"+m[2])
		}
		slices.Sort(out)
		return out
	}
	if got, want := rows("/messages?relevant=false"), []string{"alpha/MC400002", "gamma/MC400002"}; !slices.Equal(got, want) {
		t.Errorf("not relevant: %v, want %v", got, want)
	}
	if got, want := rows("/messages?relevant=true"), []string{"alpha/MC100001", "beta/MC100001", "beta/MC400002",
		"gamma/MC100001", "gamma/MC400009"}; !slices.Equal(got, want) {
		t.Errorf("relevant: %v, want %v", got, want)
	}
	if got, want := rows("/messages?only_tenant=true"), []string{"gamma/MC400009"}; !slices.Equal(got, want) {
		t.Errorf("only in one tenant: %v, want %v", got, want)
	}
	// The baseline's post was judged for every tenant: none is unknown.
	list := page("/messages")
	if n := strings.Count(list, `class="rel unknown"`); n != 0 {
		t.Errorf("%d posts not judged", n)
	}
	for _, want := range []string{"Licensed: Exchange Online (EXCHANGE_S_STANDARD)", "In the tenant&#39;s service health: Microsoft Teams",
		"Not in the tenant&#39;s service health: Microsoft Teams", "No licence for Microsoft Teams"} {
		if !strings.Contains(list, want) {
			t.Errorf("the list lacks the reason %q", want)
		}
	}
	item := page("/items/alpha/mc/MC400002")
	sec := regexp.MustCompile(`(?s)<section id="across">(.*?)</section>`).FindStringSubmatch(item)
	if sec == nil {
		t.Fatal("no comparison across tenants")
	}
	text := strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(sec[1], " ")), " ")
	text = strings.ReplaceAll(text, "&#39;", "'")
	// gamma's copy is alpha's, judged not relevant too (for another
	// reason): one group.
	for _, want := range []string{"In 3 of 3 tenants", "This tenant's version alpha gamma — Not relevant No licence for Microsoft Teams",
		"Another version beta Newer: modified 2024-11-25 09:20 UTC Action required by 2025-02-28",
		"Relevant In the tenant's service health: Microsoft Teams"} {
		if !strings.Contains(text, want) {
			t.Errorf("the comparison lacks %q: %s", want, text)
		}
	}
}
