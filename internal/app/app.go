// Package app wires shdmc together: it opens the store, builds the
// tenants' Graph configs, the router, the dispatcher for the channels and
// the poll scheduler (internal/poll), and runs them once (check) or for
// ever (run).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/metrics"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/source"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// Options are the process-level parts the App is built with.
type Options struct {
	Logger *slog.Logger
	// Stdout receives notices of stdout channels; nil = os.Stdout.
	Stdout io.Writer
	// Now is the clock of detection, delivery and resync scheduling (the
	// demo runs it on the scenario's time); nil = time.Now. Graph budgets
	// and timeouts always use real time.
	Now func() time.Time
	// Store overrides an already open store (tests, demo); the App then
	// does not close it.
	Store store.Store
	// NoBaseline announces everything found at first sight.
	NoBaseline bool
	// Concurrency bounds how many tenants are polled at once; 0 = 8.
	Concurrency int
	// Translator overrides the one built from the config (the demo's
	// shipped translation memory).
	Translator *translate.Service
	// Observe, when set, is told about every poll of a tenant (the
	// dashboard's /metrics feeds on it).
	Observe func(Observation)
	// GroupWindow is how long the deliveries of a group_tenants route
	// wait for the other tenants of the cycle; 0 = notify.DefaultGroupWindow.
	GroupWindow time.Duration
	// Dashboard makes Run serve the dashboard, JSON API, feeds and
	// /metrics of the store while it polls (serve.* of the config, unless
	// serve.disabled), every poll feeding the metrics (dashboard.go).
	Dashboard bool
	// DashboardAddr, when set, replaces serve.addr of the config.
	DashboardAddr string
}

// Observation describes one poll of one tenant.
type Observation = poll.Observation

// PublicTenant is the tenant name the public status items are stored and
// announced under: they belong to no tenant.
const PublicTenant = source.PublicTenant

// App is a configured shdmc.
type App struct {
	cfg        *config.Config
	st         store.Store
	ownSt      bool
	sched      *poll.Scheduler
	disp       *notify.Dispatcher
	router     *route.Router
	translator *translate.Service
	notifiers  map[string]notify.Notifier
	log        *slog.Logger
	now        func() time.Time
	// beat keeps shdmc honest while Microsoft 365 fails (heartbeat.go).
	beat *outage.Heartbeat
	// polled and kick are signalled by the scheduler during Run: after
	// every poll (the heartbeat's cycle), and when deliveries may be due.
	polled, kick chan struct{}
	// dash is the dashboard Run serves, if any (dashboard.go), and
	// metrics its Prometheus collectors.
	dash    *serve.Server
	metrics *metrics.Metrics
	// plans are the tenants' request plans (plan.go), logged when Run
	// starts.
	plans []outage.Plan
}

