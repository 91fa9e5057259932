package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
)

const base = "/v1.0/admin/serviceAnnouncement/"

func ids[T any](items []T, id func(T) string) []string {
	var out []string
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func issueID(i model.Issue) string { return i.ID }

func TestPagingFollowsNextLinkVerbatim(t *testing.T) {
	rec := &recorder{}
	var root string
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		switch r.URL.RawQuery {
		case "":
			fmt.Fprint(w, page(root+base+"issues?$skiptoken=a%2Fb%3D%3D&x=1", "EX1", "EX2"))
		case "$skiptoken=a%2Fb%3D%3D&x=1":
			fmt.Fprint(w, page(root+base+"issues?$skip=200", "EX3"))
		case "$skip=200":
			fmt.Fprint(w, page("", "EX4"))
		default:
			http.Error(w, "unexpected query "+r.URL.RawQuery, 400)
		}
	}))
	root = srv.URL
	budget := NewBudget(nil)
	c, _ := testClient(t, srv, ca, func(c *Config) { c.Budget = budget })
	got, err := c.Issues(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"EX1", "EX2", "EX3", "EX4"}, ids(got, issueID)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if rec.n() != 3 {
		t.Fatalf("requests = %d, want 3", rec.n())
	}
	for i := range 3 {
		r := rec.get(i)
		if r.URL.Path != base+"issues" {
			t.Errorf("request %d path %q", i, r.URL.Path)
		}
		if p := r.Header.Get("Prefer"); p != "odata.maxpagesize=1000" {
			t.Errorf("request %d Prefer = %q", i, p)
		}
		if a := r.Header.Get("Authorization"); !strings.HasPrefix(a, "Bearer tok-") {
			t.Errorf("request %d Authorization = %q", i, a)
		}
	}
	if _, perHour := budget.Used(); perHour != 3 {
		t.Errorf("budget used %d, want 3", perHour)
	}
	st := c.Stats()
	if st.Requests != 3 || st.ByStatus[200] != 3 || st.BytesRead == 0 || st.Retries != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestListRequests(t *testing.T) {
	rec := &recorder{}
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		switch {
		case strings.HasSuffix(r.URL.Path, "/attachments"):
			fmt.Fprint(w, `{"value":[{"id":"a1","name":"n","contentType":"text/csv","size":3}]}`)
		case strings.HasSuffix(r.URL.Path, "/healthOverviews"):
			fmt.Fprint(w, `{"value":[{"id":"Exchange","service":"Exchange Online","status":"serviceOperational"}]}`)
		case strings.HasSuffix(r.URL.Path, "/incidentReport"):
			w.Header().Set("Content-Type", "application/pdf")
			fmt.Fprint(w, "%PDF-1.7 report")
		default:
			fmt.Fprint(w, `{"value":[]}`)
		}
	}))
	c, _ := testClient(t, srv, ca, func(c *Config) { c.PageSize = 50 })
	ctx := context.Background()
	since := time.Date(2025, 1, 25, 9, 30, 15, 987654321, time.FixedZone("JST", 9*3600))
	tests := []struct {
		name       string
		call       func() error
		wantPath   string
		wantFilter string
		wantPrefer string
	}{
		{"issues full", func() error { _, err := c.Issues(ctx, time.Time{}); return err }, base + "issues", "", "odata.maxpagesize=50"},
		{"issues since", func() error { _, err := c.Issues(ctx, since); return err }, base + "issues", "lastModifiedDateTime ge 2025-01-25T00:30:15Z", "odata.maxpagesize=50"},
		{"messages since", func() error { _, err := c.Messages(ctx, since); return err }, base + "messages", "lastModifiedDateTime ge 2025-01-25T00:30:15Z", "odata.maxpagesize=50"},
		{"health", func() error {
			h, err := c.HealthOverviews(ctx)
			if err == nil && (len(h) != 1 || h[0].Status != model.StatusServiceOperational) {
				err = fmt.Errorf("got %+v", h)
			}
			return err
		}, base + "healthOverviews", "", "odata.maxpagesize=50"},
		{"attachments", func() error {
			a, err := c.Attachments(ctx, "MC 1/2")
			if err == nil && (len(a) != 1 || a[0].Size != 3) {
				err = fmt.Errorf("got %+v", a)
			}
			return err
		}, base + "messages/MC 1/2/attachments", "", "odata.maxpagesize=50"},
		{"incident report", func() error {
			b, ct, err := c.IncidentReport(ctx, "EX559755")
			if err == nil && (string(b) != "%PDF-1.7 report" || ct != "application/pdf") {
				err = fmt.Errorf("got %q %q", b, ct)
			}
			return err
		}, base + "issues/EX559755/incidentReport", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rec.n()
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if rec.n() != before+1 {
				t.Fatalf("requests %d, want 1", rec.n()-before)
			}
			r := rec.get(before)
			if r.URL.Path != tt.wantPath {
				t.Errorf("path %q, want %q", r.URL.Path, tt.wantPath)
			}
			if f := r.URL.Query().Get("$filter"); f != tt.wantFilter {
				t.Errorf("$filter %q, want %q", f, tt.wantFilter)
			}
			if tt.wantFilter != "" && !strings.HasPrefix(r.URL.RawQuery, "$filter=lastModifiedDateTime%20ge%20") {
				t.Errorf("raw query %q", r.URL.RawQuery)
			}
			if p := r.Header.Get("Prefer"); p != tt.wantPrefer {
				t.Errorf("Prefer %q, want %q", p, tt.wantPrefer)
			}
		})
	}
}

