package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// Config is what a Dispatcher is built from.
type Config struct {
	Store     store.Store
	Notifiers map[string]Notifier
	// Router gives each delivery's route policy (language, time zone,
	// template, digest, quiet hours, failover, tenant grouping); nil
	// delivers everything at once, in English, without failover.
	Router *route.Router
	// Translator translates the new prose of notices for routes in
	// another language; nil shows Microsoft's English, marked as such.
	Translator *translate.Service
	// FollowUp sends a translation that was unavailable for a reason that
	// may pass (translator down) later, as its own notice.
	FollowUp bool
	// Location is the time zone of notices whose route and channel name
	// none; nil = UTC. ChannelLocations are the channels' own.
	Location         *time.Location
	ChannelLocations map[string]*time.Location
	// GroupWindow is how long the first delivery of a post on a
	// group_tenants route waits for the other tenants; 0 = 2 minutes.
	GroupWindow time.Duration
	// Now is the clock of delivery; nil = time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultLease is Dispatcher.Lease's default: a delivery claimed by a
// process that was killed (on another machine; one on this machine is
// taken over at once) is claimable again within a minute. The claim is
// renewed every third of it while its batch is being sent, so a slow
// channel never loses its delivery to another worker.
const DefaultLease = time.Minute

// DefaultGroupWindow is Config.GroupWindow's default: the polls of one
// cycle are spread over 30 s at start and drift by the ±10 % jitter.
const DefaultGroupWindow = 2 * time.Minute

// Dispatcher drains the outbox through its stages.
type Dispatcher struct {
	st        store.Store
	notifiers map[string]Notifier
	names     []string // channels to claim deliveries for
	now       func() time.Time
	log       *slog.Logger
	hold      Stage    // a claimed batch → the jobs to send now
	perJob    Pipeline // each job on its own, so that its outcome is recorded before the next is sent
	localize  *localizeStage
	send      *sendStage

	// MaxAge is how long a delivery is retried before it is dead-lettered.
	MaxAge time.Duration
	// Backoff is the first retry delay; it doubles per attempt up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Lease is how long a claimed delivery is reserved for this worker
	// without renewal; Drain renews the claims of the batch it is sending
	// every third of it.
	Lease time.Duration
}

// New returns a Dispatcher with its stages composed.
func New(c Config) *Dispatcher {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.GroupWindow <= 0 {
		c.GroupWindow = DefaultGroupWindow
	}
	d := &Dispatcher{st: c.Store, notifiers: c.Notifiers, now: c.Now, log: c.Logger,
		MaxAge: 24 * time.Hour, Backoff: 30 * time.Second, MaxBackoff: 30 * time.Minute, Lease: DefaultLease}
	for n := range c.Notifiers {
		d.names = append(d.names, n)
	}
	sort.Strings(d.names)
	d.localize = &localizeStage{st: c.Store, router: c.Router, tr: c.Translator, followUp: c.FollowUp, log: c.Logger,
		tenants: &tenantNames{st: c.Store, now: c.Now, log: c.Logger}}
	d.send = &sendStage{notifiers: c.Notifiers, loc: c.Location, chanLoc: c.ChannelLocations, now: c.Now, log: c.Logger}
	d.hold = &holdStage{st: c.Store, router: c.Router, loc: c.Location, window: c.GroupWindow, now: c.Now, log: c.Logger}
	d.perJob = Pipeline{d.localize, faulty(d.send), &recordStage{d: d}}
	return d
}

// Job is one notice on its way to one channel, with the outbox rows it
// stands for: one, or every row a digest summarizes.
type Job struct {
	Notice     *Notice
	Channel    string
	Policy     *route.Policy // nil: at once, in English, no failover
	Deliveries []*store.Delivery
	// Err is why this attempt failed; nil after a send.
	Err     error
	Receipt Receipt
	// Skip leaves the rows claimed, untouched (shutting down): their
	// lease lapses and they are tried again.
	Skip bool
}

// Stage is one step of delivery. It receives the jobs of a claimed batch
// and returns those that go on; a job that failed carries its Err to the
// last stage, which records it.
type Stage interface {
	Exec(ctx context.Context, jobs []*Job) []*Job
}

// Pipeline runs stages in order.
type Pipeline []Stage

// Exec implements Stage.
func (p Pipeline) Exec(ctx context.Context, jobs []*Job) []*Job {
	for _, s := range p {
		jobs = s.Exec(ctx, jobs)
	}
	return jobs
}

// Drain delivers every due delivery once and returns how many were sent
// and how many failed. It stops early when ctx is done.
func (d *Dispatcher) Drain(ctx context.Context) (sent, failed int, err error) {
	// Deliveries a crashed process had claimed go out now, not when their
	// lease ends.
	if n, err := d.st.ReclaimDeliveries(ctx, d.now()); err != nil {
		d.log.Warn("take over the deliveries of a process that is gone", "err", err)
	} else if n > 0 {
		d.log.Info("took over the deliveries of a process that is gone", "deliveries", n)
	}
	for range 1000 { // bounded: at most 1000 batches per drain
		batch, err := d.st.ClaimDeliveries(ctx, d.names, d.now(), d.Lease, 100)
		if err != nil {
			return sent, failed, fmt.Errorf("claim deliveries: %w", err)
		}
		if len(batch) == 0 {
			return sent, failed, nil
		}
		jobs := make([]*Job, len(batch))
		for i := range batch {
			dl := &batch[i]
			jobs[i] = &Job{Channel: dl.Channel, Deliveries: []*store.Delivery{dl},
				Notice: &Notice{Event: &dl.Event, Route: dl.Route, Key: dl.Key, DeliveryID: dl.ID, Kind: dl.Kind}}
		}
		keep := d.keepClaims(ctx, batch)
		for _, j := range d.hold.Exec(ctx, jobs) {
			// One job through localize, send and record before the next:
			// a crash between a send and its record costs at most that one
			// notice twice.
			d.perJob.Exec(ctx, []*Job{j})
			keep.settled(j.Deliveries)
			switch {
			case j.Skip:
			case j.Err == nil:
				sent += len(j.Deliveries)
			default:
				failed += len(j.Deliveries)
			}
		}
		keep.stop()
		if ctx.Err() != nil {
			return sent, failed, ctx.Err()
		}
	}
	return sent, failed, nil
}

// claimKeeper renews the claims of a batch's deliveries until each is
// settled (recorded, skipped) or the batch ends.
type claimKeeper struct {
	mu      sync.Mutex
	pending map[int64]bool
	done    chan struct{}
	wg      sync.WaitGroup
}

// keepClaims starts renewing the claims of batch every third of d.Lease:
// a process that dies stops renewing, and its deliveries are free one
// Lease later.
func (d *Dispatcher) keepClaims(ctx context.Context, batch []store.Delivery) *claimKeeper {
	k := &claimKeeper{pending: make(map[int64]bool, len(batch)), done: make(chan struct{})}
	for i := range batch {
		k.pending[batch[i].ID] = true
	}
	every := d.Lease / 3
	if every <= 0 {
		return k
	}
	k.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-k.done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ids := k.ids()
			if len(ids) == 0 {
				continue
			}
			now := d.now()
			if _, err := d.st.ExtendDeliveryClaims(ctx, ids, now, now.Add(d.Lease)); err != nil && ctx.Err() == nil {
				d.log.Warn("renew delivery claims", "deliveries", len(ids), "err", err)
			}
		}
	})
	return k
}

