package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// sourceLanguage is the language Microsoft writes in.
const sourceLanguage = "en"

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

// followUpSuffix ends the idempotency key of a delivery that brings the
// translation of a notice sent earlier without it.
const followUpSuffix = "/translation"

// followUpAfter is when such a delivery is first tried.
const followUpAfter = 10 * time.Minute

// prepare fills a notice's render options for a channel (Dispatcher.Prepare).
// A translation that failed for a reason that may pass marks the notice for
// a follow-up; a follow-up whose translation is still missing is not sent.
func (a *App) prepare(ctx context.Context, n *notify.Notice, channel string) error {
	followUp := strings.HasSuffix(n.Key, followUpSuffix)
	o, incomplete, err := a.renderOptionsErr(ctx, n.Route, channel, n.Event)
	if strings.HasPrefix(n.Key, groupPrefix) {
		// One notice for the tenants of a group_tenants route (hold.go).
		also, aerr := a.alsoIn(ctx, n.Route, n.Event)
		if aerr != nil {
			return aerr
		}
		o.AlsoIn = also
	}
	n.Render = o
	switch {
	case followUp && incomplete:
		return fmt.Errorf("translation still unavailable: %w", err)
	case followUp:
		n.Render.Mode = render.ModeTranslated
		n.Render.NoteKey = "note.translationFollowUp"
	case incomplete && err != nil && a.cfg.Translator.FollowUp && !translate.Permanent(err) && !errors.Is(err, translate.ErrBudget):
		n.FollowUp = true
	}
	return nil
}

// followUp queues the translation of a notice that went out without it.
func (a *App) followUp(ctx context.Context, dl *store.Delivery, n *notify.Notice) {
	added, err := a.st.EnqueueDelivery(ctx, dl.Event.ID, dl.Channel, dl.Route, dl.Key+followUpSuffix, a.now().Add(followUpAfter))
	switch {
	case err != nil:
		a.log.Error("queue the translation follow-up", "item", dl.Event.ItemID, "err", err)
	case added:
		a.log.Info("translation follows later", "item", dl.Event.ItemID, "route", dl.Route, "channel", dl.Channel)
	}
}

// renderOptions is renderOptionsErr without the translation outcome.
func (a *App) renderOptions(ctx context.Context, routeName, channel string, ev *model.Event) render.Options {
	o, _, _ := a.renderOptionsErr(ctx, routeName, channel, ev)
	return o
}

// renderOptionsErr resolves how an event reads for a route on a channel:
// the route's time zone (else the channel's, else the global one),
// language, mode and template, and for a language other than English the
// translation of the event's new prose. A translation failure never
// blocks the notice: the untranslated prose is shown, marked as such, and
// incomplete says so (err is the translator's).
func (a *App) renderOptionsErr(ctx context.Context, routeName, channel string, ev *model.Event) (o render.Options, incomplete bool, err error) {
	o = render.Options{Location: a.cfg.Location()}
	for _, c := range a.cfg.Channels {
		if c.Name == channel && c.TimeZone != "" {
			if l, err := time.LoadLocation(c.TimeZone); err == nil {
				o.Location = l
			}
		}
	}
	r, ok := a.router.Route(routeName)
	if !ok {
		return o, false, nil
	}
	if r.TimeZone != "" {
		if l, err := time.LoadLocation(r.TimeZone); err == nil {
			o.Location = l
		}
	}
	if r.Template == "short" {
		o.MaxPostChars = 500
	}
	lang := strings.ToLower(r.Language)
	if lang == "" || lang == sourceLanguage {
		return o, false, nil
	}
	o.Language, o.Mode = lang, r.Mode
	if a.translator == nil || ev == nil {
		return o, false, nil
	}
	if a.translator.Provider().Name() == translate.MemoryProviderName {
		o.NoteKey = "note.demoTranslation" // written for the demo, not machine translated
	}
	segs := render.Segments(ev)
	if len(segs) == 0 {
		return o, false, nil
	}
	tr, rep, err := a.translator.TranslateAll(ctx, segs, sourceLanguage, lang)
	if err != nil {
		a.log.Warn("translation incomplete; the notice shows the original text where it is missing",
			"item", ev.ItemID, "route", routeName, "provider", rep.Provider, "translated", rep.Translated,
			"untranslated", len(rep.Untranslated), "budget_exceeded", rep.BudgetExceeded, "err", err)
	}
	o.Prose = func(s string) (string, bool) {
		t, ok := tr[s]
		return t, ok
	}
	return o, len(tr) < len(segs), err
}
