package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// TestCollectTranslations: collecting a document nothing refers to any
// more also removes its recorded translations; a document still in use
// keeps its own.
func TestCollectTranslations(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var docs [][]byte
	for _, id := range []string{"MC1", "MC2"} {
		data, _ := json.Marshal(model.Message{ID: id, Title: "Retirement of " + id, LastModified: at})
		docs = append(docs, data)
		if _, err := st.Commit(ctx, Batch{Tenant: "t", Source: model.SourceMC, Items: []Item{{
			Key: model.ItemKey{Tenant: "t", Source: model.SourceMC, ID: id}, Revision: 1, Hash: id, LastModified: at, Data: data}}}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutDocTranslations(ctx, []DocTranslation{{Data: data, Lang: "ja", Text: id + " の提供終了"}}); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		var n int
		if err := s.wdb.QueryRowContext(ctx, `SELECT count(*) FROM search_translations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("%d recorded translations, want 2", n)
	}
	// MC1 is gone for good: nothing refers to its document.
	for _, q := range []string{`DELETE FROM item_index WHERE id = 'MC1'`, `DELETE FROM items WHERE id = 'MC1'`, `DELETE FROM revisions WHERE id = 'MC1'`} {
		if _, err := s.wdb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.collectBlobs(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("%d recorded translations after collecting MC1's document, want 1", n)
	}
	var h storedHash
	if err := s.wdb.QueryRowContext(ctx, `SELECT hash FROM search_translations`).Scan(&h); err != nil {
		t.Fatal(err)
	}
	if h.s != blobHash(docs[1]) {
		t.Errorf("the translation kept is of %s, want MC2's document %s", h.s, blobHash(docs[1]))
	}
}

// TestPruneMergesFTS: after many small commits the full-text index is
// many segments; a prune merges each index into one, and searches still
// find what they found before.
func TestPruneMergesFTS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range 40 {
		id := "MC" + strconv.Itoa(1000+i)
		data, _ := json.Marshal(model.Message{ID: id, Title: "Retirement of feature " + id, LastModified: at,
			BodyType: "html", Body: "<p>録画の保存先が変わります " + id + "</p>"})
		if _, err := st.Commit(ctx, Batch{Tenant: "t", Source: model.SourceMC, Items: []Item{{
			Key: model.ItemKey{Tenant: "t", Source: model.SourceMC, ID: id}, Revision: 1, Hash: id, LastModified: at, Data: data}}}); err != nil {
			t.Fatal(err)
		}
	}
	segments := func(table string) int {
		var n int
		if err := s.wdb.QueryRowContext(ctx, `SELECT count(DISTINCT segid) FROM `+table+`_idx`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	search := func() int {
		page, err := s.SearchItems(ctx, ItemQuery{Source: model.SourceMC, Text: "録画 MC1017"})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	for _, table := range []string{"doc_fts", "doc_grams"} {
		if n := segments(table); n < ftsMergeAt {
			t.Fatalf("%s has %d segments after 40 commits; the test needs %d", table, n, ftsMergeAt)
		}
	}
	if n := search(); n != 1 {
		t.Fatalf("search found %d items before the merge, want 1", n)
	}
	if _, err := s.Prune(ctx, Retention{}, at); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"doc_fts", "doc_grams"} {
		if n := segments(table); n != 1 {
			t.Errorf("%s has %d segments after a prune, want 1", table, n)
		}
	}
	if n := search(); n != 1 {
		t.Errorf("search found %d items after the merge, want 1", n)
	}
	// A few new segments are left to FTS5's automerge: a prune does not
	// rewrite the whole index for them.
	for i := range 2 {
		id := "MC" + strconv.Itoa(2000+i)
		data, _ := json.Marshal(model.Message{ID: id, Title: "Another " + id, LastModified: at})
		if _, err := st.Commit(ctx, Batch{Tenant: "t", Source: model.SourceMC, Items: []Item{{
			Key: model.ItemKey{Tenant: "t", Source: model.SourceMC, ID: id}, Revision: 1, Hash: id, LastModified: at, Data: data}}}); err != nil {
			t.Fatal(err)
		}
	}
	before := segments("doc_fts")
	if before < 2 {
		t.Fatalf("doc_fts has %d segments after two more commits", before)
	}
	if _, err := s.Prune(ctx, Retention{}, at); err != nil {
		t.Fatal(err)
	}
	if n := segments("doc_fts"); n != before {
		t.Errorf("a prune merged %d segments into %d; below %d it should leave them", before, n, ftsMergeAt)
	}
}

// TestNextChunk checks the steps of a text search: doubling while nothing
// has matched, the rate's estimate (and a fifth) once something has, never
// beyond 4,096 documents.
func TestNextChunk(t *testing.T) {
	for _, tc := range []struct{ last, seen, found, wanted, want int }{
		{64, 64, 0, 1001, 128},     // nothing matched yet: double
		{64, 64, 53, 948, 1372},    // most documents match: 948 more need about 1,145
		{64, 64, 6, 1001, 4096},    // one in ten: capped
		{128, 192, 190, 10, 256},   // the estimate is below doubling
		{2048, 4000, 100, 0, 4096}, // nothing wanted: double, capped
		{4096, 8192, 8000, 500, 4096},
	} {
		if got := nextChunk(tc.last, tc.seen, tc.found, tc.wanted); got != tc.want {
			t.Errorf("nextChunk(%d, %d, %d, %d) = %d, want %d", tc.last, tc.seen, tc.found, tc.wanted, got, tc.want)
		}
	}
}
