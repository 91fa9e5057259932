package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/store"
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

// TestStatusStaleExact: a tenant down for seconds shows how stale it is to
// the second, never "STALE 0s".
func TestStatusStaleExact(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2024, 11, 25, 10, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	put := func(tenant string, s outage.State) {
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.PutSourceHealth(ctx, store.SourceHealth{Tenant: tenant, Source: model.SourceGraph, Data: data, UpdatedAt: now}, store.Batch{}); err != nil {
			t.Fatal(err)
		}
	}
	fail := outage.Failure{Class: outage.ClassNetwork}
	put("quick", outage.State{Down: true, Failures: 3, LastSuccess: now.Add(-20 * time.Second), DownSince: now.Add(-15 * time.Second),
		FirstFailure: now.Add(-15 * time.Second), Last: fail, Outages: 1})
	put("slow", outage.State{Failures: 1, LastSuccess: now.Add(-90 * time.Second), FirstFailure: now.Add(-10 * time.Second), Last: fail})
	put("long", outage.State{Down: true, Failures: 40, LastSuccess: now.Add(-(2*time.Hour + 5*time.Minute + 7*time.Second)), Last: fail, Outages: 1})
	var out strings.Builder
	if err := WriteStatus(ctx, &out, st, time.UTC, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STALE 20s", "STALE 1m30s", "STALE 2h5m7s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "STALE 0s") {
		t.Errorf("status shows STALE 0s:\n%s", out.String())
	}
}

// TestStatusShowsPlans: with a config, status shows each tenant's request
// plan: the fast lane interval (raised to the budget's minimum when asked
// for less), the requests an hour at most, and whether the fast lane runs
// now.
func TestStatusShowsPlans(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	cfgPath := write(t, dir, "shdmc.yaml", `store: sqlite://`+db+`
tenants:
  - id: contoso
    tenant_id: contoso.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: not-a-real-secret-xyz
  - id: fabrikam
    tenant_id: fabrikam.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: not-a-real-secret-xyz
    incident_interval: 5s
  - id: adatum
    tenant_id: adatum.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: not-a-real-secret-xyz
    fast_lane: off
`)
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertTenant(ctx, model.Tenant{ID: "contoso"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Items: []store.Item{{
		Key: model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"}, Revision: 1, Hash: "h",
		LastModified: time.Now(), SeenAt: time.Now(), Data: []byte(`{"id":"EX1","classification":"incident","isResolved":false}`),
	}}}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	out, _, err := run(t, "status", "-c", cfgPath)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	lines := map[string]string{}
	for l := range strings.Lines(out) {
		if f := strings.Fields(l); len(f) > 1 && (f[1] == "auto" || f[1] == "off") {
			lines[f[0]] = l
		}
	}
	for tenant, want := range map[string][]string{
		"contoso":  {"every 15s", "9s", "5m (1m15s)", "436/h (55 % of 800)", "fast lane (incident active)"},
		"fabrikam": {"every 9s (raised from 5s)", "quiet"},
		"adatum":   {"off", "with the others", "quiet"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[tenant], w) {
				t.Errorf("%s: plan line lacks %q:\n%s", tenant, w, out)
			}
		}
	}
	t.Logf("status:\n%s", out)
	if !strings.Contains(out, "ISSUES IN AN INCIDENT") {
		t.Errorf("no plan table:\n%s", out)
	}
}
