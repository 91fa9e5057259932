package graph

import (
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds every testdata/*.json body plus a few hand-made odd ones.
func addSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2]) // truncated
	}
	for _, s := range []string{``, `null`, `{}`, `{"value":null}`, `{"value":[null,1,"x",[]]}`, `{"value":{}}`,
		`{"value":[{"id":"X","posts":[{"description":null}],"startDateTime":1}]}`} {
		f.Add([]byte(s))
	}
}

func FuzzDecodeIssues(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		items, _, err := DecodeIssues(data)
		if err != nil && items != nil {
			t.Fatalf("items alongside error %v", err)
		}
		for _, it := range items {
			if it.ID == "" {
				t.Fatal("item without id")
			}
		}
	})
}

func FuzzDecodeMessages(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		items, _, err := DecodeMessages(data)
		if err != nil && items != nil {
			t.Fatalf("items alongside error %v", err)
		}
		for _, it := range items {
			if it.ID == "" {
				t.Fatal("item without id")
			}
		}
	})
}
