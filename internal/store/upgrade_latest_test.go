package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestUpgradeLatestInItems upgrades, on both engines, a store left at
// migration 00017 (every revision in revisions, the latest in items too)
// and rolls it back. Migration 00018 keeps each latest revision in items
// alone: MC1 was touched after its second revision (Graph changed its
// modification time and removed it without new content), and History
// still says what revision 2 said when it was stored, while Items says
// what Graph says now. A new revision then moves revision 2 into revisions
// as it was stored; rolled back, revisions holds every revision again. A
// revision that a binary from before 00018 wrote to both tables is read
// once, and the next revision commits over it.
func TestUpgradeLatestInItems(t *testing.T) {
	at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range upgradeEngines() {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			raw, dsn := tt.dsn(t)
			db, err := sql.Open(tt.driver, raw)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := store.MigrateTo(ctx, tt.name, db, 17); err != nil {
				t.Fatal(err)
			}
			type row struct {
				table, id string
				rev       int
				lm, seen  time.Time
				removed   bool
			}
			for _, r := range []row{
				{"revisions", "MC1", 1, at, at, false},
				{"revisions", "MC1", 2, at.Add(time.Hour), at.Add(time.Hour), false},
				{"items", "MC1", 2, at.Add(3 * time.Hour), at.Add(time.Hour), true}, // touched
				{"revisions", "MC2", 1, at, at, false},
				{"items", "MC2", 1, at, at, false},
			} {
				if _, err := db.ExecContext(ctx, `INSERT INTO `+r.table+` (tenant, source, id, revision, hash, last_modified,
					seen_at, removed, data, data_hash) VALUES ('contoso', 'mc', $1, $2, $3, $4, $5, $6, '', $7)`,
					r.id, r.rev, []byte{'h', byte('0' + r.rev)}, r.lm.UnixNano(), r.seen.UnixNano(), r.removed, []byte{}); err != nil {
					t.Fatalf("plant %s %s/%d: %v", r.table, r.id, r.rev, err)
				}
			}
			revisionRows := func() int {
				t.Helper()
				var n int
				if err := db.QueryRowContext(ctx, `SELECT count(*) FROM revisions`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			type want struct {
				rev     int
				lm      time.Time
				removed bool
			}
			history := func(s store.Store, id string, ws ...want) {
				t.Helper()
				h, err := s.History(ctx, "contoso", id)
				if err != nil {
					t.Fatal(err)
				}
				if len(h) != len(ws) {
					t.Fatalf("History of %s has %d revisions, want %d: %+v", id, len(h), len(ws), h)
				}
				for i, w := range ws {
					if h[i].Revision != w.rev || !h[i].LastModified.Equal(w.lm) || h[i].Removed != w.removed {
						t.Errorf("History of %s [%d] = revision %d, modified %v, removed %v; want %d, %v, %v",
							id, i, h[i].Revision, h[i].LastModified, h[i].Removed, w.rev, w.lm, w.removed)
					}
				}
			}

			s, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if n := revisionRows(); n != 1 {
				t.Errorf("after the upgrade revisions has %d rows, want 1 (MC1's first)", n)
			}
			history(s, "MC1", want{1, at, false}, want{2, at.Add(time.Hour), false})
			history(s, "MC2", want{1, at, false})
			items, err := s.Items(ctx, "contoso", model.SourceMC, nil)
			if err != nil {
				t.Fatal(err)
			}
			if it := items["MC1"]; it.Revision != 2 || !it.LastModified.Equal(at.Add(3*time.Hour)) || !it.Removed {
				t.Errorf("Items: MC1 = revision %d, modified %v, removed %v; want the touched 2", it.Revision, it.LastModified, it.Removed)
			}

			// A third revision moves the second into revisions as it was
			// stored, and a touch of the third does not change what it said.
			third := at.Add(5 * time.Hour)
			for _, it := range []store.Item{
				{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC1"}, Revision: 3, Hash: "h3",
					LastModified: third, SeenAt: third, Data: []byte(`{"id":"MC1","title":"Third"}`)},
				{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC1"}, Revision: 3, Hash: "h3",
					LastModified: third.Add(time.Hour), Removed: true},
			} {
				if _, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{it}}); err != nil {
					t.Fatal(err)
				}
			}
			history(s, "MC1", want{1, at, false}, want{2, at.Add(time.Hour), false}, want{3, third, false})
			if n := revisionRows(); n != 2 {
				t.Errorf("after a new revision revisions has %d rows, want 2", n)
			}
			// A binary from before 00018 run on the upgraded store writes
			// the latest revision to revisions too (here MC2's first):
			// History reads it once, and a new revision commits.
			if _, err := db.ExecContext(ctx, `INSERT INTO revisions (tenant, source, id, revision, hash, last_modified,
				seen_at, removed, data, data_hash) VALUES ('contoso', 'mc', 'MC2', 1, $1, $2, $2, $3, '', $4)`,
				[]byte("h1"), at.UnixNano(), false, []byte{}); err != nil {
				t.Fatal(err)
			}
			history(s, "MC2", want{1, at, false})
			if _, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{
				{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC2"}, Revision: 2, Hash: "h2",
					LastModified: third, SeenAt: third, Data: []byte(`{"id":"MC2","title":"Second"}`)}}}); err != nil {
				t.Fatalf("commit over a revision an older binary wrote: %v", err)
			}
			history(s, "MC2", want{1, at, false}, want{2, third, false})
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			if err := store.MigrateDownTo(ctx, tt.name, db, 17); err != nil {
				t.Fatal(err)
			}
			if n := revisionRows(); n != 5 {
				t.Errorf("rolled back, revisions has %d rows, want 5 (MC1 1–3, MC2 1–2)", n)
			}
			var lm int64
			var removed bool
			if err := db.QueryRowContext(ctx, `SELECT last_modified, removed FROM revisions
				WHERE id = 'MC1' AND revision = 3`).Scan(&lm, &removed); err != nil || lm != third.UnixNano() || removed {
				t.Errorf("rolled back, MC1's revision 3 = %d, %v, %v; want %d, false", lm, removed, err, third.UnixNano())
			}
		})
	}
}
