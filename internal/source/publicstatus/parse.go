// Package publicstatus reads Microsoft's public, unauthenticated status
// sources: the Microsoft 365 status page (status.cloud.microsoft JSON posts
// and RSS feeds) and the Azure status RSS feed. None of them is
// documented or stable, so every field is optional and every odd shape
// seen in public code is accepted: a single object or an array, empty
// feeds, the "0001-01-01" sentinel date, RFC 1123 dates with the military
// zone letter "Z". What is not a feed or a post at all (an HTML interstitial,
// an empty body) is a clear error, and the caller keeps its last good
// state. They are a fallback signal while Microsoft Graph fails, never a
// replacement for it.
package publicstatus

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotFeed marks a body that is not the expected format: an HTML page
// (a sign-in or maintenance interstitial), an empty body, or garbage.
var ErrNotFeed = errors.New("not a status feed")

// Item is one entry of a public status source.
type Item struct {
	// ID is stable across polls: the post's Id, or the RSS guid, link or
	// title.
	ID string
	// Title is the post or item title.
	Title string
	// Service is the service the entry is about, when the source names one.
	Service string
	// Status is the source's own status text (e.g. "Available",
	// "ServiceDegradation"); "" for RSS items, which exist only while an
	// incident does.
	Status string
	// Healthy is true when Status says the service works.
	Healthy bool
	// Text is the message (HTML or plain text).
	Text string
	// Link points at the public page, if given.
	Link string
	// Published and Updated are zero when unknown (or the sentinel date).
	Published, Updated time.Time
}

// Feed is a parsed RSS channel.
type Feed struct {
	Title     string
	LastBuild time.Time
	Items     []Item
}

// healthyStatus lists the Status values that mean "no incident".
var healthyStatus = map[string]bool{"available": true, "operational": true, "serviceoperational": true, "healthy": true, "": false}

// post is one object of status.cloud.microsoft/api/posts/*; every field
// optional.
type post struct {
	ID                  any    `json:"Id"`
	Title               string `json:"Title"`
	Message             string `json:"Message"`
	Status              string `json:"Status"`
	ServiceDisplayName  string `json:"ServiceDisplayName"`
	ServiceWorkloadName string `json:"ServiceWorkloadName"`
	AuthoredDateTime    string `json:"AuthoredDateTime"`
	LastUpdatedTime     string `json:"LastUpdatedTime"`
	InternalDateTime    string `json:"InternalDateTime"`
}

// ParsePosts parses the JSON of status.cloud.microsoft/api/posts/mac (one
// object) or /api/posts/m365Consumer (an array of per-service objects).
// null and [] are valid and empty.
func ParsePosts(body []byte) ([]Item, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(b) == 0 {
		return nil, fmt.Errorf("parse status posts: empty body: %w", ErrNotFeed)
	}
	var list []post
	switch b[0] {
	case '[':
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("parse status posts: %w: %w", ErrNotFeed, err)
		}
		for i, r := range raw {
			var p post
			if bytes.Equal(bytes.TrimSpace(r), []byte("null")) {
				continue
			}
			if err := json.Unmarshal(r, &p); err != nil {
				return nil, fmt.Errorf("parse status posts: entry %d: %w: %w", i, ErrNotFeed, err)
			}
			list = append(list, p)
		}
	case '{':
		var p post
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("parse status posts: %w: %w", ErrNotFeed, err)
		}
		list = append(list, p)
	case 'n':
		if string(b) == "null" {
			return nil, nil
		}
		fallthrough
	default:
		return nil, fmt.Errorf("parse status posts: body starts with %q: %w", snippet(b), ErrNotFeed)
	}
	out := make([]Item, 0, len(list))
	for _, p := range list {
		it := Item{
			ID:      idString(p.ID),
			Title:   clean(p.Title),
			Status:  clean(p.Status),
			Text:    strings.TrimSpace(p.Message),
			Service: clean(p.ServiceDisplayName),
		}
		if it.Service == "" {
			it.Service = clean(p.ServiceWorkloadName)
		}
		it.Healthy = healthyStatus[strings.ToLower(it.Status)]
		it.Published = ParseDate(p.AuthoredDateTime)
		it.Updated = ParseDate(p.LastUpdatedTime)
		if it.Updated.IsZero() {
			it.Updated = ParseDate(p.InternalDateTime)
		}
		if it.ID == "" {
			it.ID = firstNonEmpty(clean(p.ServiceWorkloadName), it.Service, it.Title)
		}
		if it.ID == "" && it.Status == "" && it.Text == "" {
			continue // an empty object says nothing
		}
		if it.ID == "" {
			it.ID = "post"
		}
		out = append(out, it)
	}
	return out, nil
}