// ids returns the deliveries still to renew, in order.
func (k *claimKeeper) ids() []int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]int64, 0, len(k.pending))
	for id := range k.pending {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// settled stops renewing the claims of dls.
func (k *claimKeeper) settled(dls []*store.Delivery) {
	k.mu.Lock()
	for _, dl := range dls {
		delete(k.pending, dl.ID)
	}
	k.mu.Unlock()
}

// stop ends the renewals and waits for a running one.
func (k *claimKeeper) stop() {
	close(k.done)
	k.wg.Wait()
}

// Test sends ev through the named channel at once, outside the outbox,
// as `shdmc test-channel` does: localized for no route (the channel's time
// zone, English), with a key of its own.
func (d *Dispatcher) Test(ctx context.Context, channel string, ev *model.Event) (Receipt, error) {
	n, ok := d.notifiers[channel]
	if !ok {
		return Receipt{}, fmt.Errorf("no channel named %q (channels: %v)", channel, d.names)
	}
	j := &Job{Channel: channel, Notice: &Notice{Event: ev, Route: "test",
		Key: store.DeliveryKey(store.KindTest, ev, "", channel, strconv.FormatInt(d.now().UnixNano(), 10))}}
	d.localize.Exec(ctx, []*Job{j})
	if j.Err != nil {
		return Receipt{}, j.Err
	}
	return n.Notify(ctx, d.send.forChannel(j.Notice, channel))
}

// Preview sends ev through the named notifier at once, outside the outbox,
// localized for the named route as a delivery of that route would be
// (language, time zone, template, translation, tenant name), as `shdmc
// preview` does. The notifier need not be one of the dispatcher's
// channels: preview passes one that prints.
func (d *Dispatcher) Preview(ctx context.Context, routeName, channel string, n Notifier, ev *model.Event) (Receipt, error) {
	j := &Job{Channel: channel, Notice: &Notice{Event: ev, Route: routeName,
		Key: store.DeliveryKey(store.KindTest, ev, routeName, channel, "preview")}}
	if d.localize.router != nil {
		j.Policy = d.localize.router.Policy(routeName)
	}
	d.localize.Exec(ctx, []*Job{j})
	if j.Err != nil {
		return Receipt{}, j.Err
	}
	return n.Notify(ctx, d.send.forChannel(j.Notice, channel))
}
