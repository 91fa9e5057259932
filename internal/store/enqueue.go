package store

import (
	"context"
	"fmt"
	"time"
)

// EnqueueDelivery adds a delivery of an already stored event, due at
// notBefore, unless one with the same key exists (then it does nothing and
// returns false).
func (s *sqlStore) EnqueueDelivery(ctx context.Context, eventID int64, kind DeliveryKind, channel, route, key string, notBefore time.Time) (bool, error) {
	if key == "" || channel == "" {
		return false, fmt.Errorf("enqueue delivery for event %d: a channel and a key are required", eventID)
	}
	res, err := s.wdb.ExecContext(ctx, `INSERT INTO outbox
		(event_id, channel, route, key, key_hash, state, attempts, next_attempt, lease_until, last_error, created_at, done_at, kind)
		VALUES ($1, $2, $3, $4, $10, $5, 0, $6, $7, '', $8, $7, $9)
		ON CONFLICT (key_hash) DO NOTHING`,
		eventID, channel, route, key, string(DeliveryPending), encodeNano(notBefore), encodeNano(time.Time{}), encodeNano(s.now()),
		string(kindOr(kind)), keyHash(key))
	if err != nil {
		return false, fmt.Errorf("enqueue delivery %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enqueue delivery %s: %w", key, err)
	}
	return n == 1, nil
}
