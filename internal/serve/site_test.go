package serve_test

import (
	"context"
	"encoding/json"
	"html"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mmcdole/gofeed"
	"github.com/shdmc/shdmc/internal/browsertest"

	"github.com/shdmc/shdmc/internal/serve"
)

// buildSite builds the static site of the demo scenario's store.
func buildSite(t *testing.T, lang string) (string, serve.SiteStats) {
	t.Helper()
	st := fixture(t)
	srv, err := serve.New(serve.Options{Store: st, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stats, err := srv.BuildSite(t.Context(), dir, serve.SiteOptions{Lang: lang, PageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	return dir, stats
}

var linkRE = regexp.MustCompile(`(?:href|src|action)="([^"]*)"|<link>([^<]*)</link>|<link href="([^"]*)"`)

// TestSiteLinks builds the site and follows every link of every page and
// feed: each internal link is relative, carries no query and names a file
// of the site.
func TestSiteLinks(t *testing.T) {
	dir, stats := buildSite(t, "ja")
	if stats.Items == 0 || stats.Lists < 3 || stats.Feeds != 5 {
		t.Fatalf("stats %+v", stats)
	}
	files, links := 0, 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".xml")) {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		body := string(b)
		if strings.Contains(body, "<script") || strings.Contains(body, "javascript:") {
			t.Errorf("%s carries script", p)
		}
		if strings.HasSuffix(p, ".html") && strings.Contains(body, "<form") {
			t.Errorf("%s has a form, which needs a server", p)
		}
		for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
			raw := html.UnescapeString(m[1] + m[2] + m[3])
			if raw == "" || strings.HasPrefix(raw, "#") || strings.HasPrefix(raw, "mailto:") {
				continue
			}
			if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
				if u.Host == "127.0.0.1" || u.Host == "localhost" || u.Host == "example.com" {
					t.Errorf("%s links to a server: %s", p, raw)
				}
				continue // Microsoft's own links in bodies
			}
			links++
			if strings.HasPrefix(raw, "/") || strings.Contains(raw, "?") {
				t.Errorf("%s: link %q is not a relative file", p, raw)
				continue
			}
			target, _, _ := strings.Cut(raw, "#")
			if _, err := os.Stat(filepath.Join(filepath.Dir(p), filepath.FromSlash(target))); err != nil {
				rel, _ := filepath.Rel(dir, p)
				t.Errorf("%s: link %q resolves to no file", rel, raw)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < stats.Items+stats.Lists || links < stats.Items {
		t.Errorf("checked %d links in %d files for %+v", links, files, stats)
	}
	for _, name := range []string{"messages.html", "messages-2.html", "issues.html", "index.html", "static/style.css", "feeds/calendar.ics",
		"items/demo-1/shd/EX559755.html", "items/demo-1/mc/MC900002.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the site lacks %s", name)
		}
	}
	for _, f := range []string{"feeds/mc-rss.xml", "feeds/mc-atom.xml", "feeds/shd-rss.xml", "feeds/shd-atom.xml"} {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		feed, err := gofeed.NewParser().Parse(fh)
		fh.Close()
		if err != nil || len(feed.Items) == 0 {
			t.Errorf("%s: %v, %d entries", f, err, len(feed.Items))
		}
	}
}

// TestSitePages checks the content: the lists hold every item across
// their files, the EX559755 page every revision and the diffs between
// them, with the Japanese translation beside the posts.
func TestSitePages(t *testing.T) {
	dir, _ := buildSite(t, "ja")
	st := fixture(t)
	revs, err := st.History(t.Context(), "demo-1", "EX559755")
	if err != nil || len(revs) < 3 {
		t.Fatalf("EX559755 has %d revisions: %v", len(revs), err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "items/demo-1/shd/EX559755.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, r := range revs {
		if r.Key.Source != "shd" || r.Key.Tenant != "demo-1" {
			continue
		}
		if !strings.Contains(page, `id="rev-`+strconv.Itoa(r.Revision)+`"`) {
			t.Errorf("EX559755 page lacks revision %d", r.Revision)
		}
	}
	if n := strings.Count(page, `<pre class="diff">`); n != len(revs) {
		t.Errorf("EX559755 page has %d diffs for %d revisions", n, len(revs))
	}
	if !strings.Contains(page, "改訂 1 から 2 への変更") || !regexp.MustCompile(`class="translated" lang="ja"><h4>[^<]+</h4><p>[^<]*[ぁ-ん]`).MatchString(page) {
		t.Error("EX559755 page lacks the Japanese diff heading or translation")
	}
	// Every MC item appears in exactly one list file.
	seen := map[string]int{}
	matches, _ := filepath.Glob(filepath.Join(dir, "messages*.html"))
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		for _, id := range regexp.MustCompile(`items/[^/"]+/mc/([^"/]+)\.html">`).FindAllStringSubmatch(string(b), -1) {
			seen[id[1]]++
		}
	}
	items, _ := filepath.Glob(filepath.Join(dir, "items", "*", "mc", "*.html"))
	if len(items) == 0 || len(seen) != len(items) {
		t.Errorf("the message lists name %d items, the site has %d MC pages", len(seen), len(items))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s is listed %d times", id, n)
		}
	}
}

// TestSiteBrowser opens an item page of the site from file:// in headless
// Chromium: it renders with its style sheet and loads nothing from any
// server: every resource it loads or names (style sheet, images, feed
// links) is a file:// URL, and the style sheet's rules apply.
func TestSiteBrowser(t *testing.T) {
	browsertest.Chromium(t)
	dir, _ := buildSite(t, "en")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	browser := browsertest.New(ctx, t)
	page := "file://" + filepath.ToSlash(filepath.Join(dir, "items", "demo-1", "shd", "EX559755.html"))
	if err := chromedp.Do(browser, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#revisions"))); err != nil {
		t.Fatalf("load %s: %v", page, err)
	}
	raw, err := chromedp.Run(browser, chromedp.Evaluate[string](`JSON.stringify({
		Resources: performance.getEntriesByType("resource").map(e => e.name)
			.concat([...document.querySelectorAll("[src], link[href]")].map(e => e.src || e.href))
			.concat([...document.styleSheets].map(s => s.href)),
		Header: getComputedStyle(document.querySelector("header.top")).backgroundColor,
		Diffs: document.querySelectorAll("#revisions pre.diff").length,
		Home: document.querySelector("a.brand").href})`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Resources []string
		Header    string
		Diffs     int
		Home      string
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatal(err)
	}
	for _, r := range got.Resources {
		if !strings.HasPrefix(r, "file://") {
			t.Errorf("the page requested %s", r)
		}
	}
	if len(got.Resources) == 0 || got.Header != "rgb(36, 58, 94)" {
		t.Errorf("the style sheet was not applied: resources %v, header background %q", got.Resources, got.Header)
	}
	if got.Diffs < 3 || got.Home != "file://"+filepath.ToSlash(filepath.Join(dir, "index.html")) {
		t.Errorf("diffs %d, home link %q", got.Diffs, got.Home)
	}
}
