package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// NewWorkerID returns host-pid-random, unique among the processes that
// share a store, and telling which machine and process a claim or lease
// belongs to.
func NewWorkerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// WorkerGone reports whether the process that named itself id (a
// NewWorkerID) is known to be gone, seen from the process self: it ran on
// this machine and its PID is not alive, or its PID is this process's own
// (a restarted container is PID 1 again) while id is not self. A worker on
// another machine is never known to be gone: its leases end in time.
func WorkerGone(id, self string) bool {
	if id == "" || id == self {
		return false
	}
	rest, _, ok := cutLast(id)
	if !ok {
		return false
	}
	host, pidText, ok := cutLast(rest)
	if !ok {
		return false
	}
	me, err := os.Hostname()
	if err != nil || host != me {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	return !processAlive(pid)
}

// cutLast splits s at its last "-".
func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// ReclaimDeliveries implements Store.
func (s *sqlStore) ReclaimDeliveries(ctx context.Context, now time.Time) (int, error) {
	at := encodeNano(now)
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT claimed_by FROM outbox
		WHERE state IN ($1, $2) AND lease_until > $3 AND claimed_by <> '' AND claimed_by <> $4`,
		string(DeliveryPending), string(DeliveryRetrying), at, s.worker)
	if err != nil {
		return 0, fmt.Errorf("list delivery claims: %w", err)
	}
	var gone []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("list delivery claims: %w", err)
		}
		if WorkerGone(id, s.worker) {
			gone = append(gone, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list delivery claims: %w", err)
	}
	n := 0
	for _, id := range gone {
		res, err := s.wdb.ExecContext(ctx, `UPDATE outbox SET lease_until = $1, claimed_by = ''
			WHERE claimed_by = $2 AND state IN ($3, $4)`,
			encodeNano(time.Time{}), id, string(DeliveryPending), string(DeliveryRetrying))
		if err != nil {
			return n, fmt.Errorf("release the deliveries of %s: %w", id, err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
		s.log.Info("took over the deliveries of a process that is gone", "worker", id, "deliveries", k)
	}
	return n, nil
}

// ExtendDeliveryClaims implements Store.
func (s *sqlStore) ExtendDeliveryClaims(ctx context.Context, ids []int64, now, until time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := []any{encodeNano(until), s.worker, encodeNano(now), string(DeliveryPending), string(DeliveryRetrying)}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := s.wdb.ExecContext(ctx, `UPDATE outbox SET lease_until = $1
		WHERE claimed_by = $2 AND lease_until > $3 AND state IN ($4, $5) AND id IN (`+placeholders(6, len(ids))+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("extend delivery claims: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
