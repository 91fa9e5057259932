// Package storetest is the behaviour every store engine must show, as one
// test suite that each engine's tests run against a fresh store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// Run runs the suite. open must return a new, empty store for each call and
// arrange for it to be closed (t.Cleanup). The store's clock (store.WithNow)
// may be anything not ahead of the wall clock: the suite claims deliveries
// at times well after time.Now.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Tenants", testTenants},
		{"ItemsRoundTrip", testItemsRoundTrip},
		{"Revisions", testRevisions},
		{"Cursor", testCursor},
		{"Events", testEvents},
		{"Atomicity", testAtomicity},
		{"CommitAll", testCommitAll},
		{"IdempotencyKey", testIdempotencyKey},
		{"ClaimLease", testClaimLease},
		{"CompleteFailDead", testCompleteFailDead},
		{"ConcurrentCommits", testConcurrentCommits},
		{"ConcurrentClaims", testConcurrentClaims},
		{"History", testHistory},
		{"RouteAndRequeue", testRouteAndRequeue},
		{"DeferDelivery", testDeferDelivery},
		{"EnqueueDelivery", testEnqueueDelivery},
		{"DeliveryKinds", testDeliveryKinds},
		{"ThreadRef", testThreadRef},
		{"ConcurrentThreadRef", testConcurrentThreadRef},
		{"Translations", testTranslations},
		{"TranslationUsage", testTranslationUsage},
		{"Leases", testLeases},
		{"SourceHealth", testSourceHealth},
		{"Workers", testWorkers},
		{"BudgetLog", testBudgetLog},
		{"ManagedTenants", testManagedTenants},
		{"SearchItems", testSearchItems},
		{"SourceStatesAndCounts", testSourceStatesAndCounts},
		{"SharedBlobs", testSharedBlobs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

// base returns a time with nanoseconds in a non-UTC zone, to prove that stored
// times round-trip exactly and come back in UTC.
func base() time.Time {
	return time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("JST", 9*3600))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func issueJSON(id, status string, rev int) []byte {
	b, _ := json.Marshal(model.Issue{ID: id, Title: "Users can't send email", Service: "Exchange Online",
		Status: model.Status(status), Classification: model.ClassificationIncident,
		LastModified: base().Add(time.Duration(rev) * time.Minute).UTC()})
	return b
}

func item(tenant string, src model.Source, id string, rev int) store.Item {
	return store.Item{
		Key:          model.ItemKey{Tenant: tenant, Source: src, ID: id},
		Revision:     rev,
		Hash:         fmt.Sprintf("h-%s-%d", id, rev),
		LastModified: base().Add(time.Duration(rev) * time.Minute),
		SeenAt:       base().Add(time.Duration(rev)*time.Minute + time.Second),
		Data:         issueJSON(id, "investigating", rev),
	}
}

func event(tenant, id string, rev int, typ model.EventType) model.Event {
	return model.Event{
		Tenant: tenant, Source: model.SourceSHD, ItemID: id, Type: typ, Revision: rev,
		Changes:    []model.Change{{Kind: model.ChangeStatus, From: "investigating", To: "serviceRestored"}},
		DetectedAt: base().Add(time.Duration(rev) * time.Hour),
		Issue:      &model.Issue{ID: id, Title: "Users can't send email", Status: model.StatusServiceRestored},
	}
}

func commit(t *testing.T, s store.Store, b store.Batch) []int64 {
	t.Helper()
	ids, err := s.Commit(ctxT(t), b)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if len(ids) != len(b.Events) {
		t.Fatalf("Commit returned %d IDs for %d events", len(ids), len(b.Events))
	}
	return ids
}

// claimAt is a claim time safely after any outbox row the store stamped
// with its own clock.
func claimAt() time.Time { return time.Now().Add(time.Hour).Truncate(time.Second) }

func testTenants(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	if got, err := s.Tenants(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Tenants of an empty store = %v, %v; want none", got, err)
	}
	for _, tn := range []model.Tenant{{ID: "fabrikam", Name: "Fabrikam"}, {ID: "contoso", Name: "Contoso"}, {ID: "fabrikam", Name: "Fabrikam Ltd"}} {
		if err := s.UpsertTenant(ctx, tn); err != nil {
			t.Fatalf("UpsertTenant(%v): %v", tn, err)
		}
	}
	got, err := s.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Tenant{{ID: "contoso", Name: "Contoso"}, {ID: "fabrikam", Name: "Fabrikam Ltd"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tenants (-want +got):\n%s", diff)
	}
	if err := s.UpsertTenant(ctx, model.Tenant{}); err == nil {
		t.Error("UpsertTenant with an empty ID succeeded")
	}
}

func testItemsRoundTrip(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a, b, c := item("contoso", model.SourceSHD, "EX559755", 1), item("contoso", model.SourceSHD, "EX100", 1), item("contoso", model.SourceSHD, "EX200", 1)
	c.Removed = true
	other := item("fabrikam", model.SourceSHD, "EX559755", 1)
	mc := item("contoso", model.SourceMC, "MC123456", 1)
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Items: []store.Item{a, b, c}})
	commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceSHD, Items: []store.Item{other}})
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{mc}})

	all, err := s.Items(ctx, "contoso", model.SourceSHD, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Item{a.Key.ID: a, b.Key.ID: b, c.Key.ID: c}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("Items(nil) (-want +got):\n%s", diff)
	}
	for _, it := range all {
		if it.LastModified.Location() != time.UTC || it.SeenAt.Location() != time.UTC {
			t.Errorf("item %s times not in UTC: %v, %v", it.Key.ID, it.LastModified, it.SeenAt)
		}
	}

	some, err := s.Items(ctx, "contoso", model.SourceSHD, []string{"EX559755", "EX200", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]store.Item{a.Key.ID: a, c.Key.ID: c}, some); diff != "" {
		t.Errorf("Items(ids) (-want +got):\n%s", diff)
	}
	none, err := s.Items(ctx, "contoso", model.SourceSHD, []string{})
	if err != nil || len(none) != 0 {
		t.Errorf("Items(empty ids) = %v, %v; want an empty map", none, err)
	}

	ids, err := s.ItemIDs(ctx, "contoso", model.SourceSHD)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"EX100", "EX559755"}, ids); diff != "" {
		t.Errorf("ItemIDs leaves out removed items, sorted (-want +got):\n%s", diff)
	}
	if ids, err := s.ItemIDs(ctx, "nobody", model.SourceSHD); err != nil || len(ids) != 0 {
		t.Errorf("ItemIDs of an unknown tenant = %v, %v", ids, err)
	}

	// A long ID list (more than one statement's worth of parameters).
	var many []store.Item
	var manyIDs []string
	for i := range 1200 {
		it := item("contoso", model.SourceHealth, fmt.Sprintf("svc%04d", i), 1)
		many = append(many, it)
		manyIDs = append(manyIDs, it.Key.ID)
	}
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceHealth, Items: many})
	got, err := s.Items(ctx, "contoso", model.SourceHealth, append(manyIDs, "nope"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1200 || got["svc1199"].Hash != "h-svc1199-1" {
		t.Errorf("Items(1201 ids) returned %d items", len(got))
	}
}

func testRevisions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const tn = "contoso"
	v1 := item(tn, model.SourceSHD, "EX559755", 1)
	commit(t, s, store.Batch{Tenant: tn, Source: model.SourceSHD, Items: []store.Item{v1}})

	// Same revision again: only LastModified and Removed change.
	same := v1
	same.LastModified = base().Add(99 * time.Minute)
	same.Removed = true
	same.Hash = "ignored"
	same.Data = []byte(`{"ignored":true}`)
	same.SeenAt = base().Add(99 * time.Hour)
	commit(t, s, store.Batch{Tenant: tn, Source: model.SourceSHD, Items: []store.Item{same}})
	got, err := s.Items(ctx, tn, model.SourceSHD, []string{"EX559755"})
	if err != nil {
		t.Fatal(err)
	}
	want := v1
	want.LastModified, want.Removed = same.LastModified, true
	if diff := cmp.Diff(want, got["EX559755"]); diff != "" {
		t.Errorf("item after same-revision upsert (-want +got):\n%s", diff)
	}
	h, err := s.History(ctx, tn, "EX559755")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 {
		t.Fatalf("History after a same-revision upsert has %d revisions, want 1", len(h))
	}

	// A new revision replaces the item and appends a revision row.
	v2 := item(tn, model.SourceSHD, "EX559755", 2)
	v2.Data = issueJSON("EX559755", "serviceRestored", 2)
	commit(t, s, store.Batch{Tenant: tn, Source: model.SourceSHD, Items: []store.Item{v2}})
	got, err = s.Items(ctx, tn, model.SourceSHD, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v2, got["EX559755"]); diff != "" {
		t.Errorf("item after new revision (-want +got):\n%s", diff)
	}
	h, err = s.History(ctx, tn, "EX559755")
	if err != nil {
		t.Fatal(err)
	}
	wantH := []store.Revision{store.Revision(v1), store.Revision(v2)}
	if diff := cmp.Diff(wantH, h); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}

	// An older revision than stored is refused.
	if _, err := s.Commit(ctx, store.Batch{Tenant: tn, Source: model.SourceSHD, Items: []store.Item{v1}}); err == nil {
		t.Error("Commit of an older revision succeeded")
	}
	// Items keyed with another tenant than the batch's are refused.
	stray := item("fabrikam", model.SourceSHD, "EX1", 1)
	if _, err := s.Commit(ctx, store.Batch{Tenant: tn, Source: model.SourceSHD, Items: []store.Item{stray}}); err == nil {
		t.Error("Commit of an item of another tenant succeeded")
	}
	// A zero SeenAt is stamped by the store.
	fresh := item(tn, model.SourceSHD, "EX300", 1)
	fresh.SeenAt = time.Time{}
	commit(t, s, store.Batch{Tenant: tn, Source: model.SourceSHD, Items: []store.Item{fresh}})
	got, err = s.Items(ctx, tn, model.SourceSHD, []string{"EX300"})
	if err != nil {
		t.Fatal(err)
	}
	if got["EX300"].SeenAt.IsZero() {
		t.Error("a zero SeenAt was stored as zero; want the store's clock")
	}
}

