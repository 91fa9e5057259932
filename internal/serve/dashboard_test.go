package serve_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

var (
	resultIDRE = regexp.MustCompile(`class="c-id"[^>]*><a href="[^"]*">([^<]+)</a>`)
	cardRE     = regexp.MustCompile(`<article class="card lvl-([a-z]+)" id="incident-([^"]+)"`)
	tileRE     = regexp.MustCompile(`<a class="tile lvl-([a-z]+)[^"]*"[^>]*><span class="name">([^<]+)</span>`)
	// keyRE finds catalog keys in a page's text ("label.tenant",
	// "change.post_added", "issue.post").
	keyRE = regexp.MustCompile(`>[^<]*\b((?:label|change|status|value|post|nav|filter|item|deliv|col|grid|stale|active|level|sl|ago|due|card|tab|event|ck|what|state|cal|feed|sort|results|svc|dur|next|issue|mc|service)\.[a-z][A-Za-z_]*)\b[^<]*<`)
)

// resultIDs are the IDs of a list page's rows, in order.
func resultIDs(body string) []string {
	var out []string
	for _, m := range resultIDRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func mustGet(t *testing.T, url string) string {
	t.Helper()
	code, _, body := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d: %.300s", url, code, body)
	}
	return body
}

// TestIncidentDashboard checks the dashboard during the ECS outage in two
// tenants: one status line, one card per incident however many tenants
// have it, the key facts pulled out of the latest post (next update in
// the reader's zone), the tenant whose copy is behind, and every service's
// level from its health overview and its active issues.
func TestIncidentDashboard(t *testing.T) {
	st := incidentFixture(t)
	ts := newServer(t, st, serve.Options{Now: fixedClock(incidentNow)})
	body := mustGet(t, ts.URL+"/")

	line := regexp.MustCompile(`(?s)<p class="statusline lvl-([a-z]+)[^"]*" id="statusline">(.*?)</p>`).FindStringSubmatch(body)
	if line == nil {
		t.Fatal("no status line")
	}
	text := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(line[2], "")
	for _, want := range []string{"Interruption", "1 active incident", "2 advisories", "5 of 9 services affected", "2 tenants",
		"since 2023-05-16 13:20 UTC", "polled"} {
		if !strings.Contains(text, want) {
			t.Errorf("status line %q lacks %q", text, want)
		}
	}
	if line[1] != "interruption" {
		t.Errorf("status line level %s, want interruption", line[1])
	}

	var cards [][2]string
	for _, m := range cardRE.FindAllStringSubmatch(body, -1) {
		cards = append(cards, [2]string{m[2], m[1]})
	}
	want := [][2]string{{"MO560384", "degradation"}, {"EX559755", "restoring"}, {"EX557913", "advisory"}}
	if d := cmp.Diff(want, cards); d != "" {
		t.Errorf("cards (-want +got):\n%s", d)
	}
	card := func(id string) string {
		i := strings.Index(body, `id="incident-`+id+`"`)
		if i < 0 {
			t.Fatalf("no card for %s", id)
		}
		j := strings.Index(body[i:], "</article>")
		return body[i : i+j]
	}
	mo := card("MO560384")
	for _, want := range []string{`id="issue-demo-1-MO560384"`, `id="issue-demo-2-MO560384"`, "demo-2 · 1 post behind; last post 2023-05-16 13:35 UTC",
		"Next update by", "2023-05-16 16:30 UTC", "in 1 h 50 min", "Current status", "rolling back the deployment",
		"User Impact", "Users may be unable to access Microsoft Teams and multiple Microsoft 365 services",
		"What changed", "New post at 2023-05-16 14:25 UTC", `class="post latest"`, `<details class="older">`} {
		if !strings.Contains(mo, want) {
			t.Errorf("MO560384 card lacks %q", want)
		}
	}
	if ex := card("EX559755"); !strings.Contains(ex, "Same in all 2 tenants") || strings.Count(ex, `class="chip `) != 2 {
		t.Errorf("EX559755 card: want both tenants' chips and no difference")
	}
	if n := strings.Count(body, `class="post latest"`); n != 3 {
		t.Errorf("%d posts shown open, want the latest of each of 3 cards", n)
	}

	tiles := map[string]string{}
	for _, m := range tileRE.FindAllStringSubmatch(body, -1) {
		tiles[m[2]] = m[1]
	}
	for svc, lvl := range map[string]string{"Microsoft Teams": "interruption", "Exchange Online": "degradation",
		"Microsoft 365 suite": "degradation", "Windows 365": "degradation", "Microsoft Entra": "operational"} {
		if tiles[svc] != lvl {
			t.Errorf("tile %s is %q, want %q (all: %v)", svc, tiles[svc], lvl, tiles)
		}
	}
	// demo-2 did not get the spread: its Exchange Online has only the
	// advisories, one of them restoring.
	if !regexp.MustCompile(`class="svc lvl-restoring bad"[^>]*data-status="serviceOperational"[^>]*>Exchange Online`).MatchString(body) {
		t.Error("demo-2's Exchange Online (operational overview, restoring advisory) is not shown as restoring")
	}

	tokyo := mustGet(t, ts.URL+"/?tz=Asia/Tokyo&lang=ja")
	for _, want := range []string{"次回の更新予定", "2023年5月17日(水) 1:30 JST", "対応中のインシデント 1 件",
		"ユーザーが Microsoft Teams および複数の Microsoft 365 サービスにアクセスできない可能性があります"} {
		if !strings.Contains(tokyo, want) {
			t.Errorf("the Japanese dashboard in Tokyo lacks %q", want)
		}
	}

	var status struct {
		Version               string
		Incidents, Advisories int
		Services              map[string]int
		Stale                 bool
	}
	if err := json.Unmarshal([]byte(mustGet(t, ts.URL+"/api/v1/status")), &status); err != nil {
		t.Fatal(err)
	}
	if status.Incidents != 1 || status.Advisories != 2 || status.Services["interruption"] != 2 || status.Stale || status.Version == "" {
		t.Errorf("/api/v1/status = %+v", status)
	}
	// A new post changes the version the page's script compares.
	addPost(t, st, "demo-2", "MO560384", "Current status: We're rolling back the deployment.")
	var after struct{ Version string }
	if err := json.Unmarshal([]byte(mustGet(t, ts.URL+"/api/v1/status")), &after); err != nil {
		t.Fatal(err)
	}
	if after.Version == status.Version {
		t.Error("the status version did not change with a new post")
	}

	metrics := mustGet(t, ts.URL+"/metrics")
	for _, want := range []string{
		`shdmc_service_status{service="Microsoft Teams",status="interruption",tenant="demo-1"} 1`,
		`shdmc_service_status{service="Microsoft Teams",status="operational",tenant="demo-1"} 0`,
		`shdmc_service_status{service="Exchange Online",status="restoring",tenant="demo-2"} 1`,
		`shdmc_service_status{service="Microsoft Entra",status="operational",tenant="demo-2"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// addPost appends a post to a stored issue, as a poll would.
func addPost(t *testing.T, st store.Store, tenant, id, text string) {
	t.Helper()
	m, err := st.Items(t.Context(), tenant, model.SourceSHD, []string{id})
	if err != nil || len(m) != 1 {
		t.Fatalf("read %s/%s: %v", tenant, id, err)
	}
	it := m[id]
	var is model.Issue
	if err := json.Unmarshal(it.Data, &is); err != nil {
		t.Fatal(err)
	}
	at := is.LastModified.Add(10 * time.Minute)
	is.Posts = append(is.Posts, model.Post{Created: at, Type: model.PostRegular, ContentType: "html", Content: text})
	is.LastModified = at
	it.Data, _ = json.Marshal(is)
	it.Revision++
	it.Hash = it.Hash + "+"
	it.LastModified = at
	if _, err := st.Commit(t.Context(), store.Batch{Tenant: tenant, Source: model.SourceSHD, Items: []store.Item{it}}); err != nil {
		t.Fatal(err)
	}
}

// TestAdvisoryIsNotGreen checks the finding that started this: with only
// an Exchange advisory active, Exchange Online's health overview says
// operational, and the dashboard must not paint it green.
func TestAdvisoryIsNotGreen(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	health := func(id, name string, status model.Status) store.Item {
		b, _ := json.Marshal(model.ServiceHealth{ID: id, Service: name, Status: status})
		return store.Item{Key: model.ItemKey{Tenant: "t1", Source: model.SourceHealth, ID: id}, Revision: 1, Hash: id + string(status), LastModified: now, Data: b}
	}
	adv := issueItem("EX1", "Some users can't open encrypted mail", "Current status: We're investigating.")
	var is model.Issue
	_ = json.Unmarshal(adv.Data, &is)
	is.Classification = model.ClassificationAdvisory
	adv.Data, _ = json.Marshal(is)
	st := smallStore(t, adv,
		health("Exchange", "Exchange Online", model.StatusServiceOperational),
		health("MicrosoftTeams", "Microsoft Teams", model.StatusServiceInterruption),
		health("SharePoint", "SharePoint Online", model.StatusServiceDegradation),
		health("OneDrive", "OneDrive for Business", model.StatusRestoringService),
		health("Forms", "Microsoft Forms", model.StatusServiceOperational))
	ts := newServer(t, st, serve.Options{})
	body := mustGet(t, ts.URL+"/")
	got := map[string]string{}
	for _, m := range tileRE.FindAllStringSubmatch(body, -1) {
		got[m[2]] = m[1]
	}
	want := map[string]string{"Exchange Online": "advisory", "Microsoft Teams": "interruption", "SharePoint Online": "degradation",
		"OneDrive for Business": "restoring", "Microsoft Forms": "operational"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("service levels (-want +got):\n%s", d)
	}
	for _, word := range []string{"Advisory", "Interruption", "Degradation", "Restoring", "Operational"} {
		if !strings.Contains(body, word) {
			t.Errorf("the dashboard never says %q", word)
		}
	}
	if !strings.Contains(body, `href="/issues?service=Exchange&#43;Online&amp;tab=active"`) {
		t.Errorf("the Exchange Online tile does not link to its issues: %s", regexp.MustCompile(`href="/issues\?service=Exchange[^"]*"`).FindString(body))
	}
	issues := mustGet(t, ts.URL+"/issues?service=Exchange+Online&tab=active")
	if d := cmp.Diff([]string{"EX1"}, resultIDs(issues)); d != "" {
		t.Errorf("Exchange Online's issues (-want +got):\n%s", d)
	}
}

