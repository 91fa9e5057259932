package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testTextSearchPaging checks full-text search over many items against
// the listing it filters: two tenants sharing 240 documents, three per
// second (so that pages and the search's chunks end inside a second), words
// of one, two, three and more characters, IDs, several words at once. Every
// search returns exactly the listed items that contain its words, in the
// listing's order, by offset and by keyset pages, with ModifiedSince.
func testTextSearchPaging(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	text := map[string]string{} // item ID → its text
	for _, tn := range []string{"contoso", "fabrikam"} {
		var items []store.Item
		for i := range 240 {
			id := fmt.Sprintf("MC%06d", 100000+i)
			words := []string{"rollout"}
			if i%2 == 0 {
				words = append(words, "alpha")
			}
			if i%3 == 0 {
				words = append(words, "会議の録画")
			}
			if i%5 == 0 {
				words = append(words, "Q")
			}
			if i%7 == 0 {
				words = append(words, "zz-top")
			}
			body := "<p>" + strings.Join(words, " ") + "</p>"
			text[id] = strings.ToLower(id + " " + strings.Join(words, " "))
			m := model.Message{Title: "Post", Category: model.CategoryStayInformed, Body: body,
				LastModified: start.Add(time.Duration(i/3)*time.Second + time.Duration(i%3)*time.Millisecond)}
			items = append(items, msgItem(tn, id, 1, m))
		}
		commit(t, s, store.Batch{Tenant: tn, Source: model.SourceMC, Items: items})
	}
	all, err := r.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 480 {
		t.Fatalf("listing: %d items, want 480", len(all.Items))
	}
	key := func(it store.Item) string { return it.Key.Tenant + "/" + it.Key.ID }
	// walk follows q's keyset pages (After) to the end.
	walk := func(q store.ItemQuery) []string {
		var out []string
		for range 100 {
			p, err := r.SearchItems(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				out = append(out, key(it))
			}
			if !p.More {
				break
			}
			q.After = p.Next
		}
		return out
	}
	for _, q := range []string{"alpha", "録画", "録", "q", "zz", "zz-top", "alpha 録画", "q 録", "MC100042", "mc10004 alpha", "rollout", "nothing"} {
		var want []string
		for _, it := range all.Items {
			found := true
			for _, w := range strings.Fields(strings.ToLower(q)) {
				found = found && strings.Contains(text[it.Key.ID], w)
			}
			if found {
				want = append(want, key(it))
			}
		}
		t.Run(q, func(t *testing.T) {
			page, err := r.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Text: q, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range page.Items {
				got = append(got, key(it))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("search %q: %d items, want %d\ngot  %v\nwant %v", q, len(got), len(want), got, want)
			}
			if page.Total != len(want) || !page.Exact {
				t.Errorf("search %q: Total %d (exact %v), want %d", q, page.Total, page.Exact, len(want))
			}
			// Offset pages and keyset pages cover the same items in order.
			var off []string
			for o := 0; o < len(want)+7; o += 7 {
				p, err := r.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Text: q, Limit: 7, Offset: o})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					off = append(off, key(it))
				}
			}
			keyset := walk(store.ItemQuery{Source: model.SourceMC, Text: q, Limit: 11, NoCount: true})
			if !slices.Equal(off, want) || !slices.Equal(keyset, want) {
				t.Errorf("search %q by pages:\noffset %v\nkeyset %v\nwant   %v", q, off, keyset, want)
			}
			// One tenant, and only items modified since the 40th second.
			since := start.Add(40 * time.Second)
			p, err := r.SearchItems(ctx, store.ItemQuery{Tenants: []string{"fabrikam"}, Text: q, ModifiedSince: since, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var sub, wantSub []string
			for _, it := range p.Items {
				sub = append(sub, key(it))
			}
			for _, it := range all.Items {
				if it.Key.Tenant == "fabrikam" && !it.LastModified.Before(since) && slices.Contains(want, key(it)) {
					wantSub = append(wantSub, key(it))
				}
			}
			if !slices.Equal(sub, wantSub) {
				t.Errorf("search %q in fabrikam since %v = %v, want %v", q, since, sub, wantSub)
			}
			// Both tenants named: the same items as no filter, the two
			// copies of each post (modified at the same instant) in order.
			both := walk(store.ItemQuery{Source: model.SourceMC, Tenants: []string{"contoso", "fabrikam"}, Text: q, Limit: 13})
			if !slices.Equal(both, want) {
				t.Errorf("search %q in both tenants:\ngot  %v\nwant %v", q, both, want)
			}
		})
	}
}

// testTextSearchBatches checks the page of a text search when the newest
// matching documents are not the page's: one tenant's 120 posts in the
// newest twelve seconds, the other's 60 in six seconds before them, ten
// documents per second numbered against their order of modification (the
// first stored in a second is its last modified). A search of the second
// tenant walks the first one's documents to reach its own, and a page
// that ends inside a second must still take that second's items in order.
func testTextSearchBatches(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	start := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tn := range []struct {
		name         string
		first, posts int
	}{{"busy", 100, 120}, {"quiet", 0, 60}} {
		var items []store.Item
		for i := range tn.posts {
			sec, j := tn.first+i/10, i%10
			m := model.Message{Title: fmt.Sprintf("Rollout %s %d", tn.name, i), Category: model.CategoryStayInformed,
				Body:         "<p>rollout</p>",
				LastModified: start.Add(time.Duration(sec)*time.Second + time.Duration(9-j)*time.Millisecond)}
			items = append(items, msgItem(tn.name, fmt.Sprintf("MC%s%03d", tn.name, i), 1, m))
		}
		commit(t, s, store.Batch{Tenant: tn.name, Source: model.SourceMC, Items: items})
	}
	key := func(it store.Item) string { return it.Key.Tenant + "/" + it.Key.ID }
	for _, tenants := range [][]string{nil, {"quiet"}} {
		all, err := r.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Tenants: tenants, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, it := range all.Items {
			want = append(want, key(it))
		}
		for limit := 1; limit <= 23; limit += 2 {
			var got []string
			for off := 0; off < len(want); off += limit {
				p, err := r.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Tenants: tenants, Text: "rollout", Limit: limit, Offset: off})
				if err != nil {
					t.Fatal(err)
				}
				if off == 0 && (p.Total != len(want) || !p.Exact) {
					t.Errorf("tenants %v, limit %d: Total %d (exact %v), want %d", tenants, limit, p.Total, p.Exact, len(want))
				}
				for _, it := range p.Items {
					got = append(got, key(it))
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("tenants %v, pages of %d: %d items\ngot  %v\nwant %v", tenants, limit, len(got), got, want)
			}
		}
	}
}
