package store_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestTextCountScan: a text search whose other conditions reject most
// documents (one tenant of twenty) stops counting at the documents it
// reads for a count, and says so (Exact false, the matches it found so
// far as a lower bound); its pages stay complete and in order, and a
// search whose count ends inside the bound is exact.
func TestTextCountScan(t *testing.T) {
	engines := map[string]func(t *testing.T) store.Store{
		"sqlite": func(t *testing.T) store.Store { return openT(t, "sqlite://"+filepath.Join(t.TempDir(), "s.db")) },
		"postgres": func(t *testing.T) store.Store {
			return openT(t, freshDatabase(t))
		},
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			store.SetCountScan(t, 100)
			start := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
			for tn := range 20 {
				tenant := fmt.Sprintf("t%02d", tn)
				var items []store.Item
				for i := range 30 {
					id := fmt.Sprintf("MC%02d%03d", tn, i)
					m := model.Message{ID: id, Title: "Rollout " + id, Category: model.CategoryStayInformed, Body: "<p>rollout</p>",
						LastModified: start.Add(time.Duration(i*20+tn) * time.Second)}
					data, _ := json.Marshal(m)
					items = append(items, store.Item{Key: model.ItemKey{Tenant: tenant, Source: model.SourceMC, ID: id}, Revision: 1,
						Hash: "h-" + id, LastModified: m.LastModified, Data: data})
				}
				if _, err := st.Commit(t.Context(), store.Batch{Tenant: tenant, Source: model.SourceMC, Items: items}); err != nil {
					t.Fatal(err)
				}
			}
			r, _ := store.AsReader(st)
			// Tenants as parameters of their own (up to 16) and as one list.
			for _, n := range []int{2, 16, 17, 20} {
				var ts []string
				for tn := range n {
					ts = append(ts, fmt.Sprintf("t%02d", tn))
				}
				p, err := r.SearchItems(t.Context(), store.ItemQuery{Source: model.SourceMC, Tenants: ts, Limit: 1000})
				if err != nil || len(p.Items) != 30*n || p.Total != 30*n {
					t.Fatalf("%d tenants list %d items of %d (%v), want %d", n, len(p.Items), p.Total, err, 30*n)
				}
			}
			list, err := r.SearchItems(t.Context(), store.ItemQuery{Source: model.SourceMC, Tenants: []string{"t07"}, Limit: 100})
			if err != nil || len(list.Items) != 30 {
				t.Fatalf("t07 lists %d items (%v), want 30", len(list.Items), err)
			}
			// 600 documents, 30 of t07 spread among them: a page of 5
			// reads about 100, the count stops at 100 documents read.
			p, err := r.SearchItems(t.Context(), store.ItemQuery{Source: model.SourceMC, Tenants: []string{"t07"}, Text: "rollout", Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if p.Exact || p.Total < 5 || p.Total >= 30 || len(p.Items) != 5 || !p.More {
				t.Errorf("one tenant, page of 5: Total %d, Exact %v, %d items, more %v; want a partial count of 5 to 29", p.Total, p.Exact, len(p.Items), p.More)
			}
			var got, want []string
			for _, it := range list.Items {
				want = append(want, it.Key.ID)
			}
			for off := 0; off < 30; off += 5 {
				p, err := r.SearchItems(t.Context(), store.ItemQuery{Source: model.SourceMC, Tenants: []string{"t07"}, Text: "rollout", Limit: 5, Offset: off})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					got = append(got, it.Key.ID)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages of t07's search:\ngot  %v\nwant %v", got, want)
			}
			// Every tenant: the count stops at the 100 documents too (less
			// the second a step ends inside, left to the next).
			p, err = r.SearchItems(t.Context(), store.ItemQuery{Source: model.SourceMC, Text: "rollout", Limit: 5})
			if err != nil || p.Exact || p.Total < 90 || p.Total >= 600 {
				t.Errorf("every tenant: Total %d, Exact %v (%v); want at least 90, partial", p.Total, p.Exact, err)
			}
			// A page that reads everything counts everything.
			p, err = r.SearchItems(t.Context(), store.ItemQuery{Source: model.SourceMC, Tenants: []string{"t07"}, Text: "rollout", Limit: 40})
			if err != nil || !p.Exact || p.Total != 30 || len(p.Items) != 30 {
				t.Errorf("one tenant, page of 40: Total %d, Exact %v, %d items (%v); want exactly 30", p.Total, p.Exact, len(p.Items), err)
			}
		})
	}
}