func testCursor(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	c, err := s.Cursor(ctx, "contoso", model.SourceMC)
	if err != nil || c != (store.Cursor{}) {
		t.Fatalf("Cursor before any commit = %+v, %v; want zero, nil", c, err)
	}
	want := store.Cursor{Watermark: base(), LastFull: base().Add(time.Hour), Baselined: true}
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Cursor: &want})
	// A batch without a cursor leaves it alone.
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{item("contoso", model.SourceMC, "MC1", 1)}})
	got, err := s.Cursor(ctx, "contoso", model.SourceMC)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Cursor (-want +got):\n%s", diff)
	}
	if got.Watermark.Location() != time.UTC {
		t.Errorf("watermark not in UTC: %v", got.Watermark)
	}
	// Replaced, including back to zero times and false.
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Cursor: &store.Cursor{}})
	if got, err := s.Cursor(ctx, "contoso", model.SourceMC); err != nil || got != (store.Cursor{}) {
		t.Errorf("Cursor after replacing with zero = %+v, %v", got, err)
	}
	// Other sources and tenants are separate.
	if got, err := s.Cursor(ctx, "contoso", model.SourceSHD); err != nil || got != (store.Cursor{}) {
		t.Errorf("Cursor of another source = %+v, %v", got, err)
	}
}

