// Package app wires shdmc together: it opens the store, builds a Graph
// client and a poller per tenant, and a dispatcher for the channels, and
// runs them once (check) or for ever (run).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

var _ poll.Fetcher = (*graph.Client)(nil)

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
	// Dashboard makes Run serve the dashboard, JSON API, feeds and
	// /metrics of the store while it polls (serve.* of the config, unless
	// serve.disabled), every poll feeding the metrics (dashboard.go).
	Dashboard bool
	// DashboardAddr, when set, replaces serve.addr of the config.
	DashboardAddr string
}

// Observation describes one poll of one tenant.
type Observation struct {
	Tenant string
	// Sources holds each polled source's duration and error.
	Sources map[model.Source]poll.SourceResult
	// Graph is what the tenant's Graph client did during the poll.
	Graph graph.Stats
}

// App is a configured shdmc.
type App struct {
	onPoll     func(Observation)
	cfg        *config.Config
	st         store.Store
	ownSt      bool
	tenants    []*tenant
	disp       *notify.Dispatcher
	router     *route.Router
	translator *translate.Service
	notifiers  map[string]notify.Notifier
	log        *slog.Logger
	now        func() time.Time
	conc       int
	// health, beat and public keep shdmc honest while Microsoft 365
	// fails (health.go, heartbeat.go, publicstatus.go).
	health *healthKeeper
	beat   *heartbeat
	public *publicStatus
	// groupWindow is how long the deliveries of a group_tenants route wait
	// for the other tenants of the cycle (hold.go).
	groupWindow time.Duration
	// dash is the dashboard Run serves, if any (dashboard.go).
	dash *serve.Server
}

// tenant is one polled tenant. Its Graph client and poller are built at
// its first poll and, when workers share the tenants, dropped when another
// worker takes it over, so that a worker holds clients only for its share.
type tenant struct {
	cfg      config.Tenant
	gc       graph.Config
	set      poll.Settings
	interval time.Duration
	// budget is shared by the tenants of one Entra tenant and app;
	// budgetKey names it in the store (workers.go).
	budget    *graph.Budget
	budgetKey string

	mu     sync.Mutex
	poller *poll.Poller  // nil until the first poll, and after a handover
	client *graph.Client // the poller's, for its statistics
}

// pollerOf returns t's poller, building its Graph client first if needed.
func (a *App) pollerOf(t *tenant) (*poll.Poller, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.poller == nil {
		client, err := graph.New(t.gc)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: create graph client: %w", t.cfg.ID, err)
		}
		t.poller, t.client = poll.New(t.cfg.ID, client, a.st, t.set, a.now, a.log), client
	}
	return t.poller, nil
}

// stats returns the counters of t's Graph client.
func (t *tenant) stats() graph.Stats {
	t.mu.Lock()
	c := t.client
	t.mu.Unlock()
	if c == nil {
		return graph.Stats{}
	}
	return c.Stats()
}

// statsDelta is what a Graph client did between two snapshots.
func statsDelta(a, b graph.Stats) graph.Stats {
	d := graph.Stats{Requests: b.Requests - a.Requests, BytesRead: b.BytesRead - a.BytesRead,
		Throttled: b.Throttled - a.Throttled, ThrottledWait: b.ThrottledWait - a.ThrottledWait,
		Retries: b.Retries - a.Retries, TokenRefreshes: b.TokenRefreshes - a.TokenRefreshes,
		ByStatus: map[int]int64{}}
	for code, n := range b.ByStatus {
		if n -= a.ByStatus[code]; n > 0 {
			d.ByStatus[code] = n
		}
	}
	return d
}

// drop forgets t's Graph client and poller (the tenant went to another
// worker); a later poll builds them again.
func (t *tenant) drop() {
	t.mu.Lock()
	t.poller, t.client = nil, nil
	t.mu.Unlock()
}

// New builds an App from a validated config.
func New(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	a := &App{cfg: cfg, log: o.Logger, now: o.Now, st: o.Store, conc: o.Concurrency, groupWindow: defaultGroupWindow,
		onPoll: o.Observe}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.conc <= 0 {
		a.conc = 8
	}
	if a.st == nil {
		st, err := store.Open(ctx, cfg.StoreDSN().Reveal(), store.WithLogger(a.log), store.WithNow(a.now))
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		a.st, a.ownSt = st, true
	}
	notifiers, names, err := buildChannels(cfg, o.Stdout, a.st, a.now)
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
	a.disp = notify.NewDispatcher(a.st, notifiers, a.now, a.log)
	if o.Translator != nil {
		a.translator = o.Translator
	} else if a.translator, err = newTranslator(cfg.Translator, a.st, a.log, a.now); err != nil {
		a.Close()
		return nil, err
	}
	a.disp.Prepare = a.prepare
	a.disp.FollowUp = a.followUp
	a.disp.Hold = a.hold
	a.disp.Failover = func(name string) (string, time.Duration) {
		r, _ := a.router.Route(name)
		return r.Failover.Channel, time.Duration(r.Failover.After)
	}
	budgets := map[string]*graph.Budget{} // one budget per Entra tenant and app
	httpClients := map[string]*http.Client{}
	tenants, err := a.tenantConfigs(ctx, cfg) // the config's and the database's (tenants.go)
	if err != nil {
		a.Close()
		return nil, err
	}
	for _, t := range tenants {
		if t.Disabled {
			continue
		}
		if err := a.st.UpsertTenant(ctx, model.Tenant{ID: t.ID, Name: t.Name}); err != nil {
			a.Close()
			return nil, fmt.Errorf("register tenant %s: %w", t.ID, err)
		}
		bk := t.TenantID + "/" + t.ClientID
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
		// Checked now, built at the first poll (pollerOf).
		if _, err := graph.New(gc); err != nil {
			a.Close()
			return nil, fmt.Errorf("tenant %s: create graph client: %w", t.ID, err)
		}
		set := poll.Settings{
			Overlap:        time.Duration(cfg.Overlap),
			OverlapEvery:   time.Duration(cfg.OverlapEvery),
			FullResync:     time.Duration(cfg.FullResync),
			AnnounceActive: cfg.Baseline.AnnounceActive,
			NoBaseline:     o.NoBaseline,
			Issues:         enabled(t.Sources.Issues),
			Messages:       enabled(t.Sources.Messages),
			Health:         enabled(t.Sources.Health),
			Targets:        a.router.Match,
		}
		iv := time.Duration(cfg.Interval)
		if t.Interval > 0 {
			iv = time.Duration(t.Interval)
		}
		a.tenants = append(a.tenants, &tenant{cfg: t, gc: gc, set: set, interval: iv, budget: budgets[bk], budgetKey: bk})
	}
	if err := a.initDashboard(o); err != nil {
		a.Close()
		return nil, err
	}
	a.initResilience()
	return a, nil
}

