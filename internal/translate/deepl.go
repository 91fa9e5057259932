package translate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
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
	// Formality is passed as formality: default, more, less, prefer_more
	// or prefer_less (plain more/less fail for target languages without
	// formality). Empty means DefaultFormality for the target language.
	Formality string
	// HTTP are the transport settings.
	HTTP HTTPOptions
	// Logger receives what goes wrong with a glossary (the translation
	// then goes ahead without it); nil discards.
	Logger *slog.Logger
}

// DefaultFormality is the formality sent when none is configured:
// "prefer_more" for Japanese (です・ます, as Microsoft writes), none for the
// other languages.
func DefaultFormality(dst string) string {
	if baseLang(dst) == "ja" {
		return "prefer_more"
	}
	return ""
}

// DeepL translates with the DeepL API v2 (POST /v2/translate, JSON body,
// tag_handling=xml with ignore_tags=x around protected tokens). The
// glossary's term → translation entries for the language pair become a
// DeepL glossary (v3 endpoints), found by its name or created once per
// glossary version, language pair and account, and passed as glossary_id.
type DeepL struct {
	cfg  DeepLConfig
	base string
	d    *httpDoer
	log  *slog.Logger

	mu         sync.Mutex
	glossaries map[string]string    // glossaryName → glossary_id
	failed     map[string]time.Time // glossaryName → when finding or making it last failed
}

// glossaryRetry is how long a glossary that could not be found or made is
// not asked for again.
const glossaryRetry = 10 * time.Minute

var (
	_ Provider       = (*DeepL)(nil)
	_ Marker         = (*DeepL)(nil)
	_ TermTranslator = (*DeepL)(nil)
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
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DeepL{cfg: cfg, base: strings.TrimRight(base, "/"), d: newDoer(cfg.HTTP, cfg.Key), log: log,
		glossaries: map[string]string{}, failed: map[string]time.Time{}}, nil
}

// Name returns "deepl".
func (p *DeepL) Name() string { return "deepl" }

// MemoryVariant is the configured formality ("formality=less"), so that
// translations made with another formality are not reused; "" when none is
// configured (DefaultFormality).
func (p *DeepL) MemoryVariant() string {
	if p.cfg.Formality == "" {
		return ""
	}
	return "formality=" + p.cfg.Formality
}

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

// Translate sends texts in one request, without a glossary.
func (p *DeepL) Translate(ctx context.Context, texts []string, src, dst string) ([]string, error) {
	return p.TranslateTerms(ctx, texts, src, dst, nil)
}

// errGlossaryGone is a translate answer saying the glossary_id is unknown
// (someone deleted the glossary): the cached ID is dropped and the request
// sent once more with a new glossary.
var errGlossaryGone = errors.New("deepl glossary not found")

// TranslateTerms sends texts in one request, with g's entries for the
// language pair as a DeepL glossary when there are any and src is given
// (DeepL needs source_lang with glossary_id). When the glossary cannot be
// found or made, the texts are translated without it (and the glossary is
// not asked for again for glossaryRetry); the Service's check then keeps
// the paragraphs whose terms came out wrong in English.
func (p *DeepL) TranslateTerms(ctx context.Context, texts []string, src, dst string, g *Glossary) ([]string, error) {
	for attempt := 0; ; attempt++ {
		id, err := p.glossaryFor(ctx, g, src, dst)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			p.log.Warn("deepl_glossary_unavailable", "source", src, "target", dst, "retry_in", glossaryRetry.String(), "err", err)
			id = ""
		}
		out, err := p.translate(ctx, texts, src, dst, id)
		if errors.Is(err, errGlossaryGone) && attempt == 0 {
			p.forgetGlossary(g, src, dst)
			continue
		}
		return out, err
	}
}

