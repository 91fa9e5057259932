package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/sim"
)

// relevanceScenario: two tenants see the same Message Center posts; one
// lets the app read its licences (Exchange and SharePoint only), the other
// does not and lists Teams in its service health.
const relevanceScenario = `name: relevance
start: 2024-11-25T09:00:00Z
tenants:
  - {id: 6f1e3c2a-0000-4000-8000-00000000000a, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: s1}
  - {id: 6f1e3c2a-0000-4000-8000-00000000000b, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: s1}
steps:
  - at: 0s
    services:
      - {id: Exchange, service: Exchange Online, status: serviceOperational}
      - {id: MicrosoftTeams, service: Microsoft Teams, status: serviceOperational}
    messages:
      - {id: MC100001, title: Old post, category: stayInformed, severity: normal, services: [Exchange Online], body: "<p>Old.</p>"}
  - at: 10m
    messages:
      - {id: MC400001, title: Exchange change, category: planForChange, severity: normal, services: [Exchange Online], body: "<p>E.</p>"}
      - {id: MC400002, title: Teams change, category: planForChange, severity: normal, services: [Microsoft Teams], body: "<p>T.</p>"}
      - {id: MC400003, title: Power BI change, category: planForChange, severity: normal, services: [Power BI], body: "<p>P.</p>"}
`

// TestRelevance: Message Center events carry whether the post concerns
// the tenant, from its licences when the app may read them (through the
// real Graph client and the simulator's /subscribedSkus), else from its
// service health; a route with relevant: true sends only those.
func TestRelevance(t *testing.T) {
	dir := t.TempDir()
	env := startScenario(t, relevanceScenario, "relevance.yaml", dir, func(srv *sim.Server, sc *sim.Scenario) {
		a := sc.Tenants[0]
		srv.AddTenant(sim.Tenant{ID: a.ID, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
			SubscribedSkus: []model.SubscribedSku{{SkuPartNumber: "EXCHANGESTANDARD", ServicePlans: []model.ServicePlan{
				{ServicePlanName: "EXCHANGE_S_STANDARD", ProvisioningStatus: "Success"},
				{ServicePlanName: "SHAREPOINTSTANDARD", ProvisioningStatus: "Success"}}}}})
	})
	sc, clock, srv, caFile := env.sc, env.clock, env.srv, env.caFile
	a, b := sc.Tenants[0], sc.Tenants[1]
	all, relevant := filepath.Join(dir, "all.jsonl"), filepath.Join(dir, "relevant.jsonl")
	cfg := config.Default()
	cfg.Store = "sqlite://" + filepath.Join(dir, "shdmc.db")
	cfg.Outage.PublicStatus.Poll = config.PublicStatusNever
	cfg.Channels = []config.Channel{
		{Name: "all", Type: "file", Settings: &file.Settings{Format: "json", Path: all}},
		{Name: "relevant", Type: "file", Settings: &file.Settings{Format: "json", Path: relevant}},
	}
	yes := true
	cfg.Routes = []config.Route{
		{Name: "everything", Channels: []string{"all"}},
		{Name: "mine", Match: config.Match{Sources: []string{"mc"}, Relevant: &yes}, Channels: []string{"relevant"}},
	}
	for _, st := range []struct {
		id  string
		reg sim.ScenarioTenant
	}{{"licensed", a}, {"health", b}} {
		cfg.Tenants = append(cfg.Tenants, config.Tenant{ID: st.id, TenantID: st.reg.ID, ClientID: st.reg.ClientID,
			Auth: "client_secret", ClientSecret: config.Secret(st.reg.ClientSecret), GraphRoot: srv.URL(), AuthorityHost: srv.URL(), CAFile: caFile})
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ap, err := app.New(context.Background(), cfg, app.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer ap.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := ap.Check(ctx); err != nil { // baseline
		t.Fatal(err)
	}
	clock.Advance(15 * time.Minute)
	if _, err := ap.Check(ctx); err != nil {
		t.Fatal(err)
	}
	type rec struct {
		Tenant, Item string
		Rel          *model.Relevance
	}
	read := func(path string) map[string]rec {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		out := map[string]rec{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r struct {
				Event model.Event `json:"event"`
			}
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			out[r.Event.Tenant+"/"+r.Event.ItemID] = rec{r.Event.Tenant, r.Event.ItemID, r.Event.Relevance}
		}
		return out
	}
	got := read(all)
	want := map[string]struct {
		relevant bool
		basis    string
	}{
		"licensed/MC400001": {true, "licences"}, "licensed/MC400002": {false, "licences"}, "licensed/MC400003": {false, "licences"},
		"health/MC400001": {true, "service health"}, "health/MC400002": {true, "service health"}, "health/MC400003": {false, "service health"},
	}
	for k, w := range want {
		r, ok := got[k]
		if !ok || r.Rel == nil || r.Rel.Relevant != w.relevant || r.Rel.Basis != w.basis {
			t.Errorf("%s: relevance %+v, want relevant %v on %s", k, r.Rel, w.relevant, w.basis)
		}
	}
	var mine []string
	for k := range read(relevant) {
		mine = append(mine, k)
	}
	slices.Sort(mine)
	if !slices.Equal(mine, []string{"health/MC400001", "health/MC400002", "licensed/MC400001"}) {
		t.Errorf("the relevant: true route sent %v", mine)
	}
}
