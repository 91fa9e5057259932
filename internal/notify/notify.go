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
	"sync"
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
	// FollowUp is set by Prepare when the translation was not complete
	// for a reason that may pass: the translation follows later.
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
	// Prepare fills n.Render (time zone, language, translated prose) for
	// a channel and may set n.FollowUp; nil leaves the options zero (UTC,
	// English). An error fails this attempt without sending (a translation
	// follow-up whose translation is still missing).
	Prepare func(ctx context.Context, n *Notice, channel string) error
	// FollowUp runs after n was sent with n.FollowUp set: the app queues
	// the translation that was not ready in time.
	FollowUp func(ctx context.Context, dl *store.Delivery, n *Notice)
	// Hold decides whether a claimed delivery waits (quiet hours, digest
	// schedule) or joins a digest; nil sends everything at once.
	Hold func(dl *store.Delivery, now time.Time) Hold
	// Failover returns a route's failover channel and how long a primary
	// channel must have been failing before it is used; "" for none.
	Failover func(route string) (channel string, after time.Duration)

	mu      sync.Mutex
	failing map[string]time.Time // channel → start of its current run of failures
}

// health records the outcome of a send to channel and returns since when
// the channel has been failing (zero after a success).
func (d *Dispatcher) health(channel string, ok bool, now time.Time) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failing == nil {
		d.failing = map[string]time.Time{}
	}
	if ok {
		delete(d.failing, channel)
		return time.Time{}
	}
	since, was := d.failing[channel]
	if !was {
		since = now
		d.failing[channel] = now
	}
	return since
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
		now := d.now()
		digests := map[[2]string][]*store.Delivery{}
		for i := range batch {
			if ctx.Err() != nil {
				return sent, failed, ctx.Err()
			}
			if !d.hold(ctx, &batch[i], now, digests) {
				continue
			}
			if d.deliver(ctx, &batch[i]) {
				sent++
			} else {
				failed++
			}
		}
		ds, df := d.sendDigests(ctx, digests)
		sent, failed = sent+ds, failed+df
	}
	return sent, failed, nil
}

func (d *Dispatcher) deliver(ctx context.Context, dl *store.Delivery) bool {
	n := &Notice{Event: &dl.Event, Route: dl.Route, Key: dl.Key, DeliveryID: dl.ID}
	return d.send(ctx, dl.Route, dl.Channel, n, []*store.Delivery{dl})
}

// send delivers n to channel (or the route's failover channel) and
// records the outcome on every delivery it stands for: one, or all the
// deliveries a digest summarizes.
func (d *Dispatcher) send(ctx context.Context, route, channel string, n *Notice, dls []*store.Delivery) bool {
	log := d.log.With("delivery", dls[0].ID, "deliveries", len(dls), "channel", channel, "item", n.Event.ItemID)
	var (
		rc  Receipt
		err error
	)
	if d.Prepare != nil {
		err = d.Prepare(ctx, n, channel)
	}
	if err != nil {
		return d.failed(ctx, log, dls, err)
	}
	rc, err = d.notifiers[channel].Notify(ctx, n)
	now := d.now()
	since := d.health(channel, err == nil, now)
	if err != nil && d.Failover != nil {
		// The seeds show Teams and Exchange Online failing during the very
		// incidents we report: after a while, use the route's other channel.
		if fc, after := d.Failover(route); fc != "" && fc != channel && now.Sub(since) >= after && d.notifiers[fc] != nil {
			fn := *n
			var frc Receipt
			ferr := error(nil)
			if d.Prepare != nil {
				ferr = d.Prepare(ctx, &fn, fc)
			}
			if ferr == nil {
				frc, ferr = d.notifiers[fc].Notify(ctx, &fn)
			}
			d.health(fc, ferr == nil, now)
			if ferr == nil {
				log.Warn("delivered through failover channel", "failover", fc, "primary_err", err,
					"primary_failing_since", since, "status", frc.Status)
				err, rc = nil, frc
			} else {
				err = fmt.Errorf("%w; failover %s: %w", err, fc, ferr)
			}
		}
	}
	if err == nil {
		log.Debug("delivered", "status", rc.Status, "detail", rc.Detail)
		for _, dl := range dls {
			if err := d.st.CompleteDelivery(ctx, dl.ID, now); err != nil {
				log.Error("mark delivery done", "err", err)
			}
		}
		if n.FollowUp && d.FollowUp != nil && len(dls) == 1 {
			d.FollowUp(ctx, dls[0], n)
		}
		return true
	}
	return d.failed(ctx, log, dls, err)
}

