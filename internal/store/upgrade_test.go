package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// upgradeEngine is an engine an upgrade test runs on: its name (as
// store.MigrateDownTo takes it), its database/sql driver, and a new empty
// database as the driver and as store.Open name it.
type upgradeEngine struct {
	name, driver string
	dsn          func(t *testing.T) (driverDSN, storeDSN string)
}

// upgradeEngines are SQLite in a temporary file and PostgreSQL in a
// database of its own.
func upgradeEngines() []upgradeEngine {
	return []upgradeEngine{
		{"sqlite", "sqlite", func(t *testing.T) (string, string) {
			p := filepath.Join(t.TempDir(), "old.db")
			return p, "sqlite://" + p
		}},
		{"postgres", "pgx", func(t *testing.T) (string, string) {
			d := freshDatabase(t)
			return d, d
		}},
	}
}

// TestUpgradeToBlobs opens, on both engines, a database an older shdmc left
// at migration 00006 with items and revisions whose JSON sat in their own
// rows: migration 00007 moves it to blobs, once per distinct document, and
// items, history and search read as before.
func TestUpgradeToBlobs(t *testing.T) {
	for _, tt := range upgradeEngines() {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			raw, dsn := tt.dsn(t)
			db, err := sql.Open(tt.driver, raw)
			if err != nil {
				t.Fatal(err)
			}
			engine := "sqlite"
			if tt.driver == "pgx" {
				engine = "postgres"
			}
			if err := store.MigrateTo(ctx, engine, db, 6); err != nil {
				db.Close()
				t.Fatal(err)
			}
			doc := func(body string) string {
				b, _ := json.Marshal(model.Message{ID: "MC1", Title: "Teams town halls", Body: body,
					Category: model.CategoryStayInformed, LastModified: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)})
				return string(b)
			}
			v1, v2 := doc("<p>Town halls get <b>captions</b>.</p>"), doc("<p>Town halls get captions in Japanese.</p>")
			ts := "2025-05-01T00:00:00.000000000Z"
			type row struct {
				tenant string
				rev    int
				data   string
			}
			revs := []row{{"a", 1, v1}, {"a", 2, v2}, {"b", 1, v1}, {"c", 1, v1}, {"c", 2, ""}}
			cur := map[string]row{"a": revs[1], "b": revs[2], "c": revs[4]}
			for _, r := range revs {
				if _, err := db.ExecContext(ctx, `INSERT INTO revisions (tenant, source, id, revision, hash, last_modified, seen_at, removed, data)
					VALUES ($1, 'mc', 'MC1', $2, $3, $4, $4, $5, $6)`, r.tenant, r.rev, fmt.Sprint("h", r.rev), ts, false, r.data); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range cur {
				if _, err := db.ExecContext(ctx, `INSERT INTO items (tenant, source, id, revision, hash, last_modified, seen_at, removed, data)
					VALUES ($1, 'mc', 'MC1', $2, $3, $4, $4, $5, $6)`, r.tenant, r.rev, fmt.Sprint("h", r.rev), ts, false, r.data); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			s := openT(t, dsn)
			st, err := s.(store.BlobStore).BlobStats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// Items a2 and b1, revisions a1 and c1 (migration 00018 keeps
			// the latest revisions in items alone; c2 has no JSON).
			if want := (store.BlobStats{Blobs: 2, Bytes: int64(len(v1) + len(v2)), Refs: 2 + 2}); st != want {
				t.Errorf("BlobStats after upgrade = %+v, want %+v", st, want)
			}
			for tn, want := range cur {
				got, err := s.Items(ctx, tn, model.SourceMC, nil)
				if err != nil {
					t.Fatal(err)
				}
				if g := got["MC1"]; g.Revision != want.rev || string(g.Data) != want.data {
					t.Errorf("item of %s = %d %s, want %d %s", tn, g.Revision, g.Data, want.rev, want.data)
				}
			}
			h, err := s.History(ctx, "", "MC1")
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, r := range h {
				got = append(got, row{r.Key.Tenant, r.Revision, string(r.Data)})
			}
			if diff := cmp.Diff(revs, got, cmp.AllowUnexported(row{})); diff != "" {
				t.Errorf("History after upgrade (-want +got):\n%s", diff)
			}
			// The index built before the upgrade still answers, and a new
			// revision committed after it is indexed from its blob.
			r, _ := store.AsReader(s)
			search := func(text string) []string {
				t.Helper()
				page, err := r.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Text: text})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, it := range page.Items {
					out = append(out, it.Key.Tenant)
				}
				return out
			}
			if got := search("in Japanese"); !cmp.Equal(got, []string{"a"}) {
				t.Errorf("search before a new commit = %v, want [a]", got)
			}
			if _, err := s.Commit(ctx, store.Batch{Tenant: "b", Source: model.SourceMC, Items: []store.Item{{
				Key: model.ItemKey{Tenant: "b", Source: model.SourceMC, ID: "MC1"}, Revision: 2, Hash: "h2",
				LastModified: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), Data: []byte(v2)}}}); err != nil {
				t.Fatal(err)
			}
			if got := search("in Japanese"); len(got) != 2 {
				t.Errorf("search after a new commit = %v, want a and b", got)
			}
			if st, err := s.(store.BlobStore).BlobStats(ctx); err != nil || st.Blobs != 2 {
				t.Errorf("BlobStats after committing a known document = %+v, %v; want 2 blobs", st, err)
			}
		})
	}
}
