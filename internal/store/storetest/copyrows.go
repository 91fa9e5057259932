package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// copySpec is one item testCopyBatches commits, with what the read index
// should make of it.
type copySpec struct {
	item      store.Item
	indexed   bool // it has a document
	status    string
	class     string
	category  string
	severity  string
	services  []string
	tags      []string
	major     bool
	active    bool
	actionBy  time.Time
	relevance *model.Relevance
	word      bool // its body has the word "kilo"
}

// copyServices are the services the items of testCopyBatches name.
var copyServices = []string{"Exchange Online", "Microsoft Teams", "SharePoint Online"}

// copyHash is the content hash of item k in each form the store keeps
// apart: a SHA-256 in lower-case hex, a text of 32 bytes, any other text.
func copyHash(k int) string {
	switch k % 3 {
	case 0:
		sum := sha256.Sum256(fmt.Appendf(nil, "item %d", k))
		return hex.EncodeToString(sum[:])
	case 1:
		return fmt.Sprintf("%032d", k)
	default:
		return fmt.Sprintf("h-%d", k)
	}
}

// copyPost is Message Center post k of contoso at revision rev.
func copyPost(day time.Time, k, rev int) copySpec {
	at := day.Add(time.Duration(k)*time.Minute + time.Duration(k*1001+rev)*time.Nanosecond)
	sp := copySpec{
		category: []string{string(model.CategoryPlanForChange), string(model.CategoryStayInformed),
			string(model.CategoryPreventOrFixIssue)}[k%3],
		severity: string(model.SeverityNormal),
		services: []string{copyServices[k%3]},
		major:    k%6 == 0,
		word:     k%4 == 1,
	}
	if k%4 == 0 {
		sp.severity = string(model.SeverityHigh)
	}
	if k%2 == 0 {
		sp.tags = []string{"Retirement"}
	}
	if k%5 == 0 {
		sp.actionBy = day.AddDate(0, 1, 0).Add(time.Duration(k) * time.Hour)
	}
	switch k % 3 {
	case 0:
		sp.relevance = &model.Relevance{Relevant: true, Basis: "services", Reason: fmt.Sprintf("uses %s", sp.services[0])}
	case 1:
		sp.relevance = &model.Relevance{Relevant: false, Basis: "services"}
	}
	body := fmt.Sprintf("<p>Change %d, revision %d.</p>", k, rev)
	if sp.word {
		body += "<p>kilo</p>"
	}
	id := fmt.Sprintf("MC%04d", k)
	sp.item = msgItem("contoso", id, rev, model.Message{Title: fmt.Sprintf("Post %d", k),
		Category: model.Category(sp.category), Severity: model.Severity(sp.severity), Services: sp.services, Tags: sp.tags,
		IsMajorChange: sp.major, ActionRequiredBy: sp.actionBy, LastModified: at, Body: body})
	sp.item.Hash = copyHash(k + rev)
	sp.item.LastModified = at
	sp.item.SeenAt = at.Add(time.Second + time.Duration(k)*time.Nanosecond)
	sp.item.Removed = k%10 == 9
	sp.active = !sp.item.Removed
	sp.indexed = k%25 != 24
	if !sp.indexed {
		sp.item.Data = nil
	}
	return sp
}

// copyIssue is service health issue k of contoso.
func copyIssue(day time.Time, k int) copySpec {
	at := day.Add(time.Duration(k)*time.Minute + time.Duration(k)*time.Nanosecond)
	resolved := k%2 == 1
	sp := copySpec{
		status: string(model.StatusInvestigating), class: string(model.ClassificationIncident),
		services: []string{copyServices[k%3]}, indexed: true, word: k%4 == 1,
	}
	if resolved {
		sp.status = string(model.StatusServiceRestored)
	}
	if k%3 == 0 {
		sp.class = string(model.ClassificationAdvisory)
	}
	post := fmt.Sprintf("Issue %d", k)
	if sp.word {
		post += " kilo"
	}
	sp.item = issueItem("contoso", fmt.Sprintf("EX%04d", k), 1+k%2, model.Issue{Title: fmt.Sprintf("Issue %d", k),
		Service: sp.services[0], Status: model.Status(sp.status), Classification: model.Classification(sp.class),
		IsResolved: resolved, LastModified: at, Posts: []model.Post{{Content: post}}})
	sp.item.Hash = copyHash(k)
	sp.item.SeenAt = at.Add(time.Minute)
	sp.item.Removed = k%10 == 7
	sp.active = !resolved && !sp.item.Removed
	return sp
}

