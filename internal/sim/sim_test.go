package sim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	tTenant = "6f1e3c2a-0000-4000-8000-000000000001"
	tClient = "5d7c0000-0000-4000-8000-0000000000aa"
	tSecret = "demo-secret"
)

// wallClock is a settable wall clock for token expiry and throttling.
type wallClock struct {
	mu sync.Mutex
	t  time.Time
}

func (w *wallClock) now() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.t }
func (w *wallClock) add(d time.Duration) {
	w.mu.Lock()
	w.t = w.t.Add(d)
	w.mu.Unlock()
}

type fixture struct {
	s      *Server
	c      *http.Client
	wall   *wallClock
	clock  *SteppedClock
	tokens map[string]string
}

func start(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{wall: &wallClock{t: time.Now()}, tokens: map[string]string{}}
	if opts.WallClock == nil {
		opts.WallClock = f.wall.now
	}
	if opts.Clock == nil {
		f.clock = NewSteppedClock(time.Date(2023, 5, 14, 19, 45, 0, 0, time.UTC))
		opts.Clock = f.clock
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.AddTenant(Tenant{ID: tTenant, ClientID: tClient, ClientSecret: tSecret})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CACertPEM()) {
		t.Fatal("bad CA PEM")
	}
	f.s = s
	f.c = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return f
}

func (f *fixture) token(t *testing.T, tenant string) string {
	t.Helper()
	if tok := f.tokens[tenant]; tok != "" {
		return tok
	}
	st, body := f.postToken(t, tenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient},
		"client_secret": {tSecret}, "scope": {f.s.URL() + "/.default"}})
	if st != 200 {
		t.Fatalf("token: %d %s", st, body)
	}
	var r struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	f.tokens[tenant] = r.AccessToken
	return r.AccessToken
}

func (f *fixture) postToken(t *testing.T, tenant string, form url.Values) (int, []byte) {
	t.Helper()
	resp, err := f.c.PostForm(f.s.URL()+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// get requests a Graph path (or absolute URL) with the tenant's token.
func (f *fixture) get(t *testing.T, tenant, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = f.s.URL() + path
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if tenant != "" {
		req.Header.Set("Authorization", "Bearer "+f.token(t, tenant))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

type listPage struct {
	Context string            `json:"@odata.context"`
	Next    string            `json:"@odata.nextLink"`
	Value   []json.RawMessage `json:"value"`
}

type graphErr struct {
	Error struct {
		Code       string            `json:"code"`
		Message    string            `json:"message"`
		InnerError map[string]string `json:"innerError"`
	} `json:"error"`
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T: %v in %s", v, err, b)
	}
	return v
}

// listAll follows nextLink verbatim and returns the ids and page count.
func (f *fixture) listAll(t *testing.T, tenant, path string, hdr ...string) ([]string, int) {
	t.Helper()
	var ids []string
	pages := 0
	for next := path; next != "" && pages < 100; pages++ {
		resp, b := f.get(t, tenant, next, hdr...)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", next, resp.StatusCode, b)
		}
		p := decode[listPage](t, b)
		for _, v := range p.Value {
			ids = append(ids, decode[struct{ ID string }](t, v).ID)
		}
		next = p.Next
		if next != "" && !strings.HasPrefix(next, f.s.URL()) {
			t.Fatalf("nextLink %q does not point at the simulator", next)
		}
	}
	return ids, pages
}

func TestTokenEndpoint(t *testing.T) {
	f := start(t, Options{TokenLifetime: 90 * time.Minute})
	scope := f.s.URL() + "/.default openid offline_access profile"
	tests := []struct {
		name     string
		tenant   string
		form     url.Values
		status   int
		errCode  string
		aadsts   int
		contains string
	}{
		{"secret", tTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient}, "client_secret": {tSecret}, "scope": {scope}}, 200, "", 0, ""},
		{"graph scope", tTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient}, "client_secret": {tSecret}, "scope": {"https://graph.microsoft.com/.default"}}, 200, "", 0, ""},
		{"bad secret", tTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient}, "client_secret": {"nope"}, "scope": {scope}}, 401, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided."},
		{"unknown tenant", "contoso.onmicrosoft.com", url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient}, "client_secret": {tSecret}, "scope": {scope}}, 400, "invalid_request", 90002, "AADSTS90002: Tenant 'contoso.onmicrosoft.com' not found."},
		{"unknown client", tTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {"11111111-1111-1111-1111-111111111111"}, "client_secret": {tSecret}, "scope": {scope}}, 400, "unauthorized_client", 700016, "AADSTS700016"},
		{"scope without .default", tTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient}, "client_secret": {tSecret}, "scope": {"https://graph.microsoft.com/ServiceHealth.Read.All"}}, 400, "invalid_scope", 1002012, ""},
		{"foreign resource", tTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient}, "client_secret": {tSecret}, "scope": {"https://vault.azure.net/.default"}}, 400, "invalid_scope", 500011, ""},
		{"no grant", tTenant, url.Values{"client_id": {tClient}, "client_secret": {tSecret}, "scope": {scope}}, 400, "invalid_request", 900144, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := f.postToken(t, tt.tenant, tt.form)
			if st != tt.status {
				t.Fatalf("status %d, want %d: %s", st, tt.status, body)
			}
			if tt.status == 200 {
				r := decode[map[string]any](t, body)
				if r["token_type"] != "Bearer" || r["expires_in"] != float64(5400) || r["ext_expires_in"] != float64(5400) || r["access_token"] == "" {
					t.Errorf("token response %s", body)
				}
				return
			}
			r := decode[struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
				Codes       []int  `json:"error_codes"`
				Timestamp   string `json:"timestamp"`
				TraceID     string `json:"trace_id"`
				Correlation string `json:"correlation_id"`
			}](t, body)
			if r.Error != tt.errCode || len(r.Codes) != 1 || r.Codes[0] != tt.aadsts || r.TraceID == "" || r.Correlation == "" || r.Timestamp == "" {
				t.Errorf("error body %s", body)
			}
			if !strings.HasPrefix(r.Description, fmt.Sprintf("AADSTS%d: ", tt.aadsts)) || !strings.Contains(r.Description, tt.contains) {
				t.Errorf("description %q", r.Description)
			}
			if strings.Contains(string(body), tSecret) || strings.Contains(string(body), "nope") {
				t.Errorf("secret echoed: %s", body)
			}
		})
	}
	t.Run("openid configuration", func(t *testing.T) {
		resp, b := f.get(t, "", "/"+tTenant+"/v2.0/.well-known/openid-configuration")
		cfg := decode[map[string]any](t, b)
		if resp.StatusCode != 200 || cfg["issuer"] != f.s.URL()+"/"+tTenant+"/v2.0" ||
			cfg["token_endpoint"] != f.s.URL()+"/"+tTenant+"/oauth2/v2.0/token" || cfg["authorization_endpoint"] == "" || cfg["jwks_uri"] == "" {
			t.Errorf("openid config %d %s", resp.StatusCode, b)
		}
		resp, b = f.get(t, "", "/unknown-tenant/v2.0/.well-known/openid-configuration")
		if resp.StatusCode != 400 || !strings.Contains(string(b), "AADSTS90002") {
			t.Errorf("unknown tenant metadata %d %s", resp.StatusCode, b)
		}
	})
}

