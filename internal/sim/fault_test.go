package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const contentScenario = `
name: content faults
start: 2023-05-14T19:45:00Z
steps:
  - at: 0s
    issues:
      - {id: EX1, title: one, service: Exchange Online, post: "first post"}
      - {id: EX2, title: two, service: Exchange Online, post: "second post"}
    messages:
      - id: MC1
        title: with attachment
        body: "<p>x</p>"
        attachments: [{name: "Sites", contentType: application/csv, size: 100}]
      - {id: MC2, title: plain, body: "<p>y</p>"}
    faults:
      - {kind: oversize, item: MC2, size: 1000, count: 1}
`

// noRedirect returns a copy of the fixture's client that does not follow
// redirects.
func (f *fixture) noRedirect() *http.Client {
	c := *f.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func TestRedirectFaults(t *testing.T) {
	trap, err := StartTrap()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = trap.Close() })
	f := start(t, Options{})
	tok := f.token(t, tTenant)
	f.s.SetFaults([]Fault{
		{PathPrefix: "token", Kind: FaultRedirect, Location: trap.URL()},
		{PathPrefix: "graph", Kind: FaultRedirect, Location: trap.URL() + "/"},
	})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient}, "client_secret": {tSecret}, "scope": {f.s.URL() + "/.default"}}
	tokenPath := "/" + tTenant + "/oauth2/v2.0/token"
	resp, err := f.noRedirect().PostForm(f.s.URL()+tokenPath, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 307 || resp.Header.Get("Location") != trap.URL()+tokenPath {
		t.Errorf("token: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest(http.MethodGet, f.s.URL()+"/v1.0/admin/serviceAnnouncement/issues?$top=1", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = f.noRedirect().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := trap.URL() + "/v1.0/admin/serviceAnnouncement/issues?$top=1"; resp.StatusCode != 302 || resp.Header.Get("Location") != want {
		t.Errorf("graph: %d Location %q, want 302 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	if n := len(trap.Requests()); n != 0 {
		t.Fatalf("trap saw %d requests before anyone followed", n)
	}
	// A client that follows redirects carries the secret to the trap: the
	// trap must see it.
	resp, err = f.c.PostForm(f.s.URL()+tokenPath, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := trap.Requests()
	if len(got) != 1 || !got[0].ClientSecret || !got[0].Credential() || got[0].Method != http.MethodPost || got[0].Path != tokenPath {
		t.Errorf("trap requests %+v", got)
	}
}

func TestAttachmentsPathShorthand(t *testing.T) {
	f := start(t, Options{})
	sc, err := ParseScenario([]byte(contentScenario), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	f.s.SetFaults([]Fault{{PathPrefix: "attachments", Kind: FaultStatus, Status: 403}})
	resp, b := f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/messages/MC1/attachments")
	if resp.StatusCode != 403 || decode[graphErr](t, b).Error.Code != "Forbidden" {
		t.Errorf("attachments: %d %s", resp.StatusCode, b)
	}
	for _, p := range []string{"/v1.0/admin/serviceAnnouncement/messages", "/v1.0/admin/serviceAnnouncement/messages/MC1"} {
		if resp, b := f.get(t, tTenant, p); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, b)
		}
	}
}

func TestContentFaults(t *testing.T) {
	const issues = "/v1.0/admin/serviceAnnouncement/issues"
	const messages = "/v1.0/admin/serviceAnnouncement/messages"
	type wire struct {
		ID                   *string         `json:"id"`
		Title                string          `json:"title"`
		LastModifiedDateTime string          `json:"lastModifiedDateTime"`
		Posts                json.RawMessage `json:"posts"`
		Body                 struct{ Content string }
	}
	items := func(t *testing.T, f *fixture, path string, hdr ...string) []wire {
		t.Helper()
		var out []wire
		for next := path; next != ""; {
			resp, b := f.get(t, tTenant, next, hdr...)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d %s", next, resp.StatusCode, b)
			}
			p := decode[listPage](t, b)
			for _, v := range p.Value {
				out = append(out, decode[wire](t, v))
			}
			next = p.Next
		}
		return out
	}
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, f *fixture)
	}{
		{"future time", Fault{PathPrefix: "graph", Kind: FaultFutureTime, Item: "EX2"}, func(t *testing.T, f *fixture) {
			got := items(t, f, issues)
			for _, w := range got {
				far := w.LastModifiedDateTime == "9999-12-31T23:59:59.9999999Z"
				if far != (*w.ID == "EX2") {
					t.Errorf("%s lastModifiedDateTime %s", *w.ID, w.LastModifiedDateTime)
				}
			}
			// A filter sees the altered time, as Graph would.
			got = items(t, f, issues+"?$filter="+url.QueryEscape("lastModifiedDateTime ge 9000-01-01T00:00:00Z"))
			if len(got) != 1 || *got[0].ID != "EX2" {
				t.Errorf("filtered %+v", got)
			}
		}},
		{"duplicate id on a later page", Fault{Kind: FaultDuplicateID, Item: "MC1"}, func(t *testing.T, f *fixture) {
			got := items(t, f, messages, "Prefer", "odata.maxpagesize=2")
			if len(got) != 3 || *got[2].ID != "MC1" || got[2].Title != "with attachment (stale copy)" {
				t.Fatalf("items %+v", got)
			}
			var orig wire
			for _, w := range got[:2] {
				if *w.ID == "MC1" {
					orig = w
				}
			}
			o, _ := time.Parse(time.RFC3339Nano, orig.LastModifiedDateTime)
			c, _ := time.Parse(time.RFC3339Nano, got[2].LastModifiedDateTime)
			if o.Sub(c) != time.Hour || orig.Title != "with attachment" {
				t.Errorf("original %+v, copy %+v", orig, got[2])
			}
		}},
		{"missing id", Fault{Kind: FaultMissingID}, func(t *testing.T, f *fixture) {
			got := items(t, f, issues)
			if len(got) != 2 || got[0].ID != nil || got[0].Title == "" || got[1].ID == nil {
				t.Errorf("items %+v", got)
			}
		}},
		{"flat post", Fault{Kind: FaultFlatPost, Item: "*"}, func(t *testing.T, f *fixture) {
			for _, w := range items(t, f, issues) {
				var posts []map[string]any
				if err := json.Unmarshal(w.Posts, &posts); err != nil || len(posts) != 1 {
					t.Fatalf("posts %s: %v", w.Posts, err)
				}
				p := posts[0]
				if _, ok := p["description"]; ok || p["contentType"] != "html" || !strings.HasSuffix(p["content"].(string), "post") || p["createdDateTime"] == nil {
					t.Errorf("post %v", p)
				}
			}
		}},
		{"oversize", Fault{Kind: FaultOversize, Item: "MC1", Size: 3 << 20}, func(t *testing.T, f *fixture) {
			got := items(t, f, messages)
			for _, w := range got {
				n := len(w.Body.Content)
				if big := *w.ID == "MC1"; big && (n != 3<<20+len("<p>x</p>") || !strings.HasSuffix(w.Body.Content, "<p>x</p>")) || !big && n > 100 {
					t.Errorf("%s body %d bytes", *w.ID, n)
				}
			}
		}},
		{"not on single items", Fault{Kind: FaultMissingID}, func(t *testing.T, f *fixture) {
			resp, b := f.get(t, tTenant, messages+"/MC1")
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"id":"MC1"`) {
				t.Errorf("%d %s", resp.StatusCode, b)
			}
			if n := f.s.Counters().Total.Faults; n != 0 {
				t.Errorf("%d faults counted", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, Options{})
			sc, err := ParseScenario([]byte(contentScenario), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if err := f.s.LoadScenario(sc); err != nil {
				t.Fatal(err)
			}
			f.clock.Set(sc.Steps[0].Time)
			f.s.SetFaults([]Fault{tt.fault})
			tt.check(t, f)
		})
	}
	t.Run("scenario step fault", func(t *testing.T) {
		f := start(t, Options{})
		sc, err := ParseScenario([]byte(contentScenario), "c.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.LoadScenario(sc); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(sc.Steps[0].Time)
		for i, want := range []int{1000, 0} { // count: 1
			for _, w := range items(t, f, messages) {
				if *w.ID == "MC2" && len(w.Body.Content)-len("<p>y</p>") != want {
					t.Errorf("request %d: MC2 body %d bytes", i, len(w.Body.Content))
				}
			}
		}
	})
}