func testEvents(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	e1, e2 := event("contoso", "EX1", 1, model.EventIssueNew), event("contoso", "EX2", 2, model.EventIssueStatus)
	e3 := event("fabrikam", "EX1", 3, model.EventIssueResolved)
	ids1 := commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: []model.Event{e1, e2}})
	ids2 := commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceSHD, Events: []model.Event{e3}})
	all := append(slices.Clone(ids1), ids2...)
	for i := 1; i < len(all); i++ {
		if all[i] <= all[i-1] {
			t.Fatalf("event IDs not strictly increasing: %v", all)
		}
	}
	e1.ID, e2.ID, e3.ID = ids1[0], ids1[1], ids2[0]

	tests := []struct {
		name string
		q    store.EventQuery
		want []model.Event
	}{
		{"all", store.EventQuery{}, []model.Event{e1, e2, e3}},
		{"tenant", store.EventQuery{Tenant: "contoso"}, []model.Event{e1, e2}},
		{"item", store.EventQuery{ItemID: "EX1"}, []model.Event{e1, e3}},
		{"tenant and item", store.EventQuery{Tenant: "fabrikam", ItemID: "EX1"}, []model.Event{e3}},
		{"since inclusive", store.EventQuery{Since: e2.DetectedAt}, []model.Event{e2, e3}},
		{"limit keeps oldest", store.EventQuery{Limit: 2}, []model.Event{e1, e2}},
		{"nothing", store.EventQuery{Tenant: "nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Events(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Events(%+v) (-want +got):\n%s", tt.q, diff)
			}
		})
	}

	// Empty Tenant and Source are taken from the batch; a zero DetectedAt
	// is stamped by the store.
	bare := model.Event{ItemID: "EX9", Type: model.EventIssueNew, Revision: 1}
	ids := commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: []model.Event{bare}})
	got, err := s.Events(ctx, store.EventQuery{ItemID: "EX9"})
	if err != nil || len(got) != 1 {
		t.Fatalf("Events(EX9) = %v, %v", got, err)
	}
	if got[0].ID != ids[0] || got[0].Tenant != "contoso" || got[0].Source != model.SourceSHD || got[0].DetectedAt.IsZero() {
		t.Errorf("bare event stored as %+v", got[0])
	}
}

