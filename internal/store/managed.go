package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrExists is returned when a row to add is already stored.
var ErrExists = errors.New("already exists")

// ManagedTenant is a tenant managed in the database (`shdmc tenants add`)
// rather than in the config file. Data is opaque to the store: the JSON of
// the tenant's settings, which hold secrets only by reference.
type ManagedTenant struct {
	ID        string
	Data      []byte
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TenantRegistry keeps the tenants managed in the database. Every engine of
// this package implements it; callers type-assert a Store to it.
type TenantRegistry interface {
	// AddManagedTenant stores a new tenant; ErrExists when its ID is taken.
	AddManagedTenant(ctx context.Context, t ManagedTenant) error
	// ManagedTenants lists the managed tenants ordered by ID.
	ManagedTenants(ctx context.Context) ([]ManagedTenant, error)
	// SetManagedTenantDisabled disables or enables a tenant; ErrNotFound
	// when there is none.
	SetManagedTenantDisabled(ctx context.Context, id string, disabled bool, at time.Time) error
	// RemoveManagedTenant deletes a tenant's settings (its items, events
	// and history stay); ErrNotFound when there is none.
	RemoveManagedTenant(ctx context.Context, id string) error
}

var _ TenantRegistry = (*sqlStore)(nil)

// AddManagedTenant stores a new managed tenant.
func (s *sqlStore) AddManagedTenant(ctx context.Context, t ManagedTenant) error {
	if t.ID == "" {
		return errors.New("add managed tenant: empty ID")
	}
	at := t.CreatedAt
	if at.IsZero() {
		at = s.now()
	}
	res, err := s.wdb.ExecContext(ctx, `INSERT INTO managed_tenants (id, data, disabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING`, t.ID, string(t.Data), t.Disabled, encodeTime(at))
	if err != nil {
		return fmt.Errorf("add managed tenant %s: %w", t.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("add managed tenant %s: %w", t.ID, err)
	} else if n == 0 {
		return fmt.Errorf("add managed tenant %s: %w", t.ID, ErrExists)
	}
	return nil
}

// ManagedTenants lists the managed tenants ordered by ID.
func (s *sqlStore) ManagedTenants(ctx context.Context) ([]ManagedTenant, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, data, disabled, created_at, updated_at FROM managed_tenants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list managed tenants: %w", err)
	}
	defer rows.Close()
	var out []ManagedTenant
	for rows.Next() {
		var (
			t                ManagedTenant
			data             string
			created, updated string
		)
		if err := rows.Scan(&t.ID, &data, &t.Disabled, &created, &updated); err != nil {
			return nil, fmt.Errorf("list managed tenants: %w", err)
		}
		t.Data = []byte(data)
		if t.CreatedAt, err = decodeTime(created); err != nil {
			return nil, fmt.Errorf("list managed tenants: %w", err)
		}
		if t.UpdatedAt, err = decodeTime(updated); err != nil {
			return nil, fmt.Errorf("list managed tenants: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list managed tenants: %w", err)
	}
	return out, nil
}

// SetManagedTenantDisabled disables or enables a managed tenant.
func (s *sqlStore) SetManagedTenantDisabled(ctx context.Context, id string, disabled bool, at time.Time) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE managed_tenants SET disabled = $2, updated_at = $3 WHERE id = $1`,
		id, disabled, encodeTime(at))
	if err != nil {
		return fmt.Errorf("set managed tenant %s disabled: %w", id, err)
	}
	return affected(res, fmt.Sprintf("set managed tenant %s disabled", id))
}

// RemoveManagedTenant deletes a managed tenant's settings.
func (s *sqlStore) RemoveManagedTenant(ctx context.Context, id string) error {
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM managed_tenants WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("remove managed tenant %s: %w", id, err)
	}
	return affected(res, fmt.Sprintf("remove managed tenant %s", id))
}
