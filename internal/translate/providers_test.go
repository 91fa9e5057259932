package translate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/config"
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

// deeplGlossaryFake is a glossary as the DeepL fake keeps it.
type deeplGlossaryFake struct {
	name, src, dst string
	entries        map[string]string
}

// applyEntries does what a DeepL glossary does: it puts the entries'
// translations in place of their sources, outside markup tags.
func applyEntries(s string, entries map[string]string) string {
	var b strings.Builder
	last := 0
	rep := func(t string) string {
		for k, v := range entries {
			t = strings.ReplaceAll(t, k, v)
		}
		return t
	}
	for _, m := range tagRE.FindAllStringIndex(s, -1) {
		b.WriteString(rep(s[last:m[0]]))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(rep(s[last:]))
	return b.String()
}

func TestDeepL(t *testing.T) {
	var mu sync.Mutex
	var status []int // statuses to answer before succeeding
	var got map[string]any
	// The glossary side: glossaries by ID, the requests made, and a status
	// that every glossary request answers with when set.
	glossaries := map[string]*deeplGlossaryFake{}
	var created []map[string]any
	lists, nextID, glossaryStatus := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "DeepL-Auth-Key "+testKey {
			w.WriteHeader(403)
			io.WriteString(w, `{"message":"Wrong endpoint. Use https://api.deepl.com"}`)
			return
		}
		if r.URL.Path == "/v3/glossaries" {
			if glossaryStatus != 0 {
				w.WriteHeader(glossaryStatus)
				io.WriteString(w, `{"message":"glossaries are unavailable"}`)
				return
			}
			switch r.Method {
			case http.MethodGet:
				lists++
				var out []map[string]any
				for id, g := range glossaries {
					out = append(out, map[string]any{"glossary_id": id, "name": g.name, "creation_time": "2023-05-26T00:00:00Z",
						"dictionaries": []map[string]any{{"source_lang": g.src, "target_lang": g.dst, "entry_count": len(g.entries)}}})
				}
				json.NewEncoder(w).Encode(map[string]any{"glossaries": out})
			case http.MethodPost:
				// The v3 contract: name, dictionaries[] of source_lang,
				// target_lang, entries and entries_format; TSV is one
				// "source<TAB>target" per line.
				var req struct {
					Name         string `json:"name"`
					Dictionaries []struct {
						SourceLang    string `json:"source_lang"`
						TargetLang    string `json:"target_lang"`
						Entries       string `json:"entries"`
						EntriesFormat string `json:"entries_format"`
					} `json:"dictionaries"`
				}
				var raw map[string]any
				b, _ := io.ReadAll(r.Body)
				json.Unmarshal(b, &raw)
				if err := json.Unmarshal(b, &req); err != nil || req.Name == "" || len(req.Dictionaries) != 1 ||
					req.Dictionaries[0].EntriesFormat != "tsv" || req.Dictionaries[0].SourceLang == "" || req.Dictionaries[0].TargetLang == "" {
					w.WriteHeader(400)
					io.WriteString(w, `{"message":"Invalid glossary"}`)
					return
				}
				d := req.Dictionaries[0]
				g := &deeplGlossaryFake{name: req.Name, src: d.SourceLang, dst: d.TargetLang, entries: map[string]string{}}
				for _, line := range strings.Split(strings.TrimSuffix(d.Entries, "\n"), "\n") {
					k, v, ok := strings.Cut(line, "\t")
					if !ok || k == "" || v == "" || strings.ContainsAny(k+v, "\t\r") {
						w.WriteHeader(400)
						io.WriteString(w, `{"message":"Invalid TSV entry"}`)
						return
					}
					g.entries[k] = v
				}
				nextID++
				id := fmt.Sprintf("def3a26b-%04d", nextID)
				glossaries[id] = g
				created = append(created, raw)
				w.WriteHeader(201)
				json.NewEncoder(w).Encode(map[string]any{"glossary_id": id, "name": g.name, "creation_time": "2023-05-26T00:00:00Z",
					"dictionaries": []map[string]any{{"source_lang": g.src, "target_lang": g.dst, "entry_count": len(g.entries)}}})
			default:
				w.WriteHeader(405)
			}
			return
		}
		if r.URL.Path != "/v2/translate" || r.Method != http.MethodPost {
			http.Error(w, `{"message":"not found"}`, 404)
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
		var entries map[string]string
		if id, ok := got["glossary_id"].(string); ok {
			g := glossaries[id]
			switch {
			case got["source_lang"] == nil:
				w.WriteHeader(400)
				io.WriteString(w, `{"message":"Use of a glossary requires the source_lang parameter to be set."}`)
				return
			case g == nil:
				w.WriteHeader(404)
				io.WriteString(w, `{"message":"Glossary not found"}`)
				return
			case !strings.EqualFold(g.src, got["source_lang"].(string)) || !strings.HasPrefix(strings.ToLower(got["target_lang"].(string)), g.dst):
				w.WriteHeader(400)
				io.WriteString(w, `{"message":"Language pair of the glossary doesn't match the language pair of the request"}`)
				return
			}
			entries = g.entries
		}
		if f, ok := got["formality"]; ok && !slices.Contains([]any{"default", "more", "less", "prefer_more", "prefer_less"}, f) {
			w.WriteHeader(400)
			io.WriteString(w, `{"message":"Value for 'formality' not supported."}`)
			return
		}
		var resp struct {
			Translations []map[string]string `json:"translations"`
		}
		for _, x := range got["text"].([]any) {
			resp.Translations = append(resp.Translations, map[string]string{"detected_source_language": "EN", "text": fakeJA(applyEntries(x.(string), entries))})
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

	// The glossary's [ja] terms become one DeepL glossary per glossary
	// version, made once and found again by name; formality defaults to
	// prefer_more for Japanese.
	terms := "Check the Exchange admin center before you move devices to Current Channel; a fix ships in early June 2024."
	wantTerms := "Check the Exchange 管理センター before you move devices to 最新チャネル; a fix ships in early June 2024."
	g := DefaultGlossary()
	newDeepL := func(cfg DeepLConfig) *DeepL {
		cfg.Key, cfg.BaseURL, cfg.HTTP = testKey, srv.URL, (&sleeps{}).opts(srv.Client())
		p, err := NewDeepL(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	reset := func() {
		mu.Lock()
		defer mu.Unlock()
		clear(glossaries)
		created, lists, nextID, glossaryStatus = nil, 0, 0, 0
	}
	t.Run("glossary and formality", func(t *testing.T) {
		reset()
		p := newDeepL(DeepLConfig{})
		s := New(Config{Glossary: g}, p, newStore(t), WithNow(fixedNow))
		out, rep, err := s.TranslateAll(context.Background(), []string{terms}, "en", "ja")
		if err != nil || out[terms] != wantTerms {
			t.Fatalf("translation %q, %v (%+v); want %q", out[terms], err, rep, wantTerms)
		}
		if len(created) != 1 || lists != 1 {
			t.Fatalf("created %d glossaries after %d lists, want 1 after 1", len(created), lists)
		}
		dict := created[0]["dictionaries"].([]any)[0].(map[string]any)
		if created[0]["name"] != "shdmc "+g.Version()+" en-ja" || dict["source_lang"] != "en" || dict["target_lang"] != "ja" {
			t.Errorf("glossary = %v", created[0])
		}
		tsv := dict["entries"].(string)
		for _, e := range []string{"admin center\t管理センター\n", "Current Channel\t最新チャネル\n", "classic Outlook for Windows\t従来の Outlook for Windows\n"} {
			if !strings.Contains(tsv, e) {
				t.Errorf("entries lack %q:\n%s", e, tsv)
			}
		}
		if strings.Contains(tsv, "修正プログラム") {
			t.Errorf("entries hold the preference for \"fix\":\n%s", tsv)
		}
		if got["glossary_id"] != "def3a26b-0001" || got["formality"] != "prefer_more" || got["source_lang"] != "EN" {
			t.Errorf("request = %v", got)
		}
		sent := got["text"].([]any)[0].(string)
		if !strings.Contains(sent, "<x>Exchange</x> admin center") || !strings.Contains(sent, "<x>early June 2024</x>") {
			t.Errorf("sent %q: want the term as text, the name and the date in <x>", sent)
		}
		// The glossary ID is kept: the next texts go without a lookup.
		if _, _, err := s.TranslateAll(context.Background(), []string{"Users open the Microsoft 365 admin center."}, "en", "ja"); err != nil {
			t.Fatal(err)
		}
		if len(created) != 1 || lists != 1 || got["glossary_id"] != "def3a26b-0001" {
			t.Errorf("second call: created %d, lists %d, glossary_id %v", len(created), lists, got["glossary_id"])
		}
		// After a restart it is found by name, not made again.
		p2 := newDeepL(DeepLConfig{})
		if _, err := p2.TranslateTerms(context.Background(), []string{"x"}, "en", "ja", g); err != nil {
			t.Fatal(err)
		}
		if len(created) != 1 || lists != 2 || got["glossary_id"] != "def3a26b-0001" {
			t.Errorf("after restart: created %d, lists %d, glossary_id %v", len(created), lists, got["glossary_id"])
		}
		// Another target language has no entries: no glossary, no formality.
		if _, err := p2.TranslateTerms(context.Background(), []string{"x"}, "en", "de", g); err != nil {
			t.Fatal(err)
		}
		if _, ok := got["glossary_id"]; ok || got["formality"] != nil || len(created) != 1 {
			t.Errorf("de: request %v, created %d", got, len(created))
		}
	})
	t.Run("deleted glossary is made again", func(t *testing.T) {
		reset()
		p := newDeepL(DeepLConfig{})
		if _, err := p.TranslateTerms(context.Background(), []string{"x"}, "en", "ja", g); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		clear(glossaries) // someone deleted it in the DeepL account
		mu.Unlock()
		out, err := p.TranslateTerms(context.Background(), []string{"Users open the admin center."}, "en", "ja", g)
		if err != nil || out[0] != "ユーザー open the 管理センター." || len(created) != 2 || got["glossary_id"] != "def3a26b-0002" {
			t.Errorf("out %q, %v; created %d, glossary_id %v", out, err, len(created), got["glossary_id"])
		}
	})
	t.Run("glossary unavailable", func(t *testing.T) {
		reset()
		glossaryStatus = 403
		var logs strings.Builder
		p := newDeepL(DeepLConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		s := New(Config{Glossary: g}, p, newStore(t), WithNow(fixedNow))
		// DeepL keeps the terms in English without the glossary; the Service
		// puts Microsoft's Japanese in and the check passes.
		out, _, err := s.TranslateAll(context.Background(), []string{terms}, "en", "ja")
		if err != nil || out[terms] != wantTerms {
			t.Errorf("translation %q, %v", out[terms], err)
		}
		if _, ok := got["glossary_id"]; ok || !strings.Contains(logs.String(), "deepl_glossary_unavailable") {
			t.Errorf("request %v; logs %s", got, logs.String())
		}
		if strings.Contains(logs.String(), testKey) {
			t.Errorf("log reveals the key: %s", logs.String())
		}
		// Not asked for again at once.
		before := lists
		if _, err := p.TranslateTerms(context.Background(), []string{"x"}, "en", "ja", g); err != nil || lists != before {
			t.Errorf("glossary asked for again: lists %d → %d, %v", before, lists, err)
		}
	})
	t.Run("formality configured", func(t *testing.T) {
		reset()
		for _, f := range []string{"more", "less", "default"} {
			if _, err := newDeepL(DeepLConfig{Formality: f}).Translate(context.Background(), []string{"x"}, "en", "ja"); err != nil {
				t.Fatal(err)
			}
			if got["formality"] != f {
				t.Errorf("formality %q sent as %v", f, got["formality"])
			}
		}
	})
	t.Run("from config", func(t *testing.T) {
		reset()
		file := filepath.Join(t.TempDir(), "glossary.txt")
		os.WriteFile(file, []byte("Contoso Portal\n[ja]\nwidget center = ウィジェット センター\n"), 0o600)
		s, err := FromConfig(config.Translator{Provider: config.TranslatorDeepL, Key: config.Secret(testKey), URL: srv.URL,
			Formality: "prefer_less", GlossaryFile: file}, newStore(t), nil, fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		text := "Open the widget center in Contoso Portal."
		out, _, err := s.TranslateAll(context.Background(), []string{text}, "en", "ja")
		if err != nil || out[text] != "Open the ウィジェット センター in Contoso Portal." {
			t.Errorf("translation %q, %v", out[text], err)
		}
		dict := created[0]["dictionaries"].([]any)[0].(map[string]any)
		if got["formality"] != "prefer_less" || dict["entries"] != "widget center\tウィジェット センター\n" {
			t.Errorf("request %v, entries %q", got, dict["entries"])
		}
	})
}

// azureDictRE is Azure's dynamic dictionary markup.
var azureDictRE = regexp.MustCompile(`<mstrans:dictionary translation="([^"]*)">([^<]*)</mstrans:dictionary>`)