// TestListsSearchAndSort runs the lists over the whole demo: search by ID
// (whole, partial, any case) and by Japanese words of two and three
// characters found in the translation memory, words combined, tabs,
// withdrawn posts, sorting, filters from values present, countdowns.
func TestListsSearchAndSort(t *testing.T) {
	st := demoFixture(t)
	ts := newServer(t, st, serve.Options{Now: fixedClock(demoNow)})
	for _, tt := range []struct {
		path string
		want []string // IDs, in any order
	}{
		{"/issues?q=EX559755", []string{"EX559755"}},
		{"/issues?q=ex559755", []string{"EX559755"}},
		{"/issues?q=559755", []string{"EX559755"}},
		{"/issues?q=%E6%9A%97%E5%8F%B7%E5%8C%96", []string{"EX557913", "EX559755"}},              // 暗号化
		{"/messages?q=%E6%9A%97%E5%8F%B7%E5%8C%96", []string{"MC599006"}},                        // 暗号化
		{"/messages?q=%E5%BB%83%E6%AD%A2", []string{"MC599001", "MC599007", "MC599010"}},         // 廃止
		{"/messages?q=%E5%BB%83%E6%AD%A2+SMTP", []string{"MC599001"}},                            // 廃止 SMTP
		{"/messages?q=%E5%BB%83%E6%AD%A2&lang=ja", []string{"MC599001", "MC599007", "MC599010"}}, // 廃止, read in Japanese
		{"/messages?q=MC599013", []string{"MC599013"}},                                           // withdrawn, still found
		{"/messages?tab=history", []string{"MC599013"}},                                          // withdrawn only
		{"/messages?q=portal&tab=active", []string{"MC599006"}},                                  // English words still work
		{"/issues?tab=active", []string{"EX557913", "SP561811"}},                                 // the two left open
		{"/messages?service=Microsoft+Viva&tab=all", []string{"MC599013"}},                       // a facet
		{"/messages?tag=Retirement", []string{"MC599001", "MC599007", "MC599010"}},               // a facet
		{"/issues?status=falsePositive&tab=history", []string{"TM560112"}},                       // a facet
	} {
		t.Run(tt.path, func(t *testing.T) {
			got := resultIDs(mustGet(t, ts.URL+tt.path))
			if d := cmp.Diff(tt.want, got, cmp.Transformer("set", func(s []string) map[string]bool {
				m := map[string]bool{}
				for _, x := range s {
					m[x] = true
				}
				return m
			})); d != "" {
				t.Errorf("IDs (-want +got):\n%s", d)
			}
		})
	}

	withdrawn := mustGet(t, ts.URL+"/messages?tab=history")
	if !strings.Contains(withdrawn, `<span class="tag withdrawn">Withdrawn</span>`) {
		t.Error("the withdrawn MC599013 is not marked")
	}
	if !strings.Contains(mustGet(t, ts.URL+"/items/demo-1/mc/MC599013"), "Withdrawn by Microsoft") {
		t.Error("MC599013's page does not say it was withdrawn")
	}
	elsewhere := mustGet(t, ts.URL+"/messages?q=EX559755")
	if !strings.Contains(elsewhere, `id="elsewhere"`) || !strings.Contains(elsewhere, "/items/demo-1/shd/EX559755") {
		t.Error("searching the Message Center for EX559755 does not point to the incident")
	}

	sorted := resultIDs(mustGet(t, ts.URL+"/messages?sort=action&dir=asc"))
	if d := cmp.Diff([]string{"MC599005", "MC599003", "MC599008", "MC599007", "MC599010", "MC599001"}, sorted[:6]); d != "" {
		t.Errorf("sorted by action date (-want +got):\n%s", d)
	}
	byID := resultIDs(mustGet(t, ts.URL+"/issues?tab=all&sort=id&dir=desc"))
	if len(byID) < 2 || byID[0] < byID[1] {
		t.Errorf("sorted by ID descending: %v", byID)
	}

	list := mustGet(t, ts.URL+"/messages")
	if strings.Contains(list, `<input name="service"`) || strings.Contains(list, `<input name="tag"`) {
		t.Error("the service and tag filters are free text")
	}
	for _, want := range []string{`<option value="Exchange Online">Exchange Online (`, `<option value="Retirement">`, `<option value="critical">Critical (2)</option>`,
		`<span class="date">2023-06-13</span> <span class="due ">in 11 days</span>`, `<th class="c-action"><a href=`} {
		if !strings.Contains(list, want) {
			t.Errorf("/messages lacks %q", want)
		}
	}
	if strings.Contains(list, "MC599013") {
		t.Error("the Current tab lists the withdrawn MC599013")
	}
	late := newServer(t, st, serve.Options{Now: fixedClock(time.Date(2023, 7, 1, 9, 0, 0, 0, time.UTC))})
	overdue := mustGet(t, late.URL+"/messages")
	if !regexp.MustCompile(`<span class="date">2023-06-13</span> <span class="due overdue">overdue by 18 days</span>`).MatchString(overdue) {
		t.Error("MC599005 (act by 2023-06-13) is not marked overdue on 2023-07-01")
	}
	if !strings.Contains(mustGet(t, late.URL+"/messages?lang=ja"), "期限を 18 日超過") {
		t.Error("no Japanese overdue marking")
	}
}

