package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

func msgItem(tenant, id string, rev int, m model.Message) store.Item {
	m.ID = id
	b, _ := json.Marshal(m)
	return store.Item{
		Key:          model.ItemKey{Tenant: tenant, Source: model.SourceMC, ID: id},
		Revision:     rev,
		Hash:         fmt.Sprintf("h-%s-%d", id, rev),
		LastModified: m.LastModified,
		Data:         b,
	}
}

func issueItem(tenant, id string, rev int, is model.Issue) store.Item {
	is.ID = id
	b, _ := json.Marshal(is)
	return store.Item{
		Key:          model.ItemKey{Tenant: tenant, Source: model.SourceSHD, ID: id},
		Revision:     rev,
		Hash:         fmt.Sprintf("h-%s-%d", id, rev),
		LastModified: is.LastModified,
		Data:         b,
	}
}

// testSearchItems checks the read index: every filter, full-text search in
// English and Japanese (short words too), paging, and that an edit
// committed later is found by its new text only.
func testSearchItems(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	day := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{
		msgItem("contoso", "MC100", 1, model.Message{Title: "Retirement of legacy auth", Category: model.CategoryPlanForChange,
			Severity: model.SeverityHigh, Services: []string{"Exchange Online", "Microsoft Teams"}, Tags: []string{"Retirement"},
			IsMajorChange: true, ActionRequiredBy: day.AddDate(0, 1, 0), LastModified: day.Add(3 * time.Hour),
			Body: "<p>We are <b>retiring</b> Basic authentication.</p><p>会議の録画は自動的に削除されます。</p>"}),
		msgItem("contoso", "MC200", 1, model.Message{Title: "New Copilot feature", Category: model.CategoryStayInformed,
			Severity: model.SeverityNormal, Services: []string{"Microsoft Copilot (Microsoft 365)"}, Tags: []string{"New feature"},
			LastModified: day.Add(2 * time.Hour), Body: "<div class=\"x\">Rolling out in May. XQ helps.</div>"}),
	}})
	commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceMC, Items: []store.Item{
		msgItem("fabrikam", "MC100", 1, model.Message{Title: "Retirement of legacy auth", Category: model.CategoryPlanForChange,
			Severity: model.SeverityHigh, Services: []string{"Exchange Online"}, ActionRequiredBy: day.AddDate(0, 3, 0),
			LastModified: day.Add(time.Hour), Body: "<p>Basic authentication ends.</p>"}),
	}})
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Items: []store.Item{
		issueItem("contoso", "EX1", 1, model.Issue{Title: "Mail delayed", Service: "Exchange Online", Status: model.StatusInvestigating,
			Classification: model.ClassificationIncident, LastModified: day.Add(4 * time.Hour),
			Posts: []model.Post{{Content: "Title: Users can't send mail<br>User impact: 送信できません"}}}),
		issueItem("contoso", "TM2", 1, model.Issue{Title: "Chat slow", Service: "Microsoft Teams", Status: model.StatusServiceRestored,
			IsResolved: true, Classification: model.ClassificationAdvisory, LastModified: day}),
	}})

	yes, no := true, false
	tests := []struct {
		name string
		q    store.ItemQuery
		want []string // tenant/id, newest first
	}{
		{"all", store.ItemQuery{}, []string{"contoso/EX1", "contoso/MC100", "contoso/MC200", "fabrikam/MC100", "contoso/TM2"}},
		{"source", store.ItemQuery{Source: model.SourceMC}, []string{"contoso/MC100", "contoso/MC200", "fabrikam/MC100"}},
		{"tenant", store.ItemQuery{Tenants: []string{"fabrikam"}}, []string{"fabrikam/MC100"}},
		{"no tenants", store.ItemQuery{Tenants: []string{}}, nil},
		{"active issues", store.ItemQuery{Source: model.SourceSHD, Active: &yes}, []string{"contoso/EX1"}},
		{"resolved issues", store.ItemQuery{Source: model.SourceSHD, Active: &no}, []string{"contoso/TM2"}},
		{"status", store.ItemQuery{Status: "serviceRestored"}, []string{"contoso/TM2"}},
		{"classification", store.ItemQuery{Classification: "incident"}, []string{"contoso/EX1"}},
		{"category", store.ItemQuery{Category: "stayInformed"}, []string{"contoso/MC200"}},
		{"severity", store.ItemQuery{Severity: "high"}, []string{"contoso/MC100", "fabrikam/MC100"}},
		{"service mc", store.ItemQuery{Service: "Microsoft Teams"}, []string{"contoso/MC100", "contoso/TM2"}},
		{"service exact", store.ItemQuery{Service: "Microsoft"}, nil},
		{"service with parentheses", store.ItemQuery{Service: "Microsoft Copilot (Microsoft 365)"}, []string{"contoso/MC200"}},
		{"tag", store.ItemQuery{Tag: "Retirement"}, []string{"contoso/MC100"}},
		{"major", store.ItemQuery{Major: &yes}, []string{"contoso/MC100"}},
		{"action before", store.ItemQuery{ActionBefore: day.AddDate(0, 2, 0)}, []string{"contoso/MC100"}},
		{"action before later", store.ItemQuery{ActionBefore: day.AddDate(1, 0, 0)}, []string{"contoso/MC100", "fabrikam/MC100"}},
		{"action after", store.ItemQuery{ActionAfter: day.AddDate(0, 2, 0)}, []string{"fabrikam/MC100"}},
		{"action window", store.ItemQuery{ActionAfter: day, ActionBefore: day.AddDate(0, 2, 0)}, []string{"contoso/MC100"}},
		{"text english", store.ItemQuery{Text: "authentication"}, []string{"contoso/MC100", "fabrikam/MC100"}},
		{"text case", store.ItemQuery{Text: "BASIC"}, []string{"contoso/MC100", "fabrikam/MC100"}},
		{"text two words", store.ItemQuery{Text: "basic ends"}, []string{"fabrikam/MC100"}},
		{"text japanese", store.ItemQuery{Text: "録画"}, []string{"contoso/MC100"}},
		{"text japanese long", store.ItemQuery{Text: "自動的に削除"}, []string{"contoso/MC100"}},
		{"text japanese post", store.ItemQuery{Text: "送信"}, []string{"contoso/EX1"}},
		{"text short", store.ItemQuery{Text: "xq"}, []string{"contoso/MC200"}},
		{"text title", store.ItemQuery{Text: "Copilot"}, []string{"contoso/MC200"}},
		{"text not markup", store.ItemQuery{Text: "class"}, nil},
		{"text wildcard literal", store.ItemQuery{Text: "%"}, nil},
		{"text quote", store.ItemQuery{Text: `"can't`}, nil},
		{"text apostrophe", store.ItemQuery{Text: "can't"}, []string{"contoso/EX1"}},
		{"paging", store.ItemQuery{Limit: 2, Offset: 1}, []string{"contoso/MC100", "contoso/MC200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := r.SearchItems(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range page.Items {
				got = append(got, it.Key.Tenant+"/"+it.Key.ID)
				if len(it.Data) == 0 {
					t.Errorf("%s has no data", it.Key.ID)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SearchItems(%+v) = %v, want %v", tt.q, got, tt.want)
			}
			if tt.q.Limit == 0 && page.Total != len(tt.want) {
				t.Errorf("Total = %d, want %d", page.Total, len(tt.want))
			}
			if tt.q.Limit != 0 && page.Total != 5 {
				t.Errorf("Total = %d, want 5", page.Total)
			}
		})
	}

	// Keyset paging walks every match once, in the order of the offset
	// pages; More and Next end the walk; Exact and Total count the matches.
	t.Run("keyset", func(t *testing.T) {
		all, err := r.SearchItems(ctx, store.ItemQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if !all.Exact || all.More || all.Next != "" || all.Total != len(all.Items) {
			t.Fatalf("one page of all: Total %d Exact %v More %v Next %q for %d items", all.Total, all.Exact, all.More, all.Next, len(all.Items))
		}
		var walked []string
		q := store.ItemQuery{Limit: 2, NoCount: true}
		for i := 0; i < 10; i++ {
			p, err := r.SearchItems(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != 0 || p.Exact {
				t.Errorf("NoCount page counted: %d %v", p.Total, p.Exact)
			}
			for _, it := range p.Items {
				walked = append(walked, it.Key.Tenant+"/"+it.Key.ID)
			}
			if !p.More {
				if p.Next != "" {
					t.Errorf("last page has Next %q", p.Next)
				}
				break
			}
			q.After = p.Next
		}
		var want []string
		for _, it := range all.Items {
			want = append(want, it.Key.Tenant+"/"+it.Key.ID)
		}
		if !slices.Equal(walked, want) {
			t.Errorf("keyset walk = %v, want %v", walked, want)
		}
		if _, err := r.SearchItems(ctx, store.ItemQuery{After: "garbage"}); err == nil {
			t.Error("a bad cursor was accepted")
		}
		last := all.Items[len(all.Items)-1].LastModified
		since, err := r.SearchItems(ctx, store.ItemQuery{ModifiedSince: last.Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if since.Total >= all.Total || since.Total == 0 {
			t.Errorf("ModifiedSince %v kept %d of %d items", last.Add(time.Second), since.Total, all.Total)
		}
		for _, it := range since.Items {
			if it.LastModified.Before(last.Add(time.Second)) {
				t.Errorf("ModifiedSince kept %s modified %v", it.Key.ID, it.LastModified)
			}
		}
	})

	// An edit replaces the indexed text; a removal hides the item.
	edited := msgItem("fabrikam", "MC100", 2, model.Message{Title: "Retirement postponed", Category: model.CategoryPlanForChange,
		LastModified: day.Add(5 * time.Hour), Body: "<p>延期されました。</p>"})
	commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceMC, Items: []store.Item{edited}})
	for q, want := range map[string]int{"延期": 1, "postponed": 1, "Basic authentication ends": 0} {
		page, err := r.SearchItems(ctx, store.ItemQuery{Tenants: []string{"fabrikam"}, Text: q})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != want {
			t.Errorf("after the edit, %q matches %d items, want %d", q, page.Total, want)
		}
	}
	edited.Removed = true
	commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceMC, Items: []store.Item{edited}})
	for _, incl := range []bool{false, true} {
		page, err := r.SearchItems(ctx, store.ItemQuery{Tenants: []string{"fabrikam"}, IncludeRemoved: incl})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 0, true: 1}[incl]; page.Total != want {
			t.Errorf("removed item with IncludeRemoved=%v: %d matches, want %d", incl, page.Total, want)
		}
	}
}

