package translate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// GoogleURL is the Cloud Translation Basic (v2) endpoint.
const GoogleURL = "https://translation.googleapis.com/language/translate/v2"

// GoogleConfig configures the Google Cloud Translation v2 provider.
type GoogleConfig struct {
	// Key is the API key, sent as the key query parameter.
	Key string
	// BaseURL overrides GoogleURL (tests, proxies).
	BaseURL string
	// HTTP are the transport settings.
	HTTP HTTPOptions
}

// Google translates with Cloud Translation Basic (v2), format=html with
// class="notranslate" around protected tokens. Its output is HTML (entities
// such as &#39;), which the Service unescapes.
type Google struct {
	cfg  GoogleConfig
	base string
	d    *httpDoer
}

var (
	_ Provider = (*Google)(nil)
	_ Marker   = (*Google)(nil)
)

// NewGoogle returns a Google Cloud Translation v2 provider.
func NewGoogle(cfg GoogleConfig) (*Google, error) {
	if cfg.Key == "" {
		return nil, fmt.Errorf("configure google translate: key is empty")
	}
	base := cfg.BaseURL
	if base == "" {
		base = GoogleURL
	}
	return &Google{cfg: cfg, base: base, d: newDoer(cfg.HTTP, cfg.Key, url.QueryEscape(cfg.Key))}, nil
}

// Name returns "google".
func (p *Google) Name() string { return "google" }

// Limits: v2 takes at most 128 segments per request, and Google recommends
// keeping a request under 5 000 characters.
func (p *Google) Limits() Limits { return Limits{MaxTextsPerRequest: 128, MaxCharsPerRequest: 5000} }

// Markup returns MarkupHTML.
func (p *Google) Markup() Markup { return MarkupHTML }

// Translate sends texts in one request.
func (p *Google) Translate(ctx context.Context, texts []string, src, dst string) ([]string, error) {
	req := map[string]any{"q": texts, "target": dst, "format": "html"}
	if src != "" {
		req["source"] = src
	}
	u := p.base
	if strings.Contains(u, "?") {
		u += "&key=" + url.QueryEscape(p.cfg.Key)
	} else {
		u += "?key=" + url.QueryEscape(p.cfg.Key)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	var r struct {
		Data struct {
			Translations []struct {
				TranslatedText string `json:"translatedText"`
			} `json:"translations"`
		} `json:"data"`
	}
	const action = "google translate"
	err := p.d.postJSON(ctx, action, u, h, req, &r, func(status int, body []byte) error {
		var e struct {
			Error struct {
				Message string `json:"message"`
				Errors  []struct {
					Message string `json:"message"`
				} `json:"errors"`
			} `json:"error"`
		}
		msg := snippet(body)
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Message
			for _, x := range e.Error.Errors {
				if x.Message != "" && x.Message != msg {
					msg += "; " + x.Message
				}
			}
		}
		if status == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "limit") {
			return p.d.sentinelError(action, status, msg, ErrQuota)
		}
		if status == http.StatusBadRequest && strings.Contains(strings.ToLower(msg), "api key") {
			return p.d.sentinelError(action, status, msg, ErrAuth)
		}
		return p.d.statusError(action, status, msg)
	})
	if err != nil {
		return nil, err
	}
	if len(r.Data.Translations) != len(texts) {
		return nil, fmt.Errorf("google translate: %d translations for %d texts", len(r.Data.Translations), len(texts))
	}
	out := make([]string, len(texts))
	for i, t := range r.Data.Translations {
		out[i] = t.TranslatedText // HTML; the Service unescapes it
	}
	return out, nil
}
