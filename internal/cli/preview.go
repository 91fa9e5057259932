package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/demo/scenario"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/notify/webhook"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// The formats of `shdmc preview`: what each kind of channel receives.
var previewFormats = []string{"text", "markdown", "html", "card", "slack", "json"}

// previewOptions are the flags of `shdmc preview`.
type previewOptions struct {
	store     storeFlags
	tenant    string
	format    string
	language  string
	mode      string
	template  string
	demoWords bool
}

// previewCmd prints the notice of an item's latest change as a channel
// would receive it.
func previewCmd(g *globals) *cobra.Command {
	var o previewOptions
	cmd := &cobra.Command{
		Use:   "preview ITEM-ID",
		Short: "Print the notice of an item's latest change as a channel would receive it (text, markdown, html, card, slack, json)",
		Long: `Print the notice of the item's latest stored change exactly as a channel of the
given format would receive it: text and markdown as the stdout channel prints
them, html as the email body, card as the Teams message, slack as the Slack
payload, json as the webhook body. --language, --mode, --time-zone and
--template act as the keys of a route. Prose is translated by the config's
translator (its translation memory answers what was translated before);
without one, a notice in another language shows Microsoft's English, marked.
--demo-translations uses the demo scenario's shipped Japanese instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPreview(cmd.Context(), g, o, args[0])
		},
	}
	o.store.add(cmd)
	f := cmd.Flags()
	f.StringVar(&o.tenant, "tenant", "", "the tenant, when more than one has the item")
	f.StringVar(&o.format, "format", "text", "text, markdown, html, card, slack or json")
	f.StringVar(&o.language, "language", "en", "the reader's language: en or ja")
	f.StringVar(&o.mode, "mode", "", "for a language other than English: bilingual (default), translated or side-by-side")
	f.StringVar(&o.template, "template", "full", "full or short")
	f.BoolVar(&o.demoWords, "demo-translations", false, "translate with the demo scenario's shipped Japanese (for a store made by `shdmc demo`)")
	return cmd
}

func runPreview(ctx context.Context, g *globals, o previewOptions, id string) error {
	if !slices.Contains(previewFormats, o.format) {
		return exitError{2, fmt.Errorf("unknown format %q (want %s)", o.format, strings.Join(previewFormats, ", "))}
	}
	// The config is optional with --store: it gives the time zone and the
	// translator when there is one.
	var cfg *config.Config
	if o.store.dsn == "" || fileExists(g.configPath) {
		c, err := g.load()
		if err != nil {
			return err
		}
		cfg = c
	}
	dsn, loc, err := o.store.resolve(g)
	if err != nil {
		return err
	}
	rc := config.Route{Name: "preview", Channels: []string{"preview"}, Language: o.language, Mode: o.mode, Template: o.template, TimeZone: o.store.tz}
	if err := checkPreviewRoute(rc); err != nil {
		return exitError{2, err}
	}
	router, err := route.New([]config.Route{rc}, []string{"preview"})
	if err != nil {
		return exitError{2, err}
	}
	log := g.logger(cfg)
	st, err := store.Open(ctx, dsn, store.WithLogger(log))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	ev, err := latestEvent(ctx, st, o.tenant, id)
	if err != nil {
		return err
	}
	tr, err := previewTranslator(ctx, cfg, st, o.demoWords, log)
	if err != nil {
		return err
	}
	d := notify.New(notify.Config{Store: st, Router: router, Translator: tr, Location: loc, Logger: log})
	_, err = d.Preview(ctx, "preview", "preview", &printer{w: g.stdout, format: o.format}, ev)
	return err
}

// checkPreviewRoute validates the route the flags make, as the config
// file's routes are validated.
func checkPreviewRoute(rc config.Route) error {
	cfg := config.Default()
	cfg.Channels = []config.Channel{{Name: "preview", Type: "stdout", Settings: &file.StdoutSettings{Format: file.FormatText}}}
	cfg.Routes = []config.Route{rc}
	cfg.Tenants = []config.Tenant{{ID: "preview", TenantID: "00000000-0000-0000-0000-000000000000", ClientID: "00000000-0000-0000-0000-000000000000",
		Auth: "client_secret", ClientSecret: "preview"}}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("preview options: %w", err)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// latestEvent returns the latest stored event of an item, of tenant or of
// the one tenant that has it.
func latestEvent(ctx context.Context, st store.Store, tenant, id string) (*model.Event, error) {
	evs, err := st.Events(ctx, store.EventQuery{Tenant: tenant, ItemID: id})
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", id, err)
	}
	if len(evs) == 0 {
		if tenant != "" {
			return nil, fmt.Errorf("no change of %s is stored for tenant %s", id, tenant)
		}
		return nil, fmt.Errorf("no change of %s is stored", id)
	}
	var tenants []string
	for _, e := range evs {
		if !slices.Contains(tenants, e.Tenant) {
			tenants = append(tenants, e.Tenant)
		}
	}
	if len(tenants) > 1 {
		slices.Sort(tenants)
		return nil, exitError{2, fmt.Errorf("%s is stored for %d tenants (%s): choose one with --tenant", id, len(tenants), strings.Join(tenants, ", "))}
	}
	ev := evs[len(evs)-1]
	return &ev, nil
}

// previewTranslator is the demo's shipped memory, or the config's
// translator, or none.
func previewTranslator(ctx context.Context, cfg *config.Config, st store.Store, demo bool, log *slog.Logger) (*translate.Service, error) {
	if demo {
		mp, err := translate.LoadMemoryFile(scenario.TranslationsJA)
		if err != nil {
			return nil, fmt.Errorf("demo translations: %w", err)
		}
		svc := translate.New(translate.Config{}, mp, st, translate.WithLogger(log))
		if err := mp.Seed(ctx, st, svc.Glossary().Version(), time.Now()); err != nil {
			return nil, err
		}
		return svc, nil
	}
	if cfg == nil {
		return nil, nil
	}
	return translate.FromConfig(cfg.Translator, st, log, time.Now)
}

// printer is the channel of `shdmc preview`: it writes each notice in its
// format as that kind of channel would receive it.
type printer struct {
	w      io.Writer
	format string
}

// Notify implements notify.Notifier.
func (p *printer) Notify(ctx context.Context, n *notify.Notice) (notify.Receipt, error) {
	var out []byte
	var err error
	switch p.format {
	case "text", "markdown":
		f := render.FormatText
		if p.format == "markdown" {
			f = render.FormatMarkdown
		}
		o := n.Render
		o.Format = f
		return file.NewWriter(p.w, o).Notify(ctx, n)
	case "html":
		_, html, _ := render.HTML(n.Event, n.Render)
		out = []byte(html)
	case "card":
		out, err = render.AdaptiveCard(n.Event, n.Render)
	case "slack":
		out, err = render.SlackBlocks(n.Event, n.Render)
	case "json":
		var wh *webhook.Webhook
		if wh, err = webhook.New(webhook.Config{URL: "http://127.0.0.1/preview"}, nil, nil); err == nil {
			out, _, err = wh.Body(n)
		}
	default:
		err = errors.New("unknown format " + p.format)
	}
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("render the %s preview: %w", p.format, err)
	}
	if p.format != "html" {
		var b bytes.Buffer
		if json.Indent(&b, out, "", "  ") == nil {
			out = b.Bytes()
		}
	}
	if _, err := p.w.Write(append(out, '\n')); err != nil {
		return notify.Receipt{}, fmt.Errorf("write preview: %w", err)
	}
	return notify.Receipt{Status: "printed"}, nil
}
