// Package storetest is the behaviour every store engine must show, as one
// test suite that each engine's tests run against a fresh store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
		{"ConcurrentFailures", testConcurrentFailures},
		{"ConcurrentClaims", testConcurrentClaims},
		{"History", testHistory},
		{"RouteAndRequeue", testRouteAndRequeue},
		{"DeferDelivery", testDeferDelivery},
		{"EnqueueDelivery", testEnqueueDelivery},
		{"DeliveryKinds", testDeliveryKinds},
		{"ThreadRef", testThreadRef},
		{"ConcurrentThreadRef", testConcurrentThreadRef},
		{"Tickets", testTickets},
		{"Translations", testTranslations},
		{"TranslationUsage", testTranslationUsage},
		{"Leases", testLeases},
		{"SourceHealth", testSourceHealth},
		{"Workers", testWorkers},
		{"BudgetLog", testBudgetLog},
		{"ManagedTenants", testManagedTenants},
		{"SearchItems", testSearchItems},
		{"CountCap", testCountCap},
		{"TextSearchPaging", testTextSearchPaging},
		{"TextSearchBatches", testTextSearchBatches},
		{"DocTranslations", testDocTranslations},
		{"SourceStatesAndCounts", testSourceStatesAndCounts},
		{"SharedBlobs", testSharedBlobs},
		{"Retention", testRetention},
		{"EventPayloads", testEventPayloads},
		{"Handling", testHandling},
		{"HandlingChecks", testHandlingChecks},
		{"ConcurrentActs", testConcurrentActs},
		{"HandlingQueries", testHandlingQueries},
		{"RelevanceAndCopies", testRelevanceAndCopies},
		{"TicketLinks", testTicketLinks},
		{"LargeBatches", testLargeBatches},
		{"CopyBatches", testCopyBatches},
		{"ActiveIncident", testActiveIncident},
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

func testHistory(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	// Written out of order: fabrikam first, and revisions 1..3 over commits.
	for rev := 1; rev <= 3; rev++ {
		commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceSHD, Items: []store.Item{item("fabrikam", model.SourceSHD, "EX559755", rev)}})
	}
	for rev := 1; rev <= 2; rev++ {
		commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Items: []store.Item{item("contoso", model.SourceSHD, "EX559755", rev)}})
	}
	// One revision: the items row alone, found through the read index.
	commit(t, s, store.Batch{Tenant: "northwind", Source: model.SourceSHD, Items: []store.Item{item("northwind", model.SourceSHD, "EX559755", 1)}})
	type tr struct {
		Tenant string
		Rev    int
	}
	tests := []struct {
		name, tenant string
		want         []tr
	}{
		{"all tenants", "", []tr{{"contoso", 1}, {"contoso", 2}, {"fabrikam", 1}, {"fabrikam", 2}, {"fabrikam", 3}, {"northwind", 1}}},
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
