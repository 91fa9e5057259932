package serve_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"go.yaml.in/yaml/v3"

	"github.com/shdmc/shdmc/internal/demo"
	"github.com/shdmc/shdmc/internal/demo/scenario"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

var screenshot = flag.Bool("screenshot", false, "write the dashboard's screenshot to docs/dashboard.png")

// ownScript is the only script element a dashboard page carries: the
// refresh script, a file of the server allowed by the CSP.
const ownScript = `<script src="/static/live.js" defer></script>`

// secretToken is the bearer token of the authenticated fixture; no page
// may ever show it.
const secretToken = "s3cr3t-token-never-shown-0123456789"

const hostileBody = `<p>Safe text before.</p><script>window.__pwned = 1</script>` +
	`<img src="x" onerror="window.__pwned = 2"><a id="jslink" href="javascript:window.__pwned=3">click me</a>` +
	`<p onclick="window.__pwned = 4" style="background:url(javascript:alert(1))">Safe text after.</p>` +
	`<iframe src="javascript:window.__pwned=5"></iframe>`

// fixture plays the demo scenario into a SQLite store, seeds the demo's
// Japanese translation memory, and adds a hostile and a Japanese Message
// Center post and an active incident.
func fixture(t *testing.T) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	if err := demo.Run(ctx, demo.Options{Stdout: io.Discard, Dir: dir}); err != nil {
		t.Fatalf("demo: %v", err)
	}
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "shdmc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mem, err := translate.LoadMemoryFile(scenario.TranslationsJA)
	if err != nil {
		t.Fatal(err)
	}
	if err := mem.Seed(ctx, st, translate.DefaultGlossary().Version(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.AddTranslationUsage(ctx, "memory", time.Now().Format("2006-01"), store.TranslationUsage{Chars: 1234, Hits: 5}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	msg := func(id, title, body string, tags ...string) store.Item {
		b, _ := json.Marshal(model.Message{ID: id, Title: title, Category: model.CategoryPlanForChange, Severity: model.SeverityHigh,
			Services: []string{"Microsoft Teams"}, Tags: tags, ActionRequiredBy: now.AddDate(0, 1, 0), Start: now.AddDate(0, 0, -3),
			LastModified: now, BodyType: "html", Body: body})
		return store.Item{Key: model.ItemKey{Tenant: "demo-1", Source: model.SourceMC, ID: id}, Revision: 1, Hash: id, LastModified: now, Data: b}
	}
	if _, err := st.Commit(ctx, store.Batch{Tenant: "demo-1", Source: model.SourceMC, Items: []store.Item{
		msg("MC900001", "Hostile body test", hostileBody),
		msg("MC900002", "Teams meeting recordings", "<p>会議の録画は 60 日後に自動的に削除されます。</p><p>Meeting recordings expire.</p>", "Retirement"),
	}}); err != nil {
		t.Fatal(err)
	}
	is, _ := json.Marshal(model.Issue{ID: "EX900003", Title: "Users can't access mailboxes", Service: "Exchange Online",
		Classification: model.ClassificationIncident, Status: model.StatusInvestigating, Start: now.Add(-time.Hour), LastModified: now,
		Posts: []model.Post{{Created: now.Add(-time.Hour), Type: model.PostRegular, ContentType: "html", Content: "Title: Mailbox access<br>User impact: Users can't open mail."},
			{Created: now.Add(-30 * time.Minute), Type: model.PostRegular, ContentType: "html", Content: "We are reviewing logs."}}})
	if _, err := st.Commit(ctx, store.Batch{Tenant: "demo-1", Source: model.SourceSHD, Items: []store.Item{
		{Key: model.ItemKey{Tenant: "demo-1", Source: model.SourceSHD, ID: "EX900003"}, Revision: 1, Hash: "x", LastModified: now, Data: is},
	}}); err != nil {
		t.Fatal(err)
	}
	return st
}

func newServer(t *testing.T, st store.Store, o serve.Options) *httptest.Server {
	t.Helper()
	o.Store = st
	if o.Interval == 0 {
		o.Interval = time.Hour
	}
	srv, err := serve.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestPages(t *testing.T) {
	st := fixture(t)
	ts := newServer(t, st, serve.Options{Auth: serve.Auth{Token: secretToken}})
	auth := []string{"Authorization", "Bearer " + secretToken}
	tests := []struct {
		path string
		want []string // substrings of the body
		lang string
	}{
		{"/", []string{`id="grid"`, "Exchange Online", "EX900003", "We are reviewing logs."}, ""},
		{"/?lang=ja", []string{"サービスの正常性", "対応中のインシデントとアドバイザリ"}, ""},
		{"/", []string{"サービスの正常性"}, "ja-JP,ja;q=0.9"},
		{"/messages?q=録画", []string{"MC900002", `<span id="total">1</span>`}, ""},
		{"/messages?q=recordings&lang=ja", []string{"MC900002", "メッセージ センター"}, ""},
		{"/messages?tag=Retirement", []string{"MC900002"}, ""},
		{"/issues?active=true", []string{"EX900003"}, ""},
		{"/items/demo-1/shd/EX559755", []string{`id="diff"`, `class="dadd"`, "EX559755"}, ""},
		{"/items/demo-1/shd/EX559755?from=1&to=2", []string{"改訂 1 から 2 への変更"}, "ja"},
		{"/items/demo-1/shd/EX559755?tz=Asia/Tokyo", []string{"JST"}, ""},
		{"/items/demo-1/mc/MC900001", []string{"Safe text before.", "Safe text after."}, ""},
		{"/deliveries", []string{`id="deliveries"`, "mailbox"}, ""},
		{"/api/v1/tenants", []string{`"demo-1"`}, ""},
		{"/api/v1/services", []string{`"services"`, `"status"`}, ""},
		{"/api/v1/items?source=mc&q=録画", []string{`"total": 1`, "MC900002"}, ""},
		{"/api/v1/items/demo-1/shd/EX559755/revisions", []string{`"revision": 2`}, ""},
		{"/api/v1/events?item=EX559755", []string{`"issue.`}, ""},
		{"/api/v1/deliveries", []string{`"channel": "mailbox"`}, ""},
		{"/api/v1/sources", []string{`"lastSuccess"`}, ""},
		{"/metrics", []string{"shdmc_items{", "shdmc_events_total{", "shdmc_deliveries{", "shdmc_outbox_depth",
			"shdmc_source_last_success_timestamp_seconds{", "shdmc_translation_characters_total{provider=\"memory\"} 1234", "shdmc_graph_throttled_waits_total 0"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			hdr := auth
			if tt.lang != "" {
				hdr = append(append([]string{}, auth...), "Accept-Language", tt.lang)
			}
			code, h, body := get(t, ts.URL+tt.path, hdr...)
			if code != http.StatusOK {
				t.Fatalf("GET %s = %d: %.300s", tt.path, code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: body lacks %q", tt.path, w)
				}
			}
			if strings.Contains(body, secretToken) {
				t.Errorf("GET %s shows the token", tt.path)
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP = %q", csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			// The one script a page may carry is the dashboard's own file
			// (static/live.js, under the CSP); nothing else, once.
			page := strings.Replace(body, ownScript, "", 1)
			if strings.Contains(page, "<script") || strings.Contains(page, "onerror=") || strings.Contains(page, "javascript:") {
				t.Errorf("GET %s carries script: %s", tt.path, regexp.MustCompile(`(?s).{80}(<script|onerror=|javascript:).{80}`).FindString(page))
			}
		})
	}
	t.Run("translation side by side", func(t *testing.T) {
		_, _, body := get(t, ts.URL+"/items/demo-1/shd/EX559755?lang=ja", auth...)
		if !strings.Contains(body, `class="translated"`) || !regexp.MustCompile(`class="translated" lang="ja"><h4>[^<]+</h4><p>[^<]*[ぁ-ん]`).MatchString(body) {
			t.Errorf("no Japanese translation beside the posts of EX559755")
		}
	})
	t.Run("auth", func(t *testing.T) {
		for _, p := range []string{"/", "/api/v1/items", "/metrics", "/feeds/rss"} {
			if code, _, _ := get(t, ts.URL+p); code != http.StatusUnauthorized {
				t.Errorf("GET %s without the token = %d, want 401", p, code)
			}
			if code, _, _ := get(t, ts.URL+p, "Authorization", "Bearer wrong"); code != http.StatusUnauthorized {
				t.Errorf("GET %s with a wrong token = %d, want 401", p, code)
			}
		}
		if code, _, _ := get(t, ts.URL+"/healthz"); code != http.StatusOK {
			t.Errorf("/healthz = %d", code)
		}
	})
}

func TestListenAddress(t *testing.T) {
	st := fixture(t)
	tests := []struct {
		addr string
		auth serve.Auth
		ok   bool
	}{
		{"", serve.Auth{}, true},
		{"127.0.0.1:0", serve.Auth{}, true},
		{"[::1]:8080", serve.Auth{}, true},
		{"localhost:8080", serve.Auth{}, true},
		{"0.0.0.0:8080", serve.Auth{}, false},
		{":8080", serve.Auth{}, false},
		{"192.0.2.1:8080", serve.Auth{}, false},
		{"0.0.0.0:8080", serve.Auth{Token: "t"}, true},
		{"0.0.0.0:8080", serve.Auth{Username: "u"}, false},
		{"0.0.0.0:8080", serve.Auth{Username: "u", Password: "p"}, true},
	}
	for _, tt := range tests {
		_, err := serve.New(serve.Options{Store: st, Addr: tt.addr, Auth: tt.auth})
		if (err == nil) != tt.ok {
			t.Errorf("New(addr %q, auth %+v) error = %v, want ok=%v", tt.addr, tt.auth != (serve.Auth{}), err, tt.ok)
		}
		if err != nil && (strings.Contains(err.Error(), "\"t\"") || strings.Contains(err.Error(), "\"p\"")) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
	// Basic auth works end to end.
	ts := newServer(t, st, serve.Options{Auth: serve.Auth{Username: "admin", Password: "pw-123"}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+"/api/v1/tenants", nil)
	req.SetBasicAuth("admin", "pw-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("basic auth = %d", resp.StatusCode)
	}
}

func TestReadiness(t *testing.T) {
	st := fixture(t)
	for _, tt := range []struct {
		now  time.Time
		want int
	}{
		{time.Now(), http.StatusOK},
		{time.Now().Add(4 * time.Hour), http.StatusServiceUnavailable}, // older than 3 × 1 h
	} {
		now := tt.now
		ts := newServer(t, st, serve.Options{Interval: time.Hour, Now: func() time.Time { return now }})
		if code, _, body := get(t, ts.URL+"/readyz"); code != tt.want {
			t.Errorf("/readyz at %v = %d (%s), want %d", now, code, body, tt.want)
		}
		_, _, body := get(t, ts.URL+"/")
		if stale := strings.Contains(body, `id="stale"`); stale != (tt.want != http.StatusOK) {
			t.Errorf("stale banner shown = %v at %v", stale, now)
		}
	}
}

// TestStaleBannerNamesTen: when a thousand tenants' polls fail (an
// outage of sign-in), every page's banner names the ten sources longest
// without a poll and counts the others, instead of two thousand lines.
func TestStaleBannerNamesTen(t *testing.T) {
	st := smallStore(t)
	for i := range 12 {
		for _, src := range []model.Source{model.SourceMC, model.SourceSHD} {
			if _, err := st.Commit(t.Context(), store.Batch{Tenant: fmt.Sprintf("t%02d", i), Source: src, Cursor: &store.Cursor{Baselined: true}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	later := func() time.Time { return time.Now().Add(10 * time.Hour) }
	ts := newServer(t, st, serve.Options{Interval: time.Hour, Now: later})
	for _, tt := range []struct{ lang, more, link string }{
		{"en", "…and 14 more sources.", `<a href="/#grid">`},
		{"ja", "ほか 14 件のソース。", `<a href="/?lang=ja#grid">`},
	} {
		_, _, body := get(t, ts.URL+"/messages?lang="+tt.lang)
		banner, _, _ := strings.Cut(body[strings.Index(body, `id="stale"`)+1:], "</div>")
		if n := strings.Count(banner, "<li>"); n != 10 {
			t.Errorf("%s: banner names %d sources, want 10", tt.lang, n)
		}
		if !strings.Contains(banner, tt.more) || !strings.Contains(banner, tt.link) {
			t.Errorf("%s: banner does not count the other 14 or link the tenant grid:\n%s", tt.lang, banner)
		}
	}
}

func TestFeeds(t *testing.T) {
	st := fixture(t)
	ts := newServer(t, st, serve.Options{})
	for _, tt := range []struct {
		path, typ string
		wantIDs   []string
	}{
		{"/feeds/rss?source=mc&q=録画", "rss", []string{"MC900002"}},
		{"/feeds/atom?source=mc&q=録画&lang=ja", "atom", []string{"MC900002"}},
		{"/feeds/rss?source=shd&active=true", "rss", []string{"EX900003"}},
		{"/feeds/atom", "atom", []string{"EX900003", "MC900001"}},
	} {
		t.Run(tt.path, func(t *testing.T) {
			code, _, body := get(t, ts.URL+tt.path)
			if code != http.StatusOK {
				t.Fatalf("%d %s", code, body)
			}
			f, err := gofeed.NewParser().ParseString(body)
			if err != nil {
				t.Fatalf("gofeed: %v", err)
			}
			if f.FeedType != tt.typ {
				t.Errorf("feed type %s, want %s", f.FeedType, tt.typ)
			}
			var titles []string
			for _, it := range f.Items {
				titles = append(titles, it.Title)
				if it.Link == "" || !strings.HasPrefix(it.Link, ts.URL+"/items/") {
					t.Errorf("item link %q", it.Link)
				}
				if strings.Contains(it.Description+it.Content, "<script") {
					t.Errorf("item %s carries a script", it.Title)
				}
			}
			all := strings.Join(titles, "\n")
			for _, id := range tt.wantIDs {
				if !strings.Contains(all, id) {
					t.Errorf("feed lacks %s: %s", id, all)
				}
			}
		})
	}
}

// TestCalendar checks the iCalendar feed with Debian's python3-icalendar,
// an independent parser.
func TestCalendar(t *testing.T) {
	st := fixture(t)
	ts := newServer(t, st, serve.Options{})
	code, h, body := get(t, ts.URL+"/feeds/calendar.ics?tz=Asia/Tokyo")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
		t.Fatalf("%d %s", code, h.Get("Content-Type"))
	}
	for i, line := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(line), line)
		}
		if strings.Contains(line, "\n") {
			t.Errorf("line %d has a bare LF", i+1)
		}
	}
	// Debian's python3-icalendar belongs to Debian's python3, which may not
	// be the first python3 on PATH (pyenv, virtualenvs).
	python := "python3"
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		python = "/usr/bin/python3"
	}
	if _, err := exec.Command(python, "-c", "import icalendar").CombinedOutput(); err != nil {
		msg := "python3-icalendar is missing (scripts/lib/browser.sh installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	const script = `
import sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
for ev in cal.walk('VEVENT'):
    d = ev.decoded('DTSTART')
    print(str(ev['UID']) + '\t' + type(d).__name__ + '\t' + d.isoformat() + '\t' + str(ev['SUMMARY']) + '\t' + str(ev.get('DTSTAMP') is not None))
`
	cmd := exec.CommandContext(t.Context(), python, "-c", script)
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("icalendar rejects the feed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	uids := map[string]bool{}
	found := false
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 5 {
			t.Fatalf("bad line %q", l)
		}
		if uids[f[0]] {
			t.Errorf("UID %s twice", f[0])
		}
		uids[f[0]] = true
		if f[1] != "date" {
			t.Errorf("%s: DTSTART is a %s, want an all-day date", f[0], f[1])
		}
		if f[4] != "True" {
			t.Errorf("%s has no DTSTAMP", f[0])
		}
		if strings.HasPrefix(f[0], "demo-1-MC900002-action") {
			found = true
			want := time.Now().UTC().Truncate(time.Second).AddDate(0, 1, 0).In(mustZone(t, "Asia/Tokyo")).Format("2006-01-02")
			if f[2] != want {
				t.Errorf("action date %s, want %s", f[2], want)
			}
		}
	}
	if !found {
		t.Errorf("no action-required event for MC900002 in %d events", len(lines))
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestOpenAPI checks that docs/openapi.yaml parses and that every path it
// documents is served.
func TestOpenAPI(t *testing.T) {
	b, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	if len(doc.Paths) < 7 {
		t.Errorf("only %d paths documented", len(doc.Paths))
	}
	st := fixture(t)
	ts := newServer(t, st, serve.Options{})
	fill := strings.NewReplacer("{tenant}", "demo-1", "{source}", "shd", "{id}", "EX559755")
	for p, ops := range doc.Paths {
		if _, ok := ops["get"]; !ok {
			t.Errorf("%s: no get operation", p)
			continue
		}
		code, h, body := get(t, ts.URL+"/api/v1"+fill.Replace(p))
		if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s = %d %s: %.200s", p, code, h.Get("Content-Type"), body)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Errorf("GET %s: not JSON: %v", p, err)
		}
	}
}

func TestDiffPage(t *testing.T) {
	st := fixture(t)
	ts := newServer(t, st, serve.Options{})
	_, _, body := get(t, ts.URL+"/items/demo-1/shd/EX559755?from=1&to=2")
	adds := regexp.MustCompile(`class="dadd">(?:\+|&#43;) ([^<]*)`).FindAllStringSubmatch(body, -1)
	if len(adds) == 0 {
		t.Fatalf("no added lines between revisions 1 and 2")
	}
	_, _, same := get(t, ts.URL+"/items/demo-1/shd/EX559755?from=2&to=2")
	if strings.Contains(same, `id="diff"`) {
		t.Error("a revision compared with itself shows a diff")
	}
	fmt.Fprintf(io.Discard, "%v", adds)
}
