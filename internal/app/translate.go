package app

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// newTranslator builds the translation service of the config; nil when no
// provider is configured.
func newTranslator(cfg config.Translator, st store.Store, log *slog.Logger, now func() time.Time) (*translate.Service, error) {
	if cfg.Provider == "" {
		return nil, nil
	}
	hc := translate.HTTPOptions{Client: &http.Client{}, Now: now}
	var (
		p   translate.Provider
		err error
	)
	key := cfg.Key.Reveal()
	switch cfg.Provider {
	case config.TranslatorDeepL:
		p, err = translate.NewDeepL(translate.DeepLConfig{Key: key, Plan: cfg.Plan, BaseURL: cfg.URL, HTTP: hc})
	case config.TranslatorAzure:
		p, err = translate.NewAzure(translate.AzureConfig{Key: key, Region: cfg.Region, BaseURL: cfg.URL, HTTP: hc})
	case config.TranslatorGoogle:
		p, err = translate.NewGoogle(translate.GoogleConfig{Key: key, BaseURL: cfg.URL, HTTP: hc})
	case config.TranslatorLibreTranslate:
		p, err = translate.NewLibreTranslate(translate.LibreTranslateConfig{URL: cfg.URL, APIKey: key, HTTP: hc})
	case config.TranslatorOpenAI:
		p, err = translate.NewOpenAI(translate.OpenAIConfig{BaseURL: cfg.URL, Model: cfg.Model, Key: key, HTTP: hc})
	default:
		return nil, fmt.Errorf("unknown translator %q", cfg.Provider)
	}
	if err != nil {
		return nil, fmt.Errorf("translator %s: %w", cfg.Provider, err)
	}
	tc := translate.Config{MonthlyCharBudget: int64(cfg.MonthlyCharBudget)}
	if cfg.GlossaryFile != "" {
		data, err := os.ReadFile(cfg.GlossaryFile)
		if err != nil {
			return nil, fmt.Errorf("translator glossary: %w", err)
		}
		if tc.Glossary, err = translate.ParseGlossary(data); err != nil {
			return nil, fmt.Errorf("translator glossary %s: %w", cfg.GlossaryFile, err)
		}
	}
	return translate.New(tc, p, st, translate.WithLogger(log), translate.WithNow(now)), nil
}