func TestNextLinkToOtherHostRefused(t *testing.T) {
	var evilHits atomic.Int64
	evil, _ := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		fmt.Fprint(w, page("", "EVIL"))
	}))
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, page(evil.URL+base+"issues?$skip=100", "EX1"))
	}))
	c, _ := testClient(t, srv, ca, nil)
	got, err := c.Issues(context.Background(), time.Time{})
	if err == nil || !strings.Contains(err.Error(), "refuse @odata.nextLink") || got != nil {
		t.Fatalf("got %v, %v; want refusal and no items", got, err)
	}
	if evilHits.Load() != 0 {
		t.Error("the other host was contacted")
	}
}

func TestNextLinkLoopRefused(t *testing.T) {
	var root string
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, page(root+base+"issues?$skip=100", "EX1"))
	}))
	root = srv.URL
	c, _ := testClient(t, srv, ca, nil)
	if _, err := c.Issues(context.Background(), time.Time{}); err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Fatalf("err = %v, want a loop error", err)
	}
}

// seq serves the given responses in turn, then the last one forever.
type resp struct {
	status int
	header map[string]string
	body   string
}

func seqServer(t *testing.T, rs ...resp) (*recorder, http.Handler) {
	rec := &recorder{}
	return rec, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := rec.add(r)
		x := rs[min(n, len(rs))-1]
		for k, v := range x.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(x.status)
		fmt.Fprint(w, x.body)
	})
}

const throttleBody = `{"error":{"code":"TooManyRequests","innerError":{"code":"429","date":"2020-08-18T12:51:51","request-id":"r-1"},"message":"Please retry again later."}}`

