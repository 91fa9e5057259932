package storetest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// ackEvent is the event of an action on the issue EX1 of contoso.
func ackEvent(typ model.EventType, rev int, by string, changes ...model.Change) model.Event {
	return model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: typ, Revision: rev,
		DetectedAt: base(), By: by, Changes: changes,
		Issue: &model.Issue{ID: "EX1", Title: "Users can't send email", Status: model.StatusInvestigating}}
}

// testHandling: an item nobody acted on is open; an action stores the
// handling, its event (with who took it) and its deliveries together; an
// action on a stale sequence is refused and stores nothing; Handlings
// reads several tenants at once.
func testHandling(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Items: []store.Item{item("contoso", model.SourceSHD, "EX1", 1)}})
	commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceSHD, Items: []store.Item{item("fabrikam", model.SourceSHD, "EX1", 1)}})
	key := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"}
	other := model.ItemKey{Tenant: "fabrikam", Source: model.SourceSHD, ID: "EX1"}

	h, err := s.Handling(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.ItemHandling{Item: key, Status: model.HandlingOpen}, h); diff != "" || !h.Open() {
		t.Errorf("Handling of an item nobody acted on (-want +got):\n%s", diff)
	}

	at := base().Add(time.Hour)
	ack := store.ItemHandling{Item: key, Status: model.HandlingAcknowledged, Owner: "alice", Note: "on it: 対応中", By: "alice", At: at, Seq: 1}
	ev := ackEvent(model.EventItemAcknowledged, 1, "alice",
		model.Change{Kind: model.ChangeHandling, From: "open", To: "acknowledged"},
		model.Change{Kind: model.ChangeOwner, To: "alice"}, model.Change{Kind: model.ChangeNote, To: "on it: 対応中"})
	ds := []store.NewDelivery{{Event: 0, Channel: "mail", Route: "owners",
		Key: store.DeliveryKey(store.KindNotice, &ev, "owners", "mail", "act-1")}}
	id, err := s.Act(ctx, ack, ev, ds)
	if err != nil {
		t.Fatalf("Act: %v", err)
	}
	got, err := s.Handling(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	want := ack
	want.At = at.UTC()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Handling after Act (-want +got):\n%s", diff)
	}
	if got.Open() {
		t.Error("an acknowledged item is open")
	}
	evs, err := s.Events(ctx, store.EventQuery{Tenant: "contoso", ItemID: "EX1"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("events = %v, %v; want the action's", evs, err)
	}
	if e := evs[0]; e.ID != id || e.Type != model.EventItemAcknowledged || e.By != "alice" || len(e.Changes) != 3 ||
		e.Issue == nil || e.Issue.ID != "EX1" {
		t.Errorf("stored action event = %+v (id %d)", e, id)
	}
	dls, err := s.Deliveries(ctx, nil, 0)
	if err != nil || len(dls) != 1 || dls[0].Event.ID != id || dls[0].Key != "contoso/shd/EX1/1/owners/mail/act-1" {
		t.Fatalf("deliveries = %+v, %v; want the action's", dls, err)
	}

	// The same sequence again (a second tab, a replayed form) is refused
	// and stores nothing.
	stale := ack
	stale.By, stale.Status = "bob", model.HandlingDone
	if _, err := s.Act(ctx, stale, ackEvent(model.EventItemDone, 1, "bob"), nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Act on a stale sequence: %v, want ErrConflict", err)
	}
	if evs, _ := s.Events(ctx, store.EventQuery{ItemID: "EX1"}); len(evs) != 1 {
		t.Errorf("a refused action stored an event: %d events", len(evs))
	}
	if h, _ := s.Handling(ctx, key); h.By != "alice" || h.Seq != 1 {
		t.Errorf("a refused action changed the handling: %+v", h)
	}

	done := store.ItemHandling{Item: key, Status: model.HandlingDone, Owner: "alice", By: "bob", At: at.Add(time.Hour), Seq: 2}
	if _, err := s.Act(ctx, done, ackEvent(model.EventItemDone, 1, "bob",
		model.Change{Kind: model.ChangeHandling, From: "acknowledged", To: "done"}), nil); err != nil {
		t.Fatalf("Act 2: %v", err)
	}
	if _, err := s.Act(ctx, store.ItemHandling{Item: other, Status: model.HandlingNotApplicable, By: "local", Seq: 1},
		model.Event{Tenant: "fabrikam", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventItemNotApplicable, Revision: 1}, nil); err != nil {
		t.Fatalf("Act on fabrikam: %v", err)
	}
	all, err := s.Handlings(ctx, []model.ItemKey{key, other, {Tenant: "contoso", Source: model.SourceMC, ID: "MC1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[key].Status != model.HandlingDone || all[key].By != "bob" || all[key].Note != "" ||
		all[other].Status != model.HandlingNotApplicable || all[other].At.IsZero() {
		t.Errorf("Handlings = %+v", all)
	}
}

// testHandlingChecks: Act refuses what it cannot store, before storing
// anything.
func testHandlingChecks(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	key := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"}
	ok := store.ItemHandling{Item: key, Status: model.HandlingAcknowledged, By: "alice", Seq: 1}
	ev := ackEvent(model.EventItemAcknowledged, 1, "alice")
	for _, tt := range []struct {
		name string
		edit func(h *store.ItemHandling, ev *model.Event)
		want string
	}{
		{"unknown status", func(h *store.ItemHandling, _ *model.Event) { h.Status = "closed" }, `unknown handling "closed"`},
		{"sequence 0", func(h *store.ItemHandling, _ *model.Event) { h.Seq = 0 }, "the first action is 1"},
		{"nobody", func(h *store.ItemHandling, _ *model.Event) { h.By = " " }, "no one took the action"},
		{"long note", func(h *store.ItemHandling, _ *model.Event) { h.Note = strings.Repeat("あ", store.MaxNote+1) }, "note is longer"},
		{"long owner", func(h *store.ItemHandling, _ *model.Event) { h.Owner = strings.Repeat("x", store.MaxOwner+1) }, "owner is longer"},
		{"other item", func(_ *store.ItemHandling, ev *model.Event) { ev.ItemID = "EX2" }, "not of the item"},
		{"detected event", func(_ *store.ItemHandling, ev *model.Event) { ev.Type = model.EventIssueNew }, "no ownership action"},
		{"no item", func(h *store.ItemHandling, _ *model.Event) { h.Item.ID = "" }, "needs a tenant, a source and an ID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, e := ok, ev
			tt.edit(&h, &e)
			if _, err := s.Act(ctx, h, e, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Act = %v, want an error with %q", err, tt.want)
			}
		})
	}
	if evs, _ := s.Events(ctx, store.EventQuery{}); len(evs) != 0 {
		t.Errorf("refused actions stored %d events", len(evs))
	}
}

// testConcurrentActs: of several actions taken at once on what each saw
// as the same state, exactly one is stored.
func testConcurrentActs(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	key := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"}
	for seq := 1; seq <= 2; seq++ { // the first insert, then an update
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			won, lost int
			other     []error
		)
		for w := range 6 {
			wg.Go(func() {
				by := string(rune('a' + w))
				_, err := s.Act(ctx, store.ItemHandling{Item: key, Status: model.HandlingAcknowledged, By: by, Seq: seq},
					ackEvent(model.EventItemAcknowledged, 1, by), nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, store.ErrConflict):
					lost++
				default:
					other = append(other, err)
				}
			})
		}
		wg.Wait()
		if won != 1 || lost != 5 || len(other) > 0 {
			t.Errorf("sequence %d: %d stored, %d conflicts, errors %v; want 1 and 5", seq, won, lost, other)
		}
	}
	if evs, _ := s.Events(ctx, store.EventQuery{ItemID: "EX1"}); len(evs) != 2 {
		t.Errorf("%d events for 2 stored actions", len(evs))
	}
}

