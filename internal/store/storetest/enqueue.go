package storetest

import (
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testEnqueueDelivery: a later delivery of a stored event is due at its
// time, carries its route, and is added once per key.
func testEnqueueDelivery(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	ids := commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Events: []model.Event{event("contoso", "EX1", 1, model.EventIssueNew)}})
	due := claimAt().Add(10 * time.Minute)
	for i, want := range []bool{true, false} {
		added, err := s.EnqueueDelivery(ctx, ids[0], "mail", "ops-ja", "contoso/shd/EX1/1/ops-ja/mail/translation", due)
		if err != nil || added != want {
			t.Fatalf("EnqueueDelivery #%d = %v, %v; want %v", i+1, added, err, want)
		}
	}
	if _, err := s.EnqueueDelivery(ctx, ids[0], "", "r", "k2", due); err == nil {
		t.Error("a delivery without a channel was accepted")
	}
	if got, _ := s.ClaimDeliveries(ctx, nil, due.Add(-time.Second), time.Hour, 10); len(got) != 0 {
		t.Fatalf("claimed before it was due: %+v", got)
	}
	got, err := s.ClaimDeliveries(ctx, nil, due, time.Hour, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim = %+v, %v", got, err)
	}
	if d := got[0]; d.Route != "ops-ja" || d.Channel != "mail" || d.Event.ItemID != "EX1" || d.Event.ID != ids[0] || d.State != store.DeliveryPending {
		t.Errorf("enqueued delivery = %+v", d)
	}
}