func enabled(b *bool) bool { return b == nil || *b }

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
	var (
		mu   sync.Mutex
		res  CheckResult
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, a.conc)
	)
	for _, t := range a.tenants {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, _, err := a.pollTenant(ctx, t)
			mu.Lock()
			defer mu.Unlock()
			res.Tenants++
			res.Events += r.Events
			if err != nil {
				res.Failed++
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if a.publicDue() {
		_ = a.PollPublicStatus(ctx) // failures are logged and kept in the source health
	}
	sent, failed, err := a.disp.Drain(ctx)
	res.Sent, res.SendFailed = sent, failed
	if err != nil {
		errs = append(errs, err)
	}
	a.afterCycle(ctx, true, err)
	return res, errors.Join(errs...)
}

// pollTenant polls t once; due reports whether the poll may have queued
// deliveries (events, a source health transition, or a failure).
func (a *App) pollTenant(ctx context.Context, t *tenant) (r poll.Result, due bool, err error) {
	start := time.Now()
	p, err := a.pollerOf(t)
	if err != nil {
		return r, true, err
	}
	var before graph.Stats
	if a.onPoll != nil {
		before = t.stats()
	}
	r, err = p.Poll(ctx)
	if a.onPoll != nil {
		a.onPoll(Observation{Tenant: t.cfg.ID, Sources: r.Sources, Graph: statsDelta(before, t.stats())})
	}
	announced := a.afterPoll(ctx, t, r, err)
	due = r.Events > 0 || announced || err != nil
	log := a.log.With("tenant", t.cfg.ID, "events", r.Events, "items", r.Items, "full", r.Full,
		"took", time.Since(start).Round(time.Millisecond))
	if err != nil {
		log.Warn("poll failed", "err", err)
	} else {
		log.Debug("poll done")
	}
	return r, due, err
}

// Run polls every tenant at its interval (with jitter) and delivers
// notices until ctx is done, serving the dashboard meanwhile when
// Options.Dashboard asked for it.
func (a *App) Run(ctx context.Context) error {
	if len(a.tenants) == 0 {
		return errors.New("no enabled tenants in config")
	}
	co, err := a.startWorker(ctx) // share the tenants with other workers (workers.go)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	a.serveDashboard(ctx, &wg) // stops with ctx (dashboard.go)
	wg.Add(1)
	go func() { defer wg.Done(); co.run(ctx) }()
	sem := make(chan struct{}, a.conc)
	// polled is signalled after every poll (the heartbeat's cycle), kick
	// after a poll that may have queued deliveries: a quiet poll costs no
	// outbox query; retries come with the ticker below.
	polled := make(chan struct{}, 1)
	kick := make(chan struct{}, 1)
	for i, t := range a.tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the first polls over the first interval (at most 30 s)
			// so that many tenants do not start at once.
			first := time.Duration(0)
			if n := len(a.tenants); n > 1 {
				first = min(t.interval, 30*time.Second) * time.Duration(i) / time.Duration(n)
			}
			timer := time.NewTimer(first)
			defer timer.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
				sem <- struct{}{}
				ok, due := a.pollShared(ctx, co, t)
				<-sem
				if !ok {
					timer.Reset(jitter(t.interval))
					continue
				}
				signal(polled)
				if due {
					signal(kick)
				}
				timer.Reset(jitter(a.pollInterval(t)))
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); a.runPublicStatus(ctx, kick) }()
	tick := time.NewTicker(15 * time.Second) // retries of failed deliveries
	defer tick.Stop()
	var drainErr error
	for {
		kicked := false
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-polled:
			a.afterCycle(ctx, false, drainErr)
			continue
		case <-kick:
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

// jitter returns d ± 10 %.
func jitter(d time.Duration) time.Duration {
	j := int64(d) / 10
	if j <= 0 {
		return d
	}
	return d - time.Duration(j) + time.Duration(rand.Int64N(2*j+1))
}
