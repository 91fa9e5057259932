package serve

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/metrics"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/source"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// ErrSettings marks the errors of dashboard settings that cannot work,
// such as a listen address beyond loopback without credentials: a
// configuration mistake rather than a failure.
var ErrSettings = errors.New("dashboard")

// FromConfig returns the server of the dashboard, JSON API, feeds and
// /metrics of st as cfg's serve settings describe it; addr, when set,
// replaces serve.addr. m may be nil (the server makes its own).
// `shdmc serve` runs it on its own; Run runs it while it polls
// (Options.Dashboard). Its errors wrap ErrSettings.
func FromConfig(cfg *config.Config, st store.Store, addr string, m *metrics.Metrics, log *slog.Logger) (*Server, error) {
	if addr == "" {
		addr = cfg.Serve.Addr
	}
	provider, glossary, err := translate.MemoryKeyOf(cfg.Translator)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSettings, err)
	}
	auth := Auth{Token: cfg.Serve.Token.Reveal(), Username: cfg.Serve.Username, Password: cfg.Serve.Password.Reveal()}
	// The routes announce what people do on the dashboard (those that
	// name item.acknowledged and the like); `shdmc run` delivers them.
	names := make([]string, len(cfg.Channels))
	for i, c := range cfg.Channels {
		names[i] = c.Name
	}
	router, err := route.New(cfg.Routes, names)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSettings, err)
	}
	srv, err := New(Options{Store: st, Addr: addr, Auth: auth, Location: cfg.Location(),
		Interval: time.Duration(cfg.Interval), Polled: polledOf(cfg),
		TranslationProvider: provider, GlossaryVersion: glossary, Logger: log, Metrics: m, Targets: router.Match})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSettings, err)
	}
	return srv, nil
}

// polledOf answers Options.Polled from the config: the tenants it lists and
// does not disable, each source it turns on, at the tenant's interval.
// Public status pages count only when polled always (otherwise they are a
// fallback, quiet while Graph works).
func polledOf(cfg *config.Config) func(string, model.Source) (time.Duration, bool) {
	type entry struct {
		every   time.Duration
		sources map[model.Source]bool
	}
	byID := map[string]entry{}
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		if t.Disabled {
			continue
		}
		byID[t.ID] = entry{every: cfg.IntervalFor(t), sources: map[model.Source]bool{
			model.SourceSHD:    config.Enabled(t.Sources.Issues),
			model.SourceMC:     config.Enabled(t.Sources.Messages),
			model.SourceHealth: config.Enabled(t.Sources.Health),
		}}
	}
	public := cfg.Outage.PublicStatus
	return func(tenant string, src model.Source) (time.Duration, bool) {
		if tenant == source.PublicTenant {
			return time.Duration(public.Interval), public.Poll == config.PublicStatusAlways
		}
		e, ok := byID[tenant]
		if !ok {
			return 0, false
		}
		on, known := e.sources[src]
		return e.every, on || !known
	}
}
