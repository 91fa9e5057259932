package serve

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// TestSearchTranslationsOfNewPosts: a post stored while the dashboard runs,
// which no notice translated, is found by the translation the memory
// holds of its title after the dashboard's next pass, not only after a
// restart.
func TestSearchTranslationsOfNewPosts(t *testing.T) {
	defer func(every time.Duration) { searchTranslationsEvery = every }(searchTranslationsEvery)
	searchTranslationsEvery = 50 * time.Millisecond
	ctx := t.Context()
	st, err := store.Open(ctx, "sqlite://"+t.TempDir()+"/shdmc.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const title = "Update to the retirement of basic authentication"
	k := store.TranslationKey{Hash: translate.TextHash(title), Source: "en", Target: "ja", Provider: translate.MemoryProviderName,
		GlossaryVersion: translate.DefaultGlossary().Version()}
	at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	if err := st.PutTranslation(ctx, k, "基本認証の提供終了に関する更新", at); err != nil {
		t.Fatal(err)
	}
	post := func(id string, mod time.Time) {
		t.Helper()
		b, err := json.Marshal(model.Message{ID: id, Title: title, Category: model.CategoryPlanForChange, LastModified: mod,
			Body: "<p>Basic authentication is retired.</p>"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{{
			Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: id}, Revision: 1, Hash: id, LastModified: mod, Data: b}}}); err != nil {
			t.Fatal(err)
		}
	}
	found := func(id string) bool {
		t.Helper()
		p, err := st.(store.Reader).SearchItems(ctx, store.ItemQuery{Text: "提供終了"})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(p.Items, func(it store.Item) bool { return it.Key.ID == id })
	}
	waitFound := func(id string) {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); !found(id); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s is not found by its title's translation after 10 s", id)
			}
		}
	}
	post("MC1", at)
	srv, err := New(Options{Store: st, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	sctx, cancel := context.WithCancel(ctx)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFound("MC1") // the pass at the start
	post("MC2", at.Add(time.Hour))
	waitFound("MC2") // a later pass
}