func TestGraphAuth(t *testing.T) {
	f := start(t, Options{TokenLifetime: 10 * time.Minute})
	const p = "/v1.0/admin/serviceAnnouncement/issues"
	resp, b := f.get(t, tTenant, p)
	if resp.StatusCode != 200 {
		t.Fatalf("with token: %d %s", resp.StatusCode, b)
	}
	if resp.Header.Get("request-id") == "" || resp.Header.Get("client-request-id") == "" {
		t.Error("request-id headers missing")
	}
	tests := []struct {
		name    string
		auth    string
		advance time.Duration
		msg     string
	}{
		{"missing", "", 0, "Access token is empty."},
		{"unknown", "Bearer abc", 0, "IDX14100"},
		{"expired", "Bearer " + f.token(t, tTenant), 11 * time.Minute, "Lifetime validation failed, the token is expired."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.wall.add(tt.advance)
			req, _ := http.NewRequest(http.MethodGet, f.s.URL()+p, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			req.Header.Set("client-request-id", "my-crid")
			resp, err := f.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			e := decode[graphErr](t, b)
			if resp.StatusCode != 401 || e.Error.Code != "InvalidAuthenticationToken" || !strings.Contains(e.Error.Message, tt.msg) {
				t.Errorf("got %d %s", resp.StatusCode, b)
			}
			if e.Error.InnerError["client-request-id"] != "my-crid" || resp.Header.Get("client-request-id") != "my-crid" ||
				e.Error.InnerError["request-id"] != resp.Header.Get("request-id") {
				t.Errorf("ids: %v / %v", e.Error.InnerError, resp.Header)
			}
			if _, err := time.Parse("2006-01-02T15:04:05", e.Error.InnerError["date"]); err != nil {
				t.Errorf("innerError.date: %v", err)
			}
		})
	}
}

