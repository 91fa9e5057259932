package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testSharedBlobs commits the same Message Center post for 300 tenants, and
// a second revision for some of them: each distinct JSON document is stored
// once, and Items and History still return it for every tenant.
func testSharedBlobs(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	bs := s
	const tenants = 300
	m1 := model.Message{Title: "Retirement of legacy mail flow rules", Category: model.CategoryPlanForChange,
		Services: []string{"Exchange Online"}, Body: "<p>We are retiring <b>legacy</b> rules.</p>",
		LastModified: base().UTC()}
	m2 := m1
	m2.Body = "<p>We are retiring <b>legacy</b> rules on 1 June.</p>"
	m2.LastModified = base().Add(time.Hour).UTC()
	v1, v2 := msgItem("", "MC900001", 1, m1), msgItem("", "MC900001", 2, m2)
	// Every third tenant sees the second revision too.
	for i := range tenants {
		tn := fmt.Sprintf("tenant%03d", i)
		items := []store.Item{msgItem(tn, "MC900001", 1, m1)}
		commit(t, s, store.Batch{Tenant: tn, Source: model.SourceMC, Items: items})
		if i%3 == 0 {
			commit(t, s, store.Batch{Tenant: tn, Source: model.SourceMC, Items: []store.Item{msgItem(tn, "MC900001", 2, m2)}})
		}
	}
	st, err := bs.BlobStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 300 items (each its latest revision) and the 100 first revisions
	// they replaced refer to two documents.
	want := store.BlobStats{Blobs: 2, Bytes: int64(len(v1.Data) + len(v2.Data)), Refs: tenants + tenants/3}
	if st != want {
		t.Errorf("BlobStats = %+v, want %+v", st, want)
	}
	for _, i := range []int{0, 1, 2, 150, 299} {
		tn := fmt.Sprintf("tenant%03d", i)
		cur := v1
		if i%3 == 0 {
			cur = v2
		}
		got, err := s.Items(ctx, tn, model.SourceMC, []string{"MC900001"})
		if err != nil {
			t.Fatal(err)
		}
		if g := got["MC900001"]; g.Revision != cur.Revision || string(g.Data) != string(cur.Data) {
			t.Errorf("Items of %s = revision %d %s, want %d %s", tn, g.Revision, g.Data, cur.Revision, cur.Data)
		}
		h, err := s.History(ctx, tn, "MC900001")
		if err != nil {
			t.Fatal(err)
		}
		var revs []string
		for _, r := range h {
			revs = append(revs, fmt.Sprintf("%s %d %s", r.Key.Tenant, r.Revision, r.Data))
		}
		wantRevs := []string{fmt.Sprintf("%s 1 %s", tn, v1.Data)}
		if i%3 == 0 {
			wantRevs = append(wantRevs, fmt.Sprintf("%s 2 %s", tn, v2.Data))
		}
		if diff := cmp.Diff(wantRevs, revs); diff != "" {
			t.Errorf("History of %s (-want +got):\n%s", tn, diff)
		}
	}
	if h, err := s.History(ctx, "", "MC900001"); err != nil || len(h) != tenants+tenants/3 {
		t.Errorf("History of every tenant: %d revisions, %v; want %d", len(h), err, tenants+tenants/3)
	}
	// The search index reads the shared document: the later text is found
	// in the tenants that have it only.
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatalf("%T is not a store.Reader", s)
	}
	for _, tt := range []struct {
		text string
		want int
	}{{"on 1 June", tenants / 3}, {"legacy rules", tenants}} {
		page, err := r.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Text: tt.text, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != tt.want {
			t.Errorf("search %q: %d items, want %d", tt.text, len(page.Items), tt.want)
		}
		for _, it := range page.Items {
			if len(it.Data) == 0 {
				t.Errorf("search %q: item %s of %s has no data", tt.text, it.Key.ID, it.Key.Tenant)
			}
		}
	}
}
