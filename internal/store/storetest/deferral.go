package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testDeferDelivery: a held delivery is not due before its time, keeps its
// attempt count and state, carries the note, and finished deliveries
// cannot be deferred.
func testDeferDelivery(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC,
		Events: []model.Event{event("contoso", "MC1", 1, model.EventMessageNew)},
		Deliveries: []store.NewDelivery{
			{Event: 0, Channel: "mail", Route: "digest", Key: "held"},
			{Event: 0, Channel: "teams", Route: "night", Key: "done"},
		}})
	now := claimAt()
	ds, err := s.ClaimDeliveries(ctx, nil, now, time.Hour, 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("claim = %d deliveries, %v", len(ds), err)
	}
	byKey := map[string]store.Delivery{}
	for _, d := range ds {
		byKey[d.Key] = d
	}
	until := now.Add(9 * time.Hour)
	if err := s.DeferDelivery(ctx, byKey["held"].ID, until, "held for the weekly digest"); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteDelivery(ctx, byKey["done"].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.DeferDelivery(ctx, byKey["done"].ID, until, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deferring a done delivery: %v, want ErrNotFound", err)
	}
	if err := s.DeferDelivery(ctx, 987654, until, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deferring a missing delivery: %v, want ErrNotFound", err)
	}
	// The lease is released, but the delivery is not due before until.
	if got, _ := s.ClaimDeliveries(ctx, nil, until.Add(-time.Second), time.Hour, 10); len(got) != 0 {
		t.Fatalf("held delivery claimed early: %+v", got)
	}
	got, err := s.ClaimDeliveries(ctx, nil, until, time.Hour, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim at until = %+v, %v", got, err)
	}
	d := got[0]
	if d.Key != "held" || d.State != store.DeliveryPending || d.Attempts != 0 || d.LastError != "held for the weekly digest" ||
		!d.NextAttempt.Equal(until) || d.Route != "digest" {
		t.Errorf("held delivery after its time: %+v", d)
	}
}