// rss is the part of RSS 2.0 that is read.
type rss struct {
	XMLName xml.Name `xml:"rss"`
	Channel struct {
		Title         string `xml:"title"`
		LastBuildDate string `xml:"lastBuildDate"`
		Items         []struct {
			Title       string `xml:"title"`
			Description string `xml:"description"`
			Link        string `xml:"link"`
			GUID        string `xml:"guid"`
			PubDate     string `xml:"pubDate"`
			Updated     string `xml:"http://www.w3.org/2005/Atom updated"`
		} `xml:"item"`
	} `xml:"channel"`
}

// ParseRSS parses an RSS 2.0 status feed (Azure status, the Microsoft 365
// admin center feed). An empty channel is valid: it means no broad
// incident. A body that is not RSS (HTML, empty) wraps ErrNotFeed.
func ParseRSS(body []byte) (Feed, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(b) == 0 {
		return Feed{}, fmt.Errorf("parse status feed: empty body: %w", ErrNotFeed)
	}
	if b[0] != '<' || looksHTML(b) {
		return Feed{}, fmt.Errorf("parse status feed: body starts with %q: %w", snippet(b), ErrNotFeed)
	}
	var r rss
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	if err := d.Decode(&r); err != nil {
		return Feed{}, fmt.Errorf("parse status feed: %w: %w", ErrNotFeed, err)
	}
	f := Feed{Title: clean(r.Channel.Title), LastBuild: ParseDate(r.Channel.LastBuildDate)}
	for _, x := range r.Channel.Items {
		it := Item{
			Title: clean(x.Title),
			Text:  strings.TrimSpace(x.Description),
			Link:  strings.TrimSpace(x.Link),
		}
		it.Published = ParseDate(x.PubDate)
		it.Updated = ParseDate(x.Updated)
		if it.Updated.IsZero() {
			it.Updated = it.Published
		}
		// "Virtual Machines/VM Scale Sets - East US 2": the service is the
		// part before the region.
		if i := strings.LastIndex(it.Title, " - "); i > 0 {
			it.Service = strings.TrimSpace(it.Title[:i])
		} else {
			it.Service = it.Title
		}
		it.ID = firstNonEmpty(clean(x.GUID), it.Link, it.Title)
		if it.ID == "" {
			if it.Text == "" {
				continue
			}
			it.ID = it.Text
		}
		if len(it.ID) > 200 {
			it.ID = it.ID[:200]
			for !utf8.ValidString(it.ID) {
				it.ID = it.ID[:len(it.ID)-1]
			}
		}
		f.Items = append(f.Items, it)
	}
	return f, nil
}

// dateLayouts are tried in order. RFC 1123 with the military zone letter
// "Z" ("Mon, 12 Nov 2018 16:25:40 Z") fails with Go's RFC1123 layouts, so
// the zone is normalized first (see ParseDate).
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02T15:04:05.9999999Z07:00",
	time.RFC1123Z,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 02 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
}

// ParseDate reads the dates these sources write: RFC 3339 (with or without
// zone, which is then UTC), RFC 1123 with a numeric offset or the zone
// names Z, GMT, UT or UTC. The sentinel "0001-01-01…" and anything
// unreadable give the zero time: unknown.
func ParseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "0001-01-01") {
		return time.Time{}
	}
	for _, z := range []string{" Z", " GMT", " UT", " UTC"} {
		if strings.HasSuffix(s, z) {
			s = strings.TrimSuffix(s, z) + " +0000"
			break
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() <= 1 {
				return time.Time{}
			}
			return t.UTC()
		}
	}
	return time.Time{}
}

func looksHTML(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 512)]))
	return strings.Contains(head, "<html") || strings.Contains(head, "<!doctype html")
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b[:min(len(b), 60)]), "")), " ")
	return s
}

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func idString(v any) string {
	switch x := v.(type) {
	case string:
		return clean(x)
	case float64:
		return strings.TrimSuffix(fmt.Sprintf("%f", x), ".000000")
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
