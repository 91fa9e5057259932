package translate

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
)

// LibreTranslateConfig configures a (usually self-hosted) LibreTranslate.
type LibreTranslateConfig struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:5000.
	URL string
	// APIKey is sent as api_key when set.
	APIKey string
	// MaxTexts and MaxChars mirror the server's --batch-limit and
	// --char-limit; 0 means the defaults below.
	MaxTexts, MaxChars int
	// HTTP are the transport settings.
	HTTP HTTPOptions
}

// LibreTranslate translates with LibreTranslate's POST /translate, q as an
// array (batch), format=html with class="notranslate" around protected
// tokens. Its HTML output arrives entity-decoded (the server unescapes it),
// so the provider escapes the text again around the markup.
type LibreTranslate struct {
	cfg LibreTranslateConfig
	d   *httpDoer
}

var (
	_ Provider = (*LibreTranslate)(nil)
	_ Marker   = (*LibreTranslate)(nil)
)

// NewLibreTranslate returns a LibreTranslate provider.
func NewLibreTranslate(cfg LibreTranslateConfig) (*LibreTranslate, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("configure libretranslate: url is empty")
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	return &LibreTranslate{cfg: cfg, d: newDoer(cfg.HTTP, cfg.APIKey)}, nil
}

// Name returns "libretranslate".
func (p *LibreTranslate) Name() string { return "libretranslate" }

// Limits are the configured ones, or 50 texts and 20 000 characters.
func (p *LibreTranslate) Limits() Limits {
	return limitsOr(p.cfg.MaxTexts, p.cfg.MaxChars, 50, 20000)
}

// Markup returns MarkupHTML.
func (p *LibreTranslate) Markup() Markup { return MarkupHTML }

// LibreDetection is LibreTranslate's language detection; Confidence is a
// percentage (0–100), unlike Azure's 0–1 score.
type LibreDetection struct {
	Confidence float64 `json:"confidence"`
	Language   string  `json:"language"`
}

// Translate sends texts in one request.
func (p *LibreTranslate) Translate(ctx context.Context, texts []string, src, dst string) ([]string, error) {
	if src == "" {
		src = "auto"
	}
	req := map[string]any{"q": texts, "source": src, "target": dst, "format": "html"}
	if p.cfg.APIKey != "" {
		req["api_key"] = p.cfg.APIKey
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	var r struct {
		TranslatedText   json.RawMessage `json:"translatedText"`
		DetectedLanguage json.RawMessage `json:"detectedLanguage"`
	}
	const action = "libretranslate translate"
	err := p.d.postJSON(ctx, action, p.cfg.URL+"/translate", h, req, &r, func(status int, body []byte) error {
		var e struct {
			Error string `json:"error"`
		}
		msg := snippet(body)
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return p.d.statusError(action, status, msg)
	})
	if err != nil {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal(r.TranslatedText, &out); err != nil {
		var one string
		if err2 := json.Unmarshal(r.TranslatedText, &one); err2 != nil {
			return nil, fmt.Errorf("libretranslate translate: decode translatedText: %w", err)
		}
		out = []string{one}
	}
	if len(out) != len(texts) {
		return nil, fmt.Errorf("libretranslate translate: %d translations for %d texts", len(out), len(texts))
	}
	for i := range out {
		out[i] = reescapeHTML(out[i])
	}
	return out, nil
}

// decodeLibreDetection reads a detectedLanguage value, single or batched
// (a batch repeats the first detection for every item).
func decodeLibreDetection(raw json.RawMessage) ([]LibreDetection, error) {
	var many []LibreDetection
	if err := json.Unmarshal(raw, &many); err == nil {
		return many, nil
	}
	var one LibreDetection
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, fmt.Errorf("decode detectedLanguage: %w", err)
	}
	return []LibreDetection{one}, nil
}

// reescapeHTML escapes the text of LibreTranslate's entity-decoded output
// while keeping the notranslate spans as markup, so that it reads like the
// other HTML providers' output.
func reescapeHTML(s string) string {
	var b strings.Builder
	for s != "" {
		loc := spanOpenRE.FindStringIndex(s)
		closeAt := strings.Index(s, htmlClose)
		next, n := -1, 0
		switch {
		case loc != nil && (closeAt < 0 || loc[0] < closeAt):
			next, n = loc[0], loc[1]-loc[0]
		case closeAt >= 0:
			next, n = closeAt, len(htmlClose)
		}
		if next < 0 {
			b.WriteString(html.EscapeString(s))
			break
		}
		b.WriteString(html.EscapeString(s[:next]))
		b.WriteString(s[next : next+n])
		s = s[next+n:]
	}
	return b.String()
}
