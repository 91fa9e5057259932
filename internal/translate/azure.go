package translate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// AzureURL is the global Azure AI Translator endpoint.
const AzureURL = "https://api.cognitive.microsofttranslator.com"

// AzureConfig configures the Azure AI Translator provider.
type AzureConfig struct {
	// Key is the resource key (Ocp-Apim-Subscription-Key).
	Key string
	// Region is the resource's region (Ocp-Apim-Subscription-Region),
	// required for regional and multi-service resources.
	Region string
	// BaseURL overrides AzureURL (geography hosts such as
	// https://api-eur.cognitive.microsofttranslator.com, tests).
	BaseURL string
	// HTTP are the transport settings.
	HTTP HTTPOptions
}

// Azure translates with Azure AI Translator v3 (POST
// /translate?api-version=3.0, body [{"Text": …}], textType=html with
// class="notranslate" around protected tokens and the glossary's terms in
// its dynamic dictionary markup, <mstrans:dictionary
// translation="管理センター">admin center</mstrans:dictionary>, which needs
// from= and English on one side). Azure has no formality setting; its
// Japanese is usually です・ます already.
type Azure struct {
	cfg  AzureConfig
	base string
	d    *httpDoer
}

var (
	_ Provider = (*Azure)(nil)
	_ Marker   = (*Azure)(nil)
)

// NewAzure returns an Azure AI Translator provider.
func NewAzure(cfg AzureConfig) (*Azure, error) {
	if cfg.Key == "" {
		return nil, fmt.Errorf("configure azure translator: key is empty")
	}
	base := cfg.BaseURL
	if base == "" {
		base = AzureURL
	}
	return &Azure{cfg: cfg, base: strings.TrimRight(base, "/"), d: newDoer(cfg.HTTP, cfg.Key)}, nil
}

// Name returns "azure".
func (p *Azure) Name() string { return "azure" }

// Limits are the commonly cited v3 request limits (1 000 elements, 50 000
// characters), kept lower so one request stays small.
func (p *Azure) Limits() Limits { return Limits{MaxTextsPerRequest: 100, MaxCharsPerRequest: 40000} }

// Markup returns MarkupHTMLDictionary.
func (p *Azure) Markup() Markup { return MarkupHTMLDictionary }

// Translate sends texts in one request.
func (p *Azure) Translate(ctx context.Context, texts []string, src, dst string) ([]string, error) {
	items := make([]struct {
		Text string `json:"Text"`
	}, len(texts))
	for i, t := range texts {
		items[i].Text = t
	}
	q := url.Values{}
	q.Set("api-version", "3.0")
	if src != "" {
		q.Set("from", src)
	}
	q.Set("to", dst)
	q.Set("textType", "html")
	h := http.Header{}
	h.Set("Ocp-Apim-Subscription-Key", p.cfg.Key)
	if p.cfg.Region != "" {
		h.Set("Ocp-Apim-Subscription-Region", p.cfg.Region)
	}
	h.Set("Content-Type", "application/json; charset=UTF-8")
	var r []struct {
		Translations []struct {
			Text string `json:"text"`
			To   string `json:"to"`
		} `json:"translations"`
	}
	const action = "azure translate"
	err := p.d.postJSON(ctx, action, p.base+"/translate?"+q.Encode(), h, items, &r, func(status int, body []byte) error {
		var e struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		msg := snippet(body)
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			msg = fmt.Sprintf("%d %s", e.Error.Code, e.Error.Message)
		}
		switch {
		case e.Error.Code == 403001:
			return p.d.sentinelError(action, status, msg, ErrQuota)
		case e.Error.Code == 400019 || e.Error.Code == 400035 || e.Error.Code == 400036:
			return p.d.sentinelError(action, status, msg, ErrUnsupportedLanguage)
		}
		return p.d.statusError(action, status, msg)
	})
	if err != nil {
		return nil, err
	}
	if len(r) != len(texts) {
		return nil, fmt.Errorf("azure translate: %d results for %d texts", len(r), len(texts))
	}
	out := make([]string, len(texts))
	for i, it := range r {
		if len(it.Translations) == 0 {
			return nil, fmt.Errorf("azure translate: result %d has no translation", i)
		}
		out[i] = it.Translations[0].Text
	}
	return out, nil
}
