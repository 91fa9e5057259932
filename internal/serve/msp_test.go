package serve_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// mspNow is the dashboard's clock in the managed-service provider fixture.
var mspNow = time.Date(2025, 2, 10, 9, 0, 0, 0, time.UTC)

// The tickets of the fixture.
const (
	ghURL   = "https://github.com/contoso/m365/issues/42"
	jiraURL = "https://contoso.atlassian.net/browse/OPS-12"
	snowURL = "https://contoso.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3Dabc123"
)

// mspFixture is a store of a managed-service provider with three tenants
// that see the same items differently:
//
//   - MC800001 (Teams) in all three, alike, relevant in contoso and
//     fabrikam and not in northwind (no Teams licence); contoso has a
//     GitHub issue for it.
//   - MC800002 (Power BI) in contoso and, newer, in fabrikam with a later
//     action date and a rewritten "When this will happen:" section; not
//     relevant in contoso, relevant in fabrikam.
//   - MC800003 only in contoso (not judged yet: unknown), with a Jira
//     issue; MC800004 only in northwind, never judged.
//   - EX800010 in contoso and fabrikam, whose copy is one post behind;
//     contoso has a ServiceNow incident for it. EX800011 only in
//     northwind.
//   - fabrikam's GitHub issue for MC800002 was deleted: the channel forgot it.
func mspFixture(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "msp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, tn := range []model.Tenant{{ID: "contoso", Name: "Contoso"}, {ID: "fabrikam", Name: "Fabrikam"}, {ID: "northwind", Name: "Northwind Traders"}} {
		if err := st.UpsertTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2025, 2, 1, 8, 0, 0, 0, time.UTC)
	body := func(when string) string {
		return "<p>We are updating the feature.</p><h2>When this will happen</h2><p>" + when + "</p><h2>How this will affect your organization</h2><p>Users see a new option.</p>"
	}
	teams := model.Message{ID: "MC800001", Title: "Microsoft Teams: intelligent recap in meetings", Category: model.CategoryStayInformed,
		Severity: model.SeverityNormal, Services: []string{"Microsoft Teams"}, LastModified: day, Body: body("Rollout begins in mid-February 2025.")}
	pbi := model.Message{ID: "MC800002", Title: "Power BI: retirement of the legacy workspace experience", Category: model.CategoryPlanForChange,
		Severity: model.SeverityHigh, Services: []string{"Power BI"}, IsMajorChange: true, ActionRequiredBy: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		LastModified: day, Body: body("The retirement happens on March 1, 2025.")}
	pbiNew := pbi
	pbiNew.Title, pbiNew.ActionRequiredBy, pbiNew.LastModified = "(Updated) "+pbi.Title, time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), day.Add(26*time.Hour)
	pbiNew.Body = body("The retirement happens on April 1, 2025 (previously March 1, 2025).")
	exo := model.Message{ID: "MC800003", Title: "Exchange Online: new mailbox audit defaults", Category: model.CategoryPlanForChange,
		Severity: model.SeverityNormal, Services: []string{"Exchange Online"}, LastModified: day.Add(2 * time.Hour), Body: body("Now.")}
	nw := model.Message{ID: "MC800004", Title: "SharePoint Online: site creation changes", Category: model.CategoryStayInformed,
		Severity: model.SeverityNormal, Services: []string{"SharePoint Online"}, LastModified: day.Add(3 * time.Hour), Body: body("Soon.")}
	mc := func(tenant string, m model.Message, rev int) store.Item {
		b, _ := json.Marshal(m)
		return store.Item{Key: model.ItemKey{Tenant: tenant, Source: model.SourceMC, ID: m.ID}, Revision: rev,
			Hash: m.ID + "-" + m.LastModified.Format(time.RFC3339), LastModified: m.LastModified, SeenAt: m.LastModified, Data: b}
	}
	lic := func(svc, plan string) model.Relevance {
		return model.Relevance{Relevant: true, Basis: "licences", Reason: "licensed: " + svc + " (" + plan + ")"}
	}
	none := func(svc string) model.Relevance {
		return model.Relevance{Relevant: false, Basis: "licences", Reason: "no licence for " + svc}
	}
	unknown := model.Relevance{Relevant: true, Basis: "unknown", Reason: "the tenant's services are not known yet"}
	incident := func(posts int, mod time.Time) model.Issue {
		is := model.Issue{ID: "EX800010", Title: "Users can't send mail from Outlook on the web", Service: "Exchange Online",
			Classification: model.ClassificationIncident, Status: model.StatusServiceDegradation, Start: day.Add(24 * time.Hour), LastModified: mod,
			ImpactDescription: "Users may be unable to send mail."}
		for i := range posts {
			is.Posts = append(is.Posts, model.Post{Created: day.Add(24*time.Hour + time.Duration(i)*time.Hour), Type: model.PostRegular,
				ContentType: "html", Content: "Current status: update " + string(rune('1'+i)) + "."})
		}
		return is
	}
	shd := func(tenant string, is model.Issue) store.Item {
		b, _ := json.Marshal(is)
		return store.Item{Key: model.ItemKey{Tenant: tenant, Source: model.SourceSHD, ID: is.ID}, Revision: 1,
			Hash: is.ID + "-" + is.LastModified.Format(time.RFC3339), LastModified: is.LastModified, SeenAt: is.LastModified, Data: b}
	}
	nwIssue := incident(1, day.Add(30*time.Hour))
	nwIssue.ID, nwIssue.Title, nwIssue.Service = "EX800011", "Mailbox moves are delayed", "Exchange Online"
	batches := []store.Batch{
		{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{mc("contoso", teams, 1), mc("contoso", pbi, 1), mc("contoso", exo, 1)},
			Relevance: map[string]model.Relevance{"MC800001": lic("Microsoft Teams", "TEAMS1"), "MC800002": none("Power BI"), "MC800003": unknown}},
		{Tenant: "fabrikam", Source: model.SourceMC, Items: []store.Item{mc("fabrikam", teams, 1), mc("fabrikam", pbiNew, 2)},
			Relevance: map[string]model.Relevance{"MC800001": lic("Microsoft Teams", "TEAMS1"), "MC800002": lic("Power BI", "BI_AZURE_P2")}},
		{Tenant: "northwind", Source: model.SourceMC, Items: []store.Item{mc("northwind", teams, 1), mc("northwind", nw, 1)},
			Relevance: map[string]model.Relevance{"MC800001": none("Microsoft Teams")}},
		{Tenant: "contoso", Source: model.SourceSHD, Items: []store.Item{shd("contoso", incident(3, day.Add(27*time.Hour)))}},
		{Tenant: "fabrikam", Source: model.SourceSHD, Items: []store.Item{shd("fabrikam", incident(2, day.Add(26*time.Hour)))}},
		{Tenant: "northwind", Source: model.SourceSHD, Items: []store.Item{shd("northwind", nwIssue)}},
	}
	for _, b := range batches {
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	refs := []struct{ channel, key, ref string }{
		{"ticket:github:contoso/m365", "contoso/mc/MC800001", store.TicketRef("42", ghURL, "#42")},
		{"ticket:jira:https://contoso.atlassian.net/OPS", "contoso/mc/MC800003", store.TicketRef("OPS-12", jiraURL, "")},
		{"ticket:servicenow:https://contoso.service-now.com", "contoso/shd/EX800010", store.TicketRef("abc123", snowURL, "INC0010001")},
		{"ticket:github:contoso/m365", "fabrikam/mc/MC800002", store.TicketRef("43", "https://github.com/contoso/m365/issues/43", "#43")},
	}
	for _, r := range refs {
		if _, err := st.SetThreadRef(ctx, r.channel, r.key, r.ref); err != nil {
			t.Fatal(err)
		}
	}
	// The GitHub channel found #43 deleted and forgot it.
	if ok, err := st.DeleteThreadRef(ctx, refs[3].channel, refs[3].key, refs[3].ref); err != nil || !ok {
		t.Fatalf("DeleteThreadRef = %v, %v", ok, err)
	}
	return st
}