// failed records a failed attempt on every delivery of dls: retried with
// backoff (or as the far end asked), or dead when permanent or too old.
func (d *Dispatcher) failed(ctx context.Context, log *slog.Logger, dls []*store.Delivery, err error) bool {
	now := d.now()
	wait := d.delay(dls[0].Attempts)
	if ra, ok := errors.AsType[retryAfterError](err); ok && ra.d > wait {
		wait = ra.d
	}
	retry := now.Add(wait)
	for _, dl := range dls {
		dead := IsPermanent(err) || now.Sub(dl.CreatedAt) >= d.MaxAge
		log.Warn("delivery failed", "err", err, "attempt", dl.Attempts+1, "dead", dead)
		if ferr := d.st.FailDelivery(ctx, dl.ID, now, err.Error(), retry, dead); ferr != nil {
			log.Error("record failed delivery", "err", ferr)
		}
	}
	return false
}

// Hold says what to do with a claimed delivery instead of sending it now.
type Hold struct {
	// Until, when after now, defers the delivery (quiet hours, a digest
	// not yet due).
	Until time.Time
	// Digest marks a delivery of a digest route that is due: it is sent
	// together with the other due deliveries of its route and channel.
	Digest bool
	// Reason is shown in the outbox listing while the delivery is held.
	Reason string
	// Group, when set, hands the delivery over to a group delivery with
	// this idempotency key (the same post announced once for several
	// tenants): the dispatcher enqueues the group delivery of this
	// delivery's event, due at GroupAt, unless a delivery with that key
	// exists already, and then marks this delivery done. Enqueuing first
	// means a crash in between repeats the hand-over, which the unique
	// key makes harmless; the group delivery is an outbox row like any
	// other, retried until sent.
	Group   string
	GroupAt time.Time
}

// hold applies the Hold hook; false means the delivery was taken care of
// (deferred) or belongs to a digest group.
func (d *Dispatcher) hold(ctx context.Context, dl *store.Delivery, now time.Time, digests map[[2]string][]*store.Delivery) bool {
	if d.Hold == nil {
		return true
	}
	h := d.Hold(dl, now)
	switch {
	case h.Group != "":
		if _, err := d.st.EnqueueDelivery(ctx, dl.Event.ID, dl.Channel, dl.Route, h.Group, h.GroupAt); err != nil {
			d.log.Error("group delivery", "delivery", dl.ID, "group", h.Group, "err", err)
			return false // still claimed: tried again when the claim lapses
		}
		if err := d.st.CompleteDelivery(ctx, dl.ID, now); err != nil {
			d.log.Error("mark grouped delivery done", "delivery", dl.ID, "err", err)
		}
		return false
	case h.Until.After(now):
		if err := d.st.DeferDelivery(ctx, dl.ID, h.Until, h.Reason); err != nil {
			d.log.Error("hold delivery", "delivery", dl.ID, "err", err)
		}
		return false
	case h.Digest:
		k := [2]string{dl.Route, dl.Channel}
		digests[k] = append(digests[k], dl)
		return false
	}
	return true
}

// sendDigests sends one digest per route and channel.
func (d *Dispatcher) sendDigests(ctx context.Context, digests map[[2]string][]*store.Delivery) (sent, failed int) {
	for k, dls := range digests {
		ev := model.Event{Type: model.EventDigest, ItemID: "digest", DetectedAt: d.now()}
		for _, dl := range dls {
			ev.Items = append(ev.Items, dl.Event)
		}
		n := &Notice{Event: &ev, Route: k[0], DeliveryID: dls[0].ID,
			Key: fmt.Sprintf("digest/%s/%s/%d-%d", k[0], k[1], dls[0].ID, dls[len(dls)-1].ID)}
		if d.send(ctx, k[0], k[1], n, dls) {
			sent += len(dls)
		} else {
			failed += len(dls)
		}
	}
	return sent, failed
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
