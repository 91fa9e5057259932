package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/shdmc/shdmc/internal/model"
)

// TestSQLiteFileModes: a new database file and its -wal and -shm files
// are readable by their owner only, whatever the DSN's form; an existing
// file keeps the mode it has.
func TestSQLiteFileModes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, dsn, file string
	}{
		{"plain path", filepath.Join(dir, "plain.db"), filepath.Join(dir, "plain.db")},
		{"sqlite scheme", "sqlite://" + filepath.Join(dir, "scheme.db"), filepath.Join(dir, "scheme.db")},
		{"file URI", "file:" + filepath.Join(dir, "uri.db") + "?cache=private", filepath.Join(dir, "uri.db")},
		{"file URI with authority", "sqlite:file://" + filepath.Join(dir, "auth.db"), filepath.Join(dir, "auth.db")},
		{"escaped file URI", "file:" + filepath.Join(dir, "with%20space.db"), filepath.Join(dir, "with space.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openT(t, tt.dsn)
			if err := s.UpsertTenant(context.Background(), model.Tenant{ID: "contoso"}); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{tt.file, tt.file + "-wal", tt.file + "-shm"} {
				fi, err := os.Stat(f)
				if err != nil {
					t.Errorf("stat: %v", err)
					continue
				}
				if m := fi.Mode().Perm(); m != 0o600 {
					t.Errorf("%s has mode %#o, want 0600", filepath.Base(f), m)
				}
			}
		})
	}
	t.Run("existing file", func(t *testing.T) {
		path := filepath.Join(dir, "existing.db")
		s := openT(t, path)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o640); err != nil {
			t.Fatal(err)
		}
		openT(t, path)
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("existing file's mode changed: %v %v", fi.Mode(), err)
		}
	})
}
