package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestUpgradePacksOldBlobs: documents stored uncompressed (as before
// 00012) are compressed by migration 00016 on both engines, and read back
// the same; a short document stays as it is.
func TestUpgradePacksOldBlobs(t *testing.T) {
	for _, tt := range upgradeEngines() {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			raw, dsn := tt.dsn(t)
			at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
			long := mustJSON(t, &model.Message{ID: "MC1", Title: "Retirement", LastModified: at,
				Body: strings.Repeat("<p>The classic widget retires. 録画の保存先が変わります。</p>", 50)})
			short := []byte(`{"id":"MC2","title":"x"}`)
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			for i, data := range [][]byte{long, short} {
				id := []string{"MC1", "MC2"}[i]
				if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{{
					Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: id}, Revision: 1, Hash: id,
					LastModified: at, Data: data}}}); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()
			db, err := sql.Open(tt.driver, raw)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// As an older shdmc left it: at 00015, the long document
			// uncompressed.
			if err := store.MigrateDownTo(ctx, tt.name, db, 15); err != nil {
				t.Fatal(err)
			}
			first := func() []byte {
				var b []byte
				if err := db.QueryRowContext(ctx, `SELECT data FROM blobs ORDER BY length(data) DESC LIMIT 1`).Scan(&b); err != nil {
					t.Fatal(err)
				}
				return b
			}
			if b := first(); len(b) == 0 || b[0] != 0x01 {
				t.Fatalf("the long document is not stored compressed to begin with (%d bytes)", len(b))
			}
			if _, err := db.ExecContext(ctx, `UPDATE blobs SET data = $1 WHERE length(data) = (SELECT max(length(data)) FROM blobs)`, long); err != nil {
				t.Fatal(err)
			}
			if b := first(); string(b) != string(long) {
				t.Fatal("the long document was not stored uncompressed")
			}
			st, err = store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if b := first(); len(b) == 0 || b[0] != 0x01 || len(b) > len(long)/3 {
				t.Errorf("after the upgrade the long document is %d bytes (of %d), first byte %#x", len(b), len(long), b[0])
			}
			items, err := st.Items(ctx, "contoso", model.SourceMC, nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(items["MC1"].Data) != string(long) || string(items["MC2"].Data) != string(short) {
				t.Errorf("documents read back differ: %d and %d bytes", len(items["MC1"].Data), len(items["MC2"].Data))
			}
		})
	}
}
