package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ClusterStore is what several `shdmc run` workers sharing one database
// keep there besides the tenant leases of Store: which workers are alive,
// and the request logs of the Graph budgets, so that a tenant's next
// holder starts from what the last one spent. Every engine of this package
// implements it; callers type-assert a Store to it (Store stays the shared
// contract).
type ClusterStore interface {
	// RegisterWorker records that worker is alive until now+ttl (inserting
	// or renewing its row) and returns the IDs of every worker alive at
	// now, itself included, sorted. Rows ended long ago are deleted.
	RegisterWorker(ctx context.Context, worker string, now time.Time, ttl time.Duration) ([]string, error)
	// UnregisterWorker deletes the worker's row (on shutdown).
	UnregisterWorker(ctx context.Context, worker string) error
	// BudgetLog returns the stored request times of a budget key (Entra
	// tenant and app), oldest first; nil when none is stored.
	BudgetLog(ctx context.Context, key string) ([]time.Time, error)
	// SaveBudgetLog replaces the stored request times of a budget key.
	SaveBudgetLog(ctx context.Context, key string, log []time.Time, at time.Time) error
}

var _ ClusterStore = (*sqlStore)(nil)

// workerGone is how long after its end a worker's row is kept (for
// `shdmc tenants list`-style inspection) before RegisterWorker deletes it.
const workerGone = 24 * time.Hour

// RegisterWorker renews the worker's row and lists the live workers.
func (s *sqlStore) RegisterWorker(ctx context.Context, worker string, now time.Time, ttl time.Duration) ([]string, error) {
	if worker == "" {
		return nil, errors.New("register worker: empty worker ID")
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("register worker %s: ttl %v is not positive", worker, ttl)
	}
	at := encodeTime(now)
	if _, err := s.wdb.ExecContext(ctx, `INSERT INTO workers (id, started_at, until) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET until = excluded.until`, worker, at, encodeTime(now.Add(ttl))); err != nil {
		return nil, fmt.Errorf("register worker %s: %w", worker, err)
	}
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM workers WHERE until < $1`, encodeTime(now.Add(-workerGone))); err != nil {
		return nil, fmt.Errorf("register worker %s: forget old workers: %w", worker, err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id FROM workers WHERE until > $1 ORDER BY id`, at)
	if err != nil {
		return nil, fmt.Errorf("register worker %s: list workers: %w", worker, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("register worker %s: list workers: %w", worker, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("register worker %s: list workers: %w", worker, err)
	}
	return out, nil
}

// UnregisterWorker deletes the worker's row.
func (s *sqlStore) UnregisterWorker(ctx context.Context, worker string) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM workers WHERE id = $1`, worker); err != nil {
		return fmt.Errorf("unregister worker %s: %w", worker, err)
	}
	return nil
}

// BudgetLog returns the stored request times of a budget key.
func (s *sqlStore) BudgetLog(ctx context.Context, key string) ([]time.Time, error) {
	var data string
	err := s.rdb.QueryRowContext(ctx, `SELECT data FROM graph_budgets WHERE key = $1`, key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read budget log %s: %w", key, err)
	}
	var enc []string
	if err := json.Unmarshal([]byte(data), &enc); err != nil {
		return nil, fmt.Errorf("read budget log %s: %w", key, err)
	}
	out := make([]time.Time, 0, len(enc))
	for _, e := range enc {
		t, err := decodeTime(e)
		if err != nil {
			return nil, fmt.Errorf("read budget log %s: %w", key, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// SaveBudgetLog replaces the stored request times of a budget key.
func (s *sqlStore) SaveBudgetLog(ctx context.Context, key string, log []time.Time, at time.Time) error {
	enc := make([]string, len(log))
	for i, t := range log {
		enc[i] = encodeTime(t)
	}
	data, err := json.Marshal(enc)
	if err != nil {
		return fmt.Errorf("save budget log %s: %w", key, err)
	}
	if _, err := s.wdb.ExecContext(ctx, `INSERT INTO graph_budgets (key, data, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
		key, string(data), encodeTime(at)); err != nil {
		return fmt.Errorf("save budget log %s: %w", key, err)
	}
	return nil
}
