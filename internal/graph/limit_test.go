package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

var chunkSizes = []int{1, 2, 3, 5, 7, 13, 64, 32 << 10}

// note is the text readJSON appends to a string it cut n bytes off.
func note(n int) string { return " [truncated by shdmc: " + strconv.Itoa(n) + " bytes]" }

func TestReadJSONCutsLongStrings(t *testing.T) {
	const max = 16
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		in   string // a JSON string literal, without quotes
		want string // decoded
		cut  bool
	}{
		{"short", a(10), a(10), false},
		{"exactly the limit", a(16), a(16), false},
		{"ascii", a(40), a(16) + note(24), true},
		{"escape straddles the limit", a(14) + `\u00e9` + a(10), a(14) + note(16), true},
		{"two-byte escape straddles", a(15) + `\n` + a(10), a(15) + note(12), true},
		{"two-byte escape fits", a(14) + `\n` + a(10), a(14) + "\n" + note(10), true},
		{"utf-8 straddles", a(14) + "日本" + a(3), a(14) + note(9), true},
		{"utf-8 fits", a(13) + "日本" + a(3), a(13) + "日" + note(6), true},
		{"surrogate pair fits", a(4) + `\ud83d\ude00` + a(5), a(4) + "😀" + note(5), true},
		{"surrogate pair straddles", a(6) + `\ud83d\ude00` + a(5), a(6) + note(17), true},
		{"high surrogate ends at the limit", a(10) + `\ud83d\ude00` + a(5), a(10) + note(17), true},
		{"escaped quote and backslashes", `\"` + a(10) + `\\\\\"` + a(20), `"` + a(10) + `\\` + note(22), true},
		{"escaped backslash before the end", a(14) + `\\`, a(14) + `\`, false},
		{"long escaped backslash run", strings.Repeat(`\\`, 20), strings.Repeat(`\`, 8) + note(24), true},
	}
	for _, tt := range tests {
		for _, n := range chunkSizes {
			t.Run(fmt.Sprintf("%s/chunk %d", tt.name, n), func(t *testing.T) {
				in := `{"value":[{"id":"X","body":{"content":"` + tt.in + `"},"n":[1,2.5e3,true,null]}],"k":"v"}`
				out, cut, wire, err := readJSON(&chunkReader{data: []byte(in), n: n}, -1, 1<<20, 1<<20, max)
				if err != nil {
					t.Fatal(err)
				}
				if wire != int64(len(in)) {
					t.Errorf("read %d bytes, want %d", wire, len(in))
				}
				var v struct {
					Value []struct {
						ID   string
						Body struct{ Content string }
						N    []any
					}
					K string
				}
				if err := json.Unmarshal(out, &v); err != nil {
					t.Fatalf("output %s: %v", out, err)
				}
				if got := v.Value[0].Body.Content; got != tt.want {
					t.Errorf("content %q, want %q", got, tt.want)
				}
				if v.Value[0].ID != "X" || v.K != "v" || fmt.Sprint(v.Value[0].N) != "[1 2500 true <nil>]" {
					t.Errorf("the rest changed: %s", out)
				}
				if want := map[bool]int{false: 0, true: 1}[tt.cut]; cut != want {
					t.Errorf("cut %d strings, want %d", cut, want)
				}
				if !tt.cut && string(out) != in {
					t.Errorf("output %s differs from the input", out)
				}
			})
		}
	}
}

func TestReadJSONRandom(t *testing.T) {
	const max = 24
	pieces := []string{"a", "b", " ", "é", "日本", "😀", "\n", "\"", "\\", "\u2028", "\x01", "<", ">", "&", "\ufffd"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var strs []string
		for range 1 + rng.IntN(5) {
			var b strings.Builder
			for range rng.IntN(40) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			strs = append(strs, b.String())
		}
		in, _ := json.Marshal(map[string]any{"value": strs, strs[0]: len(strs)})
		wantCut := 0
		for _, s := range append(strs, strs[0]) {
			if w, _ := json.Marshal(s); len(w)-2 > max {
				wantCut++
			}
		}
		out, cut, _, err := readJSON(&chunkReader{data: in, n: 1 + rng.IntN(9)}, -1, 1<<20, 1<<20, max)
		if err != nil {
			t.Fatalf("case %d %s: %v", i, in, err)
		}
		var v struct{ Value []string }
		if err := json.Unmarshal(out, &v); err != nil || len(v.Value) != len(strs) {
			t.Fatalf("case %d: %s → %s: %v", i, in, out, err)
		}
		if cut != wantCut {
			t.Errorf("case %d: cut %d, want %d: %s", i, cut, wantCut, in)
		}
		for k, got := range v.Value {
			if got == strs[k] {
				continue
			}
			j := strings.LastIndex(got, " [truncated by shdmc: ")
			if j < 0 || !strings.HasPrefix(strs[k], got[:j]) || !utf8.ValidString(got) || len(got[:j]) > max {
				t.Errorf("case %d: %q cut to %q", i, strs[k], got)
			}
		}
	}
}

func TestReadJSONLimits(t *testing.T) {
	page := `{"value":[{"id":"A","body":{"content":"` + strings.Repeat("x", 5000) + `"}}]}`
	tests := []struct {
		name             string
		maxWire, maxKept int64
		maxText          int
		in, wantErr      string
	}{
		{"wire", 100, 1 << 20, 1 << 20, page, "response body too large: more than 100 bytes"},
		{"kept", 1 << 20, 1000, 1 << 20, page, "page over 1000 bytes after cutting strings longer than 1048576 bytes"},
		{"kept after cutting fits", 1 << 20, 1000, 100, page, ""},
		{"bad \\u escape", 1 << 20, 1 << 20, 100, `{"value":["\u12x4"]}`, `invalid character 'x' in \u hexadecimal`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := readJSON(strings.NewReader(tt.in), -1, tt.maxWire, tt.maxKept, tt.maxText)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzReadJSON(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"value":["` + strings.Repeat(`a\u00e9\\\"`, 20) + `"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _, _, err := readJSON(&chunkReader{data: data, n: 7}, -1, 1<<20, 1<<20, 16)
		if !json.Valid(data) {
			return
		}
		if err != nil {
			t.Fatalf("valid JSON refused: %v", err)
		}
		if !json.Valid(out) {
			t.Fatalf("%s became invalid: %s", data, out)
		}
		// Whatever was cut, the decoders see valid JSON of the same shape.
		_, _, err1 := DecodeIssues(data)
		_, _, err2 := DecodeIssues(out)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("decode %v, after cutting %v", err1, err2)
		}
	})
}

func TestCutHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>plain", "<p>plain"},
		{"<p>abc" + note(5), "<p>abc<p>[truncated by shdmc: 5 bytes]</p>"},
		{`<p>abc <a href="https://exa` + note(70), "<p>abc <p>[truncated by shdmc: 70 bytes]</p>"},
		{"<p>Fish &am" + note(9), "<p>Fish <p>[truncated by shdmc: 9 bytes]</p>"},
		{"<p>Fish &amp; chips" + note(9), "<p>Fish &amp; chips<p>[truncated by shdmc: 9 bytes]</p>"},
		{"text [truncated by shdmc: many bytes]", "text [truncated by shdmc: many bytes]"},
	}
	for _, tt := range tests {
		if got := cutHTML(tt.in); got != tt.want {
			t.Errorf("cutHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClientSizeLimits(t *testing.T) {
	big := strings.Repeat("x", 3300)
	html := `<p>start</p><a href="https://example.com/` + big + `">x</a>`
	srv, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/messages"):
			fmt.Fprintf(w, `{"value":[{"id":"MC1","body":{"contentType":"html","content":%q}},{"id":"MC2","title":%q,"body":{"contentType":"text","content":%q}}]}`,
				html, big, big)
		case strings.HasSuffix(r.URL.Path, "/issues"):
			fmt.Fprintf(w, `{"value":[%s]}`, strings.TrimSuffix(strings.Repeat(`{"id":"EX1","title":"t"},`, 200), ","))
		case strings.HasSuffix(r.URL.Path, "/EX1/incidentReport"):
			w.Header().Set("Content-Length", "4096")
			w.Write(make([]byte, 4096))
		case strings.HasSuffix(r.URL.Path, "/EX2/incidentReport"):
			w.(http.Flusher).Flush() // chunked: no Content-Length
			w.Write(make([]byte, 4096))
		case strings.HasSuffix(r.URL.Path, "/EX3/incidentReport"):
			w.Write(make([]byte, 1024))
		}
	}))
	c, _ := testClient(t, srv, ca, func(c *Config) { c.MaxTextBytes = 200; c.MaxPageBytes = 2000; c.MaxReportBytes = 2048 })
	ctx := context.Background()
	var info ListInfo
	ms, err := c.Messages(WithListInfo(ctx, &info), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cutOff := len(strconv.Quote(html)) - 2 - 200
	if want := "<p>start</p><p>[truncated by shdmc: " + strconv.Itoa(cutOff) + " bytes]</p>"; ms[0].Body != want {
		t.Errorf("html body %q, want %q", ms[0].Body, want)
	}
	if ms[1].Body != strings.Repeat("x", 200)+note(3100) {
		t.Errorf("text body %q", ms[1].Body)
	}
	if !strings.HasSuffix(ms[1].Title, note(3100)) {
		t.Errorf("title %q", ms[1].Title)
	}
	if info.Truncated != 3 {
		t.Errorf("ListInfo.Truncated = %d", info.Truncated)
	}
	before := c.Stats().Requests
	_, err = c.Issues(ctx, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "page over 2000 bytes") {
		t.Errorf("issues: %v", err)
	}
	for _, id := range []string{"EX1", "EX2"} {
		if _, _, err := c.IncidentReport(ctx, id); err == nil || !strings.Contains(err.Error(), "document over 2048 bytes") {
			t.Errorf("report %s: %v", id, err)
		}
	}
	if n := c.Stats().Requests - before; n != 3 {
		t.Errorf("%d requests for 3 failures over a limit, want no retries", n)
	}
	if b, _, err := c.IncidentReport(ctx, "EX3"); err != nil || len(b) != 1024 {
		t.Errorf("small report: %d bytes, %v", len(b), err)
	}
}