// testCopyBatches commits the new items of one tenant in batches of 1, 7,
// 8 and 300 (PostgreSQL writes the rows of a table with COPY from 8 rows
// on, fewer with INSERT), with every kind of value the rows hold: content
// hashes of each stored form, items without a document, removed items,
// first revisions above 1, times to the nanosecond, relevance judged or
// not. Then a batch of new revisions and new items. It reads every row
// back: Items, History, Relevance, and SearchItems by each read-index
// filter.
func testCopyBatches(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	day := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	specs := map[model.ItemKey]copySpec{}
	write := func(src model.Source, batch []copySpec, extra func(b *store.Batch)) {
		t.Helper()
		b := store.Batch{Tenant: "contoso", Source: src, Relevance: map[string]model.Relevance{}}
		for _, sp := range batch {
			b.Items = append(b.Items, sp.item)
			if sp.relevance != nil {
				b.Relevance[sp.item.Key.ID] = *sp.relevance
			}
			specs[sp.item.Key] = sp
		}
		if extra != nil {
			extra(&b)
		}
		commit(t, s, b)
	}
	k := 0
	for _, n := range []int{1, 7, 8, 300} {
		var batch []copySpec
		for range n {
			batch = append(batch, copyPost(day, k, 1+k%3))
			k++
		}
		write(model.SourceMC, batch, func(b *store.Batch) {
			if n == 300 { // events, deliveries and a cursor in the same transaction
				b.Events = []model.Event{{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC0100", Type: model.EventMessageNew,
					Revision: batch[100-16].item.Revision, DetectedAt: day}}
				b.Deliveries = []store.NewDelivery{{Event: 0, Channel: "mail", Route: "r", Key: "copy-k1"}}
				b.Cursor = &store.Cursor{Watermark: day, Baselined: true}
			}
		})
	}
	j := 0
	for _, n := range []int{7, 8, 40} {
		var batch []copySpec
		for range n {
			batch = append(batch, copyIssue(day, j))
			j++
		}
		write(model.SourceSHD, batch, nil)
	}
	// New revisions of 20 posts (their index rows are upserts) and 12 new
	// posts: 32 revisions rows, 12 items and index rows.
	var batch []copySpec
	for i := 100; i < 120; i++ {
		batch = append(batch, copyPost(day, i, specs[model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: fmt.Sprintf("MC%04d", i)}].item.Revision+1))
	}
	for i := k; i < k+12; i++ {
		batch = append(batch, copyPost(day, i, 1))
	}
	history := map[model.ItemKey][]store.Revision{}
	for key, sp := range specs {
		history[key] = []store.Revision{store.Revision(sp.item)}
	}
	write(model.SourceMC, batch, nil)
	for _, sp := range batch {
		history[sp.item.Key] = append(history[sp.item.Key], store.Revision(sp.item))
	}

	// Items and History give back every row as committed.
	for _, src := range []model.Source{model.SourceMC, model.SourceSHD} {
		got, err := s.Items(ctx, "contoso", src, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]store.Item{}
		for key, sp := range specs {
			if key.Source == src {
				want[key.ID] = sp.item
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Items of %s (-want +got):\n%s", src, diff)
		}
	}
	for key, want := range history {
		got, err := s.History(ctx, "contoso", key.ID)
		if err != nil {
			t.Fatalf("History of %s: %v", key.ID, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("History of %s (-want +got):\n%s", key.ID, diff)
		}
	}
	if evs, err := s.Events(ctx, store.EventQuery{Tenant: "contoso"}); err != nil || len(evs) != 1 || evs[0].ItemID != "MC0100" {
		t.Errorf("events: %+v, %v", evs, err)
	}
	if c, err := s.Cursor(ctx, "contoso", model.SourceMC); err != nil || !c.Watermark.Equal(day) || !c.Baselined {
		t.Errorf("cursor: %+v, %v", c, err)
	}

	// The verdicts.
	var keys []model.ItemKey
	wantRel := map[model.ItemKey]model.Relevance{}
	for key, sp := range specs {
		keys = append(keys, key)
		if sp.relevance != nil && sp.indexed {
			wantRel[key] = *sp.relevance
		}
	}
	gotRel, err := r.Relevance(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRel, gotRel); diff != "" {
		t.Errorf("Relevance (-want +got):\n%s", diff)
	}

	// SearchItems by each filter finds what the specs say.
	yes, no := true, false
	has := func(list []string, v string) bool { return slices.Contains(list, v) }
	for _, tt := range []struct {
		name string
		q    store.ItemQuery
		keep func(sp copySpec) bool
	}{
		{"all", store.ItemQuery{}, func(copySpec) bool { return true }},
		{"removed too", store.ItemQuery{IncludeRemoved: true}, func(copySpec) bool { return true }},
		{"source", store.ItemQuery{Source: model.SourceSHD}, func(sp copySpec) bool { return sp.item.Key.Source == model.SourceSHD }},
		{"active", store.ItemQuery{Active: &yes}, func(sp copySpec) bool { return sp.active }},
		{"not active", store.ItemQuery{Active: &no}, func(sp copySpec) bool { return !sp.active }},
		{"status", store.ItemQuery{Status: string(model.StatusServiceRestored)},
			func(sp copySpec) bool { return sp.status == string(model.StatusServiceRestored) }},
		{"classification", store.ItemQuery{Classification: string(model.ClassificationAdvisory)},
			func(sp copySpec) bool { return sp.class == string(model.ClassificationAdvisory) }},
		{"category", store.ItemQuery{Category: string(model.CategoryStayInformed)},
			func(sp copySpec) bool { return sp.category == string(model.CategoryStayInformed) }},
		{"severity", store.ItemQuery{Severity: string(model.SeverityHigh)},
			func(sp copySpec) bool { return sp.severity == string(model.SeverityHigh) }},
		{"service", store.ItemQuery{Service: "Microsoft Teams"}, func(sp copySpec) bool { return has(sp.services, "Microsoft Teams") }},
		{"tag", store.ItemQuery{Tag: "Retirement"}, func(sp copySpec) bool { return has(sp.tags, "Retirement") }},
		{"major", store.ItemQuery{Major: &yes}, func(sp copySpec) bool { return sp.major }},
		{"action before", store.ItemQuery{ActionBefore: day.AddDate(0, 1, 5)},
			func(sp copySpec) bool { return !sp.actionBy.IsZero() && sp.actionBy.Before(day.AddDate(0, 1, 5)) }},
		{"relevant", store.ItemQuery{Source: model.SourceMC, Relevant: &yes},
			func(sp copySpec) bool {
				return sp.item.Key.Source == model.SourceMC && (sp.relevance == nil || sp.relevance.Relevant)
			}},
		{"not relevant", store.ItemQuery{Relevant: &no}, func(sp copySpec) bool { return sp.relevance != nil && !sp.relevance.Relevant }},
		{"text", store.ItemQuery{Text: "kilo"}, func(sp copySpec) bool { return sp.word }},
		{"modified since", store.ItemQuery{ModifiedSince: day.Add(200 * time.Minute)},
			func(sp copySpec) bool { return !sp.item.LastModified.Before(day.Add(200 * time.Minute)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for key, sp := range specs {
				if sp.indexed && (tt.q.IncludeRemoved || !sp.item.Removed) && tt.keep(sp) {
					want = append(want, string(key.Source)+"/"+key.ID)
				}
			}
			slices.Sort(want)
			q := tt.q
			q.Tenants, q.Limit = []string{"contoso"}, 1000
			page, err := r.SearchItems(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range page.Items {
				got = append(got, string(it.Key.Source)+"/"+it.Key.ID)
				if sp := specs[it.Key]; it.Revision != sp.item.Revision || !bytes.Equal(it.Data, sp.item.Data) {
					t.Errorf("%s: revision %d, data %.40q; want %d, %.40q", it.Key.ID, it.Revision, it.Data, sp.item.Revision, sp.item.Data)
				}
			}
			slices.Sort(got)
			if len(want) == 0 {
				t.Fatal("the filter keeps no item: the test proves nothing")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SearchItems(%+v) (-want +got):\n%s", tt.q, diff)
			}
		})
	}
}
