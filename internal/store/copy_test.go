package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// fill stores some of everything through the store's own methods.
func fill(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 6, 1, 8, 0, 0, 123456789, time.UTC)
	for i, id := range []string{"contoso", "adatum"} {
		if err := s.UpsertTenant(ctx, model.Tenant{ID: id, Name: strings.ToUpper(id)}); err != nil {
			t.Fatal(err)
		}
		for rev := 1; rev <= 3; rev++ {
			itemID := fmt.Sprintf("EX%d", 100+i)
			data := fmt.Sprintf(`{"id":%q,"title":"Mail delay %d","status":"investigating","isResolved":false,"posts":[{"content":"<p>Users can&#39;t send</p>"}]}`, itemID, rev)
			ev := model.Event{Tenant: id, Source: model.SourceSHD, ItemID: itemID, Type: model.EventType("issue.updated"),
				Revision: rev, DetectedAt: at.Add(time.Duration(rev) * time.Minute)}
			_, err := s.Commit(ctx, store.Batch{
				Tenant: id, Source: model.SourceSHD,
				Items: []store.Item{{Key: model.ItemKey{Tenant: id, Source: model.SourceSHD, ID: itemID}, Revision: rev,
					Hash: fmt.Sprintf("h%d", rev), LastModified: at.Add(time.Duration(rev) * time.Minute), SeenAt: at, Data: []byte(data)}},
				Events:     []model.Event{ev},
				Deliveries: []store.NewDelivery{{Event: 0, Channel: "ops", Route: "all", Key: fmt.Sprintf("%s/%s/%d/all/ops", id, itemID, rev)}},
				Cursor:     &store.Cursor{Watermark: at.Add(time.Duration(rev) * time.Minute), LastFull: at, Baselined: true},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// contoso's EX100 as it stands (revision 3) has a translation for search.
	ex100 := fmt.Sprintf(`{"id":%q,"title":"Mail delay %d","status":"investigating","isResolved":false,"posts":[{"content":"<p>Users can&#39;t send</p>"}]}`, "EX100", 3)
	if err := s.PutDocTranslations(ctx, []store.DocTranslation{{Data: []byte(ex100), Lang: "ja", Text: "メール配信の遅延"}}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.ClaimDeliveries(ctx, nil, time.Now().Add(time.Hour), time.Minute, 2)
	if err != nil || len(ds) != 2 {
		t.Fatalf("claim: %v, %v", ds, err)
	}
	if err := s.CompleteDelivery(ctx, ds[0].ID, at); err != nil {
		t.Fatal(err)
	}
	if err := s.FailDelivery(ctx, ds[1].ID, at, "boom", at.Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetThreadRef(ctx, "slack", "contoso/EX100", "1700000000.0001"); err != nil {
		t.Fatal(err)
	}
	k := store.TranslationKey{Hash: "abc", Source: "en", Target: "ja", Provider: "deepl", GlossaryVersion: "1"}
	if err := s.PutTranslation(ctx, k, "メール遅延", at); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTranslationUsage(ctx, "deepl", "2025-06", store.TranslationUsage{Chars: 40, Requests: 1, Misses: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireTenantLeases(ctx, "w1", []string{"contoso", "adatum"}, at, time.Hour, 0, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.(store.HealthStore).PutSourceHealth(ctx, store.SourceHealth{Tenant: "contoso", Source: model.SourceSHD,
		Data: []byte(`{"state":"ok"}`), UpdatedAt: at}, store.Batch{}); err != nil {
		t.Fatal(err)
	}
	c := s.(store.ClusterStore)
	if _, err := c.RegisterWorker(ctx, "w1", at, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := c.SaveBudgetLog(ctx, "tid/app", []time.Time{at, at.Add(time.Second)}, at); err != nil {
		t.Fatal(err)
	}
	if err := s.(store.TenantRegistry).AddManagedTenant(ctx, store.ManagedTenant{ID: "fabrikam", Data: []byte(`{"tenant_id":"x"}`), Disabled: true, CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	ex := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX100"}
	if _, err := s.Act(ctx, store.ItemHandling{Item: ex, Status: model.HandlingAcknowledged, Owner: "alice", Note: "対応中", By: "alice", At: at, Seq: 1},
		model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX100", Type: model.EventItemAcknowledged, Revision: 3, By: "alice"}, nil); err != nil {
		t.Fatal(err)
	}
}

// dumpTables reads every copied table of a SQLite file as text rows.
func dumpTables(t *testing.T, path string) map[string][]string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]string{}
	for _, table := range []string{"tenants", "blobs", "items", "revisions", "cursors", "events", "outbox", "threads",
		"translations", "translation_usage", "leases", "source_health", "workers", "graph_budgets", "managed_tenants", "item_index",
		"item_handling"} {
		order := ` ORDER BY 1, 2, 3`
		if table == "blobs" {
			order = ` ORDER BY 1`
		}
		rows, err := db.Query(`SELECT * FROM ` + table + order)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if table == "cursors" && cols[i] == "updated_at" || cols[i] == "fid" {
					continue // restamped by the destination's trigger; a derived row's own ID
				}
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			out[table] = append(out[table], b.String())
		}
		rows.Close()
		if len(out[table]) == 0 {
			t.Fatalf("table %s is empty: the test fills every table", table)
		}
	}
	return out
}

func copyT(t *testing.T, src, dst store.Store, o store.CopyOptions) store.CopyStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Copy(ctx, src, dst, o)
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	return st
}

// TestCopyRoundTrip copies SQLite → PostgreSQL → SQLite and finds every
// row of every table as it was, event and delivery IDs included.
func TestCopyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	first, last := filepath.Join(dir, "first.db"), filepath.Join(dir, "last.db")
	a := openT(t, "sqlite://"+first)
	fill(t, a)
	pg := openT(t, freshDatabase(t))
	st := copyT(t, a, pg, store.CopyOptions{})
	// Two items of three revisions: the latest of each is its items row.
	if st.Rows["revisions"] != 4 || st.Rows["outbox"] != 6 || st.Rows["managed_tenants"] != 1 {
		t.Errorf("copied rows = %v", st.Rows)
	}
	b := openT(t, "sqlite://"+last)
	copyT(t, pg, b, store.CopyOptions{})
	if diff := cmp.Diff(dumpTables(t, first), dumpTables(t, last)); diff != "" {
		t.Errorf("after sqlite → postgres → sqlite (-first +last):\n%s", diff)
	}

	// The copy is a working store: its full-text index, written again,
	// holds the recorded translation; new events get new IDs on PostgreSQL
	// (fill stored 7 events: 6 and the acknowledgement).
	ctx := context.Background()
	for name, s := range map[string]store.Store{"postgres": pg, "sqlite": b} {
		r, _ := store.AsReader(s)
		page, err := r.SearchItems(ctx, store.ItemQuery{Text: "配信の遅延"})
		if err != nil || len(page.Items) != 1 || page.Items[0].Key != (model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX100"}) {
			t.Errorf("search by translation in the %s copy: %+v, %v", name, page.Items, err)
		}
	}
	ids, err := pg.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Events: []model.Event{{ItemID: "EX100", Type: model.EventType("issue.updated"), Revision: 4}}})
	if err != nil || len(ids) != 1 || ids[0] != 8 {
		t.Errorf("commit after copy: ids %v, %v; want [8]", ids, err)
	}

	// A non-empty destination is refused unless forced.
	_, err = store.Copy(ctx, a, b, store.CopyOptions{})
	if !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("copy to a non-empty store: %v, want ErrNotEmpty", err)
	}
	copyT(t, a, b, store.CopyOptions{Force: true})
	if diff := cmp.Diff(dumpTables(t, first), dumpTables(t, last)); diff != "" {
		t.Errorf("after a forced copy (-first +last):\n%s", diff)
	}
}
