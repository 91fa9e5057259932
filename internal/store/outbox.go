package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const deliveryColumns = `o.id, o.channel, o.route, o.key, o.kind, o.state, o.attempts, o.next_attempt, o.last_error,
	o.created_at, o.done_at, ` + eventSelect

// deliveryFrom is the outbox aliased o with its event e and the event's blob.
const deliveryFrom = ` FROM outbox o JOIN events e ON e.id = o.event_id` + eventJoin

// scanDelivery reads the deliveryColumns of one row.
func scanDelivery(rows *sql.Rows) (Delivery, error) {
	var (
		d                     Delivery
		state, kind           string
		next, created, doneAt int64
		key                   sql.NullString
		ev                    eventRow
	)
	dest := append([]any{&d.ID, &d.Channel, &d.Route, &key, &kind, &state, &d.Attempts, &next, &d.LastError,
		&created, &doneAt}, ev.dest()...)
	if err := rows.Scan(dest...); err != nil {
		return Delivery{}, err
	}
	d.State, d.Kind = DeliveryState(state), DeliveryKind(kind)
	d.NextAttempt, d.CreatedAt, d.DoneAt = decodeNano(next), decodeNano(created), decodeNano(doneAt)
	var err error
	if d.Event, err = ev.event(); err != nil {
		return Delivery{}, err
	}
	d.Key = deliveryKey(key, &d.Event, d.Route, d.Channel)
	return d, nil
}

// ClaimDeliveries leases up to limit due deliveries of the given channels.
func (s *sqlStore) ClaimDeliveries(ctx context.Context, channels []string, now time.Time, lease time.Duration, limit int) (out []Delivery, err error) {
	if limit <= 0 {
		return nil, nil
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim deliveries: lease %v is not positive", lease)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	at := encodeNano(now)
	args := []any{at, string(DeliveryPending), string(DeliveryRetrying)}
	q := `SELECT ` + deliveryColumns + deliveryFrom + `
		WHERE o.state IN ($2, $3) AND o.next_attempt <= $1 AND o.lease_until <= $1`
	if len(channels) > 0 {
		q += ` AND o.channel IN (` + placeholders(len(args)+1, len(channels)) + `)`
		for _, c := range channels {
			args = append(args, c)
		}
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY o.id LIMIT $%d`, len(args)) + s.d.claimLock
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if len(out) == 0 {
		return nil, tx.Commit()
	}
	upd := []any{encodeNano(now.Add(lease)), s.worker}
	for _, d := range out {
		upd = append(upd, d.ID)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET lease_until = $1, claimed_by = $2 WHERE id IN (`+
		placeholders(3, len(out))+`)`, upd...); err != nil {
		return nil, fmt.Errorf("claim deliveries: lease: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// CompleteDelivery marks a claimed delivery as sent.
func (s *sqlStore) CompleteDelivery(ctx context.Context, id int64, at time.Time) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE outbox SET state = $1, done_at = $2, attempts = attempts + 1,
		lease_until = $3, claimed_by = '' WHERE id = $4`,
		string(DeliveryDone), encodeNano(at), encodeNano(time.Time{}), id)
	if err != nil {
		return fmt.Errorf("complete delivery %d: %w", id, err)
	}
	return affected(res, fmt.Sprintf("complete delivery %d", id))
}

// FailDelivery records a failed attempt.
func (s *sqlStore) FailDelivery(ctx context.Context, id int64, at time.Time, lastErr string, retryAt time.Time, dead bool) error {
	state := DeliveryRetrying
	if dead {
		state = DeliveryDead
	}
	res, err := s.wdb.ExecContext(ctx, `UPDATE outbox SET state = $1, next_attempt = $2, last_error = $3,
		attempts = attempts + 1, lease_until = $4, claimed_by = '' WHERE id = $5`,
		string(state), encodeNano(retryAt), lastErr, encodeNano(time.Time{}), id)
	if err != nil {
		return fmt.Errorf("fail delivery %d: %w", id, err)
	}
	return affected(res, fmt.Sprintf("fail delivery %d", id))
}

// affected turns "no row updated" into ErrNotFound.
func affected(res sql.Result, action string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", action, ErrNotFound)
	}
	return nil
}

// Deliveries lists deliveries in the given states, newest first.
func (s *sqlStore) Deliveries(ctx context.Context, states []DeliveryState, limit int) ([]Delivery, error) {
	var args []any
	q := `SELECT ` + deliveryColumns + deliveryFrom
	if len(states) > 0 {
		q += ` WHERE o.state IN (` + placeholders(1, len(states)) + `)`
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	q += ` ORDER BY o.id DESC`
	if limit > 0 {
		args = append(args, limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}