// assertEmpty checks that nothing of the failed batches reached the store.
func assertEmpty(t *testing.T, s store.Store) {
	t.Helper()
	ctx := ctxT(t)
	if items, err := s.Items(ctx, "contoso", model.SourceSHD, nil); err != nil || len(items) != 0 {
		t.Errorf("items after a failed commit: %v, %v", items, err)
	}
	if _, err := s.History(ctx, "", "EX1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("History after a failed commit: err = %v, want ErrNotFound", err)
	}
	if evs, err := s.Events(ctx, store.EventQuery{}); err != nil || len(evs) != 0 {
		t.Errorf("events after a failed commit: %v, %v", evs, err)
	}
	if ds, err := s.Deliveries(ctx, nil, 0); err != nil || len(ds) != 0 {
		t.Errorf("deliveries after a failed commit: %v, %v", ds, err)
	}
	if c, err := s.Cursor(ctx, "contoso", model.SourceSHD); err != nil || c != (store.Cursor{}) {
		t.Errorf("cursor after a failed commit: %+v, %v", c, err)
	}
}

func testAtomicity(t *testing.T, s store.Store) {
	good := func() store.Batch {
		return store.Batch{
			Tenant: "contoso", Source: model.SourceSHD,
			Items:      []store.Item{item("contoso", model.SourceSHD, "EX1", 1), item("contoso", model.SourceSHD, "EX2", 1)},
			Events:     []model.Event{event("contoso", "EX1", 1, model.EventIssueNew), event("contoso", "EX2", 1, model.EventIssueNew)},
			Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Key: "k1"}, {Event: 1, Channel: "mail", Key: "k2"}},
			Cursor:     &store.Cursor{Watermark: base(), Baselined: true},
		}
	}
	tests := []struct {
		name  string
		batch func() store.Batch
		ctx   func(t *testing.T) context.Context
	}{
		{"delivery of a missing event", func() store.Batch {
			b := good()
			b.Deliveries = append(b.Deliveries, store.NewDelivery{Event: 7, Channel: "mail", Key: "k3"})
			return b
		}, ctxT},
		{"delivery without a key", func() store.Batch {
			b := good()
			b.Deliveries = append(b.Deliveries, store.NewDelivery{Event: 0, Channel: "mail"})
			return b
		}, ctxT},
		{"item going back a revision in the same batch", func() store.Batch {
			b := good()
			b.Items = append(b.Items, item("contoso", model.SourceSHD, "EX3", 2), item("contoso", model.SourceSHD, "EX3", 1))
			return b
		}, ctxT},
		{"item with revision zero", func() store.Batch {
			b := good()
			b.Items = append(b.Items, item("contoso", model.SourceSHD, "EX4", 0))
			return b
		}, ctxT},
		{"canceled context", good, func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := s.Commit(tt.ctx(t), tt.batch())
			if err == nil {
				t.Fatalf("Commit succeeded with IDs %v; want an error", ids)
			}
			if ids != nil {
				t.Errorf("failed Commit returned IDs %v", ids)
			}
			assertEmpty(t, s)
		})
	}
	// The store is still usable and the same batch goes through whole.
	ids := commit(t, s, good())
	ds, err := s.Deliveries(ctxT(t), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Event.ID != ids[1] || ds[1].Event.ID != ids[0] {
		t.Errorf("deliveries after a good commit: %+v", ds)
	}
}

