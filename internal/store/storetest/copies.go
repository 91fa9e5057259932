package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testRelevanceAndCopies: the read index keeps each Message Center
// post's relevance for its tenant (from the batch, else from the post's
// event, else as it was), filters by it and by "only in this tenant", and
// compares the copies of an item across tenants.
func testRelevanceAndCopies(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	day := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	post := func(action time.Time, body string) model.Message {
		return model.Message{Title: "Power BI change", Category: model.CategoryPlanForChange, Severity: model.SeverityNormal,
			Services: []string{"Power BI"}, ActionRequiredBy: action, LastModified: day, Body: body}
	}
	licensed := model.Relevance{Relevant: true, Basis: "licences", Reason: "licensed: Power BI (BI_AZURE_P2)"}
	unlicensed := model.Relevance{Relevant: false, Basis: "licences", Reason: "no licence for Power BI"}
	listed := model.Relevance{Relevant: true, Basis: "service health", Reason: "in the tenant's service health: Power BI"}

	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{
		msgItem("contoso", "MC500", 1, post(day.AddDate(0, 1, 0), "<p>Same.</p>")),
		msgItem("contoso", "MC600", 1, post(time.Time{}, "<p>Only here.</p>")),
		msgItem("contoso", "MC700", 1, post(time.Time{}, "<p>Withdrawn elsewhere.</p>")),
	}, Relevance: map[string]model.Relevance{"MC500": licensed}})
	commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceMC, Items: []store.Item{
		msgItem("fabrikam", "MC500", 1, post(day.AddDate(0, 1, 0), "<p>Same.</p>")),
	}, Relevance: map[string]model.Relevance{"MC500": unlicensed}})
	gone := msgItem("fabrikam", "MC700", 1, post(time.Time{}, "<p>Withdrawn elsewhere.</p>"))
	gone.Removed = true
	commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceMC, Items: []store.Item{gone}})
	// northwind: a later revision with another action date, judged only
	// in its event.
	later := post(day.AddDate(0, 2, 0), "<p>Moved.</p>")
	later.LastModified = day.Add(time.Hour)
	commit(t, s, store.Batch{Tenant: "northwind", Source: model.SourceMC, Items: []store.Item{
		msgItem("northwind", "MC500", 2, later),
	}, Events: []model.Event{{Tenant: "northwind", Source: model.SourceMC, ItemID: "MC500", Type: model.EventMessageNew, Revision: 2,
		DetectedAt: day, Relevance: &listed}}})
	// A later commit without a verdict (only the modification time moved)
	// keeps the one stored.
	same := msgItem("fabrikam", "MC500", 1, post(day.AddDate(0, 1, 0), "<p>Same.</p>"))
	same.LastModified = day.Add(2 * time.Minute)
	commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceMC, Items: []store.Item{same}})

	keys := func(q store.ItemQuery) []string {
		t.Helper()
		q.Source = model.SourceMC
		p, err := r.SearchItems(ctx, q)
		if err != nil {
			t.Fatalf("SearchItems(%+v): %v", q, err)
		}
		var out []string
		for _, it := range p.Items {
			out = append(out, it.Key.Tenant+"/"+it.Key.ID)
		}
		slices.Sort(out)
		return out
	}
	yes, no := true, false
	for _, tt := range []struct {
		name string
		q    store.ItemQuery
		want []string
	}{
		{"relevant (unjudged count as relevant)", store.ItemQuery{Relevant: &yes},
			[]string{"contoso/MC500", "contoso/MC600", "contoso/MC700", "northwind/MC500"}},
		{"not relevant", store.ItemQuery{Relevant: &no}, []string{"fabrikam/MC500"}},
		{"only in this tenant", store.ItemQuery{OnlyTenant: true}, []string{"contoso/MC600", "contoso/MC700"}},
		{"only in this tenant, of fabrikam", store.ItemQuery{OnlyTenant: true, Tenants: []string{"fabrikam"}}, nil},
		{"relevant and only here", store.ItemQuery{OnlyTenant: true, Relevant: &no}, nil},
	} {
		if got := keys(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}

	// Without a source, by source and ID.
	if p, err := r.SearchItems(ctx, store.ItemQuery{OnlyTenant: true}); err != nil || len(p.Items) != 2 {
		t.Errorf("only in this tenant, any source: %+v, %v; want MC600 and MC700", p.Items, err)
	}

	rel, err := r.Relevance(ctx, []model.ItemKey{
		{Tenant: "contoso", Source: model.SourceMC, ID: "MC500"}, {Tenant: "fabrikam", Source: model.SourceMC, ID: "MC500"},
		{Tenant: "northwind", Source: model.SourceMC, ID: "MC500"}, {Tenant: "contoso", Source: model.SourceMC, ID: "MC600"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantRel := map[model.ItemKey]model.Relevance{
		{Tenant: "contoso", Source: model.SourceMC, ID: "MC500"}:   licensed,
		{Tenant: "fabrikam", Source: model.SourceMC, ID: "MC500"}:  unlicensed,
		{Tenant: "northwind", Source: model.SourceMC, ID: "MC500"}: listed,
	}
	if d := cmp.Diff(wantRel, rel); d != "" {
		t.Errorf("Relevance (-want +got):\n%s", d)
	}

	sums, err := r.CopySummaries(ctx, model.SourceMC, []string{"MC500", "MC600", "MC700", "MC999"})
	if err != nil {
		t.Fatal(err)
	}
	// Three versions: northwind's content, and contoso's and fabrikam's
	// alike but modified at different times (fabrikam's moved).
	wantSums := map[string]store.CopySummary{
		"MC500": {Tenants: 3, Versions: 3, ActionDates: 2, Relevant: 2, NotRelevant: 1},
		"MC600": {Tenants: 1, Versions: 1, ActionDates: 1},
		"MC700": {Tenants: 1, Versions: 1, ActionDates: 1},
	}
	if d := cmp.Diff(wantSums, sums); d != "" {
		t.Errorf("CopySummaries (-want +got):\n%s", d)
	}

	cp, err := r.ItemCopies(ctx, model.SourceMC, "MC500")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Tenant   string
		Revision int
		Hash     string
		Relevant *bool
		Removed  bool
		HasData  bool
	}
	var rows []row
	for _, c := range cp.Items {
		rw := row{Tenant: c.Tenant, Revision: c.Revision, Hash: c.Hash, Removed: c.Removed, HasData: len(cp.Data[c.DataHash]) > 0}
		if c.Relevance != nil {
			rw.Relevant = &c.Relevance.Relevant
		}
		rows = append(rows, rw)
	}
	wantRows := []row{
		{"contoso", 1, "h-MC500-1", &yes, false, true},
		{"fabrikam", 1, "h-MC500-1", &no, false, true},
		{"northwind", 2, "h-MC500-2", &yes, false, true},
	}
	if d := cmp.Diff(wantRows, rows); d != "" {
		t.Errorf("ItemCopies (-want +got):\n%s", d)
	}
	if len(cp.Data) != 2 {
		t.Errorf("ItemCopies read %d documents for 2 versions", len(cp.Data))
	}
	if cp.Items[0].DataHash != cp.Items[1].DataHash || cp.Items[0].DataHash == cp.Items[2].DataHash {
		t.Errorf("copies' documents: %q %q %q", cp.Items[0].DataHash, cp.Items[1].DataHash, cp.Items[2].DataHash)
	}
	if v := []int64{cp.Items[0].Version, cp.Items[1].Version, cp.Items[2].Version}; v[0] == v[1] || v[0] == v[2] || v[1] == v[2] {
		t.Errorf("copies' versions %v: want three", v)
	}
	cp, err = r.ItemCopies(ctx, model.SourceMC, "MC700")
	if err != nil {
		t.Fatal(err)
	}
	if len(cp.Items) != 2 || !cp.Items[1].Removed || cp.Items[0].Relevance != nil {
		t.Errorf("copies of MC700: %+v", cp.Items)
	}
	if cp, err = r.ItemCopies(ctx, model.SourceSHD, "MC500"); err != nil || len(cp.Items) != 0 {
		t.Errorf("copies of an issue MC500 = %+v, %v; want none", cp.Items, err)
	}

	// The poller judges posts again from their services when what it
	// knows of a tenant changed, and stores the verdicts alone.
	vs, err := r.Verdicts(ctx, "fabrikam")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]store.Verdict{{ID: "MC500", Services: []string{"Power BI"}, Relevance: &unlicensed}}, vs); d != "" {
		t.Errorf("Verdicts of fabrikam (-want +got):\n%s", d)
	}
	commit(t, s, store.Batch{Tenant: "fabrikam", Source: model.SourceMC, Relevance: map[string]model.Relevance{"MC500": licensed}})
	fab := model.ItemKey{Tenant: "fabrikam", Source: model.SourceMC, ID: "MC500"}
	if rel, err := r.Relevance(ctx, []model.ItemKey{fab}); err != nil || rel[fab] != licensed {
		t.Errorf("relevance of fabrikam/MC500 judged again = %+v, %v; want %+v", rel[fab], err, licensed)
	}
	if got := keys(store.ItemQuery{Relevant: &no}); got != nil {
		t.Errorf("not relevant after judging again: %v", got)
	}
	if its, err := s.Items(ctx, "fabrikam", model.SourceMC, []string{"MC500"}); err != nil || its["MC500"].Revision != 1 {
		t.Errorf("a verdict alone changed the item: %+v, %v", its["MC500"], err)
	}
}

