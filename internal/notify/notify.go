// Package notify delivers events to channels. Deliveries come from the
// store's outbox: a Dispatcher claims due rows and passes them through its
// stages, composed once: hold (group hand-over, digests, quiet hours) →
// localize (language, translation, template) → send (with failover) →
// record (done, retried with backoff, or dead-lettered). Channels
// implement Notifier; the dispatcher never knows their wire formats.
package notify

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// Notice is one event to send through one channel for one route.
type Notice struct {
	Event *model.Event
	// Route is the route that chose the delivery ("" for test notices).
	Route string
	// Render holds the route's time zone, format and language; a channel
	// overrides Format with what its wire needs.
	Render render.Options
	// Key is the delivery's idempotency key
	// (tenant/source/item/revision/route/channel); channels that can pass
	// it on (a webhook header, an email Message-ID) do.
	Key string
	// DeliveryID is the outbox row (0 for test notices).
	DeliveryID int64
	// Kind is what the notice stands for: a notice, a translation
	// follow-up, a group notice for several tenants, a digest.
	Kind store.DeliveryKind
	// FollowUp is set by the localize stage when the translation was not
	// complete for a reason that may pass: the translation follows later.
	FollowUp bool
}

// Receipt is what the far end answered, for logs and `shdmc test-channel`.
// It never contains a secret.
type Receipt struct {
	Status string // e.g. "202 Accepted", "250 2.0.0 OK"
	Detail string // a short excerpt of the answer, a message ID, a Slack ts
}

// Notifier sends notices to one channel. Implementations are safe for
// concurrent use.
type Notifier interface {
	// Notify sends n. An error wrapped with Permanent is not retried; an
	// error wrapped with RetryAfter asks for a delay.
	Notify(ctx context.Context, n *Notice) (Receipt, error)
}

// retryAfterError asks the dispatcher to wait at least d before retrying.
type retryAfterError struct {
	err error
	d   time.Duration
}

func (e retryAfterError) Error() string { return e.err.Error() }
func (e retryAfterError) Unwrap() error { return e.err }

// RetryAfter wraps err with the delay the far end asked for (a 429's
// Retry-After); the dispatcher waits at least that long.
func RetryAfter(err error, d time.Duration) error { return retryAfterError{err, d} }

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that the dispatcher dead-letters the delivery
// instead of retrying it.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was wrapped with Permanent.
func IsPermanent(err error) bool { var p permanentError; return errors.As(err, &p) }

// delay is exponential backoff with full jitter.
func (d *Dispatcher) delay(attempts int) time.Duration {
	b := max(d.Backoff, time.Second) // never hammer a failing channel
	maxB := max(d.MaxBackoff, b)
	for i := 0; i < attempts && b < maxB; i++ {
		b *= 2
	}
	b = min(b, maxB)
	return b/2 + time.Duration(rand.Int64N(int64(b/2)+1))
}
