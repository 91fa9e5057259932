package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestUpgradeCompact opens, on both engines, a database an older shdmc
// left at migration 00008: events with the full JSON of their item inside,
// items indexed by the old triggers, a cursor stamped by its trigger.
// Migrations 00009 and 00010 move the events' items to the blobs their
// revisions already use, build the per-document search index, and every
// event, delivery, search and cursor reads as before.
func TestUpgradeCompact(t *testing.T) {
	tests := []struct {
		name, driver string
		dsn          func(t *testing.T) string
	}{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "old.db") }},
		{"postgres", "pgx", func(t *testing.T) string { return freshDatabase(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			dsn := tt.dsn(t)
			db, err := sql.Open(tt.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			engine := map[string]string{"sqlite": "sqlite", "pgx": "postgres"}[tt.driver]
			if err := store.MigrateTo(ctx, engine, db, 8); err != nil {
				db.Close()
				t.Fatal(err)
			}
			at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
			msg := &model.Message{ID: "MC1", Title: "Teams town halls", Category: model.CategoryStayInformed,
				Services: []string{"Microsoft Teams"}, Tags: []string{"New feature"}, LastModified: at,
				Body: "<p>Town halls get captions. 会議の録画は自動的に削除されます。</p>"}
			iss := &model.Issue{ID: "EX9", Title: "Mail delayed", Service: "Exchange Online", Status: model.StatusInvestigating,
				Classification: model.ClassificationIncident, LastModified: at.Add(time.Hour),
				Posts: []model.Post{{Content: "Users can't send mail. 送信できません"}}}
			mdata, _ := json.Marshal(msg)
			idata, _ := json.Marshal(iss)
			hash := func(b []byte) string {
				var h string
				q := map[string]string{"sqlite": `SELECT shdmc_sha256($1)`, "pgx": `SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')`}[tt.driver]
				if err := db.QueryRowContext(ctx, q, string(b)).Scan(&h); err != nil {
					t.Fatal(err)
				}
				return h
			}
			ts := func(t0 time.Time) string { return t0.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }
			events := []model.Event{
				{ID: 1, Tenant: "contoso", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageNew, Revision: 1,
					DetectedAt: at, Message: msg, Changes: []model.Change{{Kind: model.ChangeNew}}},
				{ID: 2, Tenant: "fabrikam", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageNew, Revision: 1,
					DetectedAt: at.Add(time.Second), Message: msg, Changes: []model.Change{{Kind: model.ChangeNew}}},
				{ID: 3, Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX9", Type: model.EventIssueNew, Revision: 1,
					DetectedAt: at.Add(time.Hour), Issue: iss, Changes: []model.Change{{Kind: model.ChangeNew}}},
				{ID: 4, Tenant: "contoso", Source: model.SourceGraph, ItemID: "graph", Type: model.EventSourceDown, Revision: 1,
					DetectedAt: at.Add(2 * time.Hour), Changes: []model.Change{{Kind: model.ChangeFailure, Field: "auth", To: "AADSTS7000215"}}},
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, b := range [][]byte{mdata, idata} {
				exec(`INSERT INTO blobs (hash, data) VALUES ($1, $2)`, hash(b), string(b))
			}
			for _, it := range []struct {
				tenant, src, id string
				data            []byte
				lm              time.Time
			}{{"contoso", "mc", "MC1", mdata, at}, {"fabrikam", "mc", "MC1", mdata, at}, {"contoso", "shd", "EX9", idata, at.Add(time.Hour)}} {
				for _, table := range []string{"items", "revisions"} {
					exec(`INSERT INTO `+table+` (tenant, source, id, revision, hash, last_modified, seen_at, removed, data, data_hash)
						VALUES ($1, $2, $3, 1, 'h', $4, $4, $5, '', $6)`, it.tenant, it.src, it.id, ts(it.lm), false, hash(it.data))
				}
			}
			for _, ev := range events {
				data, _ := json.Marshal(ev)
				exec(`INSERT INTO events (tenant, source, item_id, type, revision, detected_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
					ev.Tenant, string(ev.Source), ev.ItemID, string(ev.Type), ev.Revision, ts(ev.DetectedAt), string(data))
				exec(`INSERT INTO outbox (event_id, channel, key, state, next_attempt, lease_until, created_at, done_at, route, kind)
					VALUES ($1, 'mail', $2, 'pending', $3, $4, $3, $4, 'all', 'notice')`,
					ev.ID, ev.Tenant+"/"+ev.ItemID, ts(at), ts(time.Time{}))
			}
			exec(`INSERT INTO cursors (tenant, source, watermark, last_full, baselined) VALUES ('contoso', 'mc', $1, $1, $2)`, ts(at), true)
			db.Close()

			s := openT(t, dsn)
			got, err := s.Events(ctx, store.EventQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(events, got); diff != "" {
				t.Errorf("events after the upgrade (-before +after):\n%s", diff)
			}
			ds, err := s.Deliveries(ctx, nil, 0)
			if err != nil || len(ds) != len(events) {
				t.Fatalf("Deliveries = %d, %v", len(ds), err)
			}
			for _, d := range ds {
				if diff := cmp.Diff(events[d.Event.ID-1], d.Event); diff != "" {
					t.Errorf("event of delivery %s after the upgrade (-before +after):\n%s", d.Key, diff)
				}
			}
			// The events' items are the blobs the revisions use: nothing new.
			if st, err := s.BlobStats(ctx); err != nil || st.Blobs != 2 {
				t.Errorf("BlobStats after the upgrade = %+v, %v; want the 2 blobs of before", st, err)
			}
			r, _ := store.AsReader(s)
			for text, want := range map[string][]string{
				"captions": {"contoso/MC1", "fabrikam/MC1"}, "録画": {"contoso/MC1", "fabrikam/MC1"},
				"自動的に削除": {"contoso/MC1", "fabrikam/MC1"}, "送信": {"contoso/EX9"}, "can't": {"contoso/EX9"},
				"EX9": {"contoso/EX9"}, "Mail 送信": {"contoso/EX9"}, "town 録画 halls": {"contoso/MC1", "fabrikam/MC1"},
			} {
				page, err := r.SearchItems(ctx, store.ItemQuery{Text: text})
				if err != nil {
					t.Fatal(err)
				}
				var keys []string
				for _, it := range page.Items {
					keys = append(keys, it.Key.Tenant+"/"+it.Key.ID)
				}
				slices.Sort(keys)
				if !slices.Equal(keys, want) {
					t.Errorf("search %q after the upgrade = %v, want %v", text, keys, want)
				}
			}
			page, err := r.SearchItems(ctx, store.ItemQuery{Tag: "New feature", Service: "Microsoft Teams", Source: model.SourceMC})
			if err != nil || page.Total != 2 {
				t.Errorf("filters after the upgrade: %d items, %v; want 2", page.Total, err)
			}
			st, err := r.SourceStates(ctx)
			if err != nil || len(st) != 1 || st[0].UpdatedAt.IsZero() || !st[0].Cursor.Watermark.Equal(at) {
				t.Errorf("SourceStates after the upgrade = %+v, %v", st, err)
			}
			// New commits after the upgrade index and stamp as usual.
			if _, err := s.Commit(ctx, store.Batch{Tenant: "fabrikam", Source: model.SourceSHD, Items: []store.Item{
				{Key: model.ItemKey{Tenant: "fabrikam", Source: model.SourceSHD, ID: "EX9"}, Revision: 1, Hash: "h",
					LastModified: iss.LastModified, Data: idata}}}); err != nil {
				t.Fatal(err)
			}
			if page, err := r.SearchItems(ctx, store.ItemQuery{Text: "送信"}); err != nil || page.Total != 2 {
				t.Errorf("search after a new commit: %d, %v; want 2", page.Total, err)
			}
		})
	}
}
