// Package translate turns the prose of a notice into the reader's language
// cheaply and safely. It never sees whole notices: render hands it the prose
// units (paragraphs, titles, sections) and looks the results up again.
//
// A Service looks each unit up in the translation memory (shared by every
// tenant, keyed by the hash of the normalized text, the languages, the
// provider and the glossary version), sends only the misses to a Provider in
// batches within the provider's limits and a monthly character budget,
// protects item IDs, URLs, e-mail addresses, PowerShell cmdlets, code
// spans, dates and the product names of the glossary so that the
// translator leaves them alone, gives the provider the glossary's term →
// translation entries (admin center → 管理センター) in the way it
// understands, checks that every protected token survived and every term
// came out translated as the glossary says, and counts what it did per
// provider and month. Providers are one file each: DeepL, Azure AI Translator v3, Google
// Cloud Translation v2, LibreTranslate and any OpenAI-compatible chat
// endpoint; the "memory" provider serves the Japanese shipped with the demo
// scenario.
//
// A translation failure never blocks a notice: TranslateAll returns what it
// could translate together with an error describing the rest.
package translate

import (
	"context"
	"errors"
	"time"

	"github.com/shdmc/shdmc/internal/store"
)

// Provider is one machine translation service.
type Provider interface {
	// Name is the provider's stable name, part of the memory key and of the
	// usage counters ("deepl", "azure", "google", "libretranslate",
	// "openai", "memory").
	Name() string
	// Translate translates texts from src to dst (BCP 47 tags such as "en"
	// and "ja") and returns one result per text, in order. Texts carry the
	// protection markup of the provider's Markup (see Marker).
	Translate(ctx context.Context, texts []string, src, dst string) ([]string, error)
	// Limits are the provider's documented per-request limits.
	Limits() Limits
}

// Varianter is implemented by a provider with a setting that changes its
// translations (DeepL's formality): MemoryVariant is added to the memory
// key's provider, so that changing the setting translates again instead of
// serving what the old setting produced. "" adds nothing.
type Varianter interface {
	MemoryVariant() string
}

// memoryProvider is the provider part of the memory key of p's
// translations: its name, then ":" and its variant when it has one.
func memoryProvider(p Provider) string {
	if v, ok := p.(Varianter); ok && v.MemoryVariant() != "" {
		return p.Name() + ":" + v.MemoryVariant()
	}
	return p.Name()
}

// Limits bound one request to a provider; zero means unlimited.
type Limits struct {
	// MaxTextsPerRequest is the largest number of texts in one request.
	MaxTextsPerRequest int
	// MaxCharsPerRequest is the largest number of characters (runes, after
	// markup) in one request.
	MaxCharsPerRequest int
}

// limitsOr is the configured limits texts and chars, each replaced by its
// default when it is not positive.
func limitsOr(texts, chars, defTexts, defChars int) Limits {
	l := Limits{MaxTextsPerRequest: texts, MaxCharsPerRequest: chars}
	if l.MaxTextsPerRequest <= 0 {
		l.MaxTextsPerRequest = defTexts
	}
	if l.MaxCharsPerRequest <= 0 {
		l.MaxCharsPerRequest = defChars
	}
	return l
}

// Markup names how protected tokens are marked in the text sent to a
// provider.
type Markup int

// The markups a provider can ask for.
const (
	// MarkupPlaceholder replaces each protected token by ⟦n⟧ and restores
	// it afterwards (the default for providers that are not Markers).
	MarkupPlaceholder Markup = iota
	// MarkupXML XML-escapes the text and wraps tokens in <x>…</x>, for
	// DeepL's tag_handling=xml with ignore_tags=x.
	MarkupXML
	// MarkupHTML HTML-escapes the text and wraps tokens in
	// <span class="notranslate">…</span> (Azure, Google, LibreTranslate).
	MarkupHTML
	// MarkupNone sends the text as it is (the shipped memory); the tokens
	// are still checked afterwards.
	MarkupNone
	// MarkupHTMLDictionary is MarkupHTML with each glossary term wrapped in
	// Azure's dynamic dictionary markup, <mstrans:dictionary
	// translation="管理センター">admin center</mstrans:dictionary>, when
	// the source language is given and English is one of the two.
	MarkupHTMLDictionary
)

// Marker is implemented by providers that want a Markup other than
// MarkupPlaceholder.
type Marker interface {
	// Markup is the protection markup the provider understands.
	Markup() Markup
}

// TermTranslator is implemented by providers that apply a glossary's term
// → translation entries themselves (a DeepL glossary, a model's prompt).
// The Service calls TranslateTerms instead of Translate and sends the terms
// as they are; to other providers it sends each term already translated,
// protected like a token. Either way it checks afterwards that each term
// appears in its translation.
type TermTranslator interface {
	Provider
	// TranslateTerms is Translate with the glossary in use.
	TranslateTerms(ctx context.Context, texts []string, src, dst string, g *Glossary) ([]string, error)
}

// Memory is the part of the store the translation memory needs;
// store.Store implements it.
type Memory interface {
	// Translation returns a stored translation or an error wrapping
	// store.ErrNotFound.
	Translation(ctx context.Context, k store.TranslationKey) (string, error)
	// PutTranslation stores a translation.
	PutTranslation(ctx context.Context, k store.TranslationKey, text string, at time.Time) error
	// AddTranslationUsage adds to a provider's monthly counters.
	AddTranslationUsage(ctx context.Context, provider, month string, u store.TranslationUsage) error
	// TranslationUsages returns the counters of a month ("" = all).
	TranslationUsages(ctx context.Context, month string) ([]store.TranslationUsage, error)
}

var _ Memory = store.Store(nil)

// Errors a provider reports; test with errors.Is.
var (
	// ErrAuth means the provider rejected the credentials (401/403); it is
	// permanent until the configuration changes.
	ErrAuth = errors.New("translator rejected the credentials")
	// ErrQuota means the provider's own character quota is used up (DeepL
	// 456, Azure 403001); not retryable this period.
	ErrQuota = errors.New("translator quota exceeded")
	// ErrUnsupportedLanguage means the provider does not translate between
	// the requested languages.
	ErrUnsupportedLanguage = errors.New("language not supported by the translator")
	// ErrBudget means shdmc's own monthly character budget for the provider
	// would be exceeded; the texts were not sent.
	ErrBudget = errors.New("monthly translation budget exceeded")
	// ErrProtectedToken means a protected token did not survive translation;
	// the original text is used instead.
	ErrProtectedToken = errors.New("protected token lost in translation")
	// ErrGlossaryTerm means a glossary term is missing from a translation
	// in its translated form; the original text is used instead.
	ErrGlossaryTerm = errors.New("glossary term missing from the translation")
	// ErrNoTranslation means the provider returned no translation for a
	// text (for the shipped memory: the text is not in it).
	ErrNoTranslation = errors.New("no translation returned")
)

// Permanent reports whether err will not go away by retrying soon
// (credentials, quota, budget, unsupported language).
func Permanent(err error) bool {
	return errors.Is(err, ErrAuth) || errors.Is(err, ErrQuota) ||
		errors.Is(err, ErrUnsupportedLanguage) || errors.Is(err, ErrBudget)
}
