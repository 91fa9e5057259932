package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/sim"
	"github.com/shdmc/shdmc/internal/store"
)

// pollMeasure is what one poll of one tenant cost.
type pollMeasure struct {
	Wire        wireTotals          // as the simulator saw it
	Client      graph.Stats         // as the Graph client counted it (delta)
	Items       int                 // items the poller fetched
	Events      int                 // events detected
	Full        bool                // issues or messages were fetched in full (health always is)
	Took        time.Duration       // wall time of the poll
	Records     []sim.RequestRecord // every request of the poll
	StoreWrites int                 // items written (changed revisions)
}

// steadyBench wires one tenant like internal/app does (Graph client, poller
// with the default config's settings, SQLite store) against an in-process
// simulator, and polls it polls times with nothing changing in between.
type steadyBench struct {
	srv    *sim.Server
	st     store.Store
	client *graph.Client
	poller *poll.Poller
	// skew moves the poller's clock forward, to reach overlap_every.
	skew         time.Duration
	overlapEvery time.Duration
	fullResync   time.Duration
}

func newSteadyBench(ctx context.Context, shape scenarioShape, dir string) (*steadyBench, error) {
	srv, info, err := startSim(shape, 1, dir)
	if err != nil {
		return nil, err
	}
	b := &steadyBench{srv: srv}
	b.st, err = store.Open(ctx, "sqlite://"+filepath.Join(dir, "steady.db"))
	if err != nil {
		b.close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	cfg := config.Default()
	b.client, err = graph.New(graph.Config{
		TenantID: info.Tenants[0], ClientID: info.ClientID, ClientSecret: info.Secret,
		GraphRoot: info.URL, AuthorityHost: info.URL, CAFile: info.CAFile,
	})
	if err != nil {
		b.close()
		return nil, fmt.Errorf("create graph client: %w", err)
	}
	set := poll.Settings{
		Overlap: cfg.Overlap.Std(), OverlapEvery: cfg.OverlapEvery.Std(), FullResync: cfg.FullResync.Std(), SpreadResync: true,
		AnnounceActive: cfg.Baseline.AnnounceActive,
		Issues:         true, Messages: true, Health: true, Channels: []string{"stdout"},
	}
	b.overlapEvery, b.fullResync = cfg.OverlapEvery.Std(), cfg.FullResync.Std()
	// Start the clock a minute after the tenant's own resync slot, so the
	// spread full resync falls due where runSteady expects it and not, by
	// the time of day, in the middle of the incremental polls.
	b.skew = sinceSlot(time.Now(), b.fullResync, poll.ResyncOffset(info.Tenants[0], b.fullResync), time.Minute)
	b.poller = poll.New("steady", b.client, b.st, set, func() time.Time { return time.Now().Add(b.skew) }, nil)
	return b, nil
}

// sinceSlot is how far to move the clock forward from now so that it reads
// after past the next resync slot (poll.ResyncSlot).
func sinceSlot(now time.Time, period, offset, after time.Duration) time.Duration {
	return poll.ResyncSlot(now, period, offset).Add(period).Sub(now) + after
}

func (b *steadyBench) close() {
	if b.st != nil {
		_ = b.st.Close()
	}
	_ = b.srv.Close()
}

// poll runs one pass and measures it.
func (b *steadyBench) poll(ctx context.Context) (pollMeasure, error) {
	before := len(b.srv.Requests())
	cs := b.client.Stats()
	start := time.Now()
	r, err := b.poller.Poll(ctx)
	m := pollMeasure{Took: time.Since(start), Items: r.Items, Events: r.Events,
		Full: r.Sources[model.SourceSHD].Full || r.Sources[model.SourceMC].Full}
	if err != nil {
		return m, fmt.Errorf("poll: %w", err)
	}
	for _, s := range r.Sources {
		m.StoreWrites += s.Changed
	}
	recs := b.srv.Requests()
	m.Records = recs[before:]
	m.Wire = totalsOf(m.Records)
	after := b.client.Stats()
	m.Client = graph.Stats{Requests: after.Requests - cs.Requests, BytesRead: after.BytesRead - cs.BytesRead,
		Throttled: after.Throttled - cs.Throttled, Retries: after.Retries - cs.Retries}
	return m, nil
}

// steadyResult holds the baseline poll and the incremental polls after it.
type steadyResult struct {
	Shape scenarioShape
	Full  pollMeasure
	Incr  []pollMeasure
	// ReachBack is the incremental poll that reaches back by the overlap,
	// once every OverlapEvery.
	ReachBack    pollMeasure
	OverlapEvery time.Duration
	// Resync is the full resync (every FullResync) with nothing changed.
	Resync     pollMeasure
	FullResync time.Duration
}

func runSteady(ctx context.Context, shape scenarioShape, incremental int, dir string) (steadyResult, error) {
	res := steadyResult{Shape: shape}
	b, err := newSteadyBench(ctx, shape, dir)
	if err != nil {
		return res, fmt.Errorf("steady state: %w", err)
	}
	defer b.close()
	if res.Full, err = b.poll(ctx); err != nil {
		return res, fmt.Errorf("steady state: baseline: %w", err)
	}
	for range incremental {
		m, err := b.poll(ctx)
		if err != nil {
			return res, fmt.Errorf("steady state: incremental: %w", err)
		}
		res.Incr = append(res.Incr, m)
	}
	// Every overlap_every, an incremental poll reaches back by the overlap.
	b.skew += b.overlapEvery
	if res.ReachBack, err = b.poll(ctx); err != nil {
		return res, fmt.Errorf("steady state: reaching back: %w", err)
	}
	res.OverlapEvery = b.overlapEvery
	// Every full_resync, a poll lists the collections whole to notice
	// removed items.
	b.skew += b.fullResync
	if res.Resync, err = b.poll(ctx); err != nil {
		return res, fmt.Errorf("steady state: full resync: %w", err)
	}
	res.FullResync = b.fullResync
	return res, nil
}
