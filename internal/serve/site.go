package serve

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// SiteOptions configure BuildSite.
type SiteOptions struct {
	// Lang is the language of the pages: "en" (the default), or "ja" for
	// Japanese labels with the translation memory's text beside the
	// English original.
	Lang string
	// BaseURL, when set (https://example.org/m365), makes the item links
	// of the feeds absolute, which feed readers and calendars need; pages
	// always link relatively.
	BaseURL string
	// PageSize is the number of rows of each list file; 0 means 100.
	PageSize int
}

// SiteStats counts what BuildSite wrote.
type SiteStats struct {
	Items, Lists, Feeds int
}

// siteKey marks a request rendered for the static site; its value is a
// *sitePage.
type siteKey struct{}

// sitePage is the file a request renders into and how its links map to
// other files of the site.
type sitePage struct {
	file     string // slash path under the site's root
	base     string // SiteOptions.BaseURL without a trailing slash
	pageSize int
	page     int // list pages: 0-based page number
	total    int // list pages: every row of the list
}

// BuildSite writes a static archive of every item of the store into dir:
// index.html (health grid and active incidents), issues*.html and
// messages*.html (every item, PageSize rows per file, newest first), one
// page per item under items/ with every revision and the diff between
// consecutive ones, and feeds/ (RSS, Atom, iCalendar). Every page is
// rendered by the dashboard's own handlers; links are relative, so the
// folder works from file:// and under any path of any static host. New
// files are written with mode 0600 and new directories 0700: the archive
// names tenants and their incidents, so whoever publishes it decides who
// may read it (chmod -R a+rX for a web server running as another user).
func (s *Server) BuildSite(ctx context.Context, dir string, o SiteOptions) (SiteStats, error) {
	var stats SiteStats
	if o.Lang == "" {
		o.Lang = "en"
	}
	if o.Lang != "en" && o.Lang != "ja" {
		return stats, fmt.Errorf("build site: language %q is not en or ja", o.Lang)
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	o.PageSize = min(o.PageSize, 200)
	base := strings.TrimSuffix(o.BaseURL, "/")
	if base != "" {
		if u, err := url.Parse(base); err != nil || u.Scheme == "" || u.Host == "" {
			return stats, fmt.Errorf("build site: base URL %q is not absolute", o.BaseURL)
		}
	}
	write := func(sp *sitePage, target string) error {
		q := url.Values{}
		if o.Lang != "en" {
			q.Set("lang", o.Lang)
		}
		u, err := url.Parse(target)
		if err != nil {
			return fmt.Errorf("build site: %w", err)
		}
		for k, vs := range u.Query() {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		req := httptest.NewRequestWithContext(context.WithValue(ctx, siteKey{}, sp), http.MethodGet, u.String(), nil)
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			return fmt.Errorf("build site: render %s: status %d: %.200s", target, rec.Code, rec.Body.String())
		}
		name := filepath.Join(dir, filepath.FromSlash(sp.file))
		if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
			return fmt.Errorf("build site: %w", err)
		}
		if err := os.WriteFile(name, rec.Body.Bytes(), 0o600); err != nil {
			return fmt.Errorf("build site: %w", err)
		}
		return nil
	}
	page := func(file string) *sitePage { return &sitePage{file: file, base: base, pageSize: o.PageSize} }

	if err := write(page("static/style.css"), "/static/style.css"); err != nil {
		return stats, err
	}
	if err := write(page("index.html"), "/"); err != nil {
		return stats, err
	}
	// Lists: the keyset cursors of every page first (cheap), then each page.
	for _, l := range []struct {
		src  model.Source
		path string
	}{{model.SourceSHD, "/issues"}, {model.SourceMC, "/messages"}} {
		cursors := []string{""}
		total := 0
		q := store.ItemQuery{Source: l.src, IncludeRemoved: true, Limit: o.PageSize, NoCount: true}
		for i := 0; i < 100_000; i++ {
			p, err := s.rd.SearchItems(ctx, q)
			if err != nil {
				return stats, fmt.Errorf("build site: list %s: %w", l.src, err)
			}
			total += len(p.Items)
			if !p.More {
				break
			}
			q.After = p.Next
			cursors = append(cursors, p.Next)
		}
		for i, after := range cursors {
			sp := page(sitePath(l.path, o.PageSize, "page", strconv.Itoa(i)))
			sp.page, sp.total = i, total
			target := l.path + "?limit=" + strconv.Itoa(o.PageSize)
			if after != "" {
				target += "&after=" + url.QueryEscape(after)
			}
			if err := write(sp, target); err != nil {
				return stats, err
			}
			stats.Lists++
		}
	}
	for _, f := range []struct{ file, target string }{
		{"feeds/mc-rss.xml", "/feeds/rss?source=mc"}, {"feeds/mc-atom.xml", "/feeds/atom?source=mc"},
		{"feeds/shd-rss.xml", "/feeds/rss?source=shd"}, {"feeds/shd-atom.xml", "/feeds/atom?source=shd"},
		{"feeds/calendar.ics", "/feeds/calendar.ics"},
	} {
		if err := write(page(f.file), f.target); err != nil {
			return stats, err
		}
		stats.Feeds++
	}
	err := s.eachItem(ctx, store.ItemQuery{IncludeRemoved: true}, 100_000, func(it store.Item) error {
		p := itemPath(it.Key)
		if err := write(page(sitePath(p, o.PageSize)), p); err != nil {
			return err
		}
		stats.Items++
		return nil
	})
	if err != nil {
		return stats, fmt.Errorf("build site: %w", err)
	}
	return stats, nil
}