func TestRetries(t *testing.T) {
	ok := resp{200, nil, page("", "EX1")}
	fixed := time.Date(2025, 3, 1, 12, 0, 0, 950_000_000, time.UTC) // 50 ms before the next whole second
	tests := []struct {
		name          string
		rs            []resp
		mod           func(*Config)
		wantErr       string // "" = success
		wantRequests  int
		wantThrottled int64
		minGap        time.Duration // between the first two requests
		maxGap        time.Duration
	}{
		{name: "429 fractional Retry-After", rs: []resp{{429, map[string]string{"Retry-After": "0.05"}, throttleBody}, ok},
			wantRequests: 2, wantThrottled: 1, minGap: 50 * time.Millisecond, maxGap: 2 * time.Second},
		{name: "429 HTTP-date Retry-After", rs: []resp{{429, map[string]string{"Retry-After": "Sat, 01 Mar 2025 12:00:01 GMT"}, throttleBody}, ok},
			mod: func(c *Config) { c.Now = func() time.Time { return fixed } }, wantRequests: 2, wantThrottled: 1, minGap: 50 * time.Millisecond, maxGap: 900 * time.Millisecond},
		{name: "503 without Retry-After backs off", rs: []resp{{503, nil, "Service Unavailable"}, ok}, wantRequests: 2, wantThrottled: 1},
		{name: "503 with Retry-After", rs: []resp{{503, map[string]string{"Retry-After": "0.03"}, ""}, ok}, wantRequests: 2, wantThrottled: 1, minGap: 30 * time.Millisecond},
		{name: "500 502 504 back off", rs: []resp{{500, nil, `{"error":{"code":"InternalServerError","message":"x"}}`}, {502, nil, "<html>bad gateway</html>"}, {504, nil, ""}, ok}, wantRequests: 4},
		{name: "500 backoff waits", rs: []resp{{500, nil, ""}, ok}, mod: func(c *Config) { c.BackoffBase, c.BackoffCap = 40*time.Millisecond, 40*time.Millisecond },
			wantRequests: 2, maxGap: time.Second},
		{name: "persistent 500 gives up", rs: []resp{{500, nil, `{"error":{"code":"InternalServerError","message":"boom"}}`}}, wantErr: "giving up after 5 attempts", wantRequests: 5},
		{name: "max retries 1", rs: []resp{{502, nil, ""}}, mod: func(c *Config) { c.MaxRetries = 1 }, wantErr: "giving up after 2 attempts", wantRequests: 2},
		{name: "no retries", rs: []resp{{502, nil, ""}}, mod: func(c *Config) { c.MaxRetries = -1 }, wantErr: "giving up after 1 attempts", wantRequests: 1},
		{name: "403 not retried", rs: []resp{{403, nil, `{"error":{"code":"Forbidden","message":"Missing role"}}`}, ok}, wantErr: "HTTP 403 Forbidden: Missing role", wantRequests: 1},
		{name: "404 not retried", rs: []resp{{404, nil, `{"error":{"code":"NotFound","message":"no"}}`}, ok}, wantErr: "HTTP 404", wantRequests: 1},
		{name: "400 not retried", rs: []resp{{400, nil, `{"error":{"code":"BadRequest","message":"bad filter"}}`}, ok}, wantErr: "bad filter", wantRequests: 1},
		{name: "Retry-After beyond the limit returned", rs: []resp{{429, map[string]string{"Retry-After": "3600"}, throttleBody}, ok},
			wantErr: "retry after 1h0m0s", wantRequests: 1, wantThrottled: 1},
		{name: "malformed 200 retried", rs: []resp{{200, nil, `{"value":[{"id":"EX1"`}, ok}, wantRequests: 2},
		{name: "body too large", rs: []resp{{200, nil, page("", "EX1", "EX2", "EX3")}}, mod: func(c *Config) { c.MaxBodyBytes = 100 },
			wantErr: "response body too large: more than 100 bytes", wantRequests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, h := seqServer(t, tt.rs...)
			srv, ca := tlsServer(t, h)
			c, _ := testClient(t, srv, ca, tt.mod)
			got, err := c.Issues(context.Background(), time.Time{})
			if tt.wantErr == "" {
				if err != nil || len(got) != 1 {
					t.Fatalf("got %v, %v; want one item", got, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
				t.Fatalf("got %v, err %v; want error containing %q", got, err, tt.wantErr)
			}
			if rec.n() != tt.wantRequests {
				t.Errorf("requests = %d, want %d", rec.n(), tt.wantRequests)
			}
			if _, perHour := c.budget.Used(); perHour != tt.wantRequests {
				t.Errorf("budget used %d, want %d", perHour, tt.wantRequests)
			}
			st := c.Stats()
			if st.Throttled != tt.wantThrottled || st.Requests != int64(tt.wantRequests) || st.Retries != int64(tt.wantRequests-1) {
				t.Errorf("stats = %+v", st)
			}
			if rec.n() >= 2 {
				gap := rec.at[1].Sub(rec.at[0])
				if gap < tt.minGap || (tt.maxGap > 0 && gap > tt.maxGap) {
					t.Errorf("gap between attempts %v, want in [%v, %v]", gap, tt.minGap, tt.maxGap)
				}
			}
		})
	}
}

func TestRetryableErrorsAreTyped(t *testing.T) {
	_, h := seqServer(t, resp{429, map[string]string{"Retry-After": "7200"}, throttleBody})
	srv, ca := tlsServer(t, h)
	c, _ := testClient(t, srv, ca, nil)
	_, err := c.Messages(context.Background(), time.Time{})
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err %v is not an *APIError", err)
	}
	want := &APIError{Status: 429, Code: "TooManyRequests", Message: "Please retry again later.", RequestID: "r-1", RetryAfter: 2 * time.Hour}
	if diff := cmp.Diff(want, apiErr); diff != "" || !apiErr.Retryable() {
		t.Errorf("APIError (-want +got):\n%s", diff)
	}
	var authErr *AuthError
	if errors.As(err, &authErr) {
		t.Error("a Graph error passes as an auth error")
	}
}