func TestPagingAndFilter(t *testing.T) {
	f := start(t, Options{})
	sc := GenerateScenario(f.clock.Now(), 250, 30)
	if err := f.s.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	const p = "/v1.0/admin/serviceAnnouncement/issues"
	tests := []struct {
		name      string
		path      string
		prefer    string
		wantN     int
		wantPages int
	}{
		{"default 100", p, "", 250, 3},
		{"prefer 40", p, "odata.maxpagesize=40", 250, 7},
		{"prefer 1000", p, "odata.maxpagesize=1000", 250, 1},
		{"prefer above max", p, "odata.maxpagesize=5000", 250, 1},
		{"top 60", p + "?$top=60", "", 250, 5},
		{"filter ge keeps filter across pages", p + "?$filter=" + url.QueryEscape("lastModifiedDateTime ge 2023-05-14T19:45:00.5Z"), "odata.maxpagesize=50", countFrom(sc, 0.5), 0},
		{"filter gt and id", p + "?$filter=" + url.QueryEscape("lastModifiedDateTime gt 2023-05-14T00:00:00Z and id eq 'GN000007'"), "", 1, 1},
		{"messages", "/v1.0/admin/serviceAnnouncement/messages", "odata.maxpagesize=10", 30, 3},
		{"filter in the future", p + "?$filter=" + url.QueryEscape("lastModifiedDateTime ge 2030-01-01T00:00:00Z"), "", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.prefer != "" {
				hdr = []string{"Prefer", tt.prefer}
			}
			ids, pages := f.listAll(t, tTenant, tt.path, hdr...)
			if tt.wantPages == 0 {
				tt.wantPages = (tt.wantN + 49) / 50
			}
			if len(ids) != tt.wantN || pages != tt.wantPages {
				t.Errorf("got %d items in %d pages, want %d in %d", len(ids), pages, tt.wantN, tt.wantPages)
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("duplicate %s", id)
				}
				seen[id] = true
			}
		})
	}
	t.Run("nextLink form and Preference-Applied", func(t *testing.T) {
		q := "?$filter=" + url.QueryEscape("lastModifiedDateTime ge 2023-01-01T00:00:00Z")
		resp, b := f.get(t, tTenant, p+q, "Prefer", "odata.maxpagesize=20")
		pg := decode[listPage](t, b)
		if resp.Header.Get("Preference-Applied") != "odata.maxpagesize=20" {
			t.Errorf("Preference-Applied %q", resp.Header.Get("Preference-Applied"))
		}
		if want := f.s.URL() + p + q + "&$skip=20"; pg.Next != want {
			t.Errorf("nextLink %q, want %q", pg.Next, want)
		}
		if pg.Context != f.s.URL()+"/v1.0/$metadata#admin/serviceAnnouncement/issues" {
			t.Errorf("context %q", pg.Context)
		}
		var prev time.Time
		for i, v := range pg.Value {
			lm := decode[struct{ LastModifiedDateTime time.Time }](t, v).LastModifiedDateTime
			if i > 0 && lm.After(prev) {
				t.Errorf("not sorted by lastModifiedDateTime desc")
			}
			prev = lm
		}
	})
	t.Run("invalid filters", func(t *testing.T) {
		for _, flt := range []string{"status eq 'investigating'", "tags/any(t:t eq 'x')", "lastModifiedDateTime ge yesterday", "id eq MC1"} {
			resp, b := f.get(t, tTenant, p+"?$filter="+url.QueryEscape(flt))
			e := decode[graphErr](t, b)
			if resp.StatusCode != 400 || e.Error.Code != "BadRequest" || !strings.HasPrefix(e.Error.Message, "Invalid filter clause") {
				t.Errorf("%s: %d %s", flt, resp.StatusCode, b)
			}
		}
	})
}

