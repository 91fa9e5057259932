package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testLargeBatches commits batches larger than one multi-row statement (of
// sizes that are no power of two), shared by two tenants, then one that
// mixes new items, new revisions, items whose revision stays (moved to
// another second, some removed) and an item twice, and checks what Items,
// History and SearchItems see: the same as item-by-item writes would give.
func testLargeBatches(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	day := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	post := func(tenant string, i, rev int, word string, at time.Time) store.Item {
		return msgItem(tenant, fmt.Sprintf("MC%04d", i), rev, model.Message{
			Title: fmt.Sprintf("Post %d", i), Category: model.CategoryPlanForChange, Severity: model.SeverityNormal,
			Services: []string{"Exchange Online"}, LastModified: at,
			Body: fmt.Sprintf("<p>Change %d of %s, revision %d.</p>", i, word, rev)})
	}
	const n = 203
	for _, tenant := range []string{"contoso", "fabrikam"} {
		var items []store.Item
		for i := range n {
			items = append(items, post(tenant, i, 1, "alpha", day.Add(time.Duration(i)*time.Minute)))
		}
		commit(t, s, store.Batch{Tenant: tenant, Source: model.SourceMC, Items: items})
	}

	// contoso: posts 0-49 get revision 2 (new text), 50-99 keep revision 1
	// but move an hour later (60-69 removed), 203-212 are new, and post 100
	// comes twice: revision 2, then 3.
	var items []store.Item
	for i := range 50 {
		items = append(items, post("contoso", i, 2, "bravo", day.Add(time.Duration(i)*time.Minute+30*time.Second)))
	}
	for i := 50; i < 100; i++ {
		it := post("contoso", i, 1, "alpha", day.Add(time.Duration(i)*time.Minute))
		it.LastModified = it.LastModified.Add(time.Hour)
		it.Removed = i >= 60 && i < 70
		items = append(items, it)
	}
	for i := n; i < n+10; i++ {
		items = append(items, post("contoso", i, 1, "charlie", day.Add(time.Duration(i)*time.Minute)))
	}
	items = append(items, post("contoso", 100, 2, "delta", day.Add(100*time.Minute+10*time.Second)),
		post("contoso", 100, 3, "echo", day.Add(100*time.Minute+20*time.Second)))
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: items})

	got, err := s.Items(ctx, "contoso", model.SourceMC, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n+10 {
		t.Fatalf("contoso has %d items, want %d", len(got), n+10)
	}
	for i := range n + 10 {
		id := fmt.Sprintf("MC%04d", i)
		it, ok := got[id]
		if !ok {
			t.Fatalf("%s missing", id)
		}
		wantRev, wantMod := 1, day.Add(time.Duration(i)*time.Minute)
		switch {
		case i < 50:
			wantRev, wantMod = 2, wantMod.Add(30*time.Second)
		case i < 100:
			wantMod = wantMod.Add(time.Hour)
		case i == 100:
			wantRev, wantMod = 3, wantMod.Add(20*time.Second)
		}
		if it.Revision != wantRev || !it.LastModified.Equal(wantMod) || it.Removed != (i >= 60 && i < 70) {
			t.Errorf("%s: revision %d, modified %s, removed %v; want %d, %s, %v", id, it.Revision, it.LastModified,
				it.Removed, wantRev, wantMod, i >= 60 && i < 70)
		}
	}
	hist, err := s.History(ctx, "contoso", "MC0100")
	if err != nil {
		t.Fatal(err)
	}
	var revs []int
	for _, h := range hist {
		revs = append(revs, h.Revision)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, revs); diff != "" {
		t.Errorf("revisions of MC0100 (-want +got):\n%s", diff)
	}

	// What SearchItems finds, in any order (the order of the page is
	// tested elsewhere).
	search := func(q store.ItemQuery) []string {
		t.Helper()
		q.Limit = 1000
		page, err := r.SearchItems(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range page.Items {
			ids = append(ids, it.Key.Tenant+"/"+it.Key.ID)
		}
		slices.Sort(ids)
		return ids
	}
	ids := func(tenant string, ranges ...[2]int) []string {
		var out []string
		for _, rg := range ranges {
			for i := rg[0]; i < rg[1]; i++ {
				out = append(out, fmt.Sprintf("%s/MC%04d", tenant, i))
			}
		}
		slices.Sort(out)
		return out
	}
	contoso := []string{"contoso"}
	for _, tt := range []struct {
		name string
		q    store.ItemQuery
		want []string
	}{
		{"new text", store.ItemQuery{Tenants: contoso, Text: "bravo"}, ids("contoso", [2]int{0, 50})},
		{"old text of edited posts is gone", store.ItemQuery{Tenants: contoso, Text: "alpha"},
			ids("contoso", [2]int{50, 60}, [2]int{70, 100}, [2]int{101, n})},
		{"removed", store.ItemQuery{Tenants: contoso, Text: "alpha", IncludeRemoved: true},
			ids("contoso", [2]int{50, 100}, [2]int{101, n})},
		// Posts 50-99 moved an hour later: 90-99 are now at minutes 150-159.
		{"moved", store.ItemQuery{Tenants: contoso, Text: "alpha", ModifiedSince: day.Add(150 * time.Minute)},
			ids("contoso", [2]int{90, 100}, [2]int{150, n})},
		{"new items", store.ItemQuery{Tenants: contoso, Text: "charlie"}, ids("contoso", [2]int{n, n + 10})},
		{"last of the item twice", store.ItemQuery{Tenants: contoso, Text: "echo"}, []string{"contoso/MC0100"}},
		{"first of the item twice", store.ItemQuery{Tenants: contoso, Text: "delta"}, nil},
		{"other tenant untouched", store.ItemQuery{Tenants: []string{"fabrikam"}, Text: "alpha"}, ids("fabrikam", [2]int{0, n})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, search(tt.q)); diff != "" {
				t.Errorf("SearchItems (-want +got):\n%s", diff)
			}
		})
	}
}