func TestMalformedPageMidPaging(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("persistent=%v", persistent), func(t *testing.T) {
			var root string
			var page2 atomic.Int64
			srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.RawQuery {
				case "":
					fmt.Fprint(w, page(root+base+"messages?$skip=2", "MC1", "MC2"))
				case "$skip=2":
					if n := page2.Add(1); persistent || n == 1 {
						fmt.Fprint(w, `{"value":[{"id":"MC3","title":"cut off`)
						return
					}
					fmt.Fprint(w, page(root+base+"messages?$skip=4", "MC3"))
				case "$skip=4":
					fmt.Fprint(w, page("", "MC4"))
				}
			}))
			root = srv.URL
			c, _ := testClient(t, srv, ca, nil)
			got, err := c.Messages(context.Background(), time.Time{})
			if persistent {
				if err == nil || got != nil {
					t.Fatalf("got %d items, err %v; want an error and no items", len(got), err)
				}
				for _, want := range []string{"list messages: page 2", "malformed response", "unexpected end of JSON input", "giving up after 5 attempts"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				if page2.Load() != 5 {
					t.Errorf("page 2 fetched %d times, want 5", page2.Load())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"MC1", "MC2", "MC3", "MC4"}, ids(got, func(m model.Message) string { return m.ID })); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	var n atomic.Int64
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		fmt.Fprint(w, page("", "EX1"))
	}))
	c, _ := testClient(t, srv, ca, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	got, err := c.Issues(context.Background(), time.Time{})
	if err != nil || len(got) != 1 || n.Load() != 2 {
		t.Fatalf("got %v, %v after %d requests", got, err, n.Load())
	}
}