func TestHTTPClientFollowsNoRedirect(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(target.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/x?token=1", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	base := &http.Client{Timeout: 5 * time.Second} // a caller's client, which would follow
	for name, mk := range map[string]func() (*http.Client, error){
		"NewHTTPClient": func() (*http.Client, error) { return NewHTTPClient("") },
		"caller client": func() (*http.Client, error) { return httpClient(base, "") },
	} {
		t.Run(name, func(t *testing.T) {
			hc, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			req.Header.Set("Authorization", "Bearer secret-token")
			_, err = hc.Do(req)
			var re *RedirectError
			if !errors.As(err, &re) || re.Status != 302 || re.Host != strings.TrimPrefix(target.URL, "http://") || strings.Contains(re.Error(), "token=1") {
				t.Errorf("err %v, want a RedirectError for 302 to %s without the query", err, target.URL)
			}
		})
	}
	if hits.Load() != 0 {
		t.Error("a redirect was followed")
	}
	if base.CheckRedirect != nil {
		t.Error("the caller's client was changed")
	}
}

// bigAuthority serves the OpenID configuration and, at the token endpoint,
// an endless JSON string; openid makes the configuration endless instead.
type bigAuthority struct {
	url     string
	openid  bool
	written atomic.Int64
}

func (a *bigAuthority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	endless := func(prefix string) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, prefix)
		chunk := []byte(strings.Repeat("A", 64<<10))
		for a.written.Load() < 256<<20 {
			n, err := w.Write(chunk)
			a.written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/openid-configuration"):
		if a.openid {
			endless(`{"issuer":"` + a.url + `/tenant-1/v2.0","x":"`)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{
			"authorization_endpoint": a.url + "/tenant-1/oauth2/v2.0/authorize",
			"token_endpoint":         a.url + "/tenant-1/oauth2/v2.0/token",
			"issuer":                 a.url + "/tenant-1/v2.0",
		})
	case strings.HasSuffix(r.URL.Path, "/token"):
		endless(`{"token_type":"Bearer","expires_in":3600,"access_token":"`)
	default:
		http.NotFound(w, r)
	}
}