func TestThrottling(t *testing.T) {
	f := start(t, Options{Throttle: ThrottleLimits{Short: 5, ShortWindow: 10 * time.Second, Long: 8, LongWindow: time.Minute}})
	const p = "/v1.0/admin/serviceAnnouncement/healthOverviews"
	codes := func(n int) (ok, throttled int, retry []float64) {
		for i := 0; i < n; i++ {
			resp, b := f.get(t, tTenant, p)
			switch resp.StatusCode {
			case 200:
				ok++
			case 429:
				throttled++
				e := decode[graphErr](t, b)
				if e.Error.Code != "TooManyRequests" || e.Error.InnerError["code"] != "429" {
					t.Errorf("429 body %s", b)
				}
				v, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64)
				if err != nil {
					t.Errorf("Retry-After %q: %v", resp.Header.Get("Retry-After"), err)
				}
				retry = append(retry, v)
			default:
				t.Fatalf("status %d", resp.StatusCode)
			}
			f.wall.add(100 * time.Millisecond)
		}
		return
	}
	ok, th, retry := codes(7)
	if ok != 5 || th != 2 {
		t.Fatalf("short window: %d ok %d throttled, want 5 and 2", ok, th)
	}
	if retry[0] <= 9 || retry[0] > 10 {
		t.Errorf("Retry-After %v, want about 9.5 s", retry[0])
	}
	f.wall.add(10 * time.Second)
	ok, th, retry = codes(5)
	if ok != 3 || th != 2 {
		t.Fatalf("long window: %d ok %d throttled, want 3 and 2", ok, th)
	}
	if retry[0] < 40 || retry[0] != float64(int(retry[0])) {
		t.Errorf("long Retry-After %v, want whole seconds near 50", retry[0])
	}
	c := f.s.Counters().Tenants[tTenant]
	if c.Throttled != 4 || c.Requests != 13 || c.Tokens != 1 {
		t.Errorf("counters %+v", c)
	}
	f.wall.add(time.Minute)
	if ok, _, _ := codes(1); ok != 1 {
		t.Error("not released after the window")
	}
}

func TestFaults(t *testing.T) {
	const p = "/v1.0/admin/serviceAnnouncement/issues"
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, f *fixture)
	}{
		{"503 with Retry-After", Fault{PathPrefix: p, Kind: FaultStatus, Status: 503, RetryAfter: "2.128", Count: 1}, func(t *testing.T, f *fixture) {
			resp, b := f.get(t, tTenant, p)
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2.128" || decode[graphErr](t, b).Error.Code != "ServiceUnavailable" {
				t.Errorf("%d %v %s", resp.StatusCode, resp.Header, b)
			}
			if resp, _ := f.get(t, tTenant, p); resp.StatusCode != 200 {
				t.Errorf("Count 1 hit twice: %d", resp.StatusCode)
			}
		}},
		{"403 after 1", Fault{Tenant: tTenant, Kind: FaultStatus, PathPrefix: "graph", Status: 403, After: 1, Count: 2}, func(t *testing.T, f *fixture) {
			var got []int
			for i := 0; i < 4; i++ {
				resp, _ := f.get(t, tTenant, p)
				got = append(got, resp.StatusCode)
			}
			if fmt.Sprint(got) != "[200 403 403 200]" {
				t.Errorf("statuses %v", got)
			}
		}},
		{"other tenant unaffected", Fault{Tenant: "someone-else", Kind: FaultStatus, Status: 500}, func(t *testing.T, f *fixture) {
			if resp, _ := f.get(t, tTenant, p); resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
		}},
		{"html 200", Fault{PathPrefix: p, Kind: FaultHTML, Status: 200}, func(t *testing.T, f *fixture) {
			resp, b := f.get(t, tTenant, p)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "<html>") {
				t.Errorf("%d %s", resp.StatusCode, b)
			}
		}},
		{"malformed", Fault{PathPrefix: p, Kind: FaultMalformed}, func(t *testing.T, f *fixture) {
			resp, b := f.get(t, tTenant, p)
			var v any
			if resp.StatusCode != 200 || json.Unmarshal(b, &v) == nil || len(b) == 0 {
				t.Errorf("%d body parses or is empty: %s", resp.StatusCode, b)
			}
		}},
		{"slow", Fault{PathPrefix: p, Kind: FaultSlow, Delay: 300 * time.Millisecond}, func(t *testing.T, f *fixture) {
			t0 := time.Now()
			resp, b := f.get(t, tTenant, p)
			if el := time.Since(t0); el < 250*time.Millisecond {
				t.Errorf("took %v", el)
			}
			if resp.StatusCode != 200 || json.Unmarshal(b, new(listPage)) != nil {
				t.Errorf("%d %s", resp.StatusCode, b)
			}
		}},
		{"timeout", Fault{PathPrefix: p, Kind: FaultTimeout}, func(t *testing.T, f *fixture) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.s.URL()+p, nil)
			req.Header.Set("Authorization", "Bearer "+f.token(t, tTenant))
			resp, err := f.c.Do(req)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				t.Errorf("want a deadline error, got HTTP %d %s (context: %v)", resp.StatusCode, b, ctx.Err())
			} else if ctx.Err() == nil {
				t.Errorf("want a deadline error, got %v", err)
			}
		}},
		{"timeout with delay gives 504", Fault{PathPrefix: p, Kind: FaultTimeout, Delay: 50 * time.Millisecond}, func(t *testing.T, f *fixture) {
			if resp, _ := f.get(t, tTenant, p); resp.StatusCode != 504 {
				t.Errorf("status %d", resp.StatusCode)
			}
		}},
		{"reset", Fault{PathPrefix: p, Kind: FaultReset}, func(t *testing.T, f *fixture) {
			req, _ := http.NewRequest(http.MethodGet, f.s.URL()+p, nil)
			req.Header.Set("Authorization", "Bearer "+f.token(t, tTenant))
			if resp, err := f.c.Do(req); err == nil {
				resp.Body.Close()
				t.Errorf("want a connection error, got %d", resp.StatusCode)
			}
		}},
		{"token 500", Fault{PathPrefix: "token", Kind: FaultStatus, Status: 500}, func(t *testing.T, f *fixture) {
			st, b := f.postToken(t, tTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient}, "client_secret": {tSecret}, "scope": {f.s.URL() + "/.default"}})
			if st != 500 || !strings.Contains(string(b), `"error":"server_error"`) || !strings.Contains(string(b), "AADSTS50000") {
				t.Errorf("%d %s", st, b)
			}
		}},
		{"token 503 tenant path", Fault{PathPrefix: "/{tenant}/oauth2", Kind: FaultStatus, Status: 503, RetryAfter: "3"}, func(t *testing.T, f *fixture) {
			st, b := f.postToken(t, tTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {tClient}, "client_secret": {tSecret}, "scope": {f.s.URL() + "/.default"}})
			if st != 503 || !strings.Contains(string(b), "temporarily_unavailable") {
				t.Errorf("%d %s", st, b)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, Options{})
			f.token(t, tTenant) // before the fault, so token faults don't hit it
			f.s.SetFaults([]Fault{tt.fault})
			tt.check(t, f)
			var recs []RequestRecord
			hit := false
			for i := 0; i < 100 && !hit; i++ { // a hanging handler records when it returns
				recs = f.s.Requests()
				for _, r := range recs {
					hit = hit || r.Fault == string(tt.fault.Kind)
				}
				if !hit {
					time.Sleep(20 * time.Millisecond)
				}
			}
			if !hit && tt.fault.Tenant != "someone-else" {
				t.Errorf("no request recorded with fault %s: %+v", tt.fault.Kind, recs)
			}
		})
	}
}

