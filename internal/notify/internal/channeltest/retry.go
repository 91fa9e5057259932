package channeltest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/store"
)

// errNotifier always fails with err.
type errNotifier struct{ err error }

func (e errNotifier) Notify(context.Context, *notify.Notice) (notify.Receipt, error) {
	return notify.Receipt{}, e.err
}

// RetryDelay runs one delivery that fails with err through the real
// Dispatcher (at T0, backoff one second) and returns how long after T0 it
// schedules the retry, and whether it dead-lettered the delivery instead:
// the observable effects of notify.RetryAfter and notify.Permanent.
func RetryDelay(t *testing.T, err error) (delay time.Duration, dead bool) {
	t.Helper()
	now := func() time.Time { return T0 }
	ctx := context.Background()
	st, oerr := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "retry.db"), store.WithNow(now))
	if oerr != nil {
		t.Fatal(oerr)
	}
	defer st.Close()
	if uerr := st.UpsertTenant(ctx, model.Tenant{ID: "contoso"}); uerr != nil {
		t.Fatal(uerr)
	}
	if _, cerr := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: []model.Event{*Event(2)},
		Deliveries: []store.NewDelivery{{Event: 0, Channel: "ch", Route: "default", Key: "k"}}}); cerr != nil {
		t.Fatal(cerr)
	}
	d := notify.New(notify.Config{Store: st, Notifiers: map[string]notify.Notifier{"ch": errNotifier{err}}, Now: now})
	d.Backoff, d.MaxBackoff = time.Second, time.Second
	if _, _, derr := d.Drain(ctx); derr != nil {
		t.Fatal(derr)
	}
	dels, derr := st.Deliveries(ctx, nil, 1)
	if derr != nil || len(dels) != 1 {
		t.Fatalf("deliveries %v, %v", dels, derr)
	}
	return dels[0].NextAttempt.Sub(T0), dels[0].State == store.DeliveryDead
}