// testCommitAll: the batches of several sources go in together or not at
// all.
func testCommitAll(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	health := func() store.Batch {
		return store.Batch{Tenant: "contoso", Source: model.SourceHealth,
			Items:  []store.Item{{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceHealth, ID: "Exchange"}, Revision: 2, Hash: "h-x-2", SeenAt: base(), Data: []byte(`{"id":"Exchange","status":"serviceDegradation"}`)}},
			Events: []model.Event{{Tenant: "contoso", Source: model.SourceHealth, ItemID: "Exchange", Type: model.EventServiceStatus, Revision: 2, DetectedAt: base()}},
		}
	}
	issues := func() store.Batch {
		b := store.Batch{Tenant: "contoso", Source: model.SourceSHD,
			Items:      []store.Item{item("contoso", model.SourceSHD, "EX1", 1)},
			Events:     []model.Event{event("contoso", "EX1", 1, model.EventIssueNew)},
			Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Key: "k-all"}},
			Cursor:     &store.Cursor{Watermark: base(), Baselined: true},
		}
		b.Events[0].Items = []model.Event{health().Events[0]}
		return b
	}
	bad := issues()
	bad.Deliveries = append(bad.Deliveries, store.NewDelivery{Event: 5, Channel: "mail", Key: "k-bad"})
	if ids, err := s.CommitAll(ctx, []store.Batch{health(), bad}); err == nil || ids != nil {
		t.Fatalf("CommitAll with a bad second batch = %v, %v; want an error", ids, err)
	}
	if items, err := s.Items(ctx, "contoso", model.SourceHealth, nil); err != nil || len(items) != 0 {
		t.Errorf("the first batch stayed after the second failed: %v, %v", items, err)
	}
	assertEmpty(t, s)

	ids, err := s.CommitAll(ctx, []store.Batch{health(), issues()})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || len(ids[0]) != 1 || len(ids[1]) != 1 {
		t.Fatalf("CommitAll IDs = %v", ids)
	}
	evs, err := s.Events(ctx, store.EventQuery{})
	if err != nil || len(evs) != 2 {
		t.Fatalf("events %v, %v", evs, err)
	}
	ds, err := s.Deliveries(ctx, nil, 0)
	if err != nil || len(ds) != 1 || ds[0].Event.ID != ids[1][0] || len(ds[0].Event.Items) != 1 || ds[0].Event.Items[0].ItemID != "Exchange" {
		t.Errorf("deliveries %+v, %v", ds, err)
	}
	if c, err := s.Cursor(ctx, "contoso", model.SourceSHD); err != nil || !c.Baselined {
		t.Errorf("cursor %+v, %v", c, err)
	}
	if ids, err := s.CommitAll(ctx, nil); err != nil || ids != nil {
		t.Errorf("CommitAll(nil) = %v, %v", ids, err)
	}
}

func testIdempotencyKey(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := store.Batch{
		Tenant: "contoso", Source: model.SourceSHD,
		Events:     []model.Event{event("contoso", "EX1", 1, model.EventIssueNew)},
		Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Key: "contoso/EX1/1/r/mail"}},
	}
	first := commit(t, s, b)
	second := commit(t, s, b)
	if second[0] <= first[0] {
		t.Errorf("second commit's event ID %d not after %d", second[0], first[0])
	}
	// The same key twice within one batch also yields one row.
	b.Deliveries = append(b.Deliveries, store.NewDelivery{Event: 0, Channel: "teams", Key: "k-teams"}, store.NewDelivery{Event: 0, Channel: "teams", Key: "k-teams"})
	commit(t, s, b)
	ds, err := s.Deliveries(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, d := range ds {
		keys = append(keys, d.Key)
	}
	if diff := cmp.Diff([]string{"k-teams", "contoso/EX1/1/r/mail"}, keys); diff != "" {
		t.Errorf("delivery keys, newest first (-want +got):\n%s", diff)
	}
	if ds[1].Event.ID != first[0] {
		t.Errorf("kept delivery points at event %d, want the first commit's %d", ds[1].Event.ID, first[0])
	}
}

