package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/shdmc/shdmc/internal/model"
)

// TestSQLitePragmas checks that every pool's connections carry the settings
// the DSN asks for, including connections opened after the first.
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	if s.rdb == s.wdb {
		t.Fatal("a file database shares one pool for reads and writes")
	}
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "10000"}
	for name, db := range map[string]*sql.DB{"write": s.wdb, "read": s.rdb} {
		// Hold several connections at once so that the pool opens new ones.
		var conns []*sql.Conn
		for range min(db.Stats().MaxOpenConnections, 3) {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			for p, v := range want {
				var got string
				if err := c.QueryRowContext(ctx, "PRAGMA "+p).Scan(&got); err != nil {
					t.Fatalf("%s conn %d: PRAGMA %s: %v", name, i, p, err)
				}
				if got != v {
					t.Errorf("%s conn %d: %s = %s, want %s", name, i, p, got, v)
				}
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}
	if got := s.wdb.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("write pool allows %d connections, want 1", got)
	}
	// The writer's own settings for large commits.
	for p, v := range map[string]string{"temp_store": "2", "cache_size": "-16384", "wal_autocheckpoint": "4000"} {
		var got string
		if err := s.wdb.QueryRowContext(ctx, "PRAGMA "+p).Scan(&got); err != nil {
			t.Fatalf("writer: PRAGMA %s: %v", p, err)
		}
		if got != v {
			t.Errorf("writer: %s = %s, want %s", p, got, v)
		}
	}
}

func TestEncodeTimeSorts(t *testing.T) {
	a, err := decodeTime("2025-01-01T00:00:00.000000000Z")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ earlier, later string }{
		{encodeTime(a), encodeTime(a.Add(500 * 1e6))},
		{encodeTime(a.Add(-1)), encodeTime(a)},
		{encodeTime(a.AddDate(-2024, 0, 0)), encodeTime(a)},
	}
	for _, tt := range tests {
		if !(tt.earlier < tt.later) || len(tt.earlier) != len(tt.later) {
			t.Errorf("%q does not sort before %q at the same width", tt.earlier, tt.later)
		}
	}
}

func BenchmarkItemsAll(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "p.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	bt := Batch{Tenant: "contoso", Source: "mc"}
	for i := range 1000 {
		bt.Items = append(bt.Items, Item{Key: modelKey(i), Revision: 1, Hash: "h", Data: []byte(`{"id":"x"}`)})
	}
	if _, err := st.Commit(ctx, bt); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if got, err := st.Items(ctx, "contoso", "mc", nil); err != nil || len(got) != 1000 {
			b.Fatal(err)
		}
	}
}

func modelKey(i int) model.ItemKey { return model.ItemKey{ID: fmt.Sprintf("MC%06d", i)} }

// TestUpgradeFromFirstSchema opens a database that an older shdmc left at
// the first migration, with a delivery in its outbox: the later migrations
// apply on open, and the old row reads back with an empty route.
func TestUpgradeFromFirstSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := fs.Sub(migrationsFS, "migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	zero := encodeTime(time.Time{})
	for _, q := range []string{
		`INSERT INTO events (tenant, source, item_id, type, revision, detected_at, data)
			VALUES ('contoso', 'shd', 'EX1', 'issue.new', 1, '` + zero + `', '{"itemId":"EX1"}')`,
		`INSERT INTO outbox (event_id, channel, key, state, next_attempt, lease_until, created_at, done_at)
			VALUES (1, 'mail', 'k', 'pending', '` + zero + `', '` + zero + `', '` + zero + `', '` + zero + `')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, err := st.Deliveries(ctx, nil, 0)
	if err != nil || len(ds) != 1 || ds[0].Key != "k" || ds[0].Route != "" || ds[0].Event.ItemID != "EX1" {
		t.Fatalf("old delivery after upgrade = %+v, %v", ds, err)
	}
	if got, err := st.SetThreadRef(ctx, "slack", "k", "ts"); err != nil || got != "ts" {
		t.Errorf("SetThreadRef on the upgraded database = %q, %v", got, err)
	}
	if got, err := st.AcquireTenantLeases(ctx, "w", []string{"contoso"}, time.Now(), time.Minute, 0, 0); err != nil || len(got) != 1 {
		t.Errorf("AcquireTenantLeases on the upgraded database = %v, %v", got, err)
	}
}

// TestActiveListPlan: the default list of current items, and its capped
// count, read the partial index of current items (00017), not every
// resolved issue's row.
func TestActiveListPlan(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	yes := true
	where, args, err := s.itemWhere(ItemQuery{Source: model.SourceSHD, Active: &yes})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT count(*) FROM (SELECT 1 FROM item_index x` + where + ` LIMIT 1001) AS m`,
		`SELECT x.fid, x.last_modified FROM item_index x` + where + ` ORDER BY x.last_modified DESC, x.fid DESC LIMIT 51`,
	} {
		rows, err := s.rdb.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), "item_index_active") {
			t.Errorf("%s\nplan:\n%s", q, strings.Join(plan, "\n"))
		}
	}
}
