package file_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/render"
)

// TestFileChannelMode: the notices file is created readable by its owner
// only.
func TestFileChannelMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notices.jsonl")
	ev := sampleEvent()
	if err := send(file.New(path, render.Options{}), &ev); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("notices file has mode %#o, want 0600", m)
	}
}
