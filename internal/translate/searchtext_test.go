package translate_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// TestIndexSearch: IndexSearch records the memory's translations of every
// document that has none (an issue's title and posts, a post's body) and
// leaves the recorded ones alone unless asked for all, after which a
// translation added to the memory later is found too.
func TestIndexSearch(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "shdmc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	is := model.Issue{ID: "EX1", Title: "Users can't send mail", Posts: []model.Post{{Created: at, Content: "<p>We are reviewing the logs.</p>"}}}
	msg := model.Message{ID: "MC1", Title: "Retirement of basic auth", Body: "<p>Basic authentication will be retired.</p>"}
	isData, _ := json.Marshal(is)
	msgData, _ := json.Marshal(msg)
	for src, data := range map[model.Source][]byte{model.SourceSHD: isData, model.SourceMC: msgData} {
		id := "EX1"
		if src == model.SourceMC {
			id = "MC1"
		}
		if _, err := st.Commit(ctx, store.Batch{Tenant: "t1", Source: src, Items: []store.Item{{Key: model.ItemKey{Tenant: "t1", Source: src, ID: id},
			Revision: 1, Hash: id, LastModified: at, Data: data}}}); err != nil {
			t.Fatal(err)
		}
	}
	if segs := translate.DocSegments(model.SourceSHD, isData); !slices.Contains(segs, is.Title) || !slices.Contains(segs, "We are reviewing the logs.") {
		t.Errorf("segments of the issue: %q", segs)
	}
	if segs := translate.DocSegments(model.SourceMC, msgData); !slices.Contains(segs, msg.Title) || !slices.Contains(segs, "Basic authentication will be retired.") {
		t.Errorf("segments of the post: %q", segs)
	}
	put := func(en, ja string) {
		t.Helper()
		k := store.TranslationKey{Hash: translate.TextHash(en), Source: "en", Target: "ja", Provider: "p", GlossaryVersion: "g"}
		if err := st.PutTranslation(ctx, k, ja, at); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := store.AsReader(st)
	found := func(q string) []string {
		t.Helper()
		page, err := r.SearchItems(ctx, store.ItemQuery{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range page.Items {
			ids = append(ids, it.Key.ID)
		}
		return ids
	}
	index := func(all bool) int {
		t.Helper()
		n, err := translate.IndexSearch(ctx, st, "p", "g", []string{"ja"}, all)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	put(is.Title, "ユーザーがメールを送信できない")
	put("We are reviewing the logs.", "ログを確認しています。")
	put("Basic authentication will be retired.", "基本認証は廃止されます。")
	put(msg.Title, "基本認証の廃止")
	if n := index(false); n != 2 {
		t.Errorf("indexed %d documents, want 2", n)
	}
	for q, want := range map[string]string{"メール": "EX1", "ログを確認": "EX1", "廃止されます": "MC1"} {
		if got := found(q); !slices.Equal(got, []string{want}) {
			t.Errorf("search %q: %v, want %s", q, got, want)
		}
	}
	if n := index(false); n != 0 {
		t.Errorf("indexed %d documents again, want 0", n)
	}
	put("Users can't send mail", "メールの送信障害")
	if got := found("送信障害"); got != nil {
		t.Errorf("a new translation is found before indexing all: %v", got)
	}
	if n := index(true); n != 2 {
		t.Errorf("indexed %d documents of all, want 2", n)
	}
	if got := found("送信障害"); !slices.Equal(got, []string{"EX1"}) {
		t.Errorf("送信障害 after indexing all: %v", got)
	}
	if got := found("送信できない"); got != nil {
		t.Errorf("the replaced translation is still found: %v", got)
	}
}
