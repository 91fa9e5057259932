package webhook_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/channeltest"
	"github.com/shdmc/shdmc/internal/store"
)

// errNotifier always fails with err.
type errNotifier struct{ err error }

func (e errNotifier) Notify(context.Context, *notify.Notice) (notify.Receipt, error) {
	return notify.Receipt{}, e.err
}

// openStore opens a fresh SQLite store with tenant contoso.
func openStore(t testing.TB, now func() time.Time) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "outbox.db"), store.WithNow(now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.UpsertTenant(ctx, model.Tenant{ID: "contoso"}); err != nil {
		t.Fatal(err)
	}
	return st
}

// retryDelay runs one delivery that fails with err through the real
// Dispatcher and returns how long it schedules the retry after now: the
// only observable effect of notify.RetryAfter.
func retryDelay(t *testing.T, err error) time.Duration {
	t.Helper()
	now := func() time.Time { return channeltest.T0 }
	st := openStore(t, now)
	ctx := context.Background()
	ev := *channeltest.Event(2)
	if _, cerr := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: []model.Event{ev},
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
	return dels[0].NextAttempt.Sub(channeltest.T0)
}
