package serve_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// ownFixture is a store with an active incident EX1 in two tenants, a
// Message Center post MC1 with an action-required date and a service.
func ownFixture(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "own.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC().Truncate(time.Second)
	is, _ := json.Marshal(model.Issue{ID: "EX1", Title: "Users can't send mail", Service: "Exchange Online",
		Classification: model.ClassificationIncident, Status: model.StatusServiceInterruption, Start: now.Add(-time.Hour), LastModified: now,
		Posts: []model.Post{{Created: now.Add(-time.Hour), Type: model.PostRegular, ContentType: "html", Content: "We are investigating."}}})
	for _, tenant := range []string{"contoso", "fabrikam"} {
		if err := st.UpsertTenant(ctx, model.Tenant{ID: tenant}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Commit(ctx, store.Batch{Tenant: tenant, Source: model.SourceSHD, Items: []store.Item{
			{Key: model.ItemKey{Tenant: tenant, Source: model.SourceSHD, ID: "EX1"}, Revision: 1, Hash: "i", LastModified: now, Data: is}},
			Events: []model.Event{{ItemID: "EX1", Type: model.EventIssueNew, Revision: 1, DetectedAt: now, Changes: []model.Change{{Kind: model.ChangeNew}}}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := json.Marshal(model.Message{ID: "MC1", Title: "Retirement of basic auth", Category: model.CategoryPlanForChange,
		Severity: model.SeverityHigh, ActionRequiredBy: now.AddDate(0, 1, 0), LastModified: now, BodyType: "html", Body: "<p>Act now.</p>"})
	sh, _ := json.Marshal(model.ServiceHealth{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceInterruption})
	if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{
		{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC1"}, Revision: 1, Hash: "m", LastModified: now, Data: m}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceHealth, Items: []store.Item{
		{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceHealth, ID: "Exchange"}, Revision: 1, Hash: "s", LastModified: now, Data: sh}}}); err != nil {
		t.Fatal(err)
	}
	return st
}

// browser is a client with a cookie jar and credentials, as a browser
// that was given them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	hdr  []string
}

func newBrowser(t *testing.T, base string, hdr ...string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, base: base, c: c, hdr: hdr}
}

func (b *browser) do(method, path string, body io.Reader, hdr ...string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	all := append(append([]string{}, b.hdr...), hdr...)
	for i := 0; i+1 < len(all); i += 2 {
		req.Header.Set(all[i], all[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

// form is the handling form of a page: its hidden fields.
func (b *browser) form(path string) url.Values {
	b.t.Helper()
	resp, body := b.do(http.MethodGet, path, nil)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s = %d: %.200s", path, resp.StatusCode, body)
	}
	f := regexp.MustCompile(`(?s)<form method="post" action="/handling" class="own"[^>]*>(.*?)</form>`).FindStringSubmatch(body)
	if f == nil {
		b.t.Fatalf("GET %s: no handling form", path)
	}
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(f[1], -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// post sends a form as the browser would from a page of base.
func (b *browser) post(v url.Values, hdr ...string) (*http.Response, string) {
	b.t.Helper()
	h := append([]string{"Content-Type", "application/x-www-form-urlencoded", "Origin", b.base, "Sec-Fetch-Site", "same-origin"}, hdr...)
	return b.do(http.MethodPost, "/handling", strings.NewReader(v.Encode()), h...)
}

func with(v url.Values, kv ...string) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string{}, vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "\x00" {
			c.Del(kv[i])
		} else {
			c.Set(kv[i], kv[i+1])
		}
	}
	return c
}

// TestHandlingForm: on a loopback dashboard without authentication the
// item page's form acknowledges an incident as "local": the browser is
// sent back, the page shows the new handling and the history the action
// (escaped, whatever was typed), the store holds the handling and the
// event, and a route that names item.acknowledged gets a delivery.
func TestHandlingForm(t *testing.T) {
	st := ownFixture(t)
	r, err := route.New(routesNaming("item.acknowledged", "item.assigned"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, st, serve.Options{Targets: r.Match})
	b := newBrowser(t, ts.URL)
	resp, page := b.do(http.MethodGet, "/items/contoso/shd/EX1", nil)
	ck := resp.Cookies()
	if len(ck) != 1 || ck[0].Name != "shdmc_csrf" || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/" {
		t.Fatalf("session cookie = %+v", ck)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("a page with a form has Cache-Control %q", cc)
	}
	if !strings.Contains(page, `id="handling"`) || !strings.Contains(page, "Nobody has acted on this yet.") {
		t.Fatalf("no handling section on the item page")
	}
	f := b.form("/items/contoso/shd/EX1")
	if f.Get("seq") != "0" || f.Get("tenant") != "contoso" || f.Get("csrf") == "" || f.Get("back") != "/items/contoso/shd/EX1#handling" {
		t.Fatalf("form fields = %v", f)
	}
	hostile := `<script>alert("owner")</script>`
	resp, body := b.post(with(f, "action", "acknowledge", "owner", hostile, "note", "Vendor case 4711\n<img src=x onerror=alert(1)>"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/items/contoso/shd/EX1#handling" {
		t.Fatalf("POST = %d %s: %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	ctx := context.Background()
	key := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"}
	h, err := st.Handling(ctx, key)
	if err != nil || h.Status != model.HandlingAcknowledged || h.Owner != hostile || h.By != "local" || h.Seq != 1 ||
		h.Note != "Vendor case 4711\n<img src=x onerror=alert(1)>" {
		t.Fatalf("handling = %+v, %v", h, err)
	}
	_, page = b.do(http.MethodGet, "/items/contoso/shd/EX1", nil)
	for _, want := range []string{`<span class="hs h-acknowledged">Acknowledged</span>`, "&lt;script&gt;alert(&#34;owner&#34;)&lt;/script&gt;",
		"Vendor case 4711\n&lt;img src=x onerror=alert(1)&gt;", "Recorded as local", `value="reopen"`, "Acknowledged by local"} {
		if !strings.Contains(page, want) {
			t.Errorf("item page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Error("the item page shows what was typed unescaped")
	}
	evs, err := st.Events(ctx, store.EventQuery{Tenant: "contoso", ItemID: "EX1"})
	if err != nil || len(evs) != 2 || evs[1].Type != model.EventItemAcknowledged || evs[1].By != "local" || evs[1].Issue == nil {
		t.Fatalf("events = %+v, %v", evs, err)
	}
	dls, err := st.Deliveries(ctx, nil, 0)
	if err != nil || len(dls) != 1 || dls[0].Key != "contoso/shd/EX1/1/owners/log/act-1" || dls[0].Event.Type != model.EventItemAcknowledged {
		t.Errorf("deliveries = %+v, %v", dls, err)
	}
	// The other tenant's copy is untouched.
	if h, _ := st.Handling(ctx, model.ItemKey{Tenant: "fabrikam", Source: model.SourceSHD, ID: "EX1"}); h.Seq != 0 {
		t.Errorf("fabrikam's EX1 = %+v", h)
	}
	// The events API shows who did it.
	_, api := b.do(http.MethodGet, "/api/v1/events?tenant=contoso&item=EX1", nil)
	if !strings.Contains(api, `"type": "item.acknowledged"`) || !strings.Contains(api, `"by": "local"`) {
		t.Errorf("events API: %.400s", api)
	}
}

// routesNaming is one route that takes the named ownership events to a
// log channel.
func routesNaming(events ...string) []config.Route {
	return []config.Route{{Name: "everything", Channels: []string{"teams"}},
		{Name: "owners", Channels: []string{"log"}, Match: config.Match{Events: events}}}
}

// TestHandlingRefused: a form is refused with 403 and a reason, and
// nothing is stored, without the session cookie, without its token or
// with another's, from another site, or without the browser's Origin.
func TestHandlingRefused(t *testing.T) {
	st := ownFixture(t)
	ts := newServer(t, st, serve.Options{})
	b := newBrowser(t, ts.URL)
	f := with(b.form("/items/contoso/shd/EX1"), "action", "acknowledge")
	other := newBrowser(t, ts.URL)
	otherForm := other.form("/items/contoso/shd/EX1")
	noCookie := newBrowser(t, ts.URL)
	post := func(c *browser, v url.Values, hdr ...string) (*http.Response, string) {
		return c.do(http.MethodPost, "/handling", strings.NewReader(v.Encode()),
			append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
	}
	same := []string{"Origin", ts.URL, "Sec-Fetch-Site", "same-origin"}
	for _, tt := range []struct {
		name string
		send func() (*http.Response, string)
		want string
	}{
		{"no cookie", func() (*http.Response, string) { return post(noCookie, f, same...) }, "session cookie is missing"},
		{"no token", func() (*http.Response, string) { return post(b, with(f, "csrf", "\x00"), same...) }, "carries no token"},
		{"wrong token", func() (*http.Response, string) { return post(b, with(f, "csrf", "AAAA"), same...) }, "does not match"},
		{"another browser's token", func() (*http.Response, string) { return post(b, with(f, "csrf", otherForm.Get("csrf")), same...) }, "does not match"},
		{"another site", func() (*http.Response, string) {
			return post(b, f, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		}, "another site"},
		{"another origin", func() (*http.Response, string) { return post(b, f, "Origin", "http://evil.example:8080") }, "not from this server"},
		{"null origin", func() (*http.Response, string) { return post(b, f, "Origin", "null") }, "did not say which page"},
		{"no origin", func() (*http.Response, string) { return post(b, f) }, "no Origin header"},
		{"not a web origin", func() (*http.Response, string) { return post(b, f, "Origin", "file://") }, "not from a page of this server"},
		{"same site, other origin", func() (*http.Response, string) {
			return post(b, f, "Origin", ts.URL, "Sec-Fetch-Site", "same-site")
		}, "another site"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := tt.send()
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "this change was refused") || !strings.Contains(body, tt.want) {
				t.Errorf("POST = %d %q, want 403 saying %q", resp.StatusCode, body, tt.want)
			}
		})
	}
	if h, _ := st.Handling(context.Background(), model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"}); h.Seq != 0 {
		t.Errorf("a refused form changed the handling: %+v", h)
	}
	if evs, _ := st.Events(context.Background(), store.EventQuery{ItemID: "EX1"}); len(evs) != 2 {
		t.Errorf("a refused form stored an event: %d events", len(evs))
	}
	// The same form from a page that hides its origin is taken when the
	// browser vouches for it (Sec-Fetch-Site, which no page can set).
	if resp, body := post(b, f, "Origin", "null", "Sec-Fetch-Site", "same-origin"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the browser's own form = %d %s", resp.StatusCode, body)
	}
}

// TestHandlingAuth: with basic auth and a bearer token the form needs the
// credentials, records their user, and a token is good only for the user
// its page was made for.
func TestHandlingAuth(t *testing.T) {
	st := ownFixture(t)
	ts := newServer(t, st, serve.Options{Auth: serve.Auth{Token: secretToken, Username: "alice", Password: "pw-123"}})
	basic := "Basic " + basicAuth("alice", "pw-123")
	alice := newBrowser(t, ts.URL, "Authorization", basic)
	f := with(alice.form("/items/contoso/mc/MC1"), "action", "done", "note", "migrated")
	if resp, body := alice.post(f, "Authorization", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without credentials = %d %s", resp.StatusCode, body)
	}
	// The bearer token's user may not use alice's token.
	if resp, body := alice.post(f, "Authorization", "Bearer "+secretToken); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "another user") {
		t.Errorf("alice's form with the bearer token = %d %s", resp.StatusCode, body)
	}
	if resp, body := alice.post(f); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice's form = %d %s", resp.StatusCode, body)
	}
	h, _ := st.Handling(context.Background(), model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC1"})
	if h.By != "alice" || h.Status != model.HandlingDone || h.Note != "migrated" {
		t.Errorf("handling = %+v", h)
	}
	bearer := newBrowser(t, ts.URL, "Authorization", "Bearer "+secretToken)
	g := with(bearer.form("/items/contoso/shd/EX1"), "action", "assign", "owner", "bob")
	if resp, body := bearer.post(g); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the token's form = %d %s", resp.StatusCode, body)
	}
	h, _ = st.Handling(context.Background(), model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"})
	if h.By != "token" || h.Owner != "bob" || h.Status != model.HandlingOpen {
		t.Errorf("handling = %+v", h)
	}
}

// TestHandlingMistakes: a stale page gets 409, an action that changes
// nothing or cannot be taken 400, an unknown item 404; a back link to
// another site is not followed.
func TestHandlingMistakes(t *testing.T) {
	st := ownFixture(t)
	ts := newServer(t, st, serve.Options{})
	b := newBrowser(t, ts.URL)
	f := b.form("/items/contoso/shd/EX1")
	if resp, body := b.post(with(f, "action", "acknowledge", "back", "//evil.example/x")); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/items/contoso/shd/EX1#handling" {
		t.Fatalf("POST = %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	for _, tt := range []struct {
		name string
		v    url.Values
		code int
		want string
	}{
		{"stale page", with(f, "action", "done"), http.StatusConflict, "reload"},
		{"nothing changes", with(f, "seq", "1", "action", "acknowledge"), http.StatusBadRequest, "acknowledged already"},
		{"same owner", with(f, "seq", "1", "action", "assign", "owner", "local"), http.StatusBadRequest, `owner is "local" already`},
		{"assign without owner", with(f, "seq", "1", "action", "assign", "owner", "\x00"), http.StatusBadRequest, "assign needs an owner"},
		{"unknown action", with(f, "seq", "1", "action", "close"), http.StatusBadRequest, "unknown action"},
		{"long note", with(f, "seq", "1", "action", "done", "note", strings.Repeat("x", 2001)), http.StatusBadRequest, "longer than 2000"},
		{"no such item", with(f, "id", "EX404", "seq", "0", "action", "done"), http.StatusNotFound, "no such item"},
		{"a service", with(f, "source", "health", "id", "Exchange", "seq", "0", "action", "done"), http.StatusBadRequest, "only incidents"},
		{"no sequence", with(f, "seq", "\x00", "action", "done"), http.StatusBadRequest, "sequence"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.post(tt.v)
			if resp.StatusCode != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("POST = %d %q, want %d with %q", resp.StatusCode, body, tt.code, tt.want)
			}
		})
	}
	// Reopened, then done with a note: the history lists all three.
	if resp, body := b.post(with(f, "seq", "1", "action", "reopen")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reopen = %d %s", resp.StatusCode, body)
	}
	if resp, body := b.post(with(f, "seq", "2", "action", "not_applicable", "note", "no Exchange here")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("not applicable = %d %s", resp.StatusCode, body)
	}
	var types []string
	evs, _ := st.Events(context.Background(), store.EventQuery{Tenant: "contoso", ItemID: "EX1"})
	for _, e := range evs {
		types = append(types, string(e.Type))
	}
	if diff := cmp.Diff([]string{"issue.new", "item.acknowledged", "item.reopened", "item.not_applicable"}, types); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// TestHandlingCard: the dashboard's incident card acts for the tenant
// chosen, with that tenant's sequence, and its chips show each tenant's
// handling; the lists filter by handling and owner.
func TestHandlingCard(t *testing.T) {
	st := ownFixture(t)
	ts := newServer(t, st, serve.Options{Auth: serve.Auth{Username: "alice", Password: "pw-123"}})
	b := newBrowser(t, ts.URL, "Authorization", "Basic "+basicAuth("alice", "pw-123"))
	f := b.form("/")
	if f.Get("id") != "EX1" || f.Get("seq-contoso") != "0" || f.Get("seq-fabrikam") != "0" || f.Get("back") != "/#incident-EX1" {
		t.Fatalf("card form = %v", f)
	}
	if resp, body := b.post(with(f, "tenant", "fabrikam", "action", "acknowledge")); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/#incident-EX1" {
		t.Fatalf("card POST = %d %s", resp.StatusCode, body)
	}
	ctx := context.Background()
	if h, _ := st.Handling(ctx, model.ItemKey{Tenant: "fabrikam", Source: model.SourceSHD, ID: "EX1"}); h.Owner != "alice" || h.Status != model.HandlingAcknowledged {
		t.Errorf("fabrikam's EX1 = %+v", h)
	}
	if h, _ := st.Handling(ctx, model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX1"}); h.Seq != 0 {
		t.Errorf("contoso's EX1 = %+v", h)
	}
	_, page := b.do(http.MethodGet, "/", nil)
	if !strings.Contains(page, `<span class="hs h-acknowledged">Acknowledged (alice)</span>`) || !strings.Contains(page, `name="seq-fabrikam" value="1"`) {
		t.Errorf("the dashboard does not show fabrikam's acknowledgement")
	}
	_, page = b.do(http.MethodGet, "/?lang=ja", nil)
	if !strings.Contains(page, "確認済み (alice)") || !strings.Contains(page, "確認・担当者の設定") {
		t.Errorf("the Japanese dashboard lacks the handling")
	}
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/issues?handling=open&tab=all", []string{"/items/contoso/shd/EX1"}},
		{"/issues?handling=acknowledged&tab=all", []string{"/items/fabrikam/shd/EX1"}},
		{"/issues?handling=mine&tab=all", []string{"/items/fabrikam/shd/EX1"}},
		{"/api/v1/items?handling=mine", []string{`"tenant": "fabrikam"`}},
	} {
		_, body := b.do(http.MethodGet, tt.path, nil)
		links := regexp.MustCompile(`/items/[a-z]+/shd/EX1|"tenant": "[a-z]+"`).FindAllString(body, -1)
		if diff := cmp.Diff(tt.want, uniq(links)); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", tt.path, diff)
		}
	}
	if resp, _ := b.do(http.MethodGet, "/issues?handling=closed", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown handling filter = %d", resp.StatusCode)
	}
}

func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// TestHandlingAPI: the API reads an item's handling, lists it with the
// items, and takes actions with the bearer token only.
func TestHandlingAPI(t *testing.T) {
	st := ownFixture(t)
	ts := newServer(t, st, serve.Options{Auth: serve.Auth{Token: secretToken, Username: "alice", Password: "pw-123"}})
	bearer := newBrowser(t, ts.URL, "Authorization", "Bearer "+secretToken)
	alice := newBrowser(t, ts.URL, "Authorization", "Basic "+basicAuth("alice", "pw-123"))
	path := "/api/v1/items/contoso/shd/EX1/handling"
	json := func(s string) io.Reader { return strings.NewReader(s) }
	if resp, body := alice.do(http.MethodPost, path, json(`{"action":"acknowledge","seq":0}`)); resp.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "bearer token") {
		t.Errorf("basic auth POST = %d %s", resp.StatusCode, body)
	}
	resp, body := bearer.do(http.MethodPost, path, json(`{"action":"acknowledge","owner":"bob","note":"paged","seq":0}`))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"status": "acknowledged"`) || !strings.Contains(body, `"by": "token"`) ||
		!strings.Contains(body, `"seq": 1`) {
		t.Fatalf("bearer POST = %d %s", resp.StatusCode, body)
	}
	if resp, body := bearer.do(http.MethodPost, path, json(`{"action":"done","seq":0}`)); resp.StatusCode != http.StatusConflict {
		t.Errorf("stale POST = %d %s", resp.StatusCode, body)
	}
	if resp, body := bearer.do(http.MethodPost, path, json(`{"action":"done","seq":1,"extra":true}`)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field = %d %s", resp.StatusCode, body)
	}
	if _, body := alice.do(http.MethodGet, path, nil); !strings.Contains(body, `"owner": "bob"`) || !strings.Contains(body, `"note": "paged"`) {
		t.Errorf("GET handling = %s", body)
	}
	if _, body := alice.do(http.MethodGet, "/api/v1/items/contoso/shd/EX1", nil); !strings.Contains(body, `"handling": {`) {
		t.Errorf("GET item lacks its handling: %.300s", body)
	}
	if resp, _ := alice.do(http.MethodGet, "/api/v1/items/contoso/health/Exchange/handling", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a service's handling = %d", resp.StatusCode)
	}
	_, body = alice.do(http.MethodGet, "/feeds/atom?source=shd&tenant=contoso", nil)
	if !strings.Contains(body, "Acknowledged") || !strings.Contains(body, "bob") {
		t.Errorf("the feed lacks the handling: %.500s", body)
	}
}

func basicAuth(user, pass string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}
