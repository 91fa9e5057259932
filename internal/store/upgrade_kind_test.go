package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/store"
)

// TestUpgradeDeliveryKinds opens, on both engines, a database left at
// migration 00007 whose outbox told follow-ups and group deliveries apart
// only by their keys: migration 00008 gives every row its kind.
func TestUpgradeDeliveryKinds(t *testing.T) {
	tests := []struct {
		name, driver string
		dsn          func(t *testing.T) string
	}{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "old.db") }},
		{"postgres", "pgx", func(t *testing.T) string { return freshDatabase(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			dsn := tt.dsn(t)
			db, err := sql.Open(tt.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			engine := map[string]string{"sqlite": "sqlite", "pgx": "postgres"}[tt.driver]
			if err := store.MigrateTo(ctx, engine, db, 7); err != nil {
				db.Close()
				t.Fatal(err)
			}
			ts := "2025-05-01T00:00:00.000000000Z"
			if _, err := db.ExecContext(ctx, `INSERT INTO events (tenant, source, item_id, type, revision, detected_at, data)
				VALUES ('a', 'mc', 'MC1', 'mc.new', 1, $1, '{}')`, ts); err != nil {
				db.Close()
				t.Fatal(err)
			}
			want := map[string]store.DeliveryKind{
				"a/mc/MC1/1/ops/mail":                       store.KindNotice,
				"a/mc/MC1/1/ops/mail/translation":           store.KindFollowUp,
				"group/ops/mail/MC1/mc.new/abc":             store.KindGroup,
				"group/ops/mail/MC1/mc.new/abc/translation": store.KindFollowUp,
			}
			for key := range want {
				if _, err := db.ExecContext(ctx, `INSERT INTO outbox
					(event_id, channel, route, key, state, attempts, next_attempt, lease_until, last_error, created_at, done_at)
					VALUES ((SELECT min(id) FROM events), 'mail', 'ops', $1, 'pending', 0, $2, $2, '', $2, $2)`, key, ts); err != nil {
					db.Close()
					t.Fatal(err)
				}
			}
			db.Close()
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			got, err := st.Deliveries(ctx, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d deliveries after the upgrade, want %d", len(got), len(want))
			}
			for _, d := range got {
				if d.Kind != want[d.Key] {
					t.Errorf("delivery %s: kind %q, want %q", d.Key, d.Kind, want[d.Key])
				}
			}
		})
	}
}