// TestItemKeyChange checks an item page's callout and folded word diff.
func TestItemKeyChange(t *testing.T) {
	st := demoFixture(t)
	ts := newServer(t, st, serve.Options{Now: fixedClock(demoNow)})
	body := mustGet(t, ts.URL+"/items/demo-1/mc/MC599001")
	call := regexp.MustCompile(`(?s)<aside class="keychange" id="keychange">(.*?)</aside>`).FindStringSubmatch(body)
	if call == nil || !strings.Contains(call[1], "<li>Action required by: 2023-09-30 → 2023-12-31</li>") {
		t.Fatalf("no key change callout with the moved action date")
	}
	if strings.Index(body, `id="keychange"`) > strings.Index(body, `id="body"`) {
		t.Error("the key change is not at the top")
	}
	for _, want := range []string{`<span class="ddel">- Action required by: 2023-<mark>09</mark>-<mark>30</mark></span>`,
		`<span class="dadd">&#43; Action required by: 2023-<mark>12</mark>-<mark>31</mark></span>`,
		`<details class="fold"><summary>⋯ 5 unchanged lines</summary>`, "in 212 days"} {
		if !strings.Contains(body, want) {
			t.Errorf("MC599001's page lacks %s", want)
		}
	}
	ja := mustGet(t, ts.URL+"/items/demo-1/mc/MC599001?lang=ja")
	if !strings.Contains(ja, "対応期限：2023年9月30日(土) → 2023年12月31日(日)") || !strings.Contains(ja, "セクション 「実施時期」が変更されました") {
		t.Error("the Japanese key change lacks the dates or the translated section name")
	}
	if m := keyRE.FindStringSubmatch(ja); m != nil {
		t.Errorf("catalog key %q on the Japanese page", m[1])
	}
	ex := mustGet(t, ts.URL+"/items/demo-1/shd/EX559755?lang=ja")
	if m := keyRE.FindStringSubmatch(ex); m != nil {
		t.Errorf("catalog key %q on EX559755's Japanese page", m[1])
	}
	for _, want := range []string{"<td data-label=\"イベント\">新しい投稿</td>", "次回の更新予定：", "開始時刻："} {
		if !strings.Contains(ex, want) {
			t.Errorf("EX559755's Japanese page lacks %q", want)
		}
	}
}

