package serve_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// TestSearchBeyondNewest: the lists search every item through the store's
// index, not the newest few thousand: the oldest of 5,200 posts is found
// by its Japanese translation alone, by its ID (whole, partial, any
// case), by both at once, and sorted by another column; a word of the
// translation of no post finds nothing.
func TestSearchBeyondNewest(t *testing.T) {
	if testing.Short() {
		t.Skip("commits 5,200 posts")
	}
	ctx := t.Context()
	st, err := store.Open(ctx, "sqlite://"+t.TempDir()+"/shdmc.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 5200
	oldTitle := "Meeting recordings expire after 60 days"
	for lo := 0; lo < n; lo += 1000 {
		var items []store.Item
		for i := lo; i < min(lo+1000, n); i++ {
			id := fmt.Sprintf("MC%06d", 100000+i)
			title := fmt.Sprintf("Update %d to Microsoft Teams", i)
			if i == 0 {
				title = oldTitle
			}
			mod := start.Add(time.Duration(i) * time.Minute)
			b, _ := json.Marshal(model.Message{ID: id, Title: title, Category: model.CategoryPlanForChange, Severity: model.SeverityNormal,
				Services: []string{"Microsoft Teams"}, LastModified: mod, Body: "<p>Teams meetings change.</p>"})
			items = append(items, store.Item{Key: model.ItemKey{Tenant: "t1", Source: model.SourceMC, ID: id}, Revision: 1, Hash: id,
				LastModified: mod, Data: b})
		}
		if _, err := st.Commit(ctx, store.Batch{Tenant: "t1", Source: model.SourceMC, Items: items}); err != nil {
			t.Fatal(err)
		}
	}
	glossary := translate.DefaultGlossary().Version()
	k := store.TranslationKey{Hash: translate.TextHash(oldTitle), Source: "en", Target: "ja", Provider: translate.MemoryProviderName,
		GlossaryVersion: glossary}
	if err := st.PutTranslation(ctx, k, "会議の録画は 60 日後に期限切れになります", start); err != nil {
		t.Fatal(err)
	}
	if _, err := translate.IndexSearch(ctx, st, translate.MemoryProviderName, glossary, []string{"ja"}, false); err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, st, serve.Options{Now: fixedClock(start.AddDate(0, 0, n/1440+1))})
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/messages?q=" + "%E6%9C%9F%E9%99%90%E5%88%87%E3%82%8C", []string{"MC100000"}},                    // 期限切れ (only in the translation)
		{"/messages?q=" + "%E9%8C%B2%E7%94%BB", []string{"MC100000"}},                                      // 録画 (two characters)
		{"/messages?q=MC100000", []string{"MC100000"}},                                                     // its ID
		{"/messages?q=mc100000", []string{"MC100000"}},                                                     // any case
		{"/messages?q=MC100000+%E9%8C%B2%E7%94%BB", []string{"MC100000"}},                                  // ID and translation
		{"/messages?q=%E6%9C%9F%E9%99%90%E5%88%87%E3%82%8C+recordings", []string{"MC100000"}},              // translation and English
		{"/messages?q=%E9%8C%B2%E7%94%BB&sort=id&dir=asc", []string{"MC100000"}},                           // sorted by a column
		{"/messages?q=%E6%9C%9F%E9%99%90%E5%88%87%E3%82%8C+Update", nil},                                   // no post has both
		{"/messages?q=%E4%BC%9A%E8%AD%B0%E3%81%AE%E9%8C%B2%E7%94%BB%E3%81%AF+60", []string{"MC100000"}},    // 会議の録画は 60
		{"/messages?q=MC105199", []string{"MC105199"}},                                                     // the newest
		{"/messages?q=05199", []string{"MC105199"}},                                                        // part of an ID
		{"/messages?q=%E6%9C%9F%E9%99%90%E5%88%87%E3%82%8C&lang=ja", []string{"MC100000"}},                 // read in Japanese
		{"/messages?q=%E6%9C%9F%E9%99%90%E5%88%87%E3%82%8C&tab=active", []string{"MC100000"}},              // a tab
		{"/messages?q=%E6%9C%9F%E9%99%90%E5%88%87%E3%82%8C&service=Microsoft+Teams", []string{"MC100000"}}, // a filter
		{"/messages?q=%E6%9C%9F%E9%99%90%E5%88%87%E3%82%8C&service=Exchange+Online", nil},                  // another filter
	} {
		t.Run(tt.path, func(t *testing.T) {
			body := mustGet(t, ts.URL+tt.path)
			if d := cmp.Diff(tt.want, resultIDs(body)); d != "" {
				t.Errorf("IDs (-want +got):\n%s", d)
			}
			if strings.Contains(body, "Sorted the newest") || strings.Contains(body, "Searched and sorted") {
				t.Error("the search says it read only the newest items")
			}
		})
	}
}
