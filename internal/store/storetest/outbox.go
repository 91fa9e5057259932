package storetest

import (
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
