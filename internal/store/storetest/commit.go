package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

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

// testConcurrentFailures commits from several goroutines at once, every
// third batch (and every third CommitAll) invalid: each caller gets the
// outcome of its own batches, whatever else was written beside them (an
// engine may write concurrent commits in one transaction).
func testConcurrentFailures(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const workers, rounds = 8, 6
	type outcome struct {
		tenant, id string
		ok         bool
		ids        int
		err        error
	}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		out []outcome
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
				}
				good := (w+r)%3 != 0
				if !good {
					b.Deliveries = append(b.Deliveries, store.NewDelivery{Event: 3, Channel: "mail", Key: tenant + "/" + id + "/bad"})
				}
				var (
					n   int
					err error
				)
				if r%2 == 0 {
					var ids []int64
					ids, err = s.Commit(ctx, b)
					n = len(ids)
				} else {
					h := store.Batch{Tenant: tenant, Source: model.SourceHealth, Items: []store.Item{{
						Key: model.ItemKey{Tenant: tenant, Source: model.SourceHealth, ID: id}, Revision: 1, Hash: "h",
						SeenAt: base(), Data: []byte(`{"id":"` + id + `","status":"serviceDegradation"}`)}}}
					var all [][]int64
					all, err = s.CommitAll(ctx, []store.Batch{h, b})
					if len(all) == 2 {
						n = len(all[1])
					}
				}
				mu.Lock()
				out = append(out, outcome{tenant, id, good, n, err})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	var stored int
	for _, o := range out {
		items, err := s.Items(ctx, o.tenant, model.SourceSHD, []string{o.id})
		if err != nil {
			t.Fatal(err)
		}
		health, err := s.Items(ctx, o.tenant, model.SourceHealth, []string{o.id})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case o.ok && (o.err != nil || o.ids != 1 || len(items) != 1):
			t.Errorf("good batch %s/%s: %d IDs, %v; %d items stored", o.tenant, o.id, o.ids, o.err, len(items))
		case !o.ok && (o.err == nil || o.ids != 0 || len(items) != 0 || len(health) != 0):
			t.Errorf("bad batch %s/%s: %d IDs, %v; %d items, %d health items stored", o.tenant, o.id, o.ids, o.err,
				len(items), len(health))
		}
		if o.ok {
			stored++
		}
	}
	if evs, err := s.Events(ctx, store.EventQuery{}); err != nil || len(evs) != stored {
		t.Errorf("Events = %d, %v; want %d", len(evs), err, stored)
	}
	if ds, err := s.Deliveries(ctx, nil, 0); err != nil || len(ds) != stored {
		t.Errorf("Deliveries = %d, %v; want %d", len(ds), err, stored)
	}
}