func testClaimLease(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	evs := []model.Event{event("contoso", "EX1", 1, model.EventIssueNew), event("contoso", "EX2", 1, model.EventIssueNew)}
	ids := commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: evs,
		Deliveries: []store.NewDelivery{
			{Event: 0, Channel: "mail", Key: "a"},
			{Event: 1, Channel: "teams", Key: "b"},
			{Event: 1, Channel: "mail", Key: "c"},
		}})
	now := claimAt()
	const lease = time.Minute
	keysOf := func(ds []store.Delivery) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Key)
		}
		return out
	}
	claim := func(at time.Time, channels []string, limit int) []string {
		t.Helper()
		ds, err := s.ClaimDeliveries(ctx, channels, at, lease, limit)
		if err != nil {
			t.Fatalf("ClaimDeliveries: %v", err)
		}
		return keysOf(ds)
	}

	ds, err := s.ClaimDeliveries(ctx, nil, now, lease, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, keysOf(ds)); diff != "" {
		t.Fatalf("first claim, oldest first (-want +got):\n%s", diff)
	}
	d := ds[0]
	want := evs[0]
	want.ID = ids[0]
	if diff := cmp.Diff(want, d.Event); diff != "" {
		t.Errorf("claimed delivery's event (-want +got):\n%s", diff)
	}
	if d.State != store.DeliveryPending || d.Attempts != 0 || d.Channel != "mail" || !d.DoneAt.IsZero() ||
		d.CreatedAt.IsZero() || !d.NextAttempt.Equal(d.CreatedAt) || d.NextAttempt.After(now) {
		t.Errorf("claimed delivery = %+v", d)
	}

	if got := claim(now, nil, 10); !slices.Equal(got, []string{"c"}) {
		t.Errorf("second claim at the same time = %v; want only the unleased [c]", got)
	}
	if got := claim(now.Add(lease-time.Nanosecond), nil, 10); len(got) != 0 {
		t.Errorf("claim just before the lease ends = %v; want none", got)
	}
	if got := claim(now.Add(lease), []string{"teams"}, 10); !slices.Equal(got, []string{"b"}) {
		t.Errorf("claim of teams after the lease ended = %v; want [b]", got)
	}
	if got := claim(now.Add(lease), []string{"mail", "slack"}, 10); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("claim of mail after the lease ended = %v; want [a c]", got)
	}
	if got := claim(now.Add(lease), nil, 0); len(got) != 0 {
		t.Errorf("claim with limit 0 = %v", got)
	}
	// Nothing is due before the store's own creation time.
	fresh := store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: evs[:1],
		Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Key: "d"}}}
	commit(t, s, fresh)
	if got := claim(base().Add(-24*time.Hour), nil, 10); len(got) != 0 {
		t.Errorf("claim at a time before creation = %v; want none", got)
	}
}

