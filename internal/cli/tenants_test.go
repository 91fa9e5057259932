package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestTenantsCommands(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "a.db")
	const client = "11111111-2222-3333-4444-555555555555"
	tests := []struct {
		name    string
		args    []string
		code    int
		out     string // substring of stdout
		errText string // substring of the error
	}{
		{"add", []string{"tenants", "add", "contoso", "--store", db, "--tenant-id", "contoso.onmicrosoft.com",
			"--client-id", client, "--client-secret", "env:CONTOSO_SECRET"}, 0, "added tenant contoso", ""},
		{"add by file", []string{"tenants", "add", "adatum", "--store", db, "--tenant-id", "adatum.onmicrosoft.com",
			"--client-id", client, "--client-secret", "file:/etc/shdmc/adatum.secret", "--cloud", "gcchigh"}, 0, "added tenant adatum", ""},
		{"literal secret refused", []string{"tenants", "add", "fabrikam", "--store", db, "--tenant-id", "fabrikam.onmicrosoft.com",
			"--client-id", client, "--client-secret", "Q~not-a-reference-but-the-secret"}, 2, "", "must be a reference"},
		{"twice", []string{"tenants", "add", "contoso", "--store", db, "--tenant-id", "contoso.onmicrosoft.com",
			"--client-id", client, "--client-secret", "env:X"}, 2, "", "already exists"},
		{"bad id", []string{"tenants", "add", "Bad ID!", "--store", db, "--tenant-id", "x.onmicrosoft.com",
			"--client-id", client, "--client-secret", "env:X"}, 2, "", "id"},
		{"disable", []string{"tenants", "disable", "adatum", "--store", db}, 0, "disabled tenant adatum", ""},
		{"list", []string{"tenants", "list", "--store", db}, 0, "adatum   disabled", ""},
		{"remove", []string{"tenants", "remove", "contoso", "--store", db}, 0, "removed tenant contoso", ""},
		{"remove unknown", []string{"tenants", "remove", "contoso", "--store", db}, 1, "", "not found"},
		{"migrate", []string{"migrate", "--store", "sqlite://" + filepath.Join(dir, "m.db")}, 0, "up to date", ""},
		{"copy", []string{"store", "copy", db, "sqlite://" + filepath.Join(dir, "b.db")}, 0, "managed_tenants    1", ""},
		{"copy to non-empty", []string{"store", "copy", db, "sqlite://" + filepath.Join(dir, "b.db")}, 1, "", "not empty"},
		{"copy forced", []string{"store", "copy", "--force", db, "sqlite://" + filepath.Join(dir, "b.db")}, 0, "managed_tenants    1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := run(t, tt.args...)
			if code := exitCode(err); code != tt.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.code)
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("stdout %q lacks %q", out, tt.out)
			}
			if tt.errText != "" && (err == nil || !strings.Contains(err.Error(), tt.errText)) {
				t.Errorf("error %v lacks %q", err, tt.errText)
			}
			if err != nil && strings.Contains(err.Error(), "Q~not-a-reference") {
				t.Errorf("the error repeats the secret: %v", err)
			}
		})
	}
	out, _, err := run(t, "tenants", "list", "--store", db)
	if err != nil || strings.Contains(out, "contoso") || !strings.Contains(out, "file:/etc/shdmc/adatum.secret") {
		t.Errorf("final list %q, %v", out, err)
	}
}

// TestTenantsAddRefusesConfigID: an id the config file already has is
// refused (the config's tenant would always win); another one is added.
func TestTenantsAddRefusesConfigID(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "a.db")
	cfg := write(t, dir, "shdmc.yaml", `store: `+db+`
tenants:
  - id: fabrikam
    tenant_id: fabrikam.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: ${NOT_SET_HERE}
`)
	add := func(id string) (string, error) {
		out, _, err := run(t, "tenants", "add", id, "-c", cfg, "--store", db, "--tenant-id", id+".onmicrosoft.com",
			"--client-id", "11111111-2222-3333-4444-555555555555", "--client-secret", "env:X")
		return out, err
	}
	_, err := add("fabrikam")
	if code := exitCode(err); code != 2 || !strings.Contains(err.Error(), cfg+":3 already has a tenant fabrikam") {
		t.Errorf("add of a config id: exit %d, %v", code, err)
	}
	if out, err := add("adatum"); err != nil || !strings.Contains(out, "added tenant adatum") {
		t.Errorf("add of a new id: %q, %v", out, err)
	}
	out, _, err := run(t, "tenants", "list", "--store", db)
	if err != nil || strings.Contains(out, "fabrikam") {
		t.Errorf("list %q, %v", out, err)
	}
}
