package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// dataVersion reads SQLite's data_version on conn: it changes when another
// connection commits a write to the file.
func dataVersion(t *testing.T, conn *sql.Conn) int64 {
	t.Helper()
	var v int64
	if err := conn.QueryRowContext(context.Background(), `PRAGMA data_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestQuietCommit checks that a poll that found nothing (no items, events
// or deliveries, the cursor as stored) writes nothing while the cursor's
// stamp is younger than WithCursorStamp's period, and that without the
// option the stamp follows every commit as before.
func TestQuietCommit(t *testing.T) {
	ctx := context.Background()
	for _, every := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprint("stamp every ", every), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "q.db")
			s, err := store.Open(ctx, path, store.WithCursorStamp(every))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			cur := store.Cursor{Watermark: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), Baselined: true}
			b := store.Batch{Tenant: "contoso", Source: model.SourceSHD, Cursor: &cur}
			if _, err := s.Commit(ctx, b); err != nil {
				t.Fatal(err)
			}
			r, _ := store.AsReader(s)
			stamp := func() time.Time {
				st, err := r.SourceStates(ctx)
				if err != nil || len(st) != 1 {
					t.Fatalf("SourceStates = %v, %v", st, err)
				}
				return st[0].UpdatedAt
			}
			first := stamp()
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			v := dataVersion(t, conn)
			time.Sleep(10 * time.Millisecond)
			if _, err := s.Commit(ctx, b); err != nil {
				t.Fatal(err)
			}
			wrote := dataVersion(t, conn) != v
			if every > 0 && (wrote || !stamp().Equal(first)) {
				t.Errorf("a quiet commit wrote (data_version changed %v, stamp %v → %v)", wrote, first, stamp())
			}
			if every == 0 && (!wrote || !stamp().After(first)) {
				t.Errorf("without a stamp period the stamp did not move: %v → %v", first, stamp())
			}
			// A moved watermark is always written.
			cur.Watermark = cur.Watermark.Add(time.Minute)
			v = dataVersion(t, conn)
			if _, err := s.Commit(ctx, b); err != nil {
				t.Fatal(err)
			}
			if dataVersion(t, conn) == v || !stamp().After(first) {
				t.Error("a commit of a new watermark wrote nothing")
			}
			got, err := s.Cursor(ctx, "contoso", model.SourceSHD)
			if err != nil || !got.Watermark.Equal(cur.Watermark) {
				t.Errorf("Cursor = %+v, %v; want watermark %v", got, err, cur.Watermark)
			}
		})
	}
}

// TestPruneShrinksFile fills a new SQLite file (which uses incremental
// vacuum from the start), prunes nearly everything, and finds the file
// smaller; a file created without incremental vacuum switches to it with
// Vacuum.
func TestPruneShrinksFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	body := make([]byte, 4000)
	for i := range body {
		body[i] = 'a' + byte(i*7%26)
	}
	for i := range 300 {
		id := fmt.Sprintf("MC%04d", i)
		data, _ := json.Marshal(model.Message{ID: id, Title: "Post " + id, Body: string(body) + id, LastModified: at})
		if _, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{
			{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: id}, Revision: 1, Hash: "h", LastModified: at, SeenAt: at, Data: data},
		}, Events: []model.Event{{ItemID: id, Type: model.EventMessageNew, Revision: 1, DetectedAt: at}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{
			{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: id}, Revision: 2, Hash: "h", LastModified: at, SeenAt: at, Removed: true, Data: data},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := s.Usage(ctx, store.Retention{}, at)
	if err != nil {
		t.Fatal(err)
	}
	if !u.IncrementalVacuum {
		t.Error("a new SQLite file does not use incremental vacuum")
	}
	full := u.Bytes
	st, err := s.Prune(ctx, store.Retention{Events: 24 * time.Hour, RemovedItems: 24 * time.Hour}, at.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if st.Items != 300 || st.Events != 300 || st.FreedPages == 0 {
		t.Errorf("Prune = %+v, want 300 items and events removed and pages freed", st)
	}
	if u, err = s.Usage(ctx, store.Retention{}, at); err != nil {
		t.Fatal(err)
	}
	if u.Bytes > full/3 || u.FreeBytes != 0 {
		t.Errorf("file is %d bytes (%d free) after Prune, was %d", u.Bytes, u.FreeBytes, full)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() > full/3 {
		t.Errorf("file on disk after Prune: %v, %v; was %d", fi.Size(), err, full)
	}

	// A file an older shdmc created, without incremental vacuum.
	oldPath := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", oldPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.MigrateTo(ctx, "sqlite", db, 8); err != nil {
		t.Fatal(err)
	}
	db.Close()
	o, err := store.Open(ctx, oldPath)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if u, err := o.Usage(ctx, store.Retention{}, at); err != nil || u.IncrementalVacuum {
		t.Fatalf("old file: IncrementalVacuum %v, %v; want false", u.IncrementalVacuum, err)
	}
	if err := o.Vacuum(ctx); err != nil {
		t.Fatal(err)
	}
	if u, err := o.Usage(ctx, store.Retention{}, at); err != nil || !u.IncrementalVacuum {
		t.Errorf("old file after Vacuum: IncrementalVacuum %v, %v; want true", u.IncrementalVacuum, err)
	}
}

// TestUsageFullTextTables: store stats lists each of SQLite's full-text
// tables once, with its shadow tables and their indexes counted in it:
// doc_fts_shd is a table of its own, not a shadow of doc_fts (whose name
// it begins with), and the pages of every table and index add up to the
// file but for the free ones and a few of its own.
func TestUsageFullTextTables(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "shdmc.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	for src, v := range map[model.Source]any{
		model.SourceSHD: &model.Issue{ID: "EX1", Title: "Mail is delayed", LastModified: at, Posts: []model.Post{{Created: at, Content: "<p>遅延</p>"}}},
		model.SourceMC:  &model.Message{ID: "MC1", Title: "Retirement", LastModified: at, Body: "<p>提供終了</p>"},
	} {
		data, _ := json.Marshal(v)
		id := map[model.Source]string{model.SourceSHD: "EX1", model.SourceMC: "MC1"}[src]
		if _, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: src, Items: []store.Item{
			{Key: model.ItemKey{Tenant: "contoso", Source: src, ID: id}, Revision: 1, Hash: id, LastModified: at, Data: data}}}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := s.Usage(ctx, store.Retention{}, at)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var sum int64
	for _, tb := range u.Tables {
		seen[tb.Name]++
		sum += tb.Bytes
	}
	for _, name := range []string{"doc_fts", "doc_grams", "doc_fts_shd", "doc_grams_shd", "items", "search_docs"} {
		if seen[name] != 1 {
			t.Errorf("store stats lists %s %d times, want once: %+v", name, seen[name], u.Tables)
		}
	}
	for name := range seen {
		if strings.HasSuffix(name, "_data") || strings.HasSuffix(name, "_idx") || strings.HasSuffix(name, "_config") {
			t.Errorf("store stats lists the shadow table %s", name)
		}
	}
	// The schema's own pages and the pointer map of incremental vacuum
	// belong to no table.
	if used := u.Bytes - u.FreeBytes; sum > used || sum < used-8*4096 {
		t.Errorf("the tables add up to %d bytes of the %d used (the file %d, free %d)", sum, used, u.Bytes, u.FreeBytes)
	}
}