// New builds an App from a validated config.
func New(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	a := &App{cfg: cfg, log: o.Logger, now: o.Now, st: o.Store,
		polled: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.st == nil {
		st, err := store.Open(ctx, cfg.StoreDSN().Reveal(), store.WithLogger(a.log), store.WithNow(a.now),
			store.WithCursorStamp(quietStamp(cfg)))
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		a.st, a.ownSt = st, true
	}
	notifiers, names, locs, err := buildChannels(cfg, o.Stdout, a.st, a.now)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.router, err = route.New(cfg.Routes, names)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.notifiers = notifiers
	if o.Translator != nil {
		a.translator = o.Translator
	} else if a.translator, err = translate.FromConfig(cfg.Translator, a.st, a.log, a.now); err != nil {
		a.Close()
		return nil, err
	}
	a.disp = notify.New(notify.Config{Store: a.st, Notifiers: notifiers, Router: a.router, Translator: a.translator,
		FollowUp: cfg.Translator.FollowUp, Location: cfg.Location(), ChannelLocations: locs, GroupWindow: o.GroupWindow,
		Now: a.now, Logger: a.log})
	var scheduled []poll.Tenant
	budgets := map[string]*graph.Budget{} // one budget per Entra tenant and app
	httpClients := map[string]*http.Client{}
	tenants, err := a.tenantConfigs(ctx, cfg) // the config's and the database's (tenants.go)
	if err != nil {
		a.Close()
		return nil, err
	}
	var enabledTenants []config.Tenant
	for _, t := range tenants {
		if t.Disabled {
			continue
		}
		enabledTenants = append(enabledTenants, t)
		if err := a.st.UpsertTenant(ctx, model.Tenant{ID: t.ID, Name: t.Name}); err != nil {
			a.Close()
			return nil, fmt.Errorf("register tenant %s: %w", t.ID, err)
		}
		bk := budgetKey(t)
		if budgets[bk] == nil {
			// The budget counts real seconds, whatever clock detection runs on.
			budgets[bk] = graph.NewBudget(time.Now)
		}
		gc, err := graphConfig(t, budgets[bk], a.log)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
		}
		// Tenants share one HTTP client per CA bundle: its connections and
		// certificate pool are the bulk of a tenant's memory otherwise.
		if httpClients[t.CAFile] == nil {
			if httpClients[t.CAFile], err = graph.NewHTTPClient(t.CAFile); err != nil {
				a.Close()
				return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
			}
		}
		gc.HTTPClient, gc.CAFile = httpClients[t.CAFile], ""
		// Checked now, built by the scheduler at the first poll.
		if _, err := graph.New(gc); err != nil {
			a.Close()
			return nil, fmt.Errorf("tenant %s: create graph client: %w", t.ID, err)
		}
		set := poll.Settings{
			Overlap:        time.Duration(cfg.Overlap),
			OverlapEvery:   time.Duration(cfg.OverlapEvery),
			FullResync:     time.Duration(cfg.FullResync),
			SpreadResync:   true,
			AnnounceActive: cfg.Baseline.AnnounceActive,
			NoBaseline:     o.NoBaseline,
			Issues:         enabled(t.Sources.Issues),
			Messages:       enabled(t.Sources.Messages),
			Health:         enabled(t.Sources.Health),
			Targets:        a.router.Match,
			Escalations:    a.router.Escalations(),
			Reminders:      cfg.ReminderDays(),
		}
		iv := time.Duration(cfg.Interval)
		if t.Interval > 0 {
			iv = time.Duration(t.Interval)
		}
		scheduled = append(scheduled, poll.Tenant{ID: t.ID, Graph: gc, BudgetKey: bk, Settings: set, Interval: iv})
	}
	// The fast lane's interval comes from the plan, which keeps every
	// tenant's requests within its Graph budget.
	a.plans = outage.PlanTenants(cfg, enabledTenants)
	for i, p := range a.plans {
		scheduled[i].Lane = p.Lane
		if p.FastLane() {
			scheduled[i].IncidentInterval = p.IncidentInterval
		}
	}
	if err := a.initDashboard(&o); err != nil {
		a.Close()
		return nil, err
	}
	hc := cfg.Outage
	a.sched = poll.NewScheduler(poll.Options{
		Store: a.st, Tenants: scheduled, Public: publicSources(cfg.Outage.PublicStatus, a.router.Match),
		Outage:        outage.Settings{Failures: hc.Failures, After: hc.After.Std()},
		SourceTargets: a.sourceTargets,
		Concurrency:   o.Concurrency, Now: a.now, Logger: a.log, Observe: o.Observe,
		Due: func() { signal(a.kick) }, Polled: func() { signal(a.polled) },
		HealthStamp: quietStamp(cfg),
	})
	a.beat = outage.NewHeartbeat(hc.Heartbeat, heartbeatEvery(cfg, scheduled), a.log)
	return a, nil
}

func enabled(b *bool) bool { return b == nil || *b }

// quietStamp is how long a quiet poll (nothing changed) leaves the stored
// cursor and source health as they are, so that it writes nothing: the
// polling interval. A cursor or health that changed is always written, so
// watermarks, resyncs and outages do not depend on it; only the time of
// the last successful poll (the dashboard's "polled … ago", last_success
// on /metrics, `shdmc status`) lags by up to one interval, and the
// dashboard, which calls a source stale after three intervals without
// one, still sees a tenant polled every interval as fresh.
func quietStamp(cfg *config.Config) time.Duration { return time.Duration(cfg.Interval) }