// sitePath maps a dashboard path (and the query parameters its links
// carry) to the file of the static site, relative to its root.
func sitePath(p string, pageSize int, kv ...string) string {
	q := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		q[kv[i]] = kv[i+1]
	}
	switch {
	case p == "/":
		return "index.html"
	case p == "/issues" || p == "/messages":
		n, _ := strconv.Atoi(q["page"])
		if off, err := strconv.Atoi(q["offset"]); err == nil && pageSize > 0 {
			n = off / pageSize
		}
		if n <= 0 {
			return p[1:] + ".html"
		}
		return p[1:] + "-" + strconv.Itoa(n+1) + ".html"
	case p == "/static/style.css":
		return "static/style.css"
	case p == "/feeds/rss" || p == "/feeds/atom":
		src := q["source"]
		if src != string(model.SourceSHD) {
			src = string(model.SourceMC)
		}
		return "feeds/" + src + "-" + strings.TrimPrefix(p, "/feeds/") + ".xml"
	case p == "/feeds/calendar.ics":
		return "feeds/calendar.ics"
	case strings.HasPrefix(p, "/items/"):
		parts := strings.Split(strings.TrimPrefix(p, "/items/"), "/")
		for i, part := range parts {
			if u, err := url.PathUnescape(part); err == nil {
				part = u
			}
			parts[i] = safeName(part)
		}
		return "items/" + strings.Join(parts, "/") + ".html"
	}
	return "index.html"
}

// safeName makes a file name of an ID: letters, digits, '-' and '.' stay,
// every other byte (and a leading '.') becomes _xx, so that names neither
// collide nor need escaping in a link.
func safeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || (c == '.' && i > 0)
		if ok {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// href is the relative link from this page's file to the file of p.
func (sp *sitePage) href(p string, kv ...string) string {
	return relPath(sp.file, sitePath(p, sp.pageSize, kv...))
}

// abs is the link of p for a feed: absolute under the base URL when one
// is set, else relative to the feed's file.
func (sp *sitePage) abs(p string, kv ...string) string {
	if sp.base != "" {
		return sp.base + "/" + sitePath(p, sp.pageSize, kv...)
	}
	return sp.href(p, kv...)
}

// self is the link of the page itself (a feed's rel="self").
func (sp *sitePage) self() string {
	if sp.base != "" {
		return sp.base + "/" + sp.file
	}
	return path.Base(sp.file)
}

// relPath is the relative link from the file from to the file to, both
// slash paths under the same root.
func relPath(from, to string) string {
	d := path.Dir(from)
	if d == "." {
		return to
	}
	return strings.Repeat("../", strings.Count(d, "/")+1) + to
}
