package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExportFileMode: shdmc export --output creates a file readable by its
// owner only.
func TestExportFileMode(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "shdmc.db")
	if _, _, err := run(t, "migrate", "--store", db); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"csv", "jsonl"} {
		out := filepath.Join(dir, "items."+format)
		if _, stderr, err := run(t, "export", "--store", db, "--format", format, "--output", out); err != nil {
			t.Fatalf("export: %v (%s)", err, stderr)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("export file %s has mode %#o, want 0600", filepath.Base(out), m)
		}
	}
}
