// Package tenants keeps the tenants managed in the database (`shdmc
// tenants add`): their settings as a config tenant would have them, with
// secrets only by reference, and the merge of those tenants with the
// config's that every worker polls.
package tenants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/store"
)

// Record is a tenant managed in the database (`shdmc tenants add`):
// the settings of a config tenant, with secrets only by reference — "env:NAME"
// (an environment variable of the worker) or "file:/abs/path" — resolved
// when a worker starts, never stored themselves.
type Record struct {
	ID                      string          `json:"id"`
	Name                    string          `json:"name,omitempty"`
	TenantID                string          `json:"tenant_id"`
	ClientID                string          `json:"client_id"`
	Auth                    string          `json:"auth,omitempty"`
	ClientSecretRef         string          `json:"client_secret_ref,omitempty"`
	CertificateFile         string          `json:"certificate_file,omitempty"`
	CertificatePasswordRef  string          `json:"certificate_password_ref,omitempty"`
	ManagedIdentityClientID string          `json:"managed_identity_client_id,omitempty"`
	Cloud                   string          `json:"cloud,omitempty"`
	GraphRoot               string          `json:"graph_root,omitempty"`
	AuthorityHost           string          `json:"authority_host,omitempty"`
	CAFile                  string          `json:"ca_file,omitempty"`
	Interval                config.Duration `json:"interval,omitempty"`
	Issues                  *bool           `json:"issues,omitempty"`
	Messages                *bool           `json:"messages,omitempty"`
	Health                  *bool           `json:"health,omitempty"`
	// Disabled and the times are the store's, filled by List.
	Disabled  bool      `json:"-"`
	CreatedAt time.Time `json:"-"`
}

// refPattern is a secret reference: env:NAME or file:/absolute/path.
var refPattern = regexp.MustCompile(`^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$`)

// checkRef refuses anything but a secret reference, so that a secret is
// never written to the database.
func checkRef(field, ref string) error {
	if ref == "" || refPattern.MatchString(ref) {
		return nil
	}
	return fmt.Errorf("%s must be a reference, env:NAME or file:/absolute/path, not the secret itself "+
		"(secrets are never stored in the database)", field)
}

// resolveRef reads the secret a reference names.
func resolveRef(ref string) (config.Secret, error) {
	switch {
	case ref == "":
		return "", nil
	case strings.HasPrefix(ref, "env:"):
		v, ok := os.LookupEnv(ref[len("env:"):])
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", ref[len("env:"):])
		}
		return config.Secret(v), nil
	case strings.HasPrefix(ref, "file:"):
		b, err := os.ReadFile(ref[len("file:"):])
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		return config.Secret(strings.TrimSpace(string(b))), nil
	}
	return "", errors.New("not a secret reference")
}

// configTenant turns a record into a config tenant, reading its secrets.
func (r Record) configTenant() (config.Tenant, error) {
	t := r.settings()
	var err error
	if t.ClientSecret, err = resolveRef(r.ClientSecretRef); err != nil {
		return t, fmt.Errorf("client secret: %w", err)
	}
	if t.CertificatePassword, err = resolveRef(r.CertificatePasswordRef); err != nil {
		return t, fmt.Errorf("certificate password: %w", err)
	}
	return t, nil
}

// settings is the config tenant of a record without its secrets.
func (r Record) settings() config.Tenant {
	t := config.Tenant{
		ID: r.ID, Name: r.Name, TenantID: r.TenantID, ClientID: r.ClientID, Auth: r.Auth,
		CertificateFile: r.CertificateFile, ManagedIdentityClientID: r.ManagedIdentityClientID,
		Cloud: r.Cloud, GraphRoot: r.GraphRoot, AuthorityHost: r.AuthorityHost, CAFile: r.CAFile,
		Interval: r.Interval, Disabled: r.Disabled,
		Sources: config.Sources{Issues: r.Issues, Messages: r.Messages, Health: r.Health},
	}
	if t.Auth == "" {
		switch {
		case r.ClientSecretRef != "":
			t.Auth = config.AuthClientSecret
		case r.CertificateFile != "":
			t.Auth = config.AuthCertificate
		}
	}
	return t
}

// validate checks a record as the config checks its tenants (ID, GUIDs,
// auth, cloud, URLs, interval), without its secrets, which need not be
// readable where `shdmc tenants add` runs.
func (r Record) validate() error {
	if err := checkRef("client_secret", r.ClientSecretRef); err != nil {
		return err
	}
	if err := checkRef("certificate_password", r.CertificatePasswordRef); err != nil {
		return err
	}
	t := r.settings()
	if r.ClientSecretRef != "" {
		t.ClientSecret = "<checked when a worker starts>"
	}
	cfg := config.Default()
	cfg.Tenants = []config.Tenant{t}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("tenant %s: %w", r.ID, err)
	}
	return nil
}

// Add validates r and stores it as a new database tenant.
func Add(ctx context.Context, reg store.TenantRegistry, r Record, now time.Time) error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("add tenant: %w", err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("add tenant %s: %w", r.ID, err)
	}
	if err := reg.AddManagedTenant(ctx, store.ManagedTenant{ID: r.ID, Data: data, Disabled: r.Disabled, CreatedAt: now}); err != nil {
		return fmt.Errorf("add tenant: %w", err)
	}
	return nil
}

// List returns the database tenants ordered by ID.
func List(ctx context.Context, reg store.TenantRegistry) ([]Record, error) {
	ms, err := reg.ManagedTenants(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	out := make([]Record, 0, len(ms))
	for _, m := range ms {
		var r Record
		if err := json.Unmarshal(m.Data, &r); err != nil {
			return nil, fmt.Errorf("list tenants: decode %s: %w", m.ID, err)
		}
		r.ID, r.Disabled, r.CreatedAt = m.ID, m.Disabled, m.CreatedAt
		out = append(out, r)
	}
	return out, nil
}

// SetDisabled disables or enables a database tenant.
func SetDisabled(ctx context.Context, reg store.TenantRegistry, id string, disabled bool, now time.Time) error {
	return reg.SetManagedTenantDisabled(ctx, id, disabled, now)
}

// Remove deletes a database tenant's settings; what was stored about it
// (items, history, events) stays.
func Remove(ctx context.Context, reg store.TenantRegistry, id string) error {
	return reg.RemoveManagedTenant(ctx, id)
}

// Merge returns the config's tenants followed by the enabled database
// tenants whose ID the config does not use (the config wins, with a
// warning). A database tenant whose secret cannot be read is skipped with
// an error in the log, so that one bad entry does not stop the rest.
func Merge(ctx context.Context, reg store.TenantRegistry, configured []config.Tenant, log *slog.Logger) ([]config.Tenant, error) {
	out := append([]config.Tenant(nil), configured...)
	recs, err := List(ctx, reg)
	if err != nil {
		return nil, err
	}
	inConfig := map[string]bool{}
	for _, t := range configured {
		inConfig[t.ID] = true
	}
	for _, r := range recs {
		switch {
		case r.Disabled:
			continue
		case inConfig[r.ID]:
			log.Warn("database tenant shadowed by the config", "tenant", r.ID)
			continue
		}
		t, err := r.configTenant()
		if err != nil {
			log.Error("database tenant skipped", "tenant", r.ID, "err", err)
			continue
		}
		out = append(out, t)
	}
	return out, nil
}
