package store

import (
	"context"
	"fmt"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// SourceHealth is the stored health of one source of one tenant. Data is
// opaque to the store (the JSON of internal/health.State).
type SourceHealth struct {
	Tenant    string
	Source    model.Source
	Data      []byte
	UpdatedAt time.Time
}

// HealthStore is implemented by the engines that keep source health
// (every engine of this package). It is an interface of its own so that
// Store stays the shared contract; callers type-assert a Store to it.
type HealthStore interface {
	// SourceHealths returns the stored health of every source of tenant
	// ("" = every tenant), ordered by tenant and source.
	SourceHealths(ctx context.Context, tenant string) ([]SourceHealth, error)
	// PutSourceHealth stores h and, in the same transaction, b (events
	// and their deliveries, as Commit does; b may be empty), so that an
	// outage notice and the state that says it was sent are never
	// stored one without the other. It returns the IDs of b.Events.
	PutSourceHealth(ctx context.Context, h SourceHealth, b Batch) ([]int64, error)
}

var _ HealthStore = (*sqlStore)(nil)

// SourceHealths lists stored source health.
func (s *sqlStore) SourceHealths(ctx context.Context, tenant string) ([]SourceHealth, error) {
	q := `SELECT tenant, source, data, updated_at FROM source_health`
	var args []any
	if tenant != "" {
		q += ` WHERE tenant = $1`
		args = append(args, tenant)
	}
	rows, err := s.rdb.QueryContext(ctx, q+` ORDER BY tenant, source`, args...)
	if err != nil {
		return nil, fmt.Errorf("list source health: %w", err)
	}
	defer rows.Close()
	var out []SourceHealth
	for rows.Next() {
		var h SourceHealth
		var src, data, at string
		if err := rows.Scan(&h.Tenant, &src, &data, &at); err != nil {
			return nil, fmt.Errorf("list source health: %w", err)
		}
		h.Source, h.Data = model.Source(src), []byte(data)
		if h.UpdatedAt, err = decodeTime(at); err != nil {
			return nil, fmt.Errorf("list source health: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list source health: %w", err)
	}
	return out, nil
}

// PutSourceHealth stores h with b in one transaction.
func (s *sqlStore) PutSourceHealth(ctx context.Context, h SourceHealth, b Batch) (ids []int64, err error) {
	if h.Tenant == "" || h.Source == "" {
		return nil, fmt.Errorf("store source health: tenant and source are required")
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store source health of %s/%s: begin: %w", h.Tenant, h.Source, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	now := s.now()
	if h.UpdatedAt.IsZero() {
		h.UpdatedAt = now
	}
	if len(b.Items) > 0 || b.Cursor != nil {
		return nil, fmt.Errorf("store source health of %s/%s: the batch may hold only events and deliveries", h.Tenant, h.Source)
	}
	c := s.newCommit(tx)
	if ids, err = s.commitEvents(ctx, c, b, now); err != nil {
		return nil, fmt.Errorf("store source health of %s/%s: %w", h.Tenant, h.Source, err)
	}
	if err = s.commitDeliveries(ctx, c, b, ids, now); err != nil {
		return nil, fmt.Errorf("store source health of %s/%s: %w", h.Tenant, h.Source, err)
	}
	if _, err = tx.ExecContext(ctx, `INSERT INTO source_health (tenant, source, data, updated_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, source) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
		h.Tenant, string(h.Source), string(h.Data), encodeTime(h.UpdatedAt)); err != nil {
		return nil, fmt.Errorf("store source health of %s/%s: %w", h.Tenant, h.Source, err)
	}
	if err = tx.Commit(); err != nil {
		return nil, fmt.Errorf("store source health of %s/%s: commit: %w", h.Tenant, h.Source, err)
	}
	return ids, nil
}