func TestRequestsRecordInFlight(t *testing.T) {
	f := start(t, Options{})
	f.s.SetFaults([]Fault{{PathPrefix: "graph", Kind: FaultSlow, Delay: 200 * time.Millisecond}})
	tok := f.token(t, tTenant)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, f.s.URL()+"/v1.0/admin/serviceAnnouncement/messages", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if resp, err := f.c.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	maxIn := 0
	for _, r := range f.s.Requests() {
		if r.Method == "GET" {
			maxIn = max(maxIn, r.InFlight)
			if r.Tenant != tTenant || r.Client != tClient || r.Status != 200 || r.Bytes == 0 {
				t.Errorf("record %+v", r)
			}
		}
	}
	if maxIn < 2 {
		t.Errorf("max in-flight %d, want >= 2", maxIn)
	}
}

// countFrom counts the generated issues whose offset within the step is at
// least sec seconds.
func countFrom(sc *Scenario, sec float64) int {
	n := 0
	for k := range sc.Steps[0].issues {
		if itemOffset(k).Seconds() >= sec {
			n++
		}
	}
	return n
}

func decodeBody(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}

// TestSelect: $select trims each item to the named properties and names
// them in the context URL; an unknown property is a 400, as in Graph.
func TestSelect(t *testing.T) {
	f := start(t, Options{})
	sc := GenerateScenario(f.clock.Now(), 3, 3)
	sc.Tenants = nil
	if err := f.s.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	resp, b := f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/messages?$select=id,lastModifiedDateTime")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	p := decode[listPage](t, b)
	if !strings.HasSuffix(p.Context, "messages(id,lastModifiedDateTime)") || len(p.Value) != 3 {
		t.Fatalf("context %q, %d items", p.Context, len(p.Value))
	}
	for _, v := range p.Value {
		m := decode[map[string]any](t, v)
		if len(m) != 2 || m["id"] == nil || m["lastModifiedDateTime"] == nil {
			t.Errorf("selected item %s", v)
		}
	}
	resp, b = f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/issues?$select=id,nonsense")
	e := decode[graphErr](t, b)
	if resp.StatusCode != 400 || !strings.Contains(e.Error.Message, "'nonsense'") {
		t.Errorf("unknown property: %d %s", resp.StatusCode, b)
	}
}
