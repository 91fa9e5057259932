package app

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/outage"
)

// TestPlanTenants: tenants of one Entra tenant and app share a budget and
// are planned together; the plan is logged at start, with a warning for
// an incident interval raised to its minimum.
func TestPlanTenants(t *testing.T) {
	cfg := config.Default()
	ts := []config.Tenant{
		{ID: "contoso", TenantID: "contoso.onmicrosoft.com", ClientID: "a"},
		{ID: "contoso-eu", TenantID: "contoso.onmicrosoft.com", ClientID: "a", IncidentInterval: config.Duration(5 * time.Second)},
		{ID: "fabrikam", TenantID: "fabrikam.onmicrosoft.com", ClientID: "a", FastLane: config.FastLaneOff},
	}
	plans := outage.PlanTenants(cfg, ts)
	if len(plans) != 3 || plans[0].Tenant != "contoso" || plans[2].Tenant != "fabrikam" {
		t.Fatalf("plans %+v", plans)
	}
	if plans[0].BudgetRequests != plans[1].BudgetRequests || plans[0].BudgetRequests == plans[2].BudgetRequests {
		t.Errorf("budget requests %.0f, %.0f, %.0f: want the first two shared", plans[0].BudgetRequests, plans[1].BudgetRequests, plans[2].BudgetRequests)
	}
	if plans[0].MinIncidentInterval <= 9*time.Second || !plans[1].Raised() || plans[2].FastLane() {
		t.Errorf("plans %+v: want a shared minimum above one tenant's 9 s, contoso-eu raised, fabrikam without a fast lane", plans)
	}
	var buf bytes.Buffer
	outage.LogPlans(slog.New(slog.NewTextHandler(&buf, nil)), plans)
	out := buf.String()
	for _, want := range []string{"msg=\"request plan\" tenants=3 fast_lane=2", "budget_limit=800",
		"incident_interval raised", "tenant=contoso-eu asked=5s"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
