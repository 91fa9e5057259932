package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// sinceFilter returns the $filter query for an incremental list.
func sinceFilter(since time.Time) string {
	if since.IsZero() {
		return ""
	}
	expr := "lastModifiedDateTime ge " + since.UTC().Format("2006-01-02T15:04:05Z")
	return "?$filter=" + url.PathEscape(expr)
}

// maxLoggedIDs bounds the ids named in one duplicate warning, and
// maxLoggedSkips the entries without an id logged one by one per listing.
const (
	maxLoggedIDs   = 20
	maxLoggedSkips = 10
)

// list fetches every page of a collection. It is all or nothing: a page that
// still fails after retries fails the whole list. Entries without an id are
// dropped with a warning; of items sharing an id the one with the newest
// modification time (by key) is kept, on a tie the later one, with one
// warning per listing.
func list[T any](ctx context.Context, c *Client, what, first string, item func(*decoder, *T) (bool, error), key func(*T) (string, time.Time)) ([]T, error) {
	info := listInfoFrom(ctx)
	*info = ListInfo{Start: c.now()}
	var all []T
	seen := map[string]bool{first: true}
	u := first
	for page := 1; page <= maxPages; page++ {
		var items []T
		var next string
		var skipped []int
		err := c.fetch(ctx, u, true, func(r *response) error {
			var err error
			items, next, skipped, err = decodePage(what, r.body, item)
			if err == nil {
				info.Truncated += r.cut
				if page == 1 {
					info.ServerDate, _ = http.ParseTime(r.header.Get("Date"))
				}
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: page %d: %w", what, page, err)
		}
		info.Pages = page
		for _, pos := range skipped {
			if info.Skipped++; info.Skipped <= maxLoggedSkips {
				c.logger.Warn("graph entry without an id skipped", "list", what, "page", page, "position", pos)
			}
		}
		if all == nil {
			all = items
		} else {
			all = append(all, items...)
		}
		if next == "" {
			if all == nil {
				all = []T{}
			}
			if info.Skipped > maxLoggedSkips {
				c.logger.Warn("graph entries without an id skipped", "list", what, "skipped", info.Skipped, "logged", maxLoggedSkips)
			}
			var dups []string
			all, dups, info.Duplicates = dedupe(all, key)
			if len(dups) > 0 {
				c.logger.Warn("graph list has duplicate ids, kept the newest of each", "list", what,
					"ids", strings.Join(dups[:min(len(dups), maxLoggedIDs)], ","), "distinct", len(dups), "dropped", info.Duplicates)
			}
			return all, nil
		}
		if u, err = c.checkNextLink(u, next); err != nil {
			return nil, fmt.Errorf("list %s: page %d: %w", what, page, err)
		}
		if seen[u] {
			return nil, fmt.Errorf("list %s: page %d: @odata.nextLink %s repeats an earlier page", what, page, u)
		}
		seen[u] = true
	}
	return nil, fmt.Errorf("list %s: more than %d pages", what, maxPages)
}

// dedupe keeps one item per id, in the place of the id's first occurrence:
// the one modified last, on a tie the later one. It returns the items, the
// ids that occurred more than once and the number of items dropped.
func dedupe[T any](items []T, key func(*T) (string, time.Time)) ([]T, []string, int) {
	at := make(map[string]int, len(items))
	out := items[:0]
	var dups []string
	var dupSeen map[string]bool
	dropped := 0
	for i := range items {
		id, mod := key(&items[i])
		j, ok := at[id]
		if !ok {
			at[id] = len(out)
			out = append(out, items[i])
			continue
		}
		if dupSeen == nil {
			dupSeen = map[string]bool{}
		}
		if !dupSeen[id] {
			dupSeen[id] = true
			dups = append(dups, id)
		}
		dropped++
		if _, prev := key(&out[j]); !mod.Before(prev) {
			out[j] = items[i]
		}
	}
	return out, dups, dropped
}

// checkNextLink returns the URL of the next page: next verbatim when it is
// absolute, else resolved against the current page. It refuses a link to
// another origin (scheme, host, port; an explicit default port is the same
// origin) than the Graph root, and one with user info, so the token goes
// nowhere else.
func (c *Client) checkNextLink(current, next string) (string, error) {
	nu, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("parse @odata.nextLink: %w", err)
	}
	if !nu.IsAbs() {
		cu, err := url.Parse(current)
		if err != nil {
			return "", fmt.Errorf("parse page url: %w", err)
		}
		nu = cu.ResolveReference(nu)
		next = nu.String()
	}
	if !sameOrigin(nu, c.root) || nu.User != nil {
		return "", fmt.Errorf("refuse @odata.nextLink to %s://%s: not the graph root %s://%s", nu.Scheme, nu.Host, c.root.Scheme, c.root.Host)
	}
	return next, nil
}

// sameOrigin compares scheme, host and port, an absent port being the
// scheme's default.
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		switch strings.ToLower(u.Scheme) {
		case "https":
			return "443"
		case "http":
			return "80"
		}
		return ""
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}
