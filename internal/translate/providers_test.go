package translate

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "k3y-SECRET-0123456789:fx"

// sleeps records the waits between attempts instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) opts(c *http.Client) HTTPOptions {
	return HTTPOptions{Client: c, Sleep: s.sleep, MaxAttempts: 3, Now: fixedNow}
}

// fakeJA "translates" the text outside markup tags; markup passes through.
var tagRE = regexp.MustCompile(`<[^>]+>`)

func fakeJA(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range tagRE.FindAllStringIndex(s, -1) {
		b.WriteString(strings.ReplaceAll(s[last:m[0]], "Users", "ユーザー"))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(strings.ReplaceAll(s[last:], "Users", "ユーザー"))
	return b.String()
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), url.QueryEscape(testKey))) {
		t.Errorf("error reveals the key: %v", err)
	}
}

const sample = "Users can't open EX559755 mail in Exchange Online & \"OME\"; see https://aka.ms/ome?a=1&b=2."

func wantSample() string { return strings.Replace(sample, "Users", "ユーザー", 1) }

func TestDeepL(t *testing.T) {
	var mu sync.Mutex
	var status []int // statuses to answer before succeeding
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/v2/translate" || r.Method != http.MethodPost {
			http.Error(w, `{"message":"not found"}`, 404)
			return
		}
		if r.Header.Get("Authorization") != "DeepL-Auth-Key "+testKey {
			w.WriteHeader(403)
			io.WriteString(w, `{"message":"Wrong endpoint. Use https://api.deepl.com"}`)
			return
		}
		if len(status) > 0 {
			st := status[0]
			status = status[1:]
			switch st {
			case 429:
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(429)
				io.WriteString(w, `{"message":"Too many requests"}`)
			case 456:
				w.WriteHeader(456)
				io.WriteString(w, `{"message":"Quota exceeded"}`)
			case 400:
				w.WriteHeader(400)
				io.WriteString(w, `{"message":"Value for 'target_lang' not supported."}`)
			default:
				w.WriteHeader(st)
			}
			return
		}
		got = nil
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var resp struct {
			Translations []map[string]string `json:"translations"`
		}
		for _, x := range got["text"].([]any) {
			resp.Translations = append(resp.Translations, map[string]string{"detected_source_language": "EN", "text": fakeJA(x.(string))})
		}
		json.NewEncoder(w).Encode(resp)
	}))
	defer srv.Close()

	t.Run("plan", func(t *testing.T) {
		for _, tt := range []struct{ key, plan, want string }{
			{"abc:fx", "", DeepLFreeURL}, {"abc", "", DeepLProURL}, {"abc:fx", "pro", DeepLProURL}, {"abc", "free", DeepLFreeURL},
		} {
			p, err := NewDeepL(DeepLConfig{Key: tt.key, Plan: tt.plan})
			if err != nil || p.BaseURL() != tt.want {
				t.Errorf("key %q plan %q: %v %v, want %s", tt.key, tt.plan, p, err, tt.want)
			}
		}
		if _, err := NewDeepL(DeepLConfig{Key: "x", Plan: "team"}); err == nil {
			t.Error("unknown plan accepted")
		}
	})

	sl := &sleeps{}
	p, err := NewDeepL(DeepLConfig{Key: testKey, BaseURL: srv.URL, HTTP: sl.opts(srv.Client())})
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, p, newStore(t), WithNow(fixedNow))

	t.Run("translate with retry", func(t *testing.T) {
		status = []int{429, 503}
		out, rep, err := s.TranslateAll(context.Background(), []string{sample}, "en", "ja")
		if err != nil {
			t.Fatal(err)
		}
		if out[sample] != wantSample() {
			t.Errorf("translation = %q, want %q", out[sample], wantSample())
		}
		if got["tag_handling"] != "xml" || got["target_lang"] != "JA" || got["source_lang"] != "EN" {
			t.Errorf("request = %v", got)
		}
		if tags, _ := got["ignore_tags"].([]any); len(tags) != 1 || tags[0] != "x" {
			t.Errorf("ignore_tags = %v, want [x]", got["ignore_tags"])
		}
		sent := got["text"].([]any)[0].(string)
		if !strings.Contains(sent, "<x>EX559755</x>") || !strings.Contains(sent, "&amp;") {
			t.Errorf("sent text = %q", sent)
		}
		if len(sl.d) != 2 || sl.d[0] != 7*time.Second || sl.d[1] != 2*time.Second {
			t.Errorf("waits = %v, want [7s (Retry-After) 2s (backoff)]", sl.d)
		}
		if rep.Requests != 1 {
			t.Errorf("requests = %d", rep.Requests)
		}
	})

	errCases := []struct {
		name   string
		status []int
		key    string
		want   error
	}{
		{"quota 456", []int{456}, testKey, ErrQuota},
		{"auth 403", nil, "wrong-" + testKey, ErrAuth},
		{"unsupported language", []int{400}, testKey, ErrUnsupportedLanguage},
		{"429 exhausted", []int{429, 429, 429}, testKey, nil},
	}
	for _, tt := range errCases {
		t.Run(tt.name, func(t *testing.T) {
			status = tt.status
			p, _ := NewDeepL(DeepLConfig{Key: tt.key, BaseURL: srv.URL, HTTP: (&sleeps{}).opts(srv.Client())})
			_, err := p.Translate(context.Background(), []string{"x"}, "en", "ja")
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == ErrQuota && !strings.Contains(err.Error(), "quota") {
				t.Errorf("quota error unclear: %v", err)
			}
			if tt.want == nil && Permanent(err) {
				t.Errorf("exhausted retries reported permanent: %v", err)
			}
			noSecret(t, err)
		})
	}
}

