package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/store"
)

// syncBuffer is a bytes.Buffer that the migration's progress goroutine and
// the test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(s.b.Bytes()))
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestMigrationProgress upgrades a SQLite file with 30,000 revisions from
// migration 00011: each migration is announced with the file's size, a
// long one reports its progress while it runs, and each one's end is
// logged. A new database is created without announcements.
func TestMigrationProgress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.MigrateTo(ctx, "sqlite", db, 11); err != nil {
		db.Close()
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
		INSERT INTO revisions (tenant, source, id, revision, hash, last_modified, seen_at, removed, data, data_hash)
		SELECT 't' || (i % 100), 'mc', 'MC' || i, 1, 'h', '2025-05-01T09:00:00.000000000Z', '2025-05-01T09:00:00.000000000Z', 0, '', ''
		FROM n`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	var logs syncBuffer
	st, err := store.Open(ctx, path, store.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		store.WithMigrationProgress(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	announced, migrated, progress := map[float64]bool{}, map[float64]bool{}, 0
	for _, r := range logs.records(t) {
		v, _ := r["version"].(float64)
		switch r["msg"] {
		case "store_migrating":
			if _, ok := r["file_mb"]; !ok {
				t.Errorf("store_migrating %v has no file_mb: %v", v, r)
			}
			announced[v] = true
		case "store_migration_progress":
			if _, ok := r["written_mb"]; !ok || r["running"] == nil {
				t.Errorf("store_migration_progress without written_mb or running: %v", r)
			}
			if !announced[v] || migrated[v] {
				t.Errorf("progress of %v outside its migration: %v", v, r)
			}
			progress++
		case "store_migrated":
			migrated[v] = true
		}
	}
	for v := 12.0; v <= 14; v++ {
		if !announced[v] || !migrated[v] {
			t.Errorf("migration %v: announced %v, migrated %v", v, announced[v], migrated[v])
		}
	}
	if announced[11] || migrated[11] {
		t.Error("migration 11 ran again")
	}
	if progress == 0 {
		t.Error("no store_migration_progress while 00012 rewrote 30,000 revisions")
	}

	var fresh syncBuffer
	st, err = store.Open(ctx, filepath.Join(t.TempDir(), "new.db"), store.WithLogger(slog.New(slog.NewJSONHandler(&fresh, nil))),
		store.WithMigrationProgress(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	n := 0
	for _, r := range fresh.records(t) {
		switch r["msg"] {
		case "store_migrating", "store_migration_progress":
			t.Errorf("a new database logged %v", r)
		case "store_migrated":
			n++
		}
	}
	if n < 14 {
		t.Errorf("a new database logged %d migrations, want every one", n)
	}
}
