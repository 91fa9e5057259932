package graph

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
)

func TestNextLinkDefaultPort(t *testing.T) {
	tests := []struct {
		root, next string
		ok         bool
	}{
		{"https://graph.microsoft.com", "https://graph.microsoft.com:443/v1.0/admin/serviceAnnouncement/issues?$skip=100", true},
		{"https://graph.microsoft.com:443", "https://graph.microsoft.com/v1.0/admin/serviceAnnouncement/issues?$skip=100", true},
		{"https://graph.microsoft.com", "https://GRAPH.microsoft.com./v1.0/admin/serviceAnnouncement/issues?$skip=100", false},
		{"https://graph.microsoft.com", "https://graph.microsoft.com:8443/v1.0/admin/serviceAnnouncement/issues?$skip=100", false},
		{"https://graph.microsoft.com", "http://graph.microsoft.com:443/v1.0/admin/serviceAnnouncement/issues?$skip=100", false},
		{"https://graph.microsoft.com", "http://graph.microsoft.com/v1.0/admin/serviceAnnouncement/issues?$skip=100", false},
		{"https://graph.microsoft.com", "https://graph.microsoft.com.evil.example/v1.0/x", false},
		{"https://graph.microsoft.com", "https://user@graph.microsoft.com/v1.0/x", false},
		{"https://127.0.0.1:8443", "https://127.0.0.1:8443/v1.0/x", true},
		{"https://127.0.0.1:8443", "https://127.0.0.1/v1.0/x", false},
		{"http://127.0.0.1", "http://127.0.0.1:80/v1.0/x", true},
	}
	for _, tt := range tests {
		t.Run(tt.root+" "+tt.next, func(t *testing.T) {
			c, err := New(Config{GraphRoot: tt.root, Credential: &fakeCred{}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.checkNextLink(tt.root+"/v1.0/admin/serviceAnnouncement/issues", tt.next)
			if tt.ok && (err != nil || got != tt.next) {
				t.Errorf("got %q, %v; want the link verbatim", got, err)
			}
			if !tt.ok && err == nil {
				t.Errorf("accepted %q", got)
			}
		})
	}
}

func TestDecodeFlatPost(t *testing.T) {
	const data = `{"value":[
	  {"id":"EX1","posts":[
	    {"createdDateTime":"2021-01-01T00:00:00Z","postType":"regular","contentType":"Html","content":"flat one"},
	    {"createdDateTime":"2021-01-02T00:00:00Z","postType":"quick","description":{"contentType":"text","content":"nested"}},
	    {"createdDateTime":"2021-01-03T00:00:00Z","content":"flat","description":{"contentType":"html","content":"nested wins"},"contentType":"text"},
	    {"createdDateTime":"2021-01-04T00:00:00Z","description":null,"contentType":"text","content":"flat after null"}
	  ]}]}`
	got, _, err := DecodeIssues([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Post{
		{Created: utc("2021-01-01T00:00:00Z"), Type: model.PostRegular, ContentType: "html", Content: "flat one"},
		{Created: utc("2021-01-02T00:00:00Z"), Type: model.PostQuick, ContentType: "text", Content: "nested"},
		{Created: utc("2021-01-03T00:00:00Z"), ContentType: "html", Content: "nested wins"},
		{Created: utc("2021-01-04T00:00:00Z"), ContentType: "text", Content: "flat after null"},
	}
	if len(got) != 1 {
		t.Fatalf("got %d issues", len(got))
	}
	if diff := cmp.Diff(want, got[0].Posts); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
}

func TestDuplicateIDsCollapse(t *testing.T) {
	item := func(id, title, mod string) string {
		return fmt.Sprintf(`{"id":%q,"title":%q,"lastModifiedDateTime":%q}`, id, title, mod)
	}
	var root string
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.RawQuery {
		case "":
			fmt.Fprintf(w, `{"@odata.nextLink":%q,"value":[%s,%s,%s,%s]}`, root+base+"issues?$skip=4",
				item("EX1", "newer", "2024-01-01T10:00:00Z"), item("EX2", "tie first", "2024-01-01T10:00:00Z"),
				item("EX3", "older", "2024-01-01T09:00:00Z"), item("EX1", "stale", "2024-01-01T09:59:59.9999999Z"))
		default:
			fmt.Fprintf(w, `{"value":[%s,%s,%s]}`, item("EX2", "tie later", "2024-01-01T10:00:00.000Z"),
				item("EX3", "newest", "2024-01-01T11:00:00Z"), item("EX4", "other", "2024-01-01T00:00:00Z"))
		}
	}))
	root = srv.URL
	c, _ := testClient(t, srv, ca, nil)
	var info ListInfo
	got, err := c.Issues(WithListInfo(context.Background(), &info), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, is := range got {
		titles = append(titles, is.ID+" "+is.Title)
	}
	want := []string{"EX1 newer", "EX2 tie later", "EX3 newest", "EX4 other"}
	if diff := cmp.Diff(want, titles); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if info.Duplicates != 3 || info.Pages != 2 {
		t.Errorf("ListInfo %+v", info)
	}
}

func TestMissingIDsSkipped(t *testing.T) {
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"value":[{"id":"EX1"},{"title":"no id"},{"id":12},{"id":null},{"id":""},"text",{"id":"EX2"}]}`)
	}))
	var logs strings.Builder
	c, _ := testClient(t, srv, ca, func(c *Config) { c.Logger = newTestLogger(&logs) })
	var info ListInfo
	got, err := c.Issues(WithListInfo(context.Background(), &info), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"EX1", "EX2"}, ids(got, issueID)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if info.Skipped != 5 {
		t.Errorf("skipped %d, want 5", info.Skipped)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("log lines %q, want 5 warnings", lines)
	}
	for i, pos := range []string{"position=2", "position=3", "position=4", "position=5", "position=6"} {
		if !strings.Contains(lines[i], "without an id") || !strings.Contains(lines[i], pos) || !strings.Contains(lines[i], "page=1") {
			t.Errorf("line %d %q lacks page=1 and %s", i, lines[i], pos)
		}
	}
}