func TestUnauthorizedRefreshesTokenOnce(t *testing.T) {
	tests := []struct {
		name         string
		goodToken    string
		wantErr      bool
		wantRequests int
	}{
		{"second token accepted", "Bearer tok-2", false, 2},
		{"second token rejected too", "Bearer none", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec.add(r)
				if r.Header.Get("Authorization") != tt.goodToken {
					w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
					w.WriteHeader(401)
					fmt.Fprint(w, `{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}}`)
					return
				}
				fmt.Fprint(w, page("", "EX1"))
			}))
			c, cred := testClient(t, srv, ca, nil)
			_, err := c.Issues(context.Background(), time.Time{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			var apiErr *APIError
			if tt.wantErr && (!errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != "InvalidAuthenticationToken") {
				t.Errorf("err = %v, want an APIError 401", err)
			}
			if rec.n() != tt.wantRequests || cred.calls.Load() != 2 {
				t.Errorf("requests %d, token calls %d; want %d and 2", rec.n(), cred.calls.Load(), tt.wantRequests)
			}
			if c.Stats().TokenRefreshes != 1 {
				t.Errorf("TokenRefreshes = %d", c.Stats().TokenRefreshes)
			}
		})
	}
}

func TestAuthErrors(t *testing.T) {
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("graph called without a token")
	}))
	t.Run("failure", func(t *testing.T) {
		c, _ := testClient(t, srv, ca, func(c *Config) {
			c.Credential = &fakeCred{err: errString("ClientSecretCredential: authentication failed\nRESPONSE 401\nAADSTS7000215: Invalid client secret provided.")}
		})
		_, err := c.Issues(context.Background(), time.Time{})
		var authErr *AuthError
		if !errors.As(err, &authErr) || authErr.Code != "AADSTS7000215" || authErr.Timeout {
			t.Fatalf("err = %#v, want an AuthError with AADSTS7000215", err)
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			t.Error("auth failure passes as a Graph error")
		}
	})
	t.Run("timeout", func(t *testing.T) {
		c, _ := testClient(t, srv, ca, func(c *Config) { c.Credential = &fakeCred{block: true} })
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := c.Issues(ctx, time.Time{})
		var authErr *AuthError
		if !errors.As(err, &authErr) || !authErr.Timeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want an AuthError matching context.DeadlineExceeded", err)
		}
	})
}

func TestTokenNeverInErrors(t *testing.T) {
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		fmt.Fprintf(w, `{"error":{"code":"Forbidden","message":"token %s lacks a role"}}`, r.Header.Get("Authorization"))
	}))
	c, _ := testClient(t, srv, ca, nil)
	_, err := c.Issues(context.Background(), time.Time{})
	if err == nil || strings.Contains(err.Error(), "tok-1") || !strings.Contains(err.Error(), "lacks a role") {
		t.Fatalf("err = %v; want a 403 without the token", err)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"germany", Config{Cloud: "germany", Credential: &fakeCred{}}, "no longer exists"},
		{"unknown cloud", Config{Cloud: "mars", Credential: &fakeCred{}}, "unknown cloud"},
		{"http root", Config{GraphRoot: "http://graph.example.com", Credential: &fakeCred{}}, "must be an https URL"},
		{"page size", Config{PageSize: 1001, Credential: &fakeCred{}}, "page size 1001"},
		{"no secret", Config{TenantID: "t", ClientID: "c"}, "client secret is empty"},
		{"bad tenant", Config{TenantID: "a/b", ClientID: "c", ClientSecret: "s3cr3t-value"}, "tenant id"},
		{"unknown auth", Config{TenantID: "t", ClientID: "c", Auth: "password"}, "unknown auth kind"},
		{"bad cert", Config{TenantID: "t", ClientID: "c", Auth: AuthCertificate, CertificatePEMOrPFX: []byte("nope"), CertificatePassword: "pfx-pass-123"}, "parse certificate"},
		{"missing CA file", Config{CAFile: "/nonexistent/ca.pem", Credential: &fakeCred{}}, "read CA file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			for _, secret := range []string{"s3cr3t-value", "pfx-pass-123"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
	for _, kind := range []AuthKind{AuthManagedIdentity, AuthWorkloadIdentity} {
		t.Run(string(kind), func(t *testing.T) {
			t.Setenv("AZURE_FEDERATED_TOKEN_FILE", "/tmp/token")
			if _, err := New(Config{TenantID: "t", ClientID: "c", Auth: kind}); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
}