// rowRE reads a list row: its ID cell and the rest of the row.
var rowRE = regexp.MustCompile(`(?s)<tr class="[^"]*">\s*<td class="c-id"[^>]*><a href="/items/([^/]+)/[a-z]+/([^"?]+)[^"]*">[^<]+</a>(.*?)</tr>`)

// listRows maps "tenant/ID" to the HTML of its row.
func listRows(body string) map[string]string {
	out := map[string]string{}
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		out[m[1]+"/"+m[2]] = m[3]
	}
	return out
}

// text is the visible text of an HTML fragment, white space folded.
func text(html string) string {
	s := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(html, " ")
	s = strings.NewReplacer("&#39;", "'", "&amp;", "&", "&quot;", `"`, "&lt;", "<", "&gt;", ">").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// mspKeyRE finds the catalog keys of msp.go's views in a page's text.
var mspKeyRE = regexp.MustCompile(`>[^<]*\b((?:rel|ticket|across)\.[a-z][A-Za-z_]*)\b[^<]*<`)

// TestRelevanceFilter: the Message Center list marks each post relevant
// or not for its tenant with the reason, filters by it (the unjudged
// count as relevant, as routes treat them), in English and Japanese and
// through the API.
func TestRelevanceFilter(t *testing.T) {
	ts := newServer(t, mspFixture(t), serve.Options{Now: fixedClock(mspNow)})
	body := mustGet(t, ts.URL+"/messages")
	rows := listRows(body)
	for key, want := range map[string]string{
		"contoso/MC800001":   "✓|Relevant|Licensed: Microsoft Teams (TEAMS1)",
		"contoso/MC800002":   "–|Not relevant|No licence for Power BI",
		"fabrikam/MC800002":  "✓|Relevant|Licensed: Power BI (BI_AZURE_P2)",
		"northwind/MC800001": "–|Not relevant|No licence for Microsoft Teams",
		"contoso/MC800003":   "?|Not known yet|The tenant's services are not known yet",
		"northwind/MC800004": "?|Not known yet|The tenant's services are not known yet",
	} {
		row, ok := rows[key]
		if !ok {
			t.Errorf("no row %s", key)
			continue
		}
		cell := regexp.MustCompile(`(?s)<td class="c-relevance"[^>]*>(.*?)</td>`).FindStringSubmatch(row)
		if cell == nil {
			t.Errorf("%s: no relevance cell", key)
			continue
		}
		parts := strings.Split(want, "|")
		class := map[string]string{"✓": "relevant", "–": "notrelevant", "?": "unknown"}[parts[0]]
		if !strings.Contains(cell[1], `class="rel `+class+`"`) || !strings.Contains(text(cell[1]), parts[1]+" "+parts[2]) {
			t.Errorf("%s: relevance cell %q, want %s %q", key, text(cell[1]), class, parts[1]+" "+parts[2])
		}
	}
	ids := func(path string) []string {
		t.Helper()
		var out []string
		for k := range listRows(mustGet(t, ts.URL+path)) {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got, want := ids("/messages?relevant=false"), []string{"contoso/MC800002", "northwind/MC800001"}; !slices.Equal(got, want) {
		t.Errorf("not relevant: %v, want %v", got, want)
	}
	if got, want := ids("/messages?relevant=true"), []string{"contoso/MC800001", "contoso/MC800003", "fabrikam/MC800001",
		"fabrikam/MC800002", "northwind/MC800004"}; !slices.Equal(got, want) {
		t.Errorf("relevant: %v, want %v", got, want)
	}
	if got, want := ids("/messages?relevant=false&tenant=northwind"), []string{"northwind/MC800001"}; !slices.Equal(got, want) {
		t.Errorf("not relevant in northwind: %v, want %v", got, want)
	}
	// The filter keeps its choice and feeds follow it.
	page := mustGet(t, ts.URL+"/messages?relevant=false")
	if !strings.Contains(page, `<option value="false" selected>Not relevant</option>`) {
		t.Error("the relevance filter does not show its choice")
	}
	if rss := regexp.MustCompile(`href="(/feeds/rss\?[^"]*)"`).FindStringSubmatch(page); rss == nil || !strings.Contains(rss[1], "relevant=false") {
		t.Errorf("the RSS link does not keep the relevance filter: %v", rss)
	}
	if code, _, _ := get(t, ts.URL+"/messages?relevant=maybe"); code != http.StatusBadRequest {
		t.Errorf("relevant=maybe: %d, want 400", code)
	}

	ja := mustGet(t, ts.URL+"/messages?lang=ja&relevant=false")
	jrow := listRows(ja)["contoso/MC800002"]
	if !strings.Contains(text(jrow), "関連なし ライセンスなし: Power BI") {
		t.Errorf("Japanese relevance cell: %q", text(jrow))
	}
	for _, want := range []string{">関連性 <select", "関連あり（未判定を含む）"} {
		if !strings.Contains(ja, want) {
			t.Errorf("Japanese list lacks %q", want)
		}
	}
	for _, p := range []string{body, ja} {
		if m := mspKeyRE.FindStringSubmatch(p); m != nil {
			t.Errorf("catalog key %s on the page", m[1])
		}
	}

	// The API filters alike and says why.
	var res struct {
		Items []struct {
			Tenant    string           `json:"tenant"`
			ID        string           `json:"id"`
			Relevance *model.Relevance `json:"relevance"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(mustGet(t, ts.URL+"/api/v1/items?source=mc&relevant=false")), &res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range res.Items {
		if it.Relevance == nil || it.Relevance.Relevant {
			t.Errorf("API %s/%s: relevance %+v", it.Tenant, it.ID, it.Relevance)
			continue
		}
		got = append(got, it.Tenant+"/"+it.ID+": "+it.Relevance.Reason)
	}
	slices.Sort(got)
	if want := []string{"contoso/MC800002: no licence for Power BI", "northwind/MC800001: no licence for Microsoft Teams"}; !slices.Equal(got, want) {
		t.Errorf("API relevant=false: %v, want %v", got, want)
	}
	if code, _, _ := get(t, ts.URL+"/api/v1/items?relevant=2"); code != http.StatusBadRequest {
		t.Errorf("API relevant=2: %d, want 400", code)
	}
}

// TestRelevanceOnItemPage: the item page says whether the post concerns
// its tenant and why, and how the other tenants were judged.
func TestRelevanceOnItemPage(t *testing.T) {
	ts := newServer(t, mspFixture(t), serve.Options{Now: fixedClock(mspNow)})
	for _, tt := range []struct{ path, want string }{
		{"/items/contoso/mc/MC800002", "For this tenant: Not relevant Why: No licence for Power BI"},
		{"/items/fabrikam/mc/MC800002", "For this tenant: Relevant Why: Licensed: Power BI (BI_AZURE_P2)"},
		{"/items/contoso/mc/MC800003", "For this tenant: Not known yet Why: The tenant's services are not known yet"},
		{"/items/contoso/mc/MC800002?lang=ja", "このテナント: 関連なし 理由: ライセンスなし: Power BI"},
	} {
		body := mustGet(t, ts.URL+tt.path)
		p := regexp.MustCompile(`(?s)<p class="relevance" id="relevance">(.*?)</p>`).FindStringSubmatch(body)
		if p == nil || text(p[1]) != tt.want {
			t.Errorf("%s: relevance %q, want %q", tt.path, text(p[min(1, len(p)-1)]), tt.want)
		}
	}
	body := mustGet(t, ts.URL+"/items/contoso/shd/EX800010")
	if strings.Contains(body, `id="relevance"`) {
		t.Error("an issue's page shows a relevance")
	}
}

// TestTicketLinks: the item page links the item's tickets in every
// tracker, a list row links them compactly, and a ticket the channel
// found deleted leaves no link.
func TestTicketLinks(t *testing.T) {
	ts := newServer(t, mspFixture(t), serve.Options{Now: fixedClock(mspNow)})
	for _, tt := range []struct{ path, want, link string }{
		{"/items/contoso/mc/MC800001", "Tickets: GitHub #42 in contoso/m365", ghURL},
		{"/items/contoso/mc/MC800003", "Tickets: Jira OPS-12 in https://contoso.atlassian.net/OPS", jiraURL},
		{"/items/contoso/shd/EX800010", "Tickets: ServiceNow INC0010001 in https://contoso.service-now.com", snowURL},
		{"/items/contoso/mc/MC800001?lang=ja", "チケット: GitHub #42 contoso/m365", ghURL},
	} {
		body := mustGet(t, ts.URL+tt.path)
		p := regexp.MustCompile(`(?s)<p class="tickets" id="tickets">(.*?)</p>`).FindStringSubmatch(body)
		if p == nil {
			t.Errorf("%s: no tickets", tt.path)
			continue
		}
		if text(p[1]) != tt.want {
			t.Errorf("%s: tickets %q, want %q", tt.path, text(p[1]), tt.want)
		}
		if href := `href="` + strings.ReplaceAll(tt.link, "&", "&amp;") + `"`; !strings.Contains(p[1], href) {
			t.Errorf("%s: no link %s in %s", tt.path, href, p[1])
		}
	}
	for _, path := range []string{"/items/fabrikam/mc/MC800002", "/items/fabrikam/shd/EX800010"} {
		body := mustGet(t, ts.URL+path)
		if strings.Contains(body, `id="tickets"`) || strings.Contains(body, "issues/43") {
			t.Errorf("%s shows a ticket it has not (or one that was deleted)", path)
		}
	}
	rows := listRows(mustGet(t, ts.URL+"/messages"))
	if r := rows["contoso/MC800001"]; !strings.Contains(r, `<a class="ticket" href="`+ghURL+`" rel="noopener noreferrer">GitHub #42</a>`) {
		t.Errorf("contoso/MC800001's row has no ticket link: %s", r)
	}
	if r := rows["fabrikam/MC800002"]; strings.Contains(r, `class="ticket"`) {
		t.Errorf("fabrikam/MC800002's row links a deleted ticket: %s", r)
	}
	issues := listRows(mustGet(t, ts.URL+"/issues"))
	if r := issues["contoso/EX800010"]; !strings.Contains(r, ">ServiceNow INC0010001</a>") {
		t.Errorf("contoso/EX800010's row has no ticket link: %s", r)
	}
	var it struct {
		Tickets []store.Ticket `json:"tickets"`
	}
	if err := json.Unmarshal([]byte(mustGet(t, ts.URL+"/api/v1/items/contoso/mc/MC800001")), &it); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]store.Ticket{{Channel: "ticket:github:contoso/m365", ID: "42", URL: ghURL, Name: "#42"}}, it.Tickets); d != "" {
		t.Errorf("API tickets (-want +got):\n%s", d)
	}
}

// TestAcrossTenants: each list row says in how many tenants its item
// appears and what differs; "only in one tenant" filters; the item page
// groups the tenants by version and says how each differs, for Message
// Center posts and incidents alike.
func TestAcrossTenants(t *testing.T) {
	ts := newServer(t, mspFixture(t), serve.Options{Now: fixedClock(mspNow)})
	cell := func(row string) string {
		m := regexp.MustCompile(`(?s)<td class="c-across"[^>]*>(.*?)</td>`).FindStringSubmatch(row)
		if m == nil {
			return "<none>"
		}
		return text(m[1])
	}
	rows := listRows(mustGet(t, ts.URL+"/messages"))
	for key, want := range map[string]string{
		"contoso/MC800001":   "In 3 of 3 tenants relevant in 2 of 3",
		"northwind/MC800001": "In 3 of 3 tenants relevant in 2 of 3",
		"contoso/MC800002":   "In 2 of 3 tenants 2 versions 2 action dates relevant in 1 of 2",
		"contoso/MC800003":   "only here",
		"northwind/MC800004": "only here",
	} {
		if got := cell(rows[key]); got != want {
			t.Errorf("%s: across %q, want %q", key, got, want)
		}
	}
	if r := rows["contoso/MC800002"]; !strings.Contains(r, `href="/items/contoso/mc/MC800002#across"`) {
		t.Errorf("the across cell does not link the comparison: %s", r)
	}
	issues := listRows(mustGet(t, ts.URL+"/issues?tab=all"))
	if got := cell(issues["fabrikam/EX800010"]); got != "In 2 of 3 tenants 2 versions" {
		t.Errorf("fabrikam/EX800010: across %q", got)
	}
	if got := cell(listRows(mustGet(t, ts.URL+"/messages?lang=ja"))["contoso/MC800003"]); got != "このテナントのみ" {
		t.Errorf("Japanese only-here: %q", got)
	}
	only := func(path string) []string {
		var out []string
		for k := range listRows(mustGet(t, ts.URL+path)) {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got, want := only("/messages?only_tenant=true"), []string{"contoso/MC800003", "northwind/MC800004"}; !slices.Equal(got, want) {
		t.Errorf("only in one tenant: %v, want %v", got, want)
	}
	if got, want := only("/issues?only_tenant=true&tab=all"), []string{"northwind/EX800011"}; !slices.Equal(got, want) {
		t.Errorf("issues only in one tenant: %v, want %v", got, want)
	}
	if got := only("/messages?only_tenant=true&tenant=fabrikam"); got != nil {
		t.Errorf("only in fabrikam: %v, want none", got)
	}
	if !strings.Contains(mustGet(t, ts.URL+"/messages?only_tenant=true"), `id="f-only" checked`) {
		t.Error("the only-in-one-tenant filter does not show its choice")
	}

	// groups reads the comparison of an item page: heading, tenants,
	// differences and relevance of each version.
	groups := func(path string) (summary string, out []string) {
		t.Helper()
		body := mustGet(t, ts.URL+path)
		sec := regexp.MustCompile(`(?s)<section id="across">(.*?)</section>`).FindStringSubmatch(body)
		if sec == nil {
			t.Fatalf("%s: no comparison across tenants", path)
		}
		sm := regexp.MustCompile(`(?s)<p class="across-summary">(.*?)</p>`).FindStringSubmatch(sec[1])
		for _, tr := range regexp.MustCompile(`(?s)<tr class="[^"]*">(.*?)</tr>`).FindAllStringSubmatch(sec[1], -1) {
			var cells []string
			for _, td := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(tr[1], -1) {
				cells = append(cells, text(td[1]))
			}
			out = append(out, strings.Join(cells, " | "))
		}
		return text(sm[1]), out
	}
	sum, got := groups("/items/contoso/mc/MC800002")
	want := []string{
		"This tenant's version Contoso | — | Not relevant No licence for Power BI",
		"Another version Fabrikam | Newer: modified 2025-02-02 10:00 UTC Action required by 2025-04-01 " +
			"Another title: (Updated) Power BI: retirement of the legacy workspace experience Body differs: “When this will happen” | " +
			"Relevant Licensed: Power BI (BI_AZURE_P2)",
	}
	if sum != "In 2 of 3 tenants" || !cmp.Equal(want, got) {
		t.Errorf("MC800002 across tenants: %q\n%s", sum, cmp.Diff(want, got))
	}
	sum, got = groups("/items/northwind/mc/MC800001")
	want = []string{
		"This tenant's version Northwind Traders | — | Not relevant No licence for Microsoft Teams",
		"Same content Contoso Fabrikam | — | Relevant Licensed: Microsoft Teams (TEAMS1)",
	}
	if sum != "In 3 of 3 tenants · Same in all 3 tenants" || !cmp.Equal(want, got) {
		t.Errorf("MC800001 across tenants: %q\n%s", sum, cmp.Diff(want, got))
	}
	sum, got = groups("/items/fabrikam/shd/EX800010")
	want = []string{
		"This tenant's version Fabrikam | —",
		"Another version Contoso | Newer: modified 2025-02-02 11:00 UTC 1 more post",
	}
	if sum != "In 2 of 3 tenants" || !cmp.Equal(want, got) {
		t.Errorf("EX800010 across tenants: %q\n%s", sum, cmp.Diff(want, got))
	}
	if sum, got = groups("/items/contoso/mc/MC800003"); sum != "Only in this tenant" || got != nil {
		t.Errorf("MC800003 across tenants: %q %v", sum, got)
	}
	sum, got = groups("/items/contoso/mc/MC800002?lang=ja")
	if sum != "3 テナント中 2 テナント" || len(got) != 2 || !strings.Contains(got[1], "新しい版:") || !strings.Contains(got[1], "対応期限: 2025年4月1日(火)") ||
		!strings.Contains(got[1], "本文が異なります:") {
		t.Errorf("Japanese comparison: %q %q", sum, got)
	}

	// The line at the top of the page.
	for path, want := range map[string]string{
		"/items/contoso/mc/MC800002":   "Tenants: In 2 of 3 tenants · 2 versions",
		"/items/northwind/mc/MC800001": "Tenants: In 3 of 3 tenants · Same in all 3 tenants",
		"/items/contoso/mc/MC800003":   "Only in this tenant",
		"/items/fabrikam/shd/EX800010": "Tenants: In 2 of 3 tenants · 2 versions",
	} {
		m := regexp.MustCompile(`(?s)<p class="acrossline">(.*?)</p>`).FindStringSubmatch(mustGet(t, ts.URL+path))
		if m == nil || text(m[1]) != want {
			t.Errorf("%s: top line %q, want %q", path, m, want)
		}
	}

	var it struct {
		Tenants []struct {
			Tenant    string           `json:"tenant"`
			Same      bool             `json:"same"`
			Relevance *model.Relevance `json:"relevance"`
		} `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(mustGet(t, ts.URL+"/api/v1/items/contoso/mc/MC800002")), &it); err != nil {
		t.Fatal(err)
	}
	if len(it.Tenants) != 2 || it.Tenants[0].Tenant != "contoso" || !it.Tenants[0].Same || it.Tenants[1].Same ||
		it.Tenants[1].Relevance == nil || !it.Tenants[1].Relevance.Relevant {
		t.Errorf("API tenants of MC800002: %+v", it.Tenants)
	}
}

// TestOneTenant: with a single tenant there is nothing to compare: no
// column, filter or section across tenants; relevance still shows.
func TestOneTenant(t *testing.T) {
	ts := newServer(t, fixture(t), serve.Options{})
	list := mustGet(t, ts.URL+"/messages")
	for _, unwanted := range []string{`class="c-across`, `name="only_tenant"`} {
		if strings.Contains(list, unwanted) {
			t.Errorf("a single tenant's list has %s", unwanted)
		}
	}
	if !strings.Contains(list, `<td class="c-relevance"`) {
		t.Error("a single tenant's list has no relevance")
	}
	item := mustGet(t, ts.URL+"/items/demo-1/mc/MC599001")
	if strings.Contains(item, `id="across"`) || strings.Contains(item, `class="acrossline"`) {
		t.Error("a single tenant's item page compares it across tenants")
	}
	if !strings.Contains(item, `id="relevance"`) {
		t.Error("a single tenant's post has no relevance")
	}
}
