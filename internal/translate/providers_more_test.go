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
	"testing"
	"time"
)

func TestAzure(t *testing.T) {
	var gotQuery url.Values
	var gotHeader http.Header
	var gotTexts []string
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
		gotTexts = nil
		var out []map[string]any
		for _, x := range in {
			text := x["Text"]
			gotTexts = append(gotTexts, text)
			// The dynamic dictionary works only with from= and English on
			// one side; the element becomes its translation.
			if strings.Contains(text, "<mstrans:dictionary") && (r.URL.Query().Get("from") == "" ||
				(r.URL.Query().Get("from") != "en" && r.URL.Query().Get("to") != "en")) {
				w.WriteHeader(400)
				io.WriteString(w, `{"error":{"code":400000,"message":"One of the request inputs is not valid."}}`)
				return
			}
			text = azureDictRE.ReplaceAllString(text, "$1")
			out = append(out, map[string]any{"translations": []map[string]string{{"text": fakeJA(text), "to": "ja"}}})
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
	t.Run("dynamic dictionary", func(t *testing.T) {
		text := "Users open the SharePoint admin center & the Message Center by June 30, 2024."
		out, _, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(context.Background(), []string{text}, "en", "ja")
		if err != nil {
			t.Fatal(err)
		}
		want := `Users open the <span class="notranslate">SharePoint</span> <mstrans:dictionary translation="管理センター">admin center</mstrans:dictionary> &amp; ` +
			`the <mstrans:dictionary translation="メッセージ センター">Message Center</mstrans:dictionary> by <span class="notranslate">June 30, 2024</span>.`
		if len(gotTexts) != 1 || gotTexts[0] != want {
			t.Errorf("sent %q\nwant %q", gotTexts, want)
		}
		if w := "ユーザー open the SharePoint 管理センター & the メッセージ センター by June 30, 2024."; out[text] != w {
			t.Errorf("translation %q, want %q", out[text], w)
		}
	})
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
	// Google has no glossary here: the term goes already translated, as a
	// protected token.
	terms := "Users open the admin center."
	out, _, err = New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(context.Background(), []string{terms}, "en", "ja")
	if sent := got["q"].([]any)[0]; err != nil || sent != `Users open the <span class="notranslate">管理センター</span>.` || out[terms] != "ユーザー open the 管理センター." {
		t.Errorf("sent %q, translation %q, %v", sent, out[terms], err)
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
	// rewrite, when set, is what the "model" does to each text besides
	// fakeJA: follow the glossary, mangle placeholders.
	var rewrite func(string) string
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
			if rewrite != nil {
				in[i] = rewrite(in[i])
			}
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
	t.Run("prompt and glossary", func(t *testing.T) {
		// The model writes 【n】 and full-width digits for the placeholders
		// and follows the glossary of its prompt.
		rewrite = func(s string) string {
			s = regexp.MustCompile(`⟦(\d+)⟧`).ReplaceAllStringFunc(s, func(m string) string {
				d := strings.Trim(m, "⟦⟧")
				if d == "1" {
					return "⟦１⟧"
				}
				return "【" + d + "】"
			})
			return strings.NewReplacer("admin center", "管理センター", "Current Channel", "最新チャネル").Replace(s)
		}
		defer func() { rewrite = nil }()
		text := "Users of EX559755 in the Exchange admin center move to Current Channel before a fix, by June 30, 2024."
		out, rep, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(context.Background(), []string{text}, "en", "ja")
		want := "ユーザー of EX559755 in the Exchange 管理センター move to 最新チャネル before a fix, by June 30, 2024."
		if err != nil || out[text] != want {
			t.Errorf("translation %q, %v (%+v); want %q", out[text], err, rep, want)
		}
		for _, w := range []string{"です・ます", "Microsoft's Japanese Microsoft 365 admin center",
			"Always translate these terms exactly as given:\n- admin center → 管理センター\n- Current Channel → 最新チャネル",
			"Prefer these translations where the meaning fits:\n- fix → 修正プログラム"} {
			if !strings.Contains(system, w) {
				t.Errorf("system prompt lacks %q:\n%s", w, system)
			}
		}
		if strings.Contains(system, "Targeted Release") || strings.Contains(system, "展開") {
			t.Errorf("system prompt lists terms the texts do not have:\n%s", system)
		}
	})
	t.Run("term the model ignored", func(t *testing.T) {
		rewrite = func(s string) string { return strings.ReplaceAll(s, "Current Channel", "カレント チャネル") }
		defer func() { rewrite = nil }()
		text := "Users move to Current Channel."
		out, rep, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(context.Background(), []string{text}, "en", "ja")
		if !errors.Is(err, ErrGlossaryTerm) || len(out) != 0 || rep.GlossaryFailures != 1 {
			t.Errorf("translation %q, %v (%+v); want ErrGlossaryTerm", out, err, rep)
		}
	})
	t.Run("other language", func(t *testing.T) {
		if _, err := p.Translate(context.Background(), []string{"x"}, "en", "de"); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(system, "です・ます") || strings.Contains(system, "→") {
			t.Errorf("German prompt = %q", system)
		}
	})
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
