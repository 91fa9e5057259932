package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreStatsAndPrune runs the demo into a store, then `store stats`
// and `store prune` on it: the demo's history is years old, so the default
// retention removes it, and stats then predicts nothing more.
func TestStoreStatsAndPrune(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := run(t, "demo", "--duration", "0", "--dir", dir); err != nil {
		t.Fatal(err)
	}
	db := "sqlite://" + filepath.Join(dir, "shdmc.db")
	noConfig := filepath.Join(dir, "none.yaml") // the defaults apply
	out, _, err := run(t, "store", "stats", "--store", db, "-c", noConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"revisions", "doc_fts", "sqlite database:", "retention would remove now:", "(older than 180d)"} {
		if !strings.Contains(out, want) {
			t.Errorf("store stats output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "  0 events and") {
		t.Errorf("store stats predicts no events to remove from the demo's old history:\n%s", out)
	}
	out, _, err = run(t, "store", "prune", "--vacuum", "--store", db, "-c", noConfig)
	if err != nil || !strings.Contains(out, "removed ") || strings.Contains(out, "removed 0 events") || !strings.Contains(out, "vacuumed") {
		t.Errorf("store prune = %q, %v", out, err)
	}
	out, _, err = run(t, "store", "stats", "--store", db, "-c", noConfig)
	if err != nil || !strings.Contains(out, "  0 events and 0 delivered deliveries") {
		t.Errorf("store stats after prune = %q, %v", out, err)
	}
	bad := write(t, dir, "bad.yaml", "retention:\n  events: 1h\n")
	if _, _, err := run(t, "store", "prune", "--store", db, "-c", bad); exitCode(err) != 2 {
		t.Errorf("prune with a bad retention block: %v, want exit 2", err)
	}
}