// TestDeliveriesPaged checks the deliveries page: pages of 25 with the
// item's title, the event and the state in words.
func TestDeliveriesPaged(t *testing.T) {
	st := demoFixture(t)
	ts := newServer(t, st, serve.Options{Now: fixedClock(demoNow)})
	first := mustGet(t, ts.URL+"/deliveries")
	if n := strings.Count(first, `<tr class="st-`); n != 25 {
		t.Errorf("first page has %d deliveries, want 25", n)
	}
	if !strings.Contains(first, `rel="next"`) || strings.Contains(first, `rel="prev"`) {
		t.Error("the first page's pager is wrong")
	}
	for _, want := range []string{`<span class="subtitle">Users can&#39;t open OMEv2 encrypted email messages`, "<td class=\"c-event\" data-label=\"Event\">New post</td>",
		`<span class="state st-done">Sent</span>`} {
		if !strings.Contains(first, want) {
			t.Errorf("/deliveries lacks %q", want)
		}
	}
	second := mustGet(t, ts.URL+"/deliveries?page=1")
	if !strings.Contains(second, `rel="prev"`) || strings.Count(second, `<tr class="st-`) == 0 {
		t.Error("the second page is empty or has no way back")
	}
	if m := keyRE.FindStringSubmatch(mustGet(t, ts.URL+"/deliveries?lang=ja")); m != nil {
		t.Errorf("catalog key %q on the deliveries page", m[1])
	}
}

