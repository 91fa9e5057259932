package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// openGroupStore opens a SQLite file store with its group committer.
func openGroupStore(t *testing.T) *sqlStore {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := st.(*sqlStore)
	if s.group == nil {
		t.Fatal("a SQLite store has no group committer")
	}
	return s
}

func groupBatch(tenant, id string, good bool) Batch {
	data := fmt.Appendf(nil, `{"id":%q,"title":"Issue %s","status":"investigating"}`, id, id)
	b := Batch{Tenant: tenant, Source: model.SourceSHD,
		Items: []Item{{Key: model.ItemKey{Tenant: tenant, Source: model.SourceSHD, ID: id}, Revision: 1, Hash: "h" + id,
			LastModified: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Data: data}},
		Events:     []model.Event{{ItemID: id, Type: model.EventIssueNew, Revision: 1}},
		Deliveries: []NewDelivery{{Event: 0, Channel: "mail", Key: tenant + "/" + id}},
		Cursor:     &Cursor{Watermark: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Baselined: true},
	}
	if !good {
		b.Deliveries = append(b.Deliveries, NewDelivery{Event: 9, Channel: "mail", Key: "bad"})
	}
	return b
}

// TestGroupRun writes a group in which one request fails after its
// first rows are written and one gave up before its turn: the others are
// stored with their event IDs, those two leave nothing.
func TestGroupRun(t *testing.T) {
	s := openGroupStore(t)
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	reqs := []*groupReq{
		{ctx: ctx, bs: []Batch{groupBatch("a", "EX1", true)}},
		{ctx: ctx, bs: []Batch{groupBatch("b", "EX1", true), groupBatch("b", "EX2", false)}},
		{ctx: canceled, bs: []Batch{groupBatch("c", "EX1", true)}},
		{ctx: ctx, bs: []Batch{groupBatch("d", "EX1", true), groupBatch("d", "EX2", true)}},
	}
	for _, r := range reqs {
		r.done = make(chan struct{})
	}
	s.group.run(reqs)
	for i, r := range reqs {
		select {
		case <-r.done:
		default:
			t.Fatalf("request %d not completed", i)
		}
	}
	if r := reqs[0]; r.err != nil || len(r.ids) != 1 || len(r.ids[0]) != 1 {
		t.Errorf("good request: %v, %v", r.ids, r.err)
	}
	if r := reqs[1]; r.err == nil || r.ids != nil {
		t.Errorf("failing request: %v, %v; want an error", r.ids, r.err)
	}
	if r := reqs[2]; !errors.Is(r.err, context.Canceled) || r.ids != nil {
		t.Errorf("canceled request: %v, %v; want context.Canceled", r.ids, r.err)
	}
	if r := reqs[3]; r.err != nil || len(r.ids) != 2 || len(r.ids[1]) != 1 {
		t.Errorf("good request of two batches: %v, %v", r.ids, r.err)
	}
	for tenant, want := range map[string]int{"a": 1, "b": 0, "c": 0, "d": 2} {
		items, err := s.Items(ctx, tenant, model.SourceSHD, nil)
		if err != nil || len(items) != want {
			t.Errorf("tenant %s: %d items, %v; want %d", tenant, len(items), err, want)
		}
		c, err := s.Cursor(ctx, tenant, model.SourceSHD)
		if err != nil || c.Baselined != (want > 0) {
			t.Errorf("tenant %s: cursor %+v, %v", tenant, c, err)
		}
	}
	evs, err := s.Events(ctx, EventQuery{})
	if err != nil || len(evs) != 3 {
		t.Fatalf("events: %d, %v; want 3", len(evs), err)
	}
	ids := map[int64]bool{reqs[0].ids[0][0]: true, reqs[3].ids[0][0]: true, reqs[3].ids[1][0]: true}
	for _, ev := range evs {
		if !ids[ev.ID] {
			t.Errorf("stored event %d (%s) was not returned to its caller", ev.ID, ev.Tenant)
		}
	}
}

// TestGroupClosed: a commit after Close fails and does not hang.
func TestGroupClosed(t *testing.T) {
	s := openGroupStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Commit(context.Background(), groupBatch("a", "EX1", true))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Commit after Close succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Commit after Close hangs")
	}
}

// TestGroupTogether writes a group of good requests in one transaction;
// one whose context ended before its turn is skipped with its error.
func TestGroupTogether(t *testing.T) {
	s := openGroupStore(t)
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	var reqs []*groupReq
	for i := range 5 {
		r := &groupReq{ctx: ctx, bs: []Batch{groupBatch(fmt.Sprint("t", i), "EX1", true)}, done: make(chan struct{})}
		if i == 2 {
			r.ctx = canceled
		}
		reqs = append(reqs, r)
	}
	if !s.group.runTogether(reqs) {
		t.Fatal("a group of good requests did not commit together")
	}
	for i, r := range reqs {
		items, err := s.Items(ctx, fmt.Sprint("t", i), model.SourceSHD, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if !errors.Is(r.err, context.Canceled) || r.ids != nil || len(items) != 0 {
				t.Errorf("canceled request: %v, %v, %d items", r.ids, r.err, len(items))
			}
			continue
		}
		if r.err != nil || len(r.ids) != 1 || len(r.ids[0]) != 1 || len(items) != 1 {
			t.Errorf("request %d: %v, %v, %d items", i, r.ids, r.err, len(items))
		}
	}
}