func TestAzure(t *testing.T) {
	var gotQuery url.Values
	var gotHeader http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery, gotHeader = r.URL.Query(), r.Header.Clone()
		if r.Header.Get("Ocp-Apim-Subscription-Key") != testKey {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"code":401000,"message":"The request is not authorized because credentials are missing or invalid."}}`)
			return
		}
		switch r.URL.Query().Get("to") {
		case "xx":
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400036,"message":"The target language is not valid."}}`)
			return
		case "qq":
			w.WriteHeader(403)
			io.WriteString(w, `{"error":{"code":403001,"message":"The operation is not allowed because the subscription has exceeded its free quota."}}`)
			return
		}
		var in []map[string]string
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &in); err != nil || len(in) == 0 || in[0]["Text"] == "" {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400000,"message":"One of the request inputs is not valid."}}`)
			return
		}
		var out []map[string]any
		for _, x := range in {
			out = append(out, map[string]any{"translations": []map[string]string{{"text": fakeJA(x["Text"]), "to": "ja"}}})
		}
		json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	p, err := NewAzure(AzureConfig{Key: testKey, Region: "japaneast", BaseURL: srv.URL, HTTP: (&sleeps{}).opts(srv.Client())})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(context.Background(), []string{sample, "Users wait."}, "en", "ja")
	if err != nil {
		t.Fatal(err)
	}
	if out[sample] != wantSample() || out["Users wait."] != "ユーザー wait." {
		t.Errorf("translations = %q", out)
	}
	if gotQuery.Get("api-version") != "3.0" || gotQuery.Get("from") != "en" || gotQuery.Get("textType") != "html" ||
		gotHeader.Get("Ocp-Apim-Subscription-Region") != "japaneast" {
		t.Errorf("query %v, region %q", gotQuery, gotHeader.Get("Ocp-Apim-Subscription-Region"))
	}
	for _, tt := range []struct {
		name, key, to string
		want          error
	}{
		{"auth", "bad", "ja", ErrAuth},
		{"language", testKey, "xx", ErrUnsupportedLanguage},
		{"quota", testKey, "qq", ErrQuota},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := NewAzure(AzureConfig{Key: tt.key, BaseURL: srv.URL, HTTP: (&sleeps{}).opts(srv.Client())})
			_, err := p.Translate(context.Background(), []string{"x"}, "en", tt.to)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			noSecret(t, err)
		})
	}
}

func TestGoogle(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("key") != testKey {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`)
			return
		}
		got = nil
		json.NewDecoder(r.Body).Decode(&got)
		if got["target"] == "xx" {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400,"message":"Invalid Value","errors":[{"message":"Bad language pair: en|xx"}]}}`)
			return
		}
		var ts []map[string]string
		for _, q := range got["q"].([]any) {
			// Google's odd case: format=html output is HTML-escaped, also
			// where the input had a plain apostrophe.
			s := strings.ReplaceAll(fakeJA(q.(string)), "'", "&#39;")
			ts = append(ts, map[string]string{"translatedText": s})
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"translations": ts}})
	}))
	defer srv.Close()
	p, err := NewGoogle(GoogleConfig{Key: testKey, BaseURL: srv.URL, HTTP: (&sleeps{}).opts(srv.Client())})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(context.Background(), []string{sample}, "en", "ja")
	if err != nil {
		t.Fatal(err)
	}
	if out[sample] != wantSample() {
		t.Errorf("translation = %q, want %q (HTML entities must be decoded)", out[sample], wantSample())
	}
	if got["format"] != "html" || got["source"] != "en" {
		t.Errorf("request = %v", got)
	}
	_, err = p.Translate(context.Background(), []string{"x"}, "en", "xx")
	if !errors.Is(err, ErrUnsupportedLanguage) {
		t.Errorf("bad pair: %v", err)
	}
	bad, _ := NewGoogle(GoogleConfig{Key: testKey + "x", BaseURL: srv.URL, HTTP: (&sleeps{}).opts(srv.Client())})
	_, err = bad.Translate(context.Background(), []string{"x"}, "en", "ja")
	if !errors.Is(err, ErrAuth) {
		t.Errorf("bad key: %v", err)
	}
	noSecret(t, err)
	// The key travels in the URL: a transport error must not print it.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	gone, _ := NewGoogle(GoogleConfig{Key: testKey, BaseURL: closed.URL, HTTP: (&sleeps{}).opts(closed.Client())})
	_, err = gone.Translate(context.Background(), []string{"x"}, "en", "ja")
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	noSecret(t, err)
}

func TestLibreTranslate(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = nil
		json.NewDecoder(r.Body).Decode(&got)
		if got["api_key"] != testKey {
			w.WriteHeader(403)
			io.WriteString(w, `{"error":"Invalid API key"}`)
			return
		}
		if got["target"] == "xx" {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":"xx is not supported"}`)
			return
		}
		var ts []string
		var det []map[string]any
		for _, q := range got["q"].([]any) {
			// LibreTranslate's HTML mode unescapes entities in its output.
			ts = append(ts, html.UnescapeString(fakeJA(q.(string))))
			det = append(det, map[string]any{"confidence": 90.0, "language": "en"})
		}
		json.NewEncoder(w).Encode(map[string]any{"translatedText": ts, "detectedLanguage": det})
	}))
	defer srv.Close()
	p, err := NewLibreTranslate(LibreTranslateConfig{URL: srv.URL, APIKey: testKey, HTTP: (&sleeps{}).opts(srv.Client())})
	if err != nil {
		t.Fatal(err)
	}
	tricky := "Users see <b> & &amp; in EX559755."
	out, _, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(context.Background(), []string{sample, tricky}, "en", "ja")
	if err != nil {
		t.Fatal(err)
	}
	if out[sample] != wantSample() || out[tricky] != "ユーザー see <b> & &amp; in EX559755." {
		t.Errorf("translations = %q", out)
	}
	if got["format"] != "html" || got["source"] != "en" {
		t.Errorf("request = %v", got)
	}
	ds, err := decodeLibreDetection(json.RawMessage(`[{"confidence":90,"language":"en"},{"confidence":90,"language":"en"}]`))
	if err != nil || len(ds) != 2 || ds[0].Confidence != 90 {
		t.Errorf("batch detection = %+v, %v", ds, err)
	}
	ds, err = decodeLibreDetection(json.RawMessage(`{"confidence":100.0,"language":"en"}`))
	if err != nil || len(ds) != 1 || ds[0].Confidence != 100 {
		t.Errorf("single detection = %+v, %v", ds, err)
	}
	for _, tt := range []struct {
		name, key, to string
		want          error
	}{{"auth", "nope", "ja", ErrAuth}, {"language", testKey, "xx", ErrUnsupportedLanguage}} {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := NewLibreTranslate(LibreTranslateConfig{URL: srv.URL, APIKey: tt.key, HTTP: (&sleeps{}).opts(srv.Client())})
			_, err := p.Translate(context.Background(), []string{"x"}, "en", tt.to)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			noSecret(t, err)
		})
	}
}

