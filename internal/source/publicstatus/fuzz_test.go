package publicstatus

import (
	"testing"
	"unicode/utf8"
)

// FuzzParseRSS: no input panics, and every item has an ID and valid text.
func FuzzParseRSS(f *testing.F) {
	for _, s := range []string{azureFeed, azureEmpty, interstitial, "", "<rss>", "<rss><channel><item></item></channel></rss>",
		`<rss version="2.0"><channel><item><guid></guid><title> - </title><pubDate>Mon, 12 Nov 2018 16:25:40 Z</pubDate></item></channel></rss>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		feed, err := ParseRSS(b)
		if err != nil {
			return
		}
		for _, it := range feed.Items {
			if it.ID == "" {
				t.Fatalf("item without ID: %+v", it)
			}
			if !utf8.ValidString(it.ID) {
				t.Fatalf("ID is not UTF-8: %q", it.ID)
			}
		}
	})
}

// FuzzParsePosts: no input panics, every item has an ID, and the sentinel
// date never leaks through as a real date.
func FuzzParsePosts(f *testing.F) {
	for _, s := range []string{`{"Id":"MO1","Status":"Available","AuthoredDateTime":"0001-01-01T00:00:00+00:00"}`,
		`[{"ServiceDisplayName":"Teams","Status":"Degraded"},null,{}]`, `[]`, `null`, interstitial, `{"Id":1e300}`, `[{"Id":[1]}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := ParsePosts(b)
		if err != nil {
			return
		}
		for _, it := range items {
			if it.ID == "" {
				t.Fatalf("item without ID: %+v", it)
			}
			if !it.Published.IsZero() && it.Published.Year() <= 1 {
				t.Fatalf("sentinel date kept: %v", it.Published)
			}
		}
	})
}

// FuzzParseDate: never panics, never returns a year-1 date.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Mon, 12 Nov 2018 16:25:40 Z", "0001-01-01T00:00:00+00:00", "2018-11-12T16:25:40", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := ParseDate(s); !d.IsZero() && d.Year() <= 1 {
			t.Fatalf("ParseDate(%q) = %v", s, d)
		}
	})
}