// testSourceStatesAndCounts checks the polling state and the totals that
// the metrics export.
func testSourceStatesAndCounts(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	if st, err := r.SourceStates(ctx); err != nil || len(st) != 0 {
		t.Fatalf("SourceStates of an empty store = %v, %v", st, err)
	}
	before := time.Now().Add(-time.Minute)
	ev := event("contoso", "EX559755", 1, model.EventIssueNew)
	commit(t, s, store.Batch{
		Tenant: "contoso", Source: model.SourceSHD,
		Items:      []store.Item{item("contoso", model.SourceSHD, "EX559755", 1)},
		Events:     []model.Event{ev, event("contoso", "EX559755", 1, model.EventIssuePost)},
		Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Key: "k1"}, {Event: 1, Channel: "mail", Key: "k2"}, {Event: 1, Channel: "teams", Key: "k3"}},
		Cursor:     &store.Cursor{Watermark: base(), Baselined: true},
	})
	states, err := r.SourceStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states[0].Tenant != "contoso" || states[0].Source != model.SourceSHD ||
		!states[0].Cursor.Watermark.Equal(base()) || !states[0].Cursor.Baselined {
		t.Fatalf("SourceStates = %+v", states)
	}
	if u := states[0].UpdatedAt; u.Before(before) || u.After(time.Now().Add(time.Minute)) {
		t.Errorf("UpdatedAt = %v, want about now", u)
	}
	c, err := r.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Items) != 1 || c.Items[0] != (store.ItemCount{Source: model.SourceSHD, Kind: "incident", Active: true, N: 1}) {
		t.Errorf("Counts.Items = %+v", c.Items)
	}
	if c.Events[model.EventIssueNew] != 1 || c.Events[model.EventIssuePost] != 1 {
		t.Errorf("Counts.Events = %v", c.Events)
	}
	want := []store.DeliveryCount{{Channel: "mail", State: store.DeliveryPending, N: 2}, {Channel: "teams", State: store.DeliveryPending, N: 1}}
	if !slices.Equal(c.Deliveries, want) {
		t.Errorf("Counts.Deliveries = %+v, want %+v", c.Deliveries, want)
	}
	if c.OldestPending.IsZero() {
		t.Error("OldestPending is zero with pending deliveries")
	}
}

