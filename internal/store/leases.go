package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// AcquireTenantLeases renews the worker's leases among tenants and takes
// free ones, up to max in all.
//
// First the leases of workers that are gone are freed (freeGoneLeases):
// a restarted process takes its tenants over at once instead of when the
// dead one's leases end.
//
// First every tenant of the list gets a lease row (a free one, worker "")
// in a statement of its own, in ID order, so that concurrent workers never
// wait on each other in opposite orders. Then one transaction locks up to
// max rows the worker may hold (its own, then expired ones) with the
// dialect's row lock: on PostgreSQL FOR UPDATE SKIP LOCKED, so a row
// another worker is taking right now is skipped instead of waited for, and
// a row another worker took since the statement began fails the re-checked
// condition; SQLite serializes the whole transaction instead.
func (s *sqlStore) AcquireTenantLeases(ctx context.Context, worker string, tenants []string, now time.Time, lease, keep time.Duration, max int) (out []string, err error) {
	if worker == "" {
		return nil, errors.New("acquire tenant leases: empty worker ID")
	}
	if lease <= 0 {
		return nil, fmt.Errorf("acquire tenant leases for %s: lease %v is not positive", worker, lease)
	}
	list := slices.Clone(tenants)
	slices.Sort(list)
	list = slices.Compact(list)
	if len(list) == 0 {
		return nil, nil
	}
	arg, err := s.d.listArg(list)
	if err != nil {
		return nil, fmt.Errorf("acquire tenant leases for %s: %w", worker, err)
	}
	if err := s.freeGoneLeases(ctx, worker, arg, now); err != nil {
		return nil, fmt.Errorf("acquire tenant leases for %s: %w", worker, err)
	}
	zero, at, until := encodeTime(time.Time{}), encodeTime(now), encodeTime(now.Add(lease))
	// A lease of this worker with keep or more left stays as it is:
	// workers call this every few seconds, and rewriting every held row
	// each time wrote 10,000 rows every 5 s at 10,000 tenants.
	if keep <= 0 || keep > lease {
		keep = lease
	}
	kept := encodeTime(now.Add(keep))
	if _, err := s.wdb.ExecContext(ctx, `INSERT INTO leases (tenant, worker, until)
		SELECT value, '', $2 FROM `+s.d.listTable(1)+` WHERE true
		ON CONFLICT (tenant) DO NOTHING`, arg, zero); err != nil {
		return nil, fmt.Errorf("acquire tenant leases for %s: add tenants: %w", worker, err)
	}

	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("acquire tenant leases for %s: begin: %w", worker, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// Held rows sort first; LIMIT stops the locking there, so that a worker
	// never locks (and so hides from the others) free rows it will not take.
	q := `SELECT tenant FROM leases
		WHERE ` + s.d.inList("tenant", 1) + ` AND (worker = $2 OR until <= $3)
		ORDER BY CASE WHEN worker = $2 AND until > $3 THEN 0 ELSE 1 END, tenant`
	args := []any{arg, worker, at}
	if max > 0 {
		q += ` LIMIT $4`
		args = append(args, max)
	}
	rows, err := tx.QueryContext(ctx, q+s.d.rowLock, args...)
	if err != nil {
		return nil, fmt.Errorf("acquire tenant leases for %s: %w", worker, err)
	}
	var take []string
	for rows.Next() {
		var tenant string
		if err := rows.Scan(&tenant); err != nil {
			rows.Close()
			return nil, fmt.Errorf("acquire tenant leases for %s: %w", worker, err)
		}
		take = append(take, tenant)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("acquire tenant leases for %s: %w", worker, err)
	}
	if len(take) > 0 {
		takeArg, err := s.d.listArg(take)
		if err != nil {
			return nil, fmt.Errorf("acquire tenant leases for %s: %w", worker, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE leases SET worker = $2, until = $3 WHERE `+s.d.inList("tenant", 1)+`
			AND NOT (worker = $2 AND until >= $4)`, takeArg, worker, until, kept); err != nil {
			return nil, fmt.Errorf("acquire tenant leases for %s: %w", worker, err)
		}
		// Only this worker renews its unexpired rows, so releasing the ones
		// beyond max waits on nobody. NOT IN a subquery is hashed once (an
		// ephemeral index on SQLite): NOT (tenant = ANY(list)) compared
		// every row with the whole list, 1.5 s a round for 10,000 tenants.
		if max > 0 && len(take) == max {
			if _, err := tx.ExecContext(ctx, `UPDATE leases SET worker = '', until = $4
				WHERE `+s.d.inList("tenant", 1)+` AND worker = $2 AND until > $3
				AND tenant NOT IN (SELECT value FROM `+s.d.listTable(5)+`)`,
				arg, worker, at, zero, takeArg); err != nil {
				return nil, fmt.Errorf("acquire tenant leases for %s: release: %w", worker, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("acquire tenant leases for %s: %w", worker, err)
	}
	slices.Sort(take)
	return take, nil
}

// freeGoneLeases frees the unexpired leases among the tenants of list (a
// listArg) held by workers that are gone, as seen from worker: a process
// of this machine that ended (WorkerGone), or a worker whose registration
// (RegisterWorker) expired: it stopped renewing it, as a live worker does
// every few seconds. A holder that never registered is never gone by the
// second rule. Only the gone holder's rows are touched, so a lease another
// worker took meanwhile stays its own.
func (s *sqlStore) freeGoneLeases(ctx context.Context, worker string, list any, now time.Time) error {
	at := encodeTime(now)
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT l.worker,
		CASE WHEN EXISTS (SELECT 1 FROM workers w WHERE w.id = l.worker AND w.until <= $3) THEN 1 ELSE 0 END
		FROM leases l WHERE `+s.d.inList("l.tenant", 1)+` AND l.worker <> '' AND l.worker <> $2 AND l.until > $3`,
		list, worker, at)
	if err != nil {
		return fmt.Errorf("list lease holders: %w", err)
	}
	type holder struct {
		id     string
		reason string
	}
	var gone []holder
	for rows.Next() {
		var id string
		var expired int
		if err := rows.Scan(&id, &expired); err != nil {
			rows.Close()
			return fmt.Errorf("list lease holders: %w", err)
		}
		switch {
		case expired == 1:
			gone = append(gone, holder{id, "registration expired"})
		case WorkerGone(id, worker):
			gone = append(gone, holder{id, "process ended"})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list lease holders: %w", err)
	}
	for _, h := range gone {
		res, err := s.wdb.ExecContext(ctx, `UPDATE leases SET worker = '', until = $1 WHERE worker = $2 AND until > $3`,
			encodeTime(time.Time{}), h.id, at)
		if err != nil {
			return fmt.Errorf("free the leases of %s: %w", h.id, err)
		}
		n, _ := res.RowsAffected()
		if n > 0 {
			s.log.Info("freed the tenant leases of a worker that is gone", "worker", h.id, "reason", h.reason, "tenants", n, "by", worker)
		}
	}
	return nil
}

// ReleaseTenantLeases gives up the worker's leases of the given tenants.
func (s *sqlStore) ReleaseTenantLeases(ctx context.Context, worker string, tenants []string) error {
	if worker == "" {
		return errors.New("release tenant leases: empty worker ID")
	}
	if len(tenants) == 0 {
		return nil
	}
	arg, err := s.d.listArg(tenants)
	if err != nil {
		return fmt.Errorf("release tenant leases of %s: %w", worker, err)
	}
	if _, err := s.wdb.ExecContext(ctx, `UPDATE leases SET worker = '', until = $3
		WHERE `+s.d.inList("tenant", 1)+` AND worker = $2`, arg, worker, encodeTime(time.Time{})); err != nil {
		return fmt.Errorf("release tenant leases of %s: %w", worker, err)
	}
	return nil
}
