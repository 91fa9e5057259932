package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testSourceHealth checks that source health round-trips, is replaced per
// tenant and source, and is stored in one transaction with its events.
func testSourceHealth(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	hs := s
	if got, err := hs.SourceHealths(ctx, ""); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v, %v", got, err)
	}
	at := base()
	down := model.Event{Tenant: "contoso", Source: model.SourceGraph, ItemID: "graph", Type: model.EventSourceDown,
		Revision: 1, DetectedAt: at, Changes: []model.Change{{Kind: model.ChangeFailure, Field: "auth", From: "AADSTS50020"}}}
	b := store.Batch{Tenant: "contoso", Source: model.SourceGraph, Events: []model.Event{down},
		Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Route: "r", Key: "contoso/graph/graph/1/r/mail"}}}
	ids, err := hs.PutSourceHealth(ctx, store.SourceHealth{Tenant: "contoso", Source: model.SourceGraph, Data: []byte(`{"down":true}`), UpdatedAt: at}, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Fatalf("ids = %v, want one", ids)
	}
	if _, err := hs.PutSourceHealth(ctx, store.SourceHealth{Tenant: "fabrikam", Source: model.SourceGraph, Data: []byte(`{}`), UpdatedAt: at}, store.Batch{}); err != nil {
		t.Fatal(err)
	}
	// Replacing keeps one row; the same delivery key is not inserted twice.
	later := at.Add(time.Hour)
	if _, err := hs.PutSourceHealth(ctx, store.SourceHealth{Tenant: "contoso", Source: model.SourceGraph, Data: []byte(`{"down":false}`), UpdatedAt: later}, b); err != nil {
		t.Fatal(err)
	}
	got, err := hs.SourceHealths(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.SourceHealth{
		{Tenant: "contoso", Source: model.SourceGraph, Data: []byte(`{"down":false}`), UpdatedAt: later.UTC()},
		{Tenant: "fabrikam", Source: model.SourceGraph, Data: []byte(`{}`), UpdatedAt: at.UTC()},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("source health (-want +got):\n%s", diff)
	}
	one, err := hs.SourceHealths(ctx, "fabrikam")
	if err != nil || len(one) != 1 || one[0].Tenant != "fabrikam" {
		t.Errorf("filter by tenant: %v, %v", one, err)
	}
	ds, err := s.Deliveries(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Event.Type != model.EventSourceDown || ds[0].Event.Changes[0].From != "AADSTS50020" {
		t.Errorf("deliveries = %+v, want the one source.down", ds)
	}
	// A failing batch stores nothing of the health either.
	bad := store.Batch{Tenant: "contoso", Source: model.SourceGraph, Events: []model.Event{down},
		Deliveries: []store.NewDelivery{{Event: 5, Channel: "mail", Key: "x"}}}
	if _, err := hs.PutSourceHealth(ctx, store.SourceHealth{Tenant: "contoso", Source: model.SourceGraph, Data: []byte(`{"bad":true}`)}, bad); err == nil {
		t.Fatal("a batch with a bad delivery was accepted")
	}
	got, err = hs.SourceHealths(ctx, "contoso")
	if err != nil || len(got) != 1 || string(got[0].Data) != `{"down":false}` {
		t.Errorf("after a failed put: %v, %v", got, err)
	}
	if _, err := hs.PutSourceHealth(ctx, store.SourceHealth{Source: model.SourceGraph}, store.Batch{}); err == nil {
		t.Error("a health row without tenant was accepted")
	}
}