// testCountCap: a page counts the matches up to CountCap beyond its
// offset, exactly below it, whatever the page's size.
func testCountCap(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	for _, tn := range []struct {
		tenant string
		n      int
	}{{"big", store.CountCap + 10}, {"small", 3}} {
		b := store.Batch{Tenant: tn.tenant, Source: model.SourceMC}
		for i := range tn.n {
			b.Items = append(b.Items, item(tn.tenant, model.SourceMC, fmt.Sprintf("MC%05d", i), 1))
		}
		if _, err := s.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	all := store.CountCap + 13
	for _, tt := range []struct {
		name  string
		q     store.ItemQuery
		total int
		exact bool
		items int
	}{
		{"one tenant over the cap", store.ItemQuery{Tenants: []string{"big"}, Limit: 10}, store.CountCap, false, 10},
		{"a page beyond the cap", store.ItemQuery{Limit: 10, Offset: store.CountCap}, all, true, 10},
		{"the last page", store.ItemQuery{Limit: 10, Offset: all - 5}, all, true, 5},
		{"past the end", store.ItemQuery{Limit: 10, Offset: all + 5}, all, true, 0},
		{"a small tenant", store.ItemQuery{Tenants: []string{"small"}, Limit: 2}, 3, true, 2},
		{"by source", store.ItemQuery{Source: model.SourceMC, Tenants: []string{"small"}}, 3, true, 3},
		{"text over the cap", store.ItemQuery{Text: "send", Limit: 10}, store.CountCap, false, 10},
		{"text, a page beyond the cap", store.ItemQuery{Text: "email", Limit: 10, Offset: store.CountCap}, all, true, 10},
		{"text in a small tenant", store.ItemQuery{Text: "email", Tenants: []string{"small"}, Limit: 2}, 3, true, 2},
		{"text, one item", store.ItemQuery{Text: "MC00007", Tenants: []string{"big"}, Limit: 2}, 1, true, 1},
	} {
		p, err := r.SearchItems(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != tt.total || p.Exact != tt.exact || len(p.Items) != tt.items {
			t.Errorf("%s: Total %d Exact %v, %d items; want %d %v, %d items", tt.name, p.Total, p.Exact, len(p.Items), tt.total, tt.exact, tt.items)
		}
	}
}
