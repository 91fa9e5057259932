package notify_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/notify"
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
	const group = "group/route/ch/EX559755/hash"
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
			st := &failingComplete{Store: outbox(t, c), fails: tt.fails}
			k := &keys{}
			d := notify.NewDispatcher(st, map[string]notify.Notifier{"ch": k}, c.now, nil)
			d.Lease = time.Minute
			d.Hold = func(dl *store.Delivery, now time.Time) notify.Hold {
				if dl.Key == group {
					return notify.Hold{}
				}
				return notify.Hold{Group: group, GroupAt: t0.Add(2 * time.Minute)}
			}
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
