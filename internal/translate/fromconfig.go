package translate

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/store"
)

// FromConfig builds the translation service of the config; nil when no
// provider is configured.
func FromConfig(cfg config.Translator, st store.Store, log *slog.Logger, now func() time.Time) (*Service, error) {
	if cfg.Provider == "" {
		return nil, nil
	}
	hc := HTTPOptions{Client: &http.Client{}, Now: now}
	var (
		p   Provider
		err error
	)
	key := cfg.Key.Reveal()
	switch cfg.Provider {
	case config.TranslatorDeepL:
		p, err = NewDeepL(DeepLConfig{Key: key, Plan: cfg.Plan, BaseURL: cfg.URL, Formality: cfg.Formality, HTTP: hc, Logger: log})
	case config.TranslatorAzure:
		p, err = NewAzure(AzureConfig{Key: key, Region: cfg.Region, BaseURL: cfg.URL, HTTP: hc})
	case config.TranslatorGoogle:
		p, err = NewGoogle(GoogleConfig{Key: key, BaseURL: cfg.URL, HTTP: hc})
	case config.TranslatorLibreTranslate:
		p, err = NewLibreTranslate(LibreTranslateConfig{URL: cfg.URL, APIKey: key, HTTP: hc})
	case config.TranslatorOpenAI:
		p, err = NewOpenAI(OpenAIConfig{BaseURL: cfg.URL, Model: cfg.Model, Key: key, HTTP: hc})
	default:
		return nil, fmt.Errorf("unknown translator %q", cfg.Provider)
	}
	if err != nil {
		return nil, fmt.Errorf("translator %s: %w", cfg.Provider, err)
	}
	tc := Config{MonthlyCharBudget: int64(cfg.MonthlyCharBudget)}
	if tc.Glossary, err = glossaryOf(cfg); err != nil {
		return nil, err
	}
	return New(tc, p, st, WithLogger(log), WithNow(now)), nil
}

// glossaryOf reads the configured glossary file (nil: the default).
func glossaryOf(cfg config.Translator) (*Glossary, error) {
	if cfg.GlossaryFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(cfg.GlossaryFile)
	if err != nil {
		return nil, fmt.Errorf("translator glossary: %w", err)
	}
	g, err := ParseGlossary(data)
	if err != nil {
		return nil, fmt.Errorf("translator glossary %s: %w", cfg.GlossaryFile, err)
	}
	return g, nil
}

// MemoryKeyOf returns the memory key parts (Service.MemoryKey) of the
// service FromConfig builds for cfg, without building it (no secrets are
// read): the translation memory provider "memory" and the default glossary
// when no provider is configured.
func MemoryKeyOf(cfg config.Translator) (provider, glossaryVersion string, err error) {
	g, err := glossaryOf(cfg)
	if err != nil {
		return "", "", err
	}
	if g == nil {
		g = DefaultGlossary()
	}
	provider = cfg.Provider
	switch {
	case provider == "":
		provider = MemoryProviderName
	case provider == config.TranslatorDeepL && cfg.Formality != "":
		provider += ":formality=" + cfg.Formality
	}
	return provider, g.Version(), nil
}
