package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestUpgradeDocSource rolls back, on both engines, a store to migration
// 00018 (every document's text in one full-text index, no source per
// document) and opens it again: migration 00019 records each document's
// source and, in SQLite, moves the incidents' text to tables of their own.
// Searches of one source, of every source, by long and by short words,
// find the same items before the rollback and after the upgrade; rolled
// back, SQLite's doc_fts holds every document again.
func TestUpgradeDocSource(t *testing.T) {
	for _, tt := range upgradeEngines() {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			raw, dsn := tt.dsn(t)
			at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			commit := func(src model.Source, id string, v any) {
				t.Helper()
				if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: src,
					Items: []store.Item{{Key: model.ItemKey{Tenant: "contoso", Source: src, ID: id}, Revision: 1,
						Hash: id, LastModified: at, Data: mustJSON(t, v)}}}); err != nil {
					t.Fatal(err)
				}
			}
			commit(model.SourceSHD, "EX1", &model.Issue{ID: "EX1", Title: "Exchange mail is delayed", Service: "Exchange Online",
				Classification: model.ClassificationIncident, Status: model.StatusServiceDegradation, LastModified: at,
				Posts: []model.Post{{Created: at, Content: "<p>メールの配信が遅延しています。</p>"}}})
			commit(model.SourceMC, "MC1", &model.Message{ID: "MC1", Title: "Exchange retirement", LastModified: at,
				Body: "<p>配信の遅延はありません。</p>"})
			commit(model.SourceHealth, "Exchange Online", &model.ServiceHealth{ID: "Exchange Online", Service: "Exchange Online",
				Status: model.StatusServiceDegradation})
			search := func(when string, src model.Source, text string, want ...string) {
				t.Helper()
				p, err := st.(store.Reader).SearchItems(ctx, store.ItemQuery{Source: src, Text: text})
				if err != nil {
					t.Fatalf("%s: search %q in %q: %v", when, text, src, err)
				}
				var got []string
				for _, it := range p.Items {
					got = append(got, it.Key.ID)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s: search %q in %q found %v, want %v", when, text, src, got, want)
				}
			}
			searches := func(when string) {
				t.Helper()
				search(when, model.SourceSHD, "Exchange", "EX1")
				search(when, model.SourceMC, "Exchange", "MC1")
				search(when, model.SourceHealth, "Exchange", "Exchange Online")
				search(when, "", "Exchange", "EX1", "Exchange Online", "MC1")
				search(when, model.SourceSHD, "遅延", "EX1")
				search(when, "", "遅延", "EX1", "MC1")
				search(when, "", "Exchange 遅延", "EX1", "MC1")
				search(when, model.SourceMC, "retirement 遅延", "MC1")
				search(when, model.SourceSHD, "retirement")
			}
			searches("new store")
			st.Close()

			db, err := sql.Open(tt.driver, raw)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := store.MigrateDownTo(ctx, tt.name, db, 18); err != nil {
				t.Fatal(err)
			}
			var n int
			if tt.name == "sqlite" {
				if err := db.QueryRowContext(ctx, `SELECT count(*) FROM doc_fts WHERE doc_fts MATCH '"Exchange"'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 3 {
					t.Errorf("rolled back: doc_fts has %d documents with Exchange, want 3", n)
				}
				if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name LIKE 'doc%shd%'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("rolled back: %d tables of SHD documents are left", n)
				}
			}
			if _, err := db.ExecContext(ctx, `SELECT source FROM search_docs`); err == nil {
				t.Error("rolled back: search_docs still has a source column")
			}
			db.Close()

			if st, err = store.Open(ctx, dsn); err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			searches("upgraded")
			if tt.name == "sqlite" {
				db, err := sql.Open(tt.driver, raw)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				for table, want := range map[string]int{"doc_fts": 2, "doc_fts_shd": 1} {
					if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+table+` MATCH '"Exchange"'`).Scan(&n); err != nil {
						t.Fatal(err)
					}
					if n != want {
						t.Errorf("upgraded: %s has %d documents with Exchange, want %d", table, n, want)
					}
				}
			}
		})
	}
}
