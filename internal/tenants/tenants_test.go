package tenants_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/tenants"
)

const client = "11111111-2222-3333-4444-555555555555"

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestAddRefusesSecrets(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		r       tenants.Record
		wantErr string
	}{
		{"env reference", tenants.Record{ID: "contoso", TenantID: "contoso.onmicrosoft.com", ClientID: client, ClientSecretRef: "env:CONTOSO_SECRET"}, ""},
		{"file reference", tenants.Record{ID: "adatum", TenantID: "adatum.onmicrosoft.com", ClientID: client, ClientSecretRef: "file:/etc/shdmc/adatum"}, ""},
		{"literal secret", tenants.Record{ID: "fabrikam", TenantID: "fabrikam.onmicrosoft.com", ClientID: client, ClientSecretRef: "Q~literal-secret"}, "must be a reference"},
		{"literal certificate password", tenants.Record{ID: "litware", TenantID: "litware.onmicrosoft.com", ClientID: client,
			CertificateFile: "/etc/shdmc/litware.pfx", CertificatePasswordRef: "hunter2"}, "must be a reference"},
		{"taken", tenants.Record{ID: "contoso", TenantID: "contoso.onmicrosoft.com", ClientID: client, ClientSecretRef: "env:X"}, "already exists"},
		{"bad client ID", tenants.Record{ID: "northwind", TenantID: "northwind.onmicrosoft.com", ClientID: "nope", ClientSecretRef: "env:X"}, "client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tenants.Add(ctx, st, tt.r, time.Now())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			for _, secret := range []string{"Q~literal-secret", "hunter2"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error repeats the secret: %v", err)
				}
			}
		})
	}
}

func TestListDisableRemove(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, id := range []string{"b", "a"} {
		if err := tenants.Add(ctx, st, tenants.Record{ID: id, TenantID: id + ".onmicrosoft.com", ClientID: client,
			ClientSecretRef: "env:S", Interval: config.Duration(2 * time.Minute)}, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := tenants.SetDisabled(ctx, st, "b", true, at); err != nil {
		t.Fatal(err)
	}
	if err := tenants.Remove(ctx, st, "a"); err != nil {
		t.Fatal(err)
	}
	if err := tenants.Remove(ctx, st, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing a missing tenant: %v, want ErrNotFound", err)
	}
	got, err := tenants.List(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	want := []tenants.Record{{ID: "b", TenantID: "b.onmicrosoft.com", ClientID: client, ClientSecretRef: "env:S",
		Interval: config.Duration(2 * time.Minute), Disabled: true, CreatedAt: at}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

// TestMerge: the config's tenants come first and win over a database
// tenant of the same ID; disabled database tenants and those whose secret
// cannot be read are left out, the others get their secrets read.
func TestMerge(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHDMC_TENANTS_TEST_SECRET", "from-env")
	add := func(r tenants.Record) {
		t.Helper()
		r.TenantID, r.ClientID = r.ID+".onmicrosoft.com", client
		if err := tenants.Add(ctx, st, r, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	add(tenants.Record{ID: "contoso", ClientSecretRef: "env:SHDMC_TENANTS_TEST_SECRET"})
	add(tenants.Record{ID: "envtenant", ClientSecretRef: "env:SHDMC_TENANTS_TEST_SECRET"})
	add(tenants.Record{ID: "filetenant", ClientSecretRef: "file:" + secretFile})
	add(tenants.Record{ID: "off", ClientSecretRef: "env:SHDMC_TENANTS_TEST_SECRET", Disabled: true})
	add(tenants.Record{ID: "unset", ClientSecretRef: "env:SHDMC_TENANTS_TEST_UNSET"})
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	configured := []config.Tenant{{ID: "contoso", TenantID: "config.onmicrosoft.com", ClientID: client, ClientSecret: "config"}}
	got, err := tenants.Merge(ctx, st, configured, log)
	if err != nil {
		t.Fatal(err)
	}
	type summary struct{ ID, TenantID, Auth, Secret string }
	var sums []summary
	for _, c := range got {
		sums = append(sums, summary{c.ID, c.TenantID, c.Auth, c.ClientSecret.Reveal()})
	}
	want := []summary{
		{"contoso", "config.onmicrosoft.com", "", "config"},
		{"envtenant", "envtenant.onmicrosoft.com", config.AuthClientSecret, "from-env"},
		{"filetenant", "filetenant.onmicrosoft.com", config.AuthClientSecret, "from-file"},
	}
	if diff := cmp.Diff(want, sums); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
	for _, line := range []string{"database tenant shadowed by the config", "tenant=contoso", "database tenant skipped", "tenant=unset"} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("log lacks %q:\n%s", line, logs.String())
		}
	}
	if strings.Contains(logs.String(), "from-env") || strings.Contains(logs.String(), "from-file") {
		t.Errorf("a secret reached the log:\n%s", logs.String())
	}
}