// graphConfig turns a tenant's config into a Graph client config.
func graphConfig(t config.Tenant, b *graph.Budget, log *slog.Logger) (graph.Config, error) {
	gc := graph.Config{
		TenantID:                t.TenantID,
		ClientID:                t.ClientID,
		Auth:                    graph.AuthKind(t.Auth),
		ClientSecret:            t.ClientSecret.Reveal(),
		CertificatePassword:     t.CertificatePassword.Reveal(),
		ManagedIdentityClientID: t.ManagedIdentityClientID,
		Cloud:                   graph.Cloud(t.Cloud),
		GraphRoot:               t.GraphRoot,
		AuthorityHost:           t.AuthorityHost,
		CAFile:                  t.CAFile,
		Budget:                  b,
		Logger:                  log.With("tenant", t.ID),
	}
	if t.CertificateFile != "" {
		data, err := os.ReadFile(t.CertificateFile)
		if err != nil {
			return gc, fmt.Errorf("read certificate: %w", err)
		}
		gc.CertificatePEMOrPFX = data
	}
	return gc, nil
}

// Store returns the App's store.
func (a *App) Store() store.Store { return a.st }

// Close releases the store if the App opened it.
func (a *App) Close() error {
	if a.ownSt && a.st != nil {
		return a.st.Close()
	}
	return nil
}

// CheckResult summarizes one pass over every tenant.
type CheckResult struct {
	Tenants, Failed  int
	Events           int
	Sent, SendFailed int
}

// Check polls every tenant once, then delivers what is due. Tenant
// failures are returned joined after every tenant was tried.
func (a *App) Check(ctx context.Context) (CheckResult, error) {
	r, err := a.sched.PollAll(ctx)
	res := CheckResult{Tenants: r.Tenants, Failed: r.Failed, Events: r.Events}
	errs := []error{err}
	sent, failed, err := a.disp.Drain(ctx)
	res.Sent, res.SendFailed = sent, failed
	if err != nil {
		errs = append(errs, err)
	}
	a.afterCycle(ctx, true, err)
	return res, errors.Join(errs...)
}

// PollPublicStatus polls every public status source once, whatever the
// mode, stores their items (tenant PublicTenant) and announces new and
// changed ones through the routes. A source that fails keeps its last
// good items; its failure is recorded in the source health (without a
// notice: these pages are undocumented and only a fallback).
func (a *App) PollPublicStatus(ctx context.Context) error {
	return a.sched.PollPublic(ctx)
}

// Run polls every tenant at its interval (with jitter) and delivers
// notices until ctx is done, serving the dashboard meanwhile when
// Options.Dashboard asked for it, and prunes the store every
// retention.every (prune.go).
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outage.LogPlans(a.log, a.plans)
	var wg sync.WaitGroup
	a.serveDashboard(ctx, &wg) // stops with ctx (dashboard.go)
	wg.Add(1)
	go func() { defer wg.Done(); a.deliver(ctx) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.prune(ctx) }() // prune.go
	err := a.sched.Run(ctx)
	cancel()
	wg.Wait()
	return err
}

// deliver drains the outbox when the scheduler says deliveries may be due,
// and every 15 s for retries, until ctx is done: a quiet poll costs no
// outbox query.
func (a *App) deliver(ctx context.Context) {
	tick := time.NewTicker(15 * time.Second) // retries of failed deliveries
	defer tick.Stop()
	var drainErr error
	for {
		kicked := false
		select {
		case <-ctx.Done():
			return
		case <-a.polled:
			a.afterCycle(ctx, false, drainErr)
			continue
		case <-a.kick:
			kicked = true
		case <-tick.C:
		}
		_, _, drainErr = a.disp.Drain(ctx)
		if drainErr != nil && ctx.Err() == nil {
			a.log.Error("deliver notices", "err", drainErr)
		}
		if kicked {
			a.afterCycle(ctx, false, drainErr)
		}
	}
}

// signal wakes the receiver of c without waiting; signals coalesce.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
