// Package notify delivers events to channels. Deliveries come from the
// store's outbox: a Dispatcher claims due rows, renders each event for its
// channel and hands it to that channel's Notifier, retrying failures with
// exponential backoff until they are dead-lettered.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// Notifier sends one event to one channel.
type Notifier interface {
	// Notify sends ev. An error wrapped with Permanent is not retried.
	Notify(ctx context.Context, ev *model.Event) error
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that the dispatcher dead-letters the delivery
// instead of retrying it.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was wrapped with Permanent.
func IsPermanent(err error) bool { var p permanentError; return errors.As(err, &p) }

// Dispatcher drains the outbox.
type Dispatcher struct {
	st        store.Store
	notifiers map[string]Notifier
	now       func() time.Time
	log       *slog.Logger
	// MaxAge is how long a delivery is retried before it is dead-lettered.
	MaxAge time.Duration
	// Backoff is the first retry delay; it doubles per attempt up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Lease is how long a claimed delivery is reserved for this worker.
	Lease time.Duration
}

// NewDispatcher returns a Dispatcher delivering to notifiers by channel name.
func NewDispatcher(st store.Store, notifiers map[string]Notifier, now func() time.Time, log *slog.Logger) *Dispatcher {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{st: st, notifiers: notifiers, now: now, log: log,
		MaxAge: 24 * time.Hour, Backoff: 30 * time.Second, MaxBackoff: 30 * time.Minute, Lease: 5 * time.Minute}
}

// Drain delivers every due delivery once and returns how many were sent
// and how many failed. It stops early when ctx is done.
func (d *Dispatcher) Drain(ctx context.Context) (sent, failed int, err error) {
	names := make([]string, 0, len(d.notifiers))
	for n := range d.notifiers {
		names = append(names, n)
	}
	for range 1000 { // bounded: at most 1000 batches per drain
		batch, err := d.st.ClaimDeliveries(ctx, names, d.now(), d.Lease, 100)
		if err != nil {
			return sent, failed, fmt.Errorf("claim deliveries: %w", err)
		}
		if len(batch) == 0 {
			return sent, failed, nil
		}
		for i := range batch {
			if ctx.Err() != nil {
				return sent, failed, ctx.Err()
			}
			if d.deliver(ctx, &batch[i]) {
				sent++
			} else {
				failed++
			}
		}
	}
	return sent, failed, nil
}

func (d *Dispatcher) deliver(ctx context.Context, dl *store.Delivery) bool {
	log := d.log.With("delivery", dl.ID, "channel", dl.Channel, "item", dl.Event.ItemID)
	n := d.notifiers[dl.Channel]
	err := n.Notify(ctx, &dl.Event)
	now := d.now()
	if err == nil {
		if err := d.st.CompleteDelivery(ctx, dl.ID, now); err != nil {
			log.Error("mark delivery done", "err", err)
		}
		return true
	}
	dead := IsPermanent(err) || now.Sub(dl.CreatedAt) >= d.MaxAge
	retry := now.Add(d.delay(dl.Attempts))
	log.Warn("delivery failed", "err", err, "attempt", dl.Attempts+1, "dead", dead)
	if ferr := d.st.FailDelivery(ctx, dl.ID, now, err.Error(), retry, dead); ferr != nil {
		log.Error("record failed delivery", "err", ferr)
	}
	return false
}

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
