package publicstatus

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Kind is the format of a source.
type Kind string

// The formats.
const (
	KindPosts Kind = "posts" // status.cloud.microsoft/api/posts/* JSON
	KindRSS   Kind = "rss"   // RSS 2.0 feeds
)

// maxBody bounds a response; these pages are small.
const maxBody = 4 << 20

// Fetcher reads public status sources over HTTP.
type Fetcher struct {
	// Client does the requests; nil = a client with a 30 s timeout.
	Client *http.Client
}

// Fetch GETs url and parses it as kind. A non-2xx status, a body that is
// not the format (ErrNotFeed) or a transport error is returned as an
// error, and the caller keeps its last good items.
func (f *Fetcher) Fetch(ctx context.Context, url string, kind Kind) ([]Item, error) {
	c := f.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch status %s: %w", url, err)
	}
	req.Header.Set("User-Agent", "shdmc")
	if kind == KindRSS {
		req.Header.Set("Accept", "application/rss+xml, application/xml;q=0.9, */*;q=0.1")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch status: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("fetch status %s: read body: %w", url, err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("fetch status %s: body over %d bytes", url, maxBody)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("fetch status %s: HTTP %d", url, resp.StatusCode)
	}
	if kind == KindRSS {
		feed, err := ParseRSS(body)
		if err != nil {
			return nil, fmt.Errorf("fetch status %s: %w", url, err)
		}
		return feed.Items, nil
	}
	items, err := ParsePosts(body)
	if err != nil {
		return nil, fmt.Errorf("fetch status %s: %w", url, err)
	}
	return items, nil
}
