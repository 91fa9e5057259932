package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateWarnsM365Channels: a config whose source-down notices can
// only travel through Microsoft 365 validates with a warning, exit 0.
func TestValidateWarnsM365Channels(t *testing.T) {
	dir := t.TempDir()
	head := `store: sqlite://shdmc.db
tenants:
  - id: contoso
    tenant_id: contoso.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: not-a-real-secret-xyz
channels:
  - {name: teams, type: teams, url: "https://prod-01.westus.logic.azure.com/workflows/abc"}
  - name: exo
    type: smtp
    smtp: {host: smtp.office365.com, from: a@contoso.com, to: [b@contoso.com], auth: plain, username: a@contoso.com, password: x}
`
	tests := []struct {
		name, extra string
		warn        bool
	}{
		{"only microsoft 365 channels", "", true},
		{"a slack channel", "  - {name: slack, type: slack, url: \"https://hooks.slack.com/services/T/B/X\"}\n", false},
		{"a route through teams only", "routes:\n  - {name: down, match: {events: [source.down]}, channels: [teams]}\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(head+tt.extra), 0o600); err != nil {
				t.Fatal(err)
			}
			out, _, err := run(t, "config", "validate", p)
			if err != nil {
				t.Fatalf("validate: %v\n%s", err, out)
			}
			if got := strings.Contains(out, "warning: ") && strings.Contains(out, "depend on Microsoft 365"); got != tt.warn {
				t.Errorf("warning shown = %v, want %v:\n%s", got, tt.warn, out)
			}
		})
	}
}

// TestStatusCommand: status on a fresh store says nothing was polled and
// the outbox is empty.
func TestStatusCommand(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "s.db")
	out, _, err := run(t, "status", "--store", dsn, "--time-zone", "UTC")
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	for _, want := range []string{"TENANT", "SOURCE", "STALE", "no source polled yet", "outbox: empty"} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
}
