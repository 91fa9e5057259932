package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

const day = 24 * time.Hour

// testRetention prunes a store holding old and recent history and checks
// what goes and what stays: delivered outbox rows and their events go,
// an event with a delivery still due or a dead letter within its period
// stays; of the old revisions only those between an item's first and
// latest that no due delivery needs go; an item removed long ago goes with
// its revisions and its search entry, a recently removed one stays; the
// JSON documents and full-text entries nothing refers to any more go.
// Times are far ahead of the wall clock, which stamps outbox rows.
// Usage predicts the counts, and a second Prune finds nothing.
func testRetention(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	now := time.Now().Add(200 * day).Truncate(time.Second)
	old := now.Add(-300 * day)
	pol := store.Retention{Events: 180 * day, Revisions: 180 * day, DeadLetters: 365 * day, RemovedItems: 180 * day, Batch: 2}

	// EX1: five revisions stored long ago, each with its event and a
	// delivery; 1, 2 and 4 delivered, 3 still pending, 5 dead.
	var issues []*model.Issue
	for rev := 1; rev <= 5; rev++ {
		is := &model.Issue{ID: "EX1", Title: "Mail flow delayed", Service: "Exchange Online", Status: model.StatusInvestigating,
			Classification: model.ClassificationIncident, LastModified: old.Add(time.Duration(rev) * time.Hour).UTC(),
			Posts: []model.Post{{Content: fmt.Sprintf("Update %d: we are rerouting traffic.", rev)}}}
		issues = append(issues, is)
		data, _ := json.Marshal(is)
		ev := model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventIssuePost, Revision: rev,
			DetectedAt: is.LastModified, Issue: is, Changes: []model.Change{{Kind: model.ChangePostAdded}}}
		commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
			Items: []store.Item{{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"}, Revision: rev,
				Hash: fmt.Sprint("h", rev), LastModified: is.LastModified, SeenAt: is.LastModified, Data: data}},
			Events:     []model.Event{ev},
			Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Route: "all", Key: fmt.Sprintf("contoso/shd/EX1/%d/all/mail", rev)}},
		})
	}
	ds, err := s.ClaimDeliveries(ctx, nil, claimAt(), time.Minute, 10)
	if err != nil || len(ds) != 5 {
		t.Fatalf("claim: %d, %v", len(ds), err)
	}
	for _, d := range ds {
		switch d.Event.Revision {
		case 1, 2, 4:
			if err := s.CompleteDelivery(ctx, d.ID, claimAt()); err != nil {
				t.Fatal(err)
			}
		case 3:
			if err := s.FailDelivery(ctx, d.ID, claimAt(), "busy", claimAt(), false); err != nil {
				t.Fatal(err)
			}
		case 5:
			if err := s.FailDelivery(ctx, d.ID, claimAt(), "gone", claimAt(), true); err != nil {
				t.Fatal(err)
			}
		}
	}

	// MC9 was removed long ago, MC8 recently; MC7 was edited, leaving its
	// first text to no item.
	mc := func(id string, rev int, body string, seen time.Time, removed bool) store.Item {
		it := msgItem("contoso", id, rev, model.Message{Title: "Retiring " + id, Category: model.CategoryPlanForChange,
			LastModified: seen.Add(-time.Hour).UTC(), Body: body})
		it.SeenAt, it.Removed = seen, removed
		return it
	}
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{
		mc("MC9", 1, "<p>Zebra feature goes away.</p>", old, false),
		mc("MC8", 1, "<p>Yak feature goes away.</p>", old, false),
		mc("MC7", 1, "<p>Walrus feature goes away.</p>", now.Add(-10*day), false),
	}})
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{
		mc("MC9", 2, "<p>Zebra feature goes away.</p>", old.Add(day), true),
		mc("MC8", 2, "<p>Yak feature goes away.</p>", now.Add(-10*day), true),
		mc("MC7", 2, "<p>Walrus feature stays.</p>", now.Add(-5*day), false),
	}})

	before, err := s.BlobStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Usage(ctx, pol, now)
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	if len(u.Tables) == 0 || u.Bytes <= 0 {
		t.Errorf("Usage: %d tables, %d bytes", len(u.Tables), u.Bytes)
	}
	for _, tb := range u.Tables {
		// Each item's latest revision is its items row alone.
		if tb.Name == "revisions" && tb.Rows != 4+1+1+1 {
			t.Errorf("Usage: revisions has %d rows, want 7", tb.Rows)
		}
	}

	st, err := s.Prune(ctx, pol, now)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	// Blobs: EX1's fourth revision and both of MC9 (whose removal changed
	// its modification time). Documents: EX1's first four, MC7's first,
	// the first of MC8 and MC9 (their removal moved them to another second)
	// and MC9's last.
	// Revisions: EX1's fourth, and MC9's first (its second is its items
	// row).
	want := store.PruneStats{Events: 3, Deliveries: 3, DeadLetters: 0, Revisions: 1 + 1, Items: 1, Blobs: 3, Documents: 8}
	got := st
	got.Took, got.FreedPages = 0, 0
	if got != want {
		t.Errorf("Prune = %+v, want %+v", got, want)
	}
	pred := u.Prunable
	if pred.Events != want.Events || pred.Deliveries != want.Deliveries || pred.DeadLetters != want.DeadLetters ||
		pred.Items != want.Items || pred.Documents != want.Documents-1 {
		// One document (MC9's) loses its last item only when Prune removes MC9.
		t.Errorf("Usage predicted %+v, Prune removed %+v", pred, got)
	}

	h, err := s.History(ctx, "contoso", "EX1")
	if err != nil {
		t.Fatal(err)
	}
	var revs []int
	for _, r := range h {
		revs = append(revs, r.Revision)
	}
	if !slices.Equal(revs, []int{1, 2, 3, 5}) {
		t.Errorf("revisions of EX1 after Prune = %v, want [1 2 3 5] (4 was neither first, latest nor needed)", revs)
	}
	evs, err := s.Events(ctx, store.EventQuery{ItemID: "EX1"})
	if err != nil {
		t.Fatal(err)
	}
	var evRevs []int
	for _, ev := range evs {
		evRevs = append(evRevs, ev.Revision)
		if diff := cmp.Diff(issues[ev.Revision-1], ev.Issue); diff != "" {
			t.Errorf("event of revision %d after Prune (-want +got):\n%s", ev.Revision, diff)
		}
	}
	if !slices.Equal(evRevs, []int{3, 5}) {
		t.Errorf("events of EX1 after Prune = %v, want [3 5] (pending and dead deliveries)", evRevs)
	}
	left, err := s.Deliveries(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var states []store.DeliveryState
	for _, d := range left {
		states = append(states, d.State)
	}
	if !slices.Equal(states, []store.DeliveryState{store.DeliveryDead, store.DeliveryRetrying}) {
		t.Errorf("deliveries after Prune = %v, want the dead and the retrying one", states)
	}
	items, err := s.Items(ctx, "contoso", model.SourceMC, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := items["MC9"]; ok || len(items) != 2 {
		t.Errorf("MC items after Prune = %v, want MC7 and MC8", slices.Sorted(func(yield func(string) bool) {
			for k := range items {
				if !yield(k) {
					return
				}
			}
		}))
	}
	if _, err := s.History(ctx, "contoso", "MC9"); err == nil {
		t.Error("MC9 still has revisions")
	}
	r, _ := store.AsReader(s)
	for text, n := range map[string]int{"Zebra": 0, "Yak": 1, "Walrus stays": 1, "Walrus feature goes": 0, "rerouting": 1} {
		page, err := r.SearchItems(ctx, store.ItemQuery{Text: text, IncludeRemoved: true})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != n {
			t.Errorf("search %q after Prune: %d items, want %d", text, page.Total, n)
		}
	}
	after, err := s.BlobStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Blobs != before.Blobs-3 {
		t.Errorf("blobs %d before and %d after Prune, want 3 fewer", before.Blobs, after.Blobs)
	}

	again, err := s.Prune(ctx, pol, now)
	if err != nil {
		t.Fatal(err)
	}
	again.Took, again.FreedPages = 0, 0
	if again != (store.PruneStats{}) {
		t.Errorf("a second Prune removed %+v, want nothing", again)
	}
	if u, err := s.Usage(ctx, pol, now); err != nil || u.Prunable != (store.PruneStats{}) {
		t.Errorf("Usage after Prune predicts %+v, %v; want nothing", u.Prunable, err)
	}
	// A zero period keeps everything.
	if st, err := s.Prune(ctx, store.Retention{}, now.Add(10*365*day)); err != nil || st.Events+st.Revisions+st.Items+st.Deliveries+st.DeadLetters != 0 {
		t.Errorf("Prune without periods = %+v, %v; want nothing removed", st, err)
	}
}

// testEventPayloads commits items with the events detect makes for them
// (the event carries the item as stored) in many tenants: the events keep
// no copy of the item, sharing the item's blob, and read back exactly as
// committed, from Events and from the outbox.
func testEventPayloads(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	m := &model.Message{ID: "MC555", Title: "New Teams admin setting", Category: model.CategoryStayInformed,
		Services: []string{"Microsoft Teams"}, LastModified: base().UTC(), Body: "<p>A new setting.</p>",
		Attachments: []model.Attachment{{ID: "a1", Name: "guide.pdf", Size: 10}}}
	data, _ := json.Marshal(m)
	var want []model.Event
	for i := range 20 {
		tn := fmt.Sprintf("tenant%02d", i)
		ev := model.Event{Tenant: tn, Source: model.SourceMC, ItemID: "MC555", Type: model.EventMessageNew, Revision: 1,
			DetectedAt: base().Add(time.Duration(i) * time.Second), Message: m,
			Changes: []model.Change{{Kind: model.ChangeNew}, {Kind: model.ChangeBodySection, Field: "When", From: "a", To: "b"}}}
		ids := commit(t, s, store.Batch{Tenant: tn, Source: model.SourceMC,
			Items:      []store.Item{{Key: model.ItemKey{Tenant: tn, Source: model.SourceMC, ID: "MC555"}, Revision: 1, Hash: "h", LastModified: m.LastModified, Data: data}},
			Events:     []model.Event{ev},
			Deliveries: []store.NewDelivery{{Event: 0, Channel: "teams", Key: tn + "/mc/MC555/1/default/teams"}}})
		ev.ID = ids[0]
		want = append(want, ev)
	}
	st, err := s.BlobStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Blobs != 1 {
		t.Errorf("20 items and their events are stored in %d blobs, want 1", st.Blobs)
	}
	got, err := s.Events(ctx, store.EventQuery{ItemID: "MC555"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Events (-committed +read):\n%s", diff)
	}
	ds, err := s.Deliveries(ctx, nil, 0)
	if err != nil || len(ds) != 20 {
		t.Fatalf("Deliveries: %d, %v", len(ds), err)
	}
	for _, d := range ds {
		i := slices.IndexFunc(want, func(e model.Event) bool { return e.ID == d.Event.ID })
		if i < 0 {
			t.Fatalf("delivery of unknown event %d", d.Event.ID)
		}
		if diff := cmp.Diff(want[i], d.Event); diff != "" {
			t.Errorf("event of delivery %s (-committed +read):\n%s", d.Key, diff)
		}
	}
	// An event whose item differs from every stored revision keeps its own.
	other := *m
	other.Title = "Edited in the event only"
	ev := model.Event{Tenant: "tenant00", Source: model.SourceMC, ItemID: "MC555", Type: model.EventMessageUpdated, Revision: 2,
		DetectedAt: base(), Message: &other}
	ids := commit(t, s, store.Batch{Tenant: "tenant00", Source: model.SourceMC, Events: []model.Event{ev}})
	ev.ID = ids[0]
	got, err = s.Events(ctx, store.EventQuery{Tenant: "tenant00", ItemID: "MC555"})
	if err != nil || len(got) != 2 {
		t.Fatalf("Events of tenant00: %v, %v", got, err)
	}
	if diff := cmp.Diff(ev, got[1]); diff != "" {
		t.Errorf("event with its own item (-committed +read):\n%s", diff)
	}
	if st, _ := s.BlobStats(ctx); st.Blobs != 2 {
		t.Errorf("blobs after an event with another item: %d, want 2", st.Blobs)
	}
}
