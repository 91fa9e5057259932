package publicstatus

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const azureFeed = `<?xml version="1.0" encoding="utf-8"?>
<rss xmlns:a10="http://www.w3.org/2005/Atom" version="2.0"><channel>
<title>Azure Status</title><link>https://azure.status.microsoft/en-us/status/</link>
<description>Azure Status</description><language>en-US</language>
<lastBuildDate>Mon, 12 Nov 2018 16:25:40 Z</lastBuildDate>
<item><guid isPermaLink="false">TRK-123</guid><link>https://azure.status.microsoft/en-us/status/history/</link>
<title>Virtual Machines/VM Scale Sets - East US 2</title>
<description>&lt;p&gt;Summary of impact: Between 09:00 UTC ...&lt;/p&gt;</description>
<pubDate>Tue, 13 Nov 2018 09:30:00 GMT</pubDate></item>
<item><title>Azure Active Directory - Global</title><description>Summary of impact: sign-in failures</description></item>
</channel></rss>`

const azureEmpty = `<rss xmlns:a10="http://www.w3.org/2005/Atom" version="2.0"><channel><title>Azure Status</title>
<lastBuildDate>Mon, 12 Nov 2018 16:25:40 Z</lastBuildDate></channel></rss>`

const interstitial = `<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please wait</body></html>`

func TestParseRSS(t *testing.T) {
	f, err := ParseRSS([]byte(azureFeed))
	if err != nil {
		t.Fatal(err)
	}
	want := Feed{Title: "Azure Status", LastBuild: time.Date(2018, 11, 12, 16, 25, 40, 0, time.UTC), Items: []Item{
		{ID: "TRK-123", Title: "Virtual Machines/VM Scale Sets - East US 2", Service: "Virtual Machines/VM Scale Sets",
			Text: "<p>Summary of impact: Between 09:00 UTC ...</p>", Link: "https://azure.status.microsoft/en-us/status/history/",
			Published: time.Date(2018, 11, 13, 9, 30, 0, 0, time.UTC), Updated: time.Date(2018, 11, 13, 9, 30, 0, 0, time.UTC)},
		{ID: "Azure Active Directory - Global", Title: "Azure Active Directory - Global", Service: "Azure Active Directory",
			Text: "Summary of impact: sign-in failures"},
	}}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("feed (-want +got):\n%s", diff)
	}
	empty, err := ParseRSS([]byte(azureEmpty))
	if err != nil || len(empty.Items) != 0 || empty.LastBuild.IsZero() {
		t.Errorf("empty feed = %+v, %v; want no items, a date, no error", empty, err)
	}
	for name, body := range map[string]string{"html": interstitial, "empty": "  \n", "json": `{"a":1}`, "truncated": `<rss><channel><item><title>x`} {
		if _, err := ParseRSS([]byte(body)); !errors.Is(err, ErrNotFeed) {
			t.Errorf("%s: err = %v, want ErrNotFeed", name, err)
		}
	}
}

func TestParsePosts(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Item
		err  bool
	}{
		{"mac healthy object", `{"Id":"MO123","Status":"Available","Title":"","Message":"","AuthoredDateTime":"0001-01-01T00:00:00+00:00","LastUpdatedTime":"2024-11-25T09:00:00Z"}`,
			[]Item{{ID: "MO123", Status: "Available", Healthy: true, Updated: time.Date(2024, 11, 25, 9, 0, 0, 0, time.UTC)}}, false},
		{"consumer array", `[{"ServiceDisplayName":"Outlook.com","ServiceWorkloadName":"Outlook","Status":"ServiceDegradation","Title":"Can't send","Message":"<p>We're investigating</p>","AuthoredDateTime":"2024-11-25T10:00:00.1234567","InternalDateTime":"2024-11-25T10:05:00Z","Id":42},
			{"ServiceDisplayName":"Teams","Status":"Operational"}, null, {}]`,
			[]Item{
				{ID: "42", Title: "Can't send", Service: "Outlook.com", Status: "ServiceDegradation", Text: "<p>We're investigating</p>",
					Published: time.Date(2024, 11, 25, 10, 0, 0, 123456700, time.UTC), Updated: time.Date(2024, 11, 25, 10, 5, 0, 0, time.UTC)},
				{ID: "Teams", Service: "Teams", Status: "Operational", Healthy: true},
			}, false},
		{"empty array", `[]`, nil, false},
		{"null", `null`, nil, false},
		{"html", interstitial, nil, true},
		{"empty", ``, nil, true},
		{"truncated", `[{"Status":"Avail`, nil, true},
		{"wrong type", `{"Status":5}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePosts([]byte(tt.body))
			if tt.err {
				if !errors.Is(err, ErrNotFeed) {
					t.Fatalf("err = %v, want ErrNotFeed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b []Item) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" && !(len(tt.want) == 0 && len(got) == 0) {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Mon, 12 Nov 2018 16:25:40 Z", utc(2018, 11, 12, 16, 25, 40)},
		{"Mon, 12 Nov 2018 16:25:40 GMT", utc(2018, 11, 12, 16, 25, 40)},
		{"Mon, 12 Nov 2018 16:25:40 UT", utc(2018, 11, 12, 16, 25, 40)},
		{"Mon, 12 Nov 2018 18:25:40 +0200", utc(2018, 11, 12, 16, 25, 40)},
		{"2018-11-12T16:25:40Z", utc(2018, 11, 12, 16, 25, 40)},
		{"2018-11-12T16:25:40", utc(2018, 11, 12, 16, 25, 40)},
		{"0001-01-01T00:00:00+00:00", time.Time{}},
		{"0001-01-01T00:00:00Z", time.Time{}},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
	}
	for _, tt := range tests {
		if got := ParseDate(tt.in); !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFetch(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(azureFeed)) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(azureEmpty)) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(interstitial)) })
	mux.HandleFunc("/posts", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"Id":"X","Status":"Degraded"}`)) })
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := &Fetcher{Client: srv.Client()}
	ctx := context.Background()
	tests := []struct {
		path  string
		kind  Kind
		items int
		err   string
	}{
		{"/feed", KindRSS, 2, ""},
		{"/empty", KindRSS, 0, ""},
		{"/html", KindRSS, 0, "not a status feed"},
		{"/html", KindPosts, 0, "not a status feed"},
		{"/posts", KindPosts, 1, ""},
		{"/down", KindRSS, 0, "HTTP 503"},
	}
	for _, tt := range tests {
		items, err := f.Fetch(ctx, srv.URL+tt.path, tt.kind)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.path, err, tt.err)
			}
			continue
		}
		if err != nil || len(items) != tt.items {
			t.Errorf("%s: %d items, %v; want %d", tt.path, len(items), err, tt.items)
		}
	}
}