func (p *DeepL) translate(ctx context.Context, texts []string, src, dst, glossaryID string) ([]string, error) {
	req := map[string]any{
		"text":         texts,
		"target_lang":  deeplLang(dst, true),
		"tag_handling": "xml",
		"ignore_tags":  []string{"x"},
	}
	if src != "" {
		req["source_lang"] = deeplLang(src, false)
	}
	formality := p.cfg.Formality
	if formality == "" {
		formality = DefaultFormality(dst)
	}
	if formality != "" {
		req["formality"] = formality
	}
	if glossaryID != "" {
		req["glossary_id"] = glossaryID
	}
	var r struct {
		Translations []struct {
			Text string `json:"text"`
		} `json:"translations"`
	}
	const action = "deepl translate"
	err := p.d.postJSON(ctx, action, p.base+"/v2/translate", p.header(), req, &r, func(status int, body []byte) error {
		if glossaryID != "" && status == http.StatusNotFound {
			return fmt.Errorf("%s: HTTP %d %s: %w", action, status, p.d.redact(p.message(body)), errGlossaryGone)
		}
		return p.apiError(action, status, body)
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

func (p *DeepL) header() http.Header {
	h := http.Header{}
	h.Set("Authorization", "DeepL-Auth-Key "+p.cfg.Key)
	h.Set("Content-Type", "application/json")
	return h
}

// message is DeepL's error message in body, or a snippet of it.
func (p *DeepL) message(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return e.Message
	}
	return snippet(body)
}

func (p *DeepL) apiError(action string, status int, body []byte) error {
	msg := p.message(body)
	if status == 456 {
		msg += " (the DeepL account's character quota is used up; it resets with the billing period)"
	}
	return p.d.statusError(action, status, msg)
}

// glossaryName names the DeepL glossary of g for a language pair; the
// version makes an edited glossary a new DeepL glossary.
func glossaryName(g *Glossary, src, dst string) string {
	return "shdmc " + g.Version() + " " + baseLang(src) + "-" + baseLang(dst)
}

// glossaryFor returns the ID of the DeepL glossary holding g's entries for
// src → dst: from the cache, else from the account's glossaries by name,
// else newly created. "" when there is nothing to send.
func (p *DeepL) glossaryFor(ctx context.Context, g *Glossary, src, dst string) (string, error) {
	if g == nil || src == "" {
		return "", nil
	}
	var entries strings.Builder
	for _, t := range g.Translations(dst) {
		if !t.Preferred {
			entries.WriteString(t.Source + "\t" + t.Target + "\n")
		}
	}
	if entries.Len() == 0 {
		return "", nil
	}
	name := glossaryName(g, src, dst)
	// One lookup at a time: two batches must not create two glossaries.
	p.mu.Lock()
	defer p.mu.Unlock()
	if id, ok := p.glossaries[name]; ok {
		return id, nil
	}
	if at, ok := p.failed[name]; ok && p.d.o.Now().Sub(at) < glossaryRetry {
		return "", nil // logged when it failed
	}
	id, err := p.findGlossary(ctx, name, src, dst)
	if err == nil && id == "" {
		id, err = p.createGlossary(ctx, name, src, dst, entries.String())
	}
	if err != nil {
		p.failed[name] = p.d.o.Now()
		return "", err
	}
	delete(p.failed, name)
	p.glossaries[name] = id
	return id, nil
}

func (p *DeepL) forgetGlossary(g *Glossary, src, dst string) {
	if g == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.glossaries, glossaryName(g, src, dst))
}

// deeplGlossary is a glossary as GET and POST /v3/glossaries describe it.
type deeplGlossary struct {
	ID           string `json:"glossary_id"`
	Name         string `json:"name"`
	Dictionaries []struct {
		SourceLang string `json:"source_lang"`
		TargetLang string `json:"target_lang"`
		EntryCount int    `json:"entry_count"`
	} `json:"dictionaries"`
}

// findGlossary returns the ID of the account's glossary called name with a
// src → dst dictionary, or "".
func (p *DeepL) findGlossary(ctx context.Context, name, src, dst string) (string, error) {
	const action = "deepl list glossaries"
	resp, err := p.d.do(ctx, http.MethodGet, p.base+"/v3/glossaries", p.header(), nil)
	if err != nil {
		return "", fmt.Errorf("%s: %w", action, err)
	}
	if resp.status != http.StatusOK {
		return "", p.apiError(action, resp.status, resp.body)
	}
	var r struct {
		Glossaries []deeplGlossary `json:"glossaries"`
	}
	if err := json.Unmarshal(resp.body, &r); err != nil {
		return "", fmt.Errorf("%s: decode response: %w", action, err)
	}
	for _, gl := range r.Glossaries {
		if gl.Name != name || gl.ID == "" {
			continue
		}
		for _, d := range gl.Dictionaries {
			if strings.EqualFold(d.SourceLang, baseLang(src)) && strings.EqualFold(d.TargetLang, baseLang(dst)) && d.EntryCount > 0 {
				return gl.ID, nil
			}
		}
	}
	return "", nil
}

// createGlossary creates a glossary called name with one src → dst
// dictionary of TSV entries and returns its ID.
func (p *DeepL) createGlossary(ctx context.Context, name, src, dst, tsv string) (string, error) {
	const action = "deepl create glossary"
	req := map[string]any{
		"name": name,
		"dictionaries": []map[string]string{{
			"source_lang": baseLang(src), "target_lang": baseLang(dst),
			"entries": tsv, "entries_format": "tsv",
		}},
	}
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("%s: encode request: %w", action, err)
	}
	resp, err := p.d.do(ctx, http.MethodPost, p.base+"/v3/glossaries", p.header(), body)
	if err != nil {
		return "", fmt.Errorf("%s: %w", action, err)
	}
	if resp.status != http.StatusOK && resp.status != http.StatusCreated {
		return "", p.apiError(action, resp.status, resp.body)
	}
	var gl deeplGlossary
	if err := json.Unmarshal(resp.body, &gl); err != nil || gl.ID == "" {
		return "", fmt.Errorf("%s: no glossary_id in the answer: %s", action, snippet(resp.body))
	}
	return gl.ID, nil
}
