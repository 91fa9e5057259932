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
		added, err := s.EnqueueDelivery(ctx, ids[0], store.KindFollowUp, "mail", "ops-ja", "contoso/shd/EX1/1/ops-ja/mail/translation", due)
		if err != nil || added != want {
			t.Fatalf("EnqueueDelivery #%d = %v, %v; want %v", i+1, added, err, want)
		}
	}
	if _, err := s.EnqueueDelivery(ctx, ids[0], store.KindNotice, "", "r", "k2", due); err == nil {
		t.Error("a delivery without a channel was accepted")
	}
	if got, _ := s.ClaimDeliveries(ctx, nil, due.Add(-time.Second), time.Hour, 10); len(got) != 0 {
		t.Fatalf("claimed before it was due: %+v", got)
	}
	got, err := s.ClaimDeliveries(ctx, nil, due, time.Hour, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim = %+v, %v", got, err)
	}
	if d := got[0]; d.Route != "ops-ja" || d.Channel != "mail" || d.Event.ItemID != "EX1" || d.Event.ID != ids[0] || d.State != store.DeliveryPending || d.Kind != store.KindFollowUp {
		t.Errorf("enqueued delivery = %+v", d)
	}
}

// testDeliveryKinds: a delivery keeps the kind it was committed with, and
// one committed without a kind is a notice.
func testDeliveryKinds(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	ev := event("contoso", "MC9", 1, model.EventMessageNew)
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Events: []model.Event{ev},
		Deliveries: []store.NewDelivery{
			{Event: 0, Channel: "mail", Route: "r", Key: store.DeliveryKey(store.KindNotice, &ev, "r", "mail", "")},
			{Event: 0, Kind: store.KindGroup, Channel: "mail", Route: "r", Key: store.DeliveryKey(store.KindGroup, &ev, "r", "mail", "h1")},
		}})
	got, err := s.Deliveries(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]store.DeliveryKind{}
	for _, d := range got {
		kinds[d.Key] = d.Kind
	}
	want := map[string]store.DeliveryKind{"contoso/" + string(ev.Source) + "/MC9/1/r/mail": store.KindNotice, "group/r/mail/MC9/mc.new/h1": store.KindGroup}
	for k, w := range want {
		if kinds[k] != w {
			t.Errorf("delivery %s: kind %q, want %q (all: %v)", k, kinds[k], w, kinds)
		}
	}
}