// testTicketLinks: the tickets of a page of items in one call, and a
// ticket reference deleted only while it is still the stored one.
func testTicketLinks(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, _ := store.AsReader(s)
	a := model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC500"}
	b := model.ItemKey{Tenant: "fabrikam", Source: model.SourceMC, ID: "MC500"}
	c := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"}
	gh, jira := "ticket:github:contoso/m365", "ticket:jira:https://contoso.atlassian.net/OPS"
	ref42 := store.TicketRef("42", "https://github.com/contoso/m365/issues/42", "#42")
	for _, th := range []struct{ channel, key, ref string }{
		{gh, store.ThreadKey(a), ref42},
		{jira, store.ThreadKey(a), store.TicketRef("OPS-7", "https://contoso.atlassian.net/browse/OPS-7", "")},
		{gh, store.ThreadKey(b), store.TicketRef("43", "https://github.com/contoso/m365/issues/43", "#43")},
		{"slack:C1", store.ThreadKey(c), "1712345678.000100"},
	} {
		if _, err := s.SetThreadRef(ctx, th.channel, th.key, th.ref); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.TicketsOf(ctx, []model.ItemKey{a, b, c, a})
	if err != nil {
		t.Fatal(err)
	}
	want := map[model.ItemKey][]store.Ticket{
		a: {{Channel: gh, ID: "42", URL: "https://github.com/contoso/m365/issues/42", Name: "#42"},
			{Channel: jira, ID: "OPS-7", URL: "https://contoso.atlassian.net/browse/OPS-7"}},
		b: {{Channel: gh, ID: "43", URL: "https://github.com/contoso/m365/issues/43", Name: "#43"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("TicketsOf (-want +got):\n%s", d)
	}
	if got, err := r.TicketsOf(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("TicketsOf(nil) = %v, %v", got, err)
	}

	// Another reference than the stored one is not deleted.
	if ok, err := s.DeleteThreadRef(ctx, gh, store.ThreadKey(a), "41 https://github.com/contoso/m365/issues/41 #41"); err != nil || ok {
		t.Errorf("DeleteThreadRef of another reference = %v, %v; want false", ok, err)
	}
	if ok, err := s.DeleteThreadRef(ctx, gh, store.ThreadKey(a), ref42); err != nil || !ok {
		t.Errorf("DeleteThreadRef = %v, %v; want true", ok, err)
	}
	if ok, err := s.DeleteThreadRef(ctx, gh, store.ThreadKey(a), ref42); err != nil || ok {
		t.Errorf("DeleteThreadRef again = %v, %v; want false", ok, err)
	}
	tickets, err := s.Tickets(ctx, a)
	if err != nil || len(tickets) != 1 || tickets[0].ID != "OPS-7" {
		t.Errorf("Tickets after the delete = %+v, %v; want OPS-7 only", tickets, err)
	}
	// The key is free for the next ticket.
	ref44 := store.TicketRef("44", "https://github.com/contoso/m365/issues/44", "#44")
	if stored, err := s.SetThreadRef(ctx, gh, store.ThreadKey(a), ref44); err != nil || stored != ref44 {
		t.Errorf("SetThreadRef after the delete = %q, %v; want %q", stored, err, ref44)
	}
}
