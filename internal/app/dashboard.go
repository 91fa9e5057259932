package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/metrics"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// ErrDashboard marks the errors of dashboard settings that cannot work,
// such as a listen address beyond loopback without credentials: a
// configuration mistake rather than a failure.
var ErrDashboard = errors.New("dashboard")

// Dashboard returns the server of the dashboard, JSON API, feeds and
// /metrics of st as cfg's serve settings describe it; addr, when set,
// replaces serve.addr. metrics may be nil (the server makes its own).
// `shdmc serve` runs it on its own; Run runs it while it polls
// (Options.Dashboard). Its errors wrap ErrDashboard.
func Dashboard(cfg *config.Config, st store.Store, addr string, metrics *metrics.Metrics, log *slog.Logger) (*serve.Server, error) {
	if addr == "" {
		addr = cfg.Serve.Addr
	}
	auth := serve.Auth{Token: cfg.Serve.Token.Reveal(), Username: cfg.Serve.Username, Password: cfg.Serve.Password.Reveal()}
	srv, err := serve.New(serve.Options{Store: st, Addr: addr, Auth: auth, Location: cfg.Location(),
		Interval: time.Duration(cfg.Interval), Logger: log, Metrics: metrics})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDashboard, err)
	}
	return srv, nil
}

// initDashboard builds the dashboard Run serves when o asks for it and
// the config does not turn it off, and feeds its metrics from every poll.
func (a *App) initDashboard(o *Options) error {
	if !o.Dashboard || a.cfg.Serve.Disabled {
		return nil
	}
	metrics := metrics.New()
	srv, err := Dashboard(a.cfg, a.st, o.DashboardAddr, metrics, a.log)
	if err != nil {
		return err
	}
	a.dash = srv
	observe, next := observeInto(metrics), o.Observe
	o.Observe = func(ob Observation) {
		observe(ob)
		if next != nil {
			next(ob)
		}
	}
	return nil
}

// serveDashboard serves the dashboard, if there is one, until ctx ends;
// wg is done when it has shut down.
func (a *App) serveDashboard(ctx context.Context, wg *sync.WaitGroup) {
	if a.dash == nil {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.dash.ListenAndServe(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("dashboard stopped", "err", err)
		}
	}()
	a.log.Info("dashboard", "url", "http://"+a.dash.Addr()+"/")
}

// observeInto feeds every poll into the dashboard's Prometheus metrics.
func observeInto(m *metrics.Metrics) func(Observation) {
	return func(o Observation) {
		src := make(map[model.Source]metrics.SourceTiming, len(o.Sources))
		for k, r := range o.Sources {
			src[k] = metrics.SourceTiming{Took: r.Took, Err: r.Err}
		}
		m.ObservePoll(src, o.Graph)
	}
}