// TestFeedsSpeakWords checks that the feeds show no catalog keys and that
// the calendar holds only dates to act on: action-required dates and
// rollout milestones, no publication or expiry dates.
func TestFeedsSpeakWords(t *testing.T) {
	st := demoFixture(t)
	ts := newServer(t, st, serve.Options{Now: fixedClock(demoNow)})
	for _, p := range []string{"/feeds/rss", "/feeds/atom?lang=ja", "/feeds/rss?source=shd&lang=ja", "/feeds/calendar.ics?lang=ja", "/feeds/calendar.ics"} {
		body := mustGet(t, ts.URL+p)
		if m := regexp.MustCompile(`\b(?:label|change|status|value|post|ck|event)\.[a-z][A-Za-z_]*\b`).FindString(body); m != "" {
			t.Errorf("%s shows the catalog key %q", p, m)
		}
	}
	rss := mustGet(t, ts.URL+"/feeds/rss?lang=ja")
	if !strings.Contains(rss, "テナント") {
		t.Error("the Japanese feed does not name the tenant's label")
	}
	ics := mustGet(t, ts.URL+"/feeds/calendar.ics")
	unfolded := strings.ReplaceAll(ics, "\r\n ", "")
	for _, bad := range []string{"Published", "Expires"} {
		if strings.Contains(unfolded, bad) {
			t.Errorf("the calendar has %q", bad)
		}
	}
	if m := regexp.MustCompile(`UID:\S+-MC\d+-(?:start|end)@`).FindString(unfolded); m != "" {
		t.Errorf("the calendar has a publication or expiry event: %s", m)
	}
	for _, want := range []string{
		"UID:demo-1-MC599001-action@shdmc", "SUMMARY:Action required by: MC599001",
		"UID:demo-1-MC599004-rollout-start@shdmc\r\nDTSTAMP:20230602T164500Z\r\nDTSTART;VALUE=DATE:20230701\r\nDTEND;VALUE=DATE:20230711\r\nSUMMARY:Rollout starts (early July 2023): MC599004",
		"UID:demo-1-MC599004-rollout-end@shdmc\r\nDTSTAMP:20230602T164500Z\r\nDTSTART;VALUE=DATE:20230711\r\nDTEND;VALUE=DATE:20230721\r\nSUMMARY:Rollout completes (mid-July 2023): MC599004",
	} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("the calendar lacks %q", want)
		}
	}
}

// TestDashboardBoundsCards checks that a flood of active issues gives at
// most 30 cards and a link to the rest.
func TestDashboardBoundsCards(t *testing.T) {
	var items []store.Item
	for i := 0; i < 33; i++ {
		items = append(items, issueItem(fmt.Sprintf("EX9%05d", i), "Flooded", "Current status: We're investigating."))
	}
	ts := newServer(t, smallStore(t, items...), serve.Options{})
	body := mustGet(t, ts.URL+"/")
	if n := len(cardRE.FindAllString(body, -1)); n != 30 {
		t.Errorf("%d cards, want 30", n)
	}
	if !strings.Contains(body, `<a href="/issues?tab=active">3 more active incidents and advisories</a>`) {
		t.Error("no link to the 3 issues left out")
	}
	if !strings.Contains(body, "33 active incidents") {
		t.Error("the status line does not count every active incident")
	}
}
