package notify_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/store"
)

// slow is a Notifier that takes its time.
type slow struct {
	d     time.Duration
	calls atomic.Int32
}

func (s *slow) Notify(ctx context.Context, _ *notify.Notice) (notify.Receipt, error) {
	s.calls.Add(1)
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return notify.Receipt{}, ctx.Err()
	}
	return notify.Receipt{Status: "ok"}, nil
}

// sharedOutbox opens two stores on one file, as two workers on two
// machines (worker IDs that WorkerGone never takes for gone), holding one
// event with one delivery to channel "ch".
func sharedOutbox(t *testing.T, now func() time.Time) (a, b store.Store) {
	t.Helper()
	ctx := context.Background()
	path := "sqlite://" + filepath.Join(t.TempDir(), "n.db")
	open := func(worker string) store.Store {
		st, err := store.Open(ctx, path, store.WithWorker(worker), store.WithNow(now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	a, b = open("host-a-1-aaaa"), open("host-b-2-bbbb")
	ev := sampleEvent()
	if _, err := a.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: []model.Event{ev},
		Deliveries: []store.NewDelivery{{Event: 0, Channel: "ch", Route: "default", Key: "contoso/shd/EX559755/2/default/ch"}}}); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// TestSlowSendKeepsItsClaim: a send that lasts four leases keeps its
// claim (renewed every third of a lease), so another worker draining all
// the while never sends the same notice.
func TestSlowSendKeepsItsClaim(t *testing.T) {
	a, b := sharedOutbox(t, nil)
	const lease = 300 * time.Millisecond
	na, nb := &slow{d: 4 * lease}, &slow{}
	da := notify.New(notify.Config{Store: a, Notifiers: map[string]notify.Notifier{"ch": na}})
	db := notify.New(notify.Config{Store: b, Notifiers: map[string]notify.Notifier{"ch": nb}})
	da.Lease, db.Lease = lease, lease
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		sent, _, err := da.Drain(ctx)
		if err != nil {
			t.Error(err)
		}
		done <- sent
	}()
	for na.calls.Load() == 0 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	for end := time.Now().Add(5 * lease); time.Now().Before(end); time.Sleep(lease / 10) {
		if _, _, err := db.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if sent := <-done; sent != 1 {
		t.Errorf("the slow worker sent %d, want 1", sent)
	}
	if n := nb.calls.Load(); n != 0 {
		t.Errorf("the other worker sent the notice in flight %d times", n)
	}
}

// TestKilledClaimFreeWithinAMinute: a delivery claimed by a worker on
// another machine that was killed before sending is claimed again by
// another worker within 60 s, not before 20 s.
func TestKilledClaimFreeWithinAMinute(t *testing.T) {
	if notify.DefaultLease > time.Minute {
		t.Fatalf("DefaultLease = %v, want at most a minute", notify.DefaultLease)
	}
	c := &clock{t: t0}
	dead, live := sharedOutbox(t, c.now)
	ctx := context.Background()
	// The killed worker's dispatcher claimed the delivery, then died.
	if ds, err := dead.ClaimDeliveries(ctx, nil, c.now(), notify.New(notify.Config{Store: dead}).Lease, 100); err != nil || len(ds) != 1 {
		t.Fatalf("claim: %v, %v", ds, err)
	}
	n := &script{}
	d := notify.New(notify.Config{Store: live, Notifiers: map[string]notify.Notifier{"ch": n}, Now: c.now})
	for _, step := range []struct {
		at   time.Duration
		sent int
	}{{20 * time.Second, 0}, {time.Minute, 1}} {
		c.t = t0.Add(step.at)
		sent, _, err := d.Drain(ctx)
		if err != nil || sent != step.sent {
			t.Errorf("drain at +%v: sent %d, %v; want %d", step.at, sent, err, step.sent)
		}
	}
}