func TestOpenAI(t *testing.T) {
	var system string
	var fence bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+testKey {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided: k3y-SECRET-0123456789:fx","type":"invalid_request_error","code":"invalid_api_key"}}`)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct{ Role, Content string }
		}
		json.NewDecoder(r.Body).Decode(&req)
		system = req.Messages[0].Content
		var in []string
		if err := json.Unmarshal([]byte(req.Messages[1].Content), &in); err != nil {
			w.WriteHeader(400)
			return
		}
		for i := range in {
			in[i] = fakeJA(in[i])
		}
		b, _ := json.Marshal(in)
		content := string(b)
		if fence {
			content = "```json\n" + content + "\n```"
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []map[string]any{{"message": map[string]string{"role": "assistant", "content": content}}}})
	}))
	defer srv.Close()
	p, err := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "local", Key: testKey, HTTP: (&sleeps{}).opts(srv.Client())})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{sample, "Users wait for `Get-Mailbox`."}
	for _, f := range []bool{false, true} {
		fence = f
		out, _, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(context.Background(), texts, "en", "ja")
		if err != nil {
			t.Fatalf("fence %v: %v", f, err)
		}
		if out[sample] != wantSample() || out[texts[1]] != "ユーザー wait for `Get-Mailbox`." {
			t.Errorf("fence %v: translations = %q", f, out)
		}
	}
	if !strings.Contains(system, "Japanese") || !strings.Contains(system, "⟦0⟧") {
		t.Errorf("system prompt = %q", system)
	}
	bad, _ := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "local", Key: "other", HTTP: (&sleeps{}).opts(srv.Client())})
	_, err = bad.Translate(context.Background(), []string{"x"}, "en", "ja")
	if !errors.Is(err, ErrAuth) {
		t.Errorf("bad key: %v", err)
	}
	// The server echoes a key; p's own key must be redacted from its errors.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":{"message":"bad request for key k3y-SECRET-0123456789:fx"}}`)
	}))
	defer srv2.Close()
	p2, _ := NewOpenAI(OpenAIConfig{BaseURL: srv2.URL, Model: "m", Key: testKey, HTTP: (&sleeps{}).opts(srv2.Client())})
	_, err = p2.Translate(context.Background(), []string{"x"}, "en", "ja")
	if err == nil {
		t.Fatal("no error")
	}
	noSecret(t, err)
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{testNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.v, testNow)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	p, _ := NewDeepL(DeepLConfig{Key: testKey, BaseURL: srv.URL, HTTP: (&sleeps{}).opts(srv.Client())})
	_, err := p.Translate(context.Background(), []string{"x"}, "en", "ja")
	if err == nil || calls != 1 || !strings.Contains(err.Error(), "Retry-After") {
		t.Errorf("calls %d, err %v: want one call and a Retry-After error", calls, err)
	}
}
