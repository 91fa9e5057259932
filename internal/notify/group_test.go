package notify_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/fingerprint"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
)

// failingComplete fails the first CompleteDelivery calls, as a crash
// between handing a delivery over to its group and marking it done would.
type failingComplete struct {
	store.Store
	fails int
}

func (f *failingComplete) CompleteDelivery(ctx context.Context, id int64, at time.Time) error {
	if f.fails > 0 {
		f.fails--
		return errors.New("connection lost")
	}
	return f.Store.CompleteDelivery(ctx, id, at)
}

// keys records the idempotency keys of the notices it receives.
type keys struct{ got []string }

func (k *keys) Notify(_ context.Context, n *notify.Notice) (notify.Receipt, error) {
	k.got = append(k.got, n.Key)
	return notify.Receipt{Status: "ok"}, nil
}

// TestDispatcherGroup checks the hand-over of a delivery to its group
// delivery: the group delivery waits until GroupAt, is sent once, and a
// hand-over interrupted before the delivery was marked done is repeated
// harmlessly when the claim lapses.
func TestDispatcherGroup(t *testing.T) {
	tests := []struct {
		name  string
		fails int
	}{
		{"hand-over completes", 0},
		{"interrupted hand-over is repeated", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c := &clock{t: t0}
			inner, ev := messageOutbox(t, c)
			st := &failingComplete{Store: inner, fails: tt.fails}
			group := store.DeliveryKey(store.KindGroup, &ev, "default", "ch", fingerprint.Message(ev.Message))
			k := &keys{}
			router, err := route.New([]config.Route{{Name: "default", Channels: []string{"ch"}, GroupTenants: true}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			d := notify.New(notify.Config{Store: st, Router: router, Notifiers: map[string]notify.Notifier{"ch": k}, Now: c.now})
			d.Lease = time.Minute
			for _, step := range []time.Duration{0, 30 * time.Second, 45 * time.Second, 90 * time.Second, time.Hour} {
				c.add(step)
				if _, _, err := d.Drain(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if len(k.got) != 1 || k.got[0] != group {
				t.Fatalf("sent %q, want the group notice once", k.got)
			}
			left, err := st.Deliveries(ctx, []store.DeliveryState{store.DeliveryPending, store.DeliveryRetrying}, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Errorf("%d deliveries not done, first %s", len(left), left[0].Key)
			}
		})
	}
}

// messageOutbox is a store with one delivery of a Message Center post on
// the route "default" to the channel "ch".
func messageOutbox(t *testing.T, c *clock) (store.Store, model.Event) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "n.db"), store.WithNow(c.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ev := model.Event{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageNew, Revision: 1,
		DetectedAt: t0, Message: &model.Message{ID: "MC1", Title: "Town halls get captions", Body: "<p>Captions.</p>"}}
	if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Events: []model.Event{ev},
		Deliveries: []store.NewDelivery{{Event: 0, Channel: "ch", Route: "default", Key: store.DeliveryKey(store.KindNotice, &ev, "default", "ch", "")}}}); err != nil {
		t.Fatal(err)
	}
	return st, ev
}
