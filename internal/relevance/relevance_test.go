package relevance

import (
	"slices"
	"strings"
	"testing"

	"github.com/shdmc/shdmc/internal/model"
)

func TestOf(t *testing.T) {
	e3 := Licensed([]model.SubscribedSku{{SkuPartNumber: "ENTERPRISEPACK", ServicePlans: []model.ServicePlan{
		{ServicePlanName: "EXCHANGE_S_ENTERPRISE", ProvisioningStatus: "Success"},
		{ServicePlanName: "SHAREPOINTENTERPRISE", ProvisioningStatus: "Success"},
		{ServicePlanName: "TEAMS1", ProvisioningStatus: "Disabled"},
		{ServicePlanName: "YAMMER_ENTERPRISE", ProvisioningStatus: "PendingActivation"},
	}}})
	health := []string{"Exchange Online", "Microsoft Teams", "Microsoft 365 suite"}
	msg := func(services ...string) *model.Message { return &model.Message{ID: "MC1", Services: services} }
	tests := []struct {
		name     string
		m        *model.Message
		t        Tenant
		relevant bool
		basis    string
		reason   string
	}{
		{"no service", msg(), Tenant{Licensed: e3}, true, BasisEveryone, "names no service"},
		{"suite", msg("Microsoft 365 suite", "Power BI"), Tenant{Licensed: e3}, true, BasisEveryone, "every tenant"},
		{"licensed", msg("Exchange Online"), Tenant{Licensed: e3}, true, BasisLicences, "EXCHANGE_S_ENTERPRISE"},
		{"OneDrive through SharePoint", msg("OneDrive for Business"), Tenant{Licensed: e3}, true, BasisLicences, "SHAREPOINTENTERPRISE"},
		{"disabled plan", msg("Microsoft Teams"), Tenant{Licensed: e3, Listed: health}, false, BasisLicences, "no licence for Microsoft Teams"},
		{"old name", msg("Yammer Enterprise"), Tenant{Licensed: e3}, true, BasisLicences, "YAMMER_ENTERPRISE"},
		{"one of two", msg("Power BI", "SharePoint Online"), Tenant{Licensed: e3}, true, BasisLicences, "SharePoint Online"},
		{"health only", msg("Microsoft Teams"), Tenant{Listed: health}, true, BasisHealth, "Microsoft Teams"},
		{"not in health", msg("Dynamics 365 Apps"), Tenant{Listed: health}, false, BasisHealth, "not in the tenant's service health"},
		{"case and spaces", msg("exchange  ONLINE"), Tenant{Listed: health}, true, BasisHealth, ""},
		{"nothing known", msg("Power BI"), Tenant{}, true, BasisUnknown, "not known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Of(tt.m, tt.t)
			if got.Relevant != tt.relevant || got.Basis != tt.basis || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("Of = %+v; want relevant %v, basis %q, reason with %q", got, tt.relevant, tt.basis, tt.reason)
			}
		})
	}
}

// TestLicensedSkipsSuspended: a suspended or deleted subscription grants
// nothing.
func TestLicensedSkipsSuspended(t *testing.T) {
	got := Licensed([]model.SubscribedSku{
		{SkuPartNumber: "POWER_BI_PRO", CapabilityStatus: "Suspended", ServicePlans: []model.ServicePlan{{ServicePlanName: "BI_AZURE_P2", ProvisioningStatus: "Success"}}},
		{SkuPartNumber: "FLOW_FREE", CapabilityStatus: "Enabled", ServicePlans: []model.ServicePlan{{ServicePlanName: "FLOW_O365_P2"}}},
	})
	if _, ok := got["Power BI"]; ok {
		t.Errorf("a suspended SKU granted Power BI: %v", got)
	}
	if !slices.Equal(got["Power Automate"], []string{"FLOW_O365_P2"}) {
		t.Errorf("Power Automate: %v", got["Power Automate"])
	}
}

// knownServices are service names as Message Center and Service Health
// print them; every service the plan table grants must be one of them, so
// that a typo in the table cannot silently make posts irrelevant.
var knownServices = []string{
	"Exchange Online", "SharePoint Online", "OneDrive for Business", "Microsoft Teams", "Microsoft 365 apps",
	"Microsoft 365 for the web", "Microsoft 365 Copilot", "Viva Engage", "Microsoft Viva", "Power Apps", "Power Automate",
	"Power BI", "Microsoft Copilot Studio", "Planner", "Microsoft Forms", "Microsoft Stream", "Sway", "Microsoft Bookings",
	"Microsoft To Do", "Microsoft Whiteboard", "Microsoft Kaizala", "Microsoft Search", "Project for the web", "Microsoft Loop",
	"Microsoft Clipchamp", "Microsoft Intune", "Microsoft Entra", "Microsoft Defender for Office 365",
	"Microsoft Defender for Endpoint", "Microsoft Defender for Cloud Apps", "Microsoft Defender for Identity",
	"Microsoft Purview", "Windows", "Universal Print",
}

func TestPlanTable(t *testing.T) {
	for plan, services := range Plans {
		if plan != strings.ToUpper(plan) || len(services) == 0 {
			t.Errorf("plan %q: want an upper-case name and at least one service", plan)
		}
		for _, s := range services {
			if !slices.Contains(knownServices, s) {
				t.Errorf("plan %s grants %q, which is not a service name Microsoft uses (known: %v)", plan, s, knownServices)
			}
		}
	}
	for from, to := range aliases {
		if from != key(from) && aliases[from] != to {
			t.Errorf("alias %q is not folded", from)
		}
	}
}