func TestTokenResponseLimit(t *testing.T) {
	for _, openid := range []bool{false, true} {
		t.Run(fmt.Sprintf("openid=%t", openid), func(t *testing.T) {
			a := &bigAuthority{openid: openid}
			srv, ca := tlsServer(t, a)
			a.url = srv.URL
			c, err := New(Config{TenantID: "tenant-1", ClientID: "client-1", ClientSecret: "s3cr3t-value-0123",
				GraphRoot: srv.URL, AuthorityHost: srv.URL, CAFile: ca})
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err = c.Issues(ctx, time.Time{})
			runtime.ReadMemStats(&ms)
			alloc := ms.TotalAlloc - before
			t.Logf("error %v; %d MiB allocated, %d MiB sent, %s", err, alloc>>20, a.written.Load()>>20, time.Since(start))
			var authErr *AuthError
			if !errors.As(err, &authErr) || !strings.Contains(err.Error(), "too large: more than 1048576 bytes") {
				t.Fatalf("err %v, want an AuthError naming the limit", err)
			}
			if alloc > 32<<20 {
				t.Errorf("%d MiB allocated for a token answer", alloc>>20)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s: retried?", took)
			}
		})
	}
}

// TestDecodersCopy: page buffers are reused (putPage), so nothing a decoder
// returns may point into the page. Each page of testdata is decoded, its
// bytes overwritten, and the result compared with a decode of a fresh copy.
func TestDecodersCopy(t *testing.T) {
	check := func(name string, decode func([]byte) (any, error)) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		page := slices.Clone(data)
		got, err := decode(page)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range page {
			page[i] = 'X'
		}
		want, err := decode(slices.Clone(data))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: what was decoded changed with the page's bytes", name)
		}
	}
	for _, name := range []string{"issues_doc.json", "issues_real.json"} {
		check(name, func(b []byte) (any, error) { v, _, _, err := decodePage("issues", b, decodeIssue); return v, err })
		check(name, func(b []byte) (any, error) { v, _, _, err := decodePage("stamps", b, decodeStamp); return v, err })
	}
	for _, name := range []string{"messages_doc.json", "messages_real.json"} {
		check(name, func(b []byte) (any, error) { v, _, _, err := decodePage("messages", b, decodeMessage); return v, err })
	}
	check("health.json", func(b []byte) (any, error) { v, _, _, err := decodePage("health", b, decodeHealth); return v, err })
	check("attachments.json", func(b []byte) (any, error) {
		v, _, _, err := decodePage("attachments", b, decodeAttachment)
		return v, err
	})
}