// testHandlingQueries: SearchItems filters by handling and owner, and
// FirstNotices finds when a route first queued a notice of an item,
// ignoring other routes, ownership events and escalations.
func testHandlingQueries(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	day := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var items []store.Item
	for i, id := range []string{"EX1", "EX2", "EX3"} {
		items = append(items, issueItem("contoso", id, 1, model.Issue{Title: "Mail " + id, Status: model.StatusInvestigating,
			Classification: model.ClassificationIncident, LastModified: day.Add(time.Duration(i) * time.Hour)}))
	}
	evs := []model.Event{
		{ItemID: "EX1", Type: model.EventIssueNew, Revision: 1}, {ItemID: "EX2", Type: model.EventIssueNew, Revision: 1},
	}
	first := commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Items: items, Events: evs, Deliveries: []store.NewDelivery{
		{Event: 0, Channel: "teams", Route: "ops", Key: "k1"}, {Event: 0, Channel: "teams", Route: "other", Key: "k2"},
		{Event: 1, Channel: "mail", Route: "other", Key: "k3"},
	}})
	act := func(id string, st model.Handling, owner string, seq int, ds ...store.NewDelivery) {
		t.Helper()
		k := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: id}
		if _, err := s.Act(ctx, store.ItemHandling{Item: k, Status: st, Owner: owner, By: "alice", Seq: seq},
			model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: id, Type: model.EventItemAssigned, Revision: 1}, ds); err != nil {
			t.Fatal(err)
		}
	}
	act("EX1", model.HandlingOpen, "alice", 1)
	act("EX2", model.HandlingAcknowledged, "bob", 1, store.NewDelivery{Event: 0, Channel: "teams", Route: "ops", Key: "k4"})
	act("EX3", model.HandlingDone, "alice", 1)
	for _, tt := range []struct {
		name string
		q    store.ItemQuery
		want []string
	}{
		{"open", store.ItemQuery{Handling: model.HandlingOpen}, []string{"EX1"}},
		{"acknowledged", store.ItemQuery{Handling: model.HandlingAcknowledged}, []string{"EX2"}},
		{"mine", store.ItemQuery{Owner: "alice"}, []string{"EX3", "EX1"}},
		{"mine and open", store.ItemQuery{Owner: "alice", Handling: model.HandlingOpen}, []string{"EX1"}},
		{"nobody's", store.ItemQuery{Owner: "carol"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page, err := r.SearchItems(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range page.Items {
				got = append(got, it.Key.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SearchItems (-want +got):\n%s", diff)
			}
		})
	}
	// An item nobody acted on is open too.
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Items: []store.Item{issueItem("contoso", "EX4", 1,
		model.Issue{Title: "New", LastModified: day.Add(9 * time.Hour)})}})
	if page, err := r.SearchItems(ctx, store.ItemQuery{Handling: model.HandlingOpen}); err != nil || len(page.Items) != 2 {
		t.Errorf("open items with one nobody acted on = %d, %v; want EX4 and EX1", len(page.Items), err)
	}

	// The escalation of EX1 through route ops is an outbox row of that
	// route too, but no notice.
	esc := model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventItemEscalated, Revision: 1}
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: []model.Event{esc}, Deliveries: []store.NewDelivery{
		{Event: 0, Kind: store.KindEscalation, Channel: "pager", Route: "ops", Key: store.DeliveryKey(store.KindEscalation, &esc, "ops", "pager", "")}}})
	dls, err := s.Deliveries(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var k1 time.Time
	for _, d := range dls {
		if d.Key == "k1" {
			k1 = d.CreatedAt
		}
	}
	got, err := s.FirstNotices(ctx, "contoso", model.SourceSHD, "ops", []string{"EX1", "EX2", "EX3", "EX9"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]time.Time{"EX1": k1}, got); diff != "" || k1.IsZero() || first[0] == 0 {
		t.Errorf("FirstNotices of route ops (-want +got):\n%s", diff)
	}
	if got, err := s.FirstNotices(ctx, "contoso", model.SourceSHD, "other", []string{"EX1", "EX2"}); err != nil || len(got) != 2 {
		t.Errorf("FirstNotices of route other = %v, %v; want EX1 and EX2", got, err)
	}
	if got, err := s.FirstNotices(ctx, "fabrikam", model.SourceSHD, "ops", []string{"EX1"}); err != nil || len(got) != 0 {
		t.Errorf("FirstNotices of another tenant = %v, %v; want none", got, err)
	}
}