func testCompleteFailDead(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Events: []model.Event{event("contoso", "EX1", 1, model.EventIssueNew)},
		Deliveries: []store.NewDelivery{
			{Event: 0, Channel: "mail", Key: "ok"},
			{Event: 0, Channel: "mail", Key: "flaky"},
			{Event: 0, Channel: "mail", Key: "doomed"},
		}})
	now := claimAt()
	ds, err := s.ClaimDeliveries(ctx, nil, now, time.Minute, 10)
	if err != nil || len(ds) != 3 {
		t.Fatalf("claim = %d deliveries, %v", len(ds), err)
	}
	byKey := map[string]int64{}
	for _, d := range ds {
		byKey[d.Key] = d.ID
	}
	doneAt := now.Add(time.Second)
	if err := s.CompleteDelivery(ctx, byKey["ok"], doneAt); err != nil {
		t.Fatal(err)
	}
	retryAt := now.Add(10 * time.Minute)
	if err := s.FailDelivery(ctx, byKey["flaky"], now, "503 Service Unavailable", retryAt, false); err != nil {
		t.Fatal(err)
	}
	if err := s.FailDelivery(ctx, byKey["doomed"], now, "401 Unauthorized", time.Time{}, true); err != nil {
		t.Fatal(err)
	}

	// Failing clears the lease: the retry is due at retryAt, not before, even
	// though the one-minute lease ended long before.
	if got, _ := s.ClaimDeliveries(ctx, nil, retryAt.Add(-time.Nanosecond), time.Minute, 10); len(got) != 0 {
		t.Errorf("claim before retryAt = %d deliveries; want none", len(got))
	}
	got, err := s.ClaimDeliveries(ctx, nil, retryAt, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != "flaky" || got[0].State != store.DeliveryRetrying || got[0].Attempts != 1 ||
		got[0].LastError != "503 Service Unavailable" || !got[0].NextAttempt.Equal(retryAt) {
		t.Fatalf("claim at retryAt = %+v; want the flaky delivery, retrying", got)
	}
	// Second failure, then dead.
	if err := s.FailDelivery(ctx, byKey["flaky"], retryAt, "timeout", retryAt.Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimDeliveries(ctx, nil, now.Add(1000*time.Hour), time.Minute, 10); len(got) != 0 {
		t.Errorf("dead or done deliveries claimed again: %+v", got)
	}

	tests := []struct {
		name   string
		states []store.DeliveryState
		limit  int
		want   []string
	}{
		{"all newest first", nil, 0, []string{"doomed", "flaky", "ok"}},
		{"dead", []store.DeliveryState{store.DeliveryDead}, 0, []string{"doomed", "flaky"}},
		{"done or pending", []store.DeliveryState{store.DeliveryDone, store.DeliveryPending}, 0, []string{"ok"}},
		{"limit", nil, 1, []string{"doomed"}},
		{"retrying none", []store.DeliveryState{store.DeliveryRetrying}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := s.Deliveries(ctx, tt.states, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, d := range ds {
				keys = append(keys, d.Key)
			}
			if diff := cmp.Diff(tt.want, keys); diff != "" {
				t.Errorf("Deliveries (-want +got):\n%s", diff)
			}
		})
	}
	all, err := s.Deliveries(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		switch d.Key {
		case "ok":
			if d.State != store.DeliveryDone || d.Attempts != 1 || !d.DoneAt.Equal(doneAt) || d.DoneAt.Location() != time.UTC {
				t.Errorf("completed delivery = %+v", d)
			}
		case "flaky":
			if d.State != store.DeliveryDead || d.Attempts != 2 || d.LastError != "timeout" || !d.DoneAt.IsZero() {
				t.Errorf("twice failed delivery = %+v", d)
			}
		case "doomed":
			if d.State != store.DeliveryDead || d.Attempts != 1 || d.LastError != "401 Unauthorized" {
				t.Errorf("dead delivery = %+v", d)
			}
		}
		if d.Event.ItemID != "EX1" || d.Event.Issue == nil {
			t.Errorf("delivery %s lost its event: %+v", d.Key, d.Event)
		}
	}

	if err := s.CompleteDelivery(ctx, 987654, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CompleteDelivery of an unknown ID: %v; want ErrNotFound", err)
	}
	if err := s.FailDelivery(ctx, 987654, now, "x", now, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FailDelivery of an unknown ID: %v; want ErrNotFound", err)
	}
}

func testConcurrentCommits(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const workers, rounds = 8, 5
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ids  []int64
		errs []error
	)
	for w := range workers {
		wg.Go(func() {
			tenant := fmt.Sprintf("t%d", w)
			for r := range rounds {
				id := fmt.Sprintf("EX%d", r)
				b := store.Batch{Tenant: tenant, Source: model.SourceSHD,
					Items:      []store.Item{item(tenant, model.SourceSHD, id, 1)},
					Events:     []model.Event{event(tenant, id, 1, model.EventIssueNew)},
					Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Key: tenant + "/" + id}},
					Cursor:     &store.Cursor{Watermark: base().Add(time.Duration(r) * time.Second), Baselined: true},
				}
				got, err := s.Commit(ctx, b)
				// Readers run beside the writers.
				_, rerr := s.Items(ctx, tenant, model.SourceSHD, nil)
				mu.Lock()
				errs = append(errs, err, rerr)
				ids = append(ids, got...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent commits: %v", err)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != workers*rounds {
		t.Errorf("got %d distinct event IDs, want %d", len(ids), workers*rounds)
	}
	evs, err := s.Events(ctx, store.EventQuery{})
	if err != nil || len(evs) != workers*rounds {
		t.Errorf("Events after concurrent commits = %d, %v", len(evs), err)
	}
	ds, err := s.Deliveries(ctx, nil, 0)
	if err != nil || len(ds) != workers*rounds {
		t.Errorf("Deliveries after concurrent commits = %d, %v", len(ds), err)
	}
	for w := range workers {
		tenant := fmt.Sprintf("t%d", w)
		c, err := s.Cursor(ctx, tenant, model.SourceSHD)
		if err != nil || !c.Watermark.Equal(base().Add((rounds-1)*time.Second)) {
			t.Errorf("cursor of %s = %+v, %v", tenant, c, err)
		}
	}
}

func testConcurrentClaims(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const n = 40
	var dels []store.NewDelivery
	for i := range n {
		dels = append(dels, store.NewDelivery{Event: 0, Channel: "mail", Key: fmt.Sprintf("k%02d", i)})
	}
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Events: []model.Event{event("contoso", "EX1", 1, model.EventIssueNew)}, Deliveries: dels})
	now := claimAt()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed = map[int64]int{}
		errs    []error
	)
	for range 4 {
		wg.Go(func() {
			for range n { // bounded: at most n claims per worker
				ds, err := s.ClaimDeliveries(ctx, nil, now, time.Hour, 3)
				mu.Lock()
				errs = append(errs, err)
				for _, d := range ds {
					claimed[d.ID]++
				}
				mu.Unlock()
				if err != nil || len(ds) == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent claims: %v", err)
	}
	if len(claimed) != n {
		t.Errorf("%d deliveries claimed, want %d", len(claimed), n)
	}
	for id, c := range claimed {
		if c != 1 {
			t.Errorf("delivery %d claimed %d times within its lease", id, c)
		}
	}
}

func testHistory(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	// Written out of order: fabrikam first, and revisions 1..3 over commits.
	for rev := 1; rev <= 3; rev++ {
		commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceSHD, Items: []store.Item{item("fabrikam", model.SourceSHD, "EX559755", rev)}})
	}
	for rev := 1; rev <= 2; rev++ {
		commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Items: []store.Item{item("contoso", model.SourceSHD, "EX559755", rev)}})
	}
	type tr struct {
		Tenant string
		Rev    int
	}
	tests := []struct {
		name, tenant string
		want         []tr
	}{
		{"all tenants", "", []tr{{"contoso", 1}, {"contoso", 2}, {"fabrikam", 1}, {"fabrikam", 2}, {"fabrikam", 3}}},
		{"one tenant", "fabrikam", []tr{{"fabrikam", 1}, {"fabrikam", 2}, {"fabrikam", 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := s.History(ctx, tt.tenant, "EX559755")
			if err != nil {
				t.Fatal(err)
			}
			var got []tr
			for _, r := range h {
				got = append(got, tr{r.Key.Tenant, r.Revision})
				if want := item(r.Key.Tenant, model.SourceSHD, "EX559755", r.Revision); !cmp.Equal(store.Revision(want), r) {
					t.Errorf("revision differs: %s", cmp.Diff(store.Revision(want), r))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("History order (-want +got):\n%s", diff)
			}
		})
	}
	for _, q := range []struct{ tenant, id string }{{"", "EX0"}, {"nobody", "EX559755"}} {
		if _, err := s.History(ctx, q.tenant, q.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("History(%q, %q): err = %v, want ErrNotFound", q.tenant, q.id, err)
		}
	}
}
