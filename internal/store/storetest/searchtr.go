package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testDocTranslations checks search by translation: a document's
// recorded translation is found by words of any length, together with its
// English words, for every item that shows the document (in other
// tenants, and committed later in another second); a replaced text is no
// longer found; SearchDocs lists every document, or those that have no
// text yet, page by page.
func testDocTranslations(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	rec := model.Message{ID: "MC700001", Title: "Recording retention", Category: model.CategoryPlanForChange,
		Body: "<p>Meeting recordings expire.</p>", LastModified: at}
	other := model.Message{ID: "MC700002", Title: "Mailbox moves", Category: model.CategoryStayInformed,
		Body: "<p>Mailboxes move.</p>", LastModified: at.Add(time.Second)}
	for _, tn := range []string{"contoso", "fabrikam"} {
		commit(t, s, store.Batch{Tenant: tn, Source: model.SourceMC,
			Items: []store.Item{msgItem(tn, rec.ID, 1, rec), msgItem(tn, other.ID, 1, other)}})
	}
	recData := msgItem("", rec.ID, 1, rec).Data
	otherData := msgItem("", other.ID, 1, other).Data
	search := func(q string) []string {
		t.Helper()
		page, err := r.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Text: q, Limit: 100})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		var out []string
		for _, it := range page.Items {
			out = append(out, it.Key.Tenant+"/"+it.Key.ID)
		}
		return out
	}
	untranslated := func() []model.Source {
		t.Helper()
		var (
			out   []model.Source
			after string
		)
		for {
			docs, err := s.SearchDocs(ctx, after, 1, "ja")
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) == 0 {
				return out
			}
			if len(docs) != 1 || docs[0].Key <= after {
				t.Fatalf("SearchDocs after %q, limit 1, untranslated: %+v", after, docs)
			}
			out = append(out, docs[0].Source)
			after = docs[0].Key
		}
	}
	if got := search("録画"); got != nil {
		t.Fatalf("録画 before any translation: %v", got)
	}
	if d := cmp.Diff([]model.Source{model.SourceMC, model.SourceMC}, untranslated()); d != "" {
		t.Errorf("untranslated documents (-want +got):\n%s", d)
	}

	if err := s.PutDocTranslations(ctx, []store.DocTranslation{{Data: recData, Lang: "ja", Text: "録画の保持\n会議の録画は期限切れになります。"},
		{Data: otherData, Lang: "ja"}}); err != nil {
		t.Fatal(err)
	}
	both := []string{"fabrikam/MC700001", "contoso/MC700001"}
	for _, q := range []string{"録画", "録", "会議の録画は期限切れ", "録画 retention", "保持 MC700001"} {
		if d := cmp.Diff(both, search(q)); d != "" {
			t.Errorf("search %q (-want +got):\n%s", q, d)
		}
	}
	if got := search("録画 mailbox"); got != nil {
		t.Errorf("録画 mailbox: %v", got)
	}
	if got := untranslated(); got != nil {
		t.Errorf("untranslated documents after both were recorded: %v", got)
	}
	if all, err := s.SearchDocs(ctx, "", 10, ""); err != nil || len(all) != 2 || all[0].Key >= all[1].Key {
		t.Errorf("every document: %+v, %v", all, err)
	}

	// A copy committed later (another second, another document number)
	// is found by the recorded translation at once.
	commit(t, s, store.Batch{Tenant: "adatum", Source: model.SourceMC, Items: []store.Item{{
		Key: model.ItemKey{Tenant: "adatum", Source: model.SourceMC, ID: rec.ID}, Revision: 1, Hash: "h1",
		LastModified: at.Add(time.Hour), Data: recData}}})
	if d := cmp.Diff(append([]string{"adatum/MC700001"}, both...), search("録画の保持")); d != "" {
		t.Errorf("録画の保持 with a later copy (-want +got):\n%s", d)
	}

	// The same text again changes nothing; another text replaces it.
	if err := s.PutDocTranslations(ctx, []store.DocTranslation{{Data: recData, Lang: "ja", Text: "録画の保持\n会議の録画は期限切れになります。"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDocTranslations(ctx, []store.DocTranslation{{Data: recData, Lang: "ja", Text: "レコーディングの保存期間"}}); err != nil {
		t.Fatal(err)
	}
	if got := search("録画"); got != nil {
		t.Errorf("録画 after its translation was replaced: %v", got)
	}
	if got := search("保存期間"); len(got) != 3 {
		t.Errorf("保存期間: %v, want the three copies", got)
	}
	if got := search("recording"); len(got) != 3 {
		t.Errorf("recording (English) after translations: %v, want the three copies", got)
	}
	if err := s.PutDocTranslations(ctx, []store.DocTranslation{{Lang: "ja", Text: "x"}}); err == nil {
		t.Error("a translation without its document was stored")
	}
}
