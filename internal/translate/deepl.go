package translate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// DeepL hosts; the Free plan's keys end in ":fx".
const (
	DeepLProURL  = "https://api.deepl.com"
	DeepLFreeURL = "https://api-free.deepl.com"
)

// DeepLConfig configures the DeepL provider.
type DeepLConfig struct {
	// Key is the DeepL authentication key.
	Key string
	// Plan is "free", "pro" or "" (pick from the key: ":fx" means Free).
	Plan string
	// BaseURL overrides the host chosen by Plan (tests, proxies).
	BaseURL string
	// Formality is passed as formality when set; use the prefer_* values,
	// plain more/less fail for languages without formality.
	Formality string
	// HTTP are the transport settings.
	HTTP HTTPOptions
}

// DeepL translates with the DeepL API v2 (POST /v2/translate, JSON body,
// tag_handling=xml with ignore_tags=x around protected tokens).
type DeepL struct {
	cfg  DeepLConfig
	base string
	d    *httpDoer
}

var (
	_ Provider = (*DeepL)(nil)
	_ Marker   = (*DeepL)(nil)
)

// NewDeepL returns a DeepL provider.
func NewDeepL(cfg DeepLConfig) (*DeepL, error) {
	if cfg.Key == "" {
		return nil, fmt.Errorf("configure deepl: key is empty")
	}
	base := cfg.BaseURL
	if base == "" {
		switch strings.ToLower(cfg.Plan) {
		case "free":
			base = DeepLFreeURL
		case "pro":
			base = DeepLProURL
		case "":
			base = DeepLProURL
			if strings.HasSuffix(cfg.Key, ":fx") {
				base = DeepLFreeURL
			}
		default:
			return nil, fmt.Errorf("configure deepl: plan %q is neither free nor pro", cfg.Plan)
		}
	}
	return &DeepL{cfg: cfg, base: strings.TrimRight(base, "/"), d: newDoer(cfg.HTTP, cfg.Key)}, nil
}

// Name returns "deepl".
func (p *DeepL) Name() string { return "deepl" }

// BaseURL returns the API host in use (Free or Pro).
func (p *DeepL) BaseURL() string { return p.base }

// Limits: DeepL caps a request at 128 KiB; 50 texts keeps requests small.
func (p *DeepL) Limits() Limits { return Limits{MaxTextsPerRequest: 50, MaxCharsPerRequest: 30000} }

// Markup returns MarkupXML.
func (p *DeepL) Markup() Markup { return MarkupXML }

// deeplLang maps a BCP 47 tag to DeepL's codes; target English and
// Portuguese need a variant.
func deeplLang(tag string, target bool) string {
	t := strings.ToUpper(tag)
	if target {
		switch t {
		case "EN":
			return "EN-US"
		case "PT":
			return "PT-BR"
		}
	} else if i := strings.IndexByte(t, '-'); i > 0 {
		t = t[:i] // source languages have no variants
	}
	return t
}

// Translate sends texts in one request.
func (p *DeepL) Translate(ctx context.Context, texts []string, src, dst string) ([]string, error) {
	req := map[string]any{
		"text":         texts,
		"target_lang":  deeplLang(dst, true),
		"tag_handling": "xml",
		"ignore_tags":  []string{"x"},
	}
	if src != "" {
		req["source_lang"] = deeplLang(src, false)
	}
	if p.cfg.Formality != "" {
		req["formality"] = p.cfg.Formality
	}
	h := http.Header{}
	h.Set("Authorization", "DeepL-Auth-Key "+p.cfg.Key)
	h.Set("Content-Type", "application/json")
	var r struct {
		Translations []struct {
			Text string `json:"text"`
		} `json:"translations"`
	}
	const action = "deepl translate"
	err := p.d.postJSON(ctx, action, p.base+"/v2/translate", h, req, &r, func(status int, body []byte) error {
		var e struct {
			Message string `json:"message"`
		}
		msg := snippet(body)
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		if status == 456 {
			msg += " (the DeepL account's character quota is used up; it resets with the billing period)"
		}
		return p.d.statusError(action, status, msg)
	})
	if err != nil {
		return nil, err
	}
	if len(r.Translations) != len(texts) {
		return nil, fmt.Errorf("deepl translate: %d translations for %d texts", len(r.Translations), len(texts))
	}
	out := make([]string, len(texts))
	for i, t := range r.Translations {
		out[i] = t.Text
	}
	return out, nil
}
