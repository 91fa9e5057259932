package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestCommitInsertFailure makes the plain inserts of a commit fail on a
// duplicate key, a row planted where Commit knows there is none (a
// read-index row of a new item), in batches that PostgreSQL writes with COPY
// and in one it writes with INSERT: the commit fails with an error that
// names the batch, the table and the violation, and nothing of it is
// stored, not even the rows an earlier COPY of the same transaction wrote.
// Once the planted row is gone the same batch commits whole on the same
// store.
func TestCommitInsertFailure(t *testing.T) {
	engines := []struct {
		name string
		open func(t *testing.T) store.Store
		dup  string // how the engine words a duplicate key
	}{
		{"sqlite", func(t *testing.T) store.Store { return openT(t, filepath.Join(t.TempDir(), "shdmc.db")) }, "UNIQUE constraint failed"},
		{"postgres", func(t *testing.T) store.Store { return openT(t, freshDatabase(t)) }, "duplicate key value violates unique constraint"},
	}
	// (A new item has no revisions row since migration 00018: its only
	// revision is its items row.)
	const (
		plantIndex   = `INSERT INTO item_index (tenant, source, id) VALUES ($1, $2, $3)`
		unplantIndex = `DELETE FROM item_index WHERE tenant = $1 AND source = $2 AND id = $3`
	)
	cases := []struct {
		name           string
		items          int
		plant, unplant string
		step           string // what the error names
	}{
		{"read-index row, copied", 20, plantIndex, unplantIndex, "index new items"},
		{"read-index row, inserted", 5, plantIndex, unplantIndex, "index new items"},
	}
	day := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	batch := func(n int) store.Batch {
		b := store.Batch{Tenant: "contoso", Source: model.SourceMC, Relevance: map[string]model.Relevance{},
			Cursor: &store.Cursor{Watermark: day, Baselined: true}}
		for i := range n {
			id := fmt.Sprintf("MC%04d", i)
			data, _ := json.Marshal(model.Message{ID: id, Title: "Post " + id, Category: model.CategoryPlanForChange,
				LastModified: day.Add(time.Duration(i) * time.Minute), Body: "<p>Change lima " + id + "</p>"})
			b.Items = append(b.Items, store.Item{Key: model.ItemKey{ID: id}, Revision: 1, Hash: "h-" + id,
				LastModified: day.Add(time.Duration(i) * time.Minute), SeenAt: day, Data: data})
			b.Relevance[id] = model.Relevance{Relevant: i%2 == 0, Basis: "services"}
		}
		b.Events = []model.Event{{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC0000", Type: model.EventMessageNew, Revision: 1, DetectedAt: day}}
		b.Deliveries = []store.NewDelivery{{Event: 0, Channel: "mail", Route: "r", Key: "k-MC0000"}}
		return b
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					s := e.open(t)
					ctx := t.Context()
					r, ok := store.AsReader(s)
					if !ok {
						t.Fatal("the store has no Reader")
					}
					key := []any{"contoso", string(model.SourceMC), "MC0003"}
					if err := store.ExecSQL(ctx, s, tc.plant, key...); err != nil {
						t.Fatalf("plant a row: %v", err)
					}
					ids, err := s.Commit(ctx, batch(tc.items))
					if err == nil {
						t.Fatalf("Commit succeeded with IDs %v; want a duplicate key", ids)
					}
					for _, want := range []string{"commit batch of contoso/mc", tc.step, e.dup} {
						if !strings.Contains(err.Error(), want) {
							t.Errorf("error %q does not say %q", err, want)
						}
					}
					if e.name == "postgres" {
						if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != "23505" {
							t.Errorf("error %v is not a unique violation (23505)", err)
						}
					}

					// Nothing of the batch is stored.
					if items, err := s.Items(ctx, "contoso", model.SourceMC, nil); err != nil || len(items) != 0 {
						t.Errorf("items after the failed commit: %d, %v", len(items), err)
					}
					if _, err := s.History(ctx, "contoso", "MC0000"); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("History after the failed commit: err = %v, want ErrNotFound", err)
					}
					if evs, err := s.Events(ctx, store.EventQuery{}); err != nil || len(evs) != 0 {
						t.Errorf("events after the failed commit: %v, %v", evs, err)
					}
					if ds, err := s.Deliveries(ctx, nil, 0); err != nil || len(ds) != 0 {
						t.Errorf("deliveries after the failed commit: %v, %v", ds, err)
					}
					if c, err := s.Cursor(ctx, "contoso", model.SourceMC); err != nil || c != (store.Cursor{}) {
						t.Errorf("cursor after the failed commit: %+v, %v", c, err)
					}
					if page, err := r.SearchItems(ctx, store.ItemQuery{Text: "lima", IncludeRemoved: true}); err != nil || len(page.Items) != 0 {
						t.Errorf("full-text index after the failed commit: %d items, %v", len(page.Items), err)
					}

					// Without the planted row the batch goes through.
					if err := store.ExecSQL(ctx, s, tc.unplant, key...); err != nil {
						t.Fatalf("remove the planted row: %v", err)
					}
					if _, err := s.Commit(ctx, batch(tc.items)); err != nil {
						t.Fatalf("Commit after the failure: %v", err)
					}
					items, err := s.Items(ctx, "contoso", model.SourceMC, nil)
					if err != nil || len(items) != tc.items {
						t.Errorf("items after the good commit: %d, %v; want %d", len(items), err, tc.items)
					}
					page, err := r.SearchItems(ctx, store.ItemQuery{Text: "lima", Limit: 1000})
					if err != nil || len(page.Items) != tc.items {
						t.Errorf("full-text index after the good commit: %d items, %v; want %d", len(page.Items), err, tc.items)
					}
				})
			}
		})
	}
}
