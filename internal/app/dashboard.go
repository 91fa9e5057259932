package app

import (
	"context"
	"sync"

	"github.com/shdmc/shdmc/internal/metrics"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
)

// ErrDashboard marks dashboard settings that cannot work (serve.ErrSettings).
var ErrDashboard = serve.ErrSettings

// initDashboard builds the dashboard Run serves when o asks for it and
// the config does not turn it off, and feeds its metrics from every poll.
func (a *App) initDashboard(o *Options) error {
	if !o.Dashboard || a.cfg.Serve.Disabled {
		return nil
	}
	metrics := metrics.New()
	srv, err := serve.FromConfig(a.cfg, a.st, o.DashboardAddr, metrics, a.log)
	if err != nil {
		return err
	}
	a.dash, a.metrics = srv, metrics
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
	ln, err := a.dash.Listen()
	if err != nil {
		a.log.Error("dashboard stopped", "err", err)
		return
	}
	a.log.Info("dashboard", "url", "http://"+ln.Addr().String()+"/")
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.dash.Serve(ctx, ln); err != nil && ctx.Err() == nil {
			a.log.Error("dashboard stopped", "err", err)
		}
	}()
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
