package translate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// OpenAIConfig configures an OpenAI-compatible chat completions endpoint
// (OpenAI, Azure OpenAI behind a compatible proxy, or a local model server
// such as llama.cpp, Ollama or vLLM).
type OpenAIConfig struct {
	// BaseURL is the API root that /chat/completions is appended to, e.g.
	// https://api.openai.com/v1 or http://127.0.0.1:11434/v1.
	BaseURL string
	// Model is the model name.
	Model string
	// Key is sent as a bearer token when set (local servers need none).
	Key string
	// MaxTexts and MaxChars bound one request; 0 means 20 texts and 6 000
	// characters, which keeps answers within common output limits.
	MaxTexts, MaxChars int
	// HTTP are the transport settings.
	HTTP HTTPOptions
}

// OpenAI translates with a chat completions endpoint: the texts travel as a
// JSON array of strings and come back as one, with protected tokens as ⟦n⟧
// placeholders the prompt asks to keep verbatim, and the glossary's terms
// found in the texts listed in the prompt with their translation.
type OpenAI struct {
	cfg OpenAIConfig
	d   *httpDoer
}

var (
	_ Provider       = (*OpenAI)(nil)
	_ TermTranslator = (*OpenAI)(nil)
)

// NewOpenAI returns an OpenAI-compatible provider.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("configure openai translator: base url is empty")
	}
	if cfg.Model == "" {
		return nil, fmt.Errorf("configure openai translator: model is empty")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &OpenAI{cfg: cfg, d: newDoer(cfg.HTTP, cfg.Key)}, nil
}

// Name returns "openai".
func (p *OpenAI) Name() string { return "openai" }

// Limits are the configured ones or 20 texts and 6 000 characters.
func (p *OpenAI) Limits() Limits {
	return limitsOr(p.cfg.MaxTexts, p.cfg.MaxChars, 20, 6000)
}

// langName names a language in English for the prompt ("Japanese").
func langName(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	if n := display.English.Tags().Name(t); n != "" {
		return n
	}
	return tag
}

// OpenAISystemPrompt is the instruction sent with a request whose texts
// contain the glossary entries terms (nil: none). For Japanese it asks for
// です・ます and Microsoft's own Japanese terminology.
func OpenAISystemPrompt(src, dst string, terms []Term) string {
	var b strings.Builder
	fmt.Fprintf(&b, "You translate Microsoft 365 service health and Message Center texts from %s to %s for IT administrators. "+
		"The user message is a JSON array of strings. Answer with only a JSON array of the same length, "+
		"each element the faithful, complete %s translation of the element at the same position, in a neutral, polite register. "+
		"Do not add, drop, merge or explain anything. Keep every placeholder such as ⟦0⟧ exactly as written, once, "+
		"with the same brackets ⟦ ⟧ and ASCII digits, "+
		"and keep product names, item IDs, URLs and code unchanged.",
		langName(src), langName(dst), langName(dst))
	if baseLang(dst) == "ja" {
		b.WriteString(" Write polite Japanese in the です・ます style throughout, and use the terminology of Microsoft's " +
			"Japanese Microsoft 365 admin center and Microsoft Learn documentation (for example サービス正常性, メッセージ センター, " +
			"管理センター, テナント), with a half-width space between Latin words and Japanese.")
	}
	var must, may []string
	for _, t := range terms {
		line := "- " + t.Source + " → " + t.Target
		if t.Preferred {
			may = append(may, line)
		} else {
			must = append(must, line)
		}
	}
	if len(must) > 0 {
		b.WriteString("\nAlways translate these terms exactly as given:\n" + strings.Join(must, "\n"))
	}
	if len(may) > 0 {
		b.WriteString("\nPrefer these translations where the meaning fits:\n" + strings.Join(may, "\n"))
	}
	return b.String()
}

// Translate sends texts in one chat completion, without glossary terms.
func (p *OpenAI) Translate(ctx context.Context, texts []string, src, dst string) ([]string, error) {
	return p.TranslateTerms(ctx, texts, src, dst, nil)
}

// TranslateTerms sends texts in one chat completion whose prompt lists the
// entries of g for dst that occur in texts.
func (p *OpenAI) TranslateTerms(ctx context.Context, texts []string, src, dst string, g *Glossary) ([]string, error) {
	in, err := json.Marshal(texts)
	if err != nil {
		return nil, fmt.Errorf("openai translate: encode texts: %w", err)
	}
	var terms []Term
	if g != nil {
		terms = g.TermsIn(texts, dst)
	}
	req := map[string]any{
		"model":       p.cfg.Model,
		"temperature": 0,
		"messages": []map[string]string{
			{"role": "system", "content": OpenAISystemPrompt(src, dst, terms)},
			{"role": "user", "content": string(in)},
		},
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if p.cfg.Key != "" {
		h.Set("Authorization", "Bearer "+p.cfg.Key)
	}
	var r struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	const action = "openai translate"
	err = p.d.postJSON(ctx, action, p.cfg.BaseURL+"/chat/completions", h, req, &r, func(status int, body []byte) error {
		var e struct {
			Error struct {
				Message string `json:"message"`
				Code    any    `json:"code"`
			} `json:"error"`
		}
		msg := snippet(body)
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Message
		}
		if fmt.Sprint(e.Error.Code) == "insufficient_quota" {
			return p.d.sentinelError(action, status, msg, ErrQuota)
		}
		return p.d.statusError(action, status, msg)
	})
	if err != nil {
		return nil, err
	}
	if len(r.Choices) == 0 {
		return nil, fmt.Errorf("openai translate: no choices in response")
	}
	out, err := parseJSONArray(r.Choices[0].Message.Content)
	if err != nil {
		return nil, fmt.Errorf("openai translate: %w", err)
	}
	if len(out) != len(texts) {
		return nil, fmt.Errorf("openai translate: %d translations for %d texts", len(out), len(texts))
	}
	return out, nil
}

// parseJSONArray reads the model's answer: a JSON array of strings,
// possibly inside a ```json fence or with text around it.
func parseJSONArray(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err == nil {
		return out, nil
	}
	i, j := strings.Index(s, "["), strings.LastIndex(s, "]")
	if i < 0 || j <= i {
		return nil, fmt.Errorf("answer is not a JSON array: %s", snippet([]byte(s)))
	}
	if err := json.Unmarshal([]byte(s[i:j+1]), &out); err != nil {
		return nil, fmt.Errorf("decode answer as a JSON array: %w", err)
	}
	return out, nil
}
