package config_test

import (
	"strings"
	"testing"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify/channels"
)

func TestSuggest(t *testing.T) {
	tests := []struct {
		v       string
		allowed []string
		want    string
	}{
		{"jsn", []string{"text", "markdown", "json"}, "json"},
		{"JSON", []string{"text", "json"}, "json"},
		{"restored", []string{"resolved", "serviceRestored", "restoringService"}, "serviceRestored"},
		{"cloudevent", []string{"json", "cloudevents"}, "cloudevents"},
		{"PUT", []string{"GET", "POST"}, ""},
		{"issue.closed", []string{"issue.new", "issue.post", "issue.resolved"}, ""},
		{"side_by_side", []string{"bilingual", "side-by-side"}, "side-by-side"},
		{"", []string{"a"}, ""},
	}
	for _, tt := range tests {
		if got := config.Suggest(tt.v, tt.allowed); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// TestRouteWarnings: routes no event can match, and match values Graph
// never sends, are warnings naming file, line and key; routes that can
// match are not.
func TestRouteWarnings(t *testing.T) {
	tests := []struct {
		name, match string
		want        string // substring of the one warning; "" = none
	}{
		{"status restored", "{status_to: [restored]}", `x.yaml:9: routes[0].match.status_to[0]: "restored" is not a status Microsoft Graph sends (did you mean serviceRestored?)`},
		{"mc with classification", "{sources: [mc], classifications: [incident]}",
			"x.yaml:9: routes[0].match: no event can match this route: match.sources [mc] and match.classifications"},
		{"mc events with status", "{events: [mc.new, mc.updated], status_to: [serviceRestored]}",
			"match.events [mc.new, mc.updated] and match.status_to (only issues and service health change status) never hold together"},
		{"category and feature", "{categories: [planForChange], features: [Teams]}", "match.features (only Service Health issues and public status entries have one) and match.categories"},
		{"source down with services", "{events: [source.down], services: [Exchange Online]}", "never hold together"},
		{"public tenant for graph", "{tenants: [public], sources: [shd]}", "match.tenants [public] and match.sources [shd] never hold together"},
		{"health with severity", "{sources: [health], severities: [high]}", "never hold together"},
		{"other spelling", "{classifications: [Incident], status_from: [Service degradation]}", `"Service degradation" never matches: Microsoft Graph spells it serviceDegradation`},
		{"public words without public sources", "{sources: [shd], status_to: [Degraded]}", `"Degraded" is not a status Microsoft Graph sends`},

		{"public words", "{sources: [m365status], status_to: [Degraded, active]}", ""},
		{"public tenant", "{tenants: [public], sources: [azurestatus], events: [issue.new]}", ""},
		{"status on issues", "{sources: [SHD], events: [issue.status], status_to: [serviceRestored], status_from: [investigating]}", ""},
		{"service health status", "{sources: [health], status_to: [serviceDegradation], services: [Exchange Online]}", ""},
		{"message center", "{sources: [mc], categories: [planForChange], severities: [critical], major_change: true, action_required_within: 720h}", ""},
		{"source down", "{events: [source.down, source.restored], sources: [graph], tenants: [contoso]}", ""},
		{"any", "{}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := `tenants:
  - id: contoso
    tenant_id: contoso.onmicrosoft.com
    managed_identity_client_id: 11111111-2222-3333-4444-555555555555
    auth: managed_identity
channels: [{name: out, type: stdout}]
routes:
  - name: r
    match: ` + tt.match + `
    channels: [out]
`
			cfg, err := config.Parse([]byte(text), "x.yaml", nil, channels.Default())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate reports warnings as errors: %v", err)
			}
			w := strings.Join(cfg.Warnings(), "\n")
			switch {
			case tt.want == "" && w != "":
				t.Errorf("unexpected warnings:\n%s", w)
			case !strings.Contains(w, tt.want):
				t.Errorf("warnings lack %q:\n%s", tt.want, w)
			}
		})
	}
}
