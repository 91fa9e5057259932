package store

import (
	"context"
	"fmt"
	"time"
)

// DeferDelivery holds a claimed delivery until a later time without
// counting an attempt: for quiet hours and digests. note says why (shown
// in the outbox listing as the last error).
func (s *sqlStore) DeferDelivery(ctx context.Context, id int64, until time.Time, note string) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE outbox SET next_attempt = $1, lease_until = $2, last_error = $3
		WHERE id = $4 AND state IN ($5, $6)`,
		encodeNano(until), encodeNano(time.Time{}), note, id, string(DeliveryPending), string(DeliveryRetrying))
	if err != nil {
		return fmt.Errorf("defer delivery %d: %w", id, err)
	}
	return affected(res, fmt.Sprintf("defer delivery %d", id))
}
