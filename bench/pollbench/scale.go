package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/shdmc/shdmc/bench/internal/profile"
	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
)

// cycleMeasure is one App.Check over every tenant.
type cycleMeasure struct {
	Wall     time.Duration
	CPU      time.Duration // this process, user+sys
	SimCPU   time.Duration // the simulator process, user+sys
	PeakRSS  int64         // VmHWM after the cycle (monotonic)
	LiveHeap uint64        // live Go heap after the cycle and a forced GC
	DBBytes  int64         // SQLite database file after the cycle
	WALBytes int64         // SQLite write-ahead log after the cycle
	Wire     wireTotals
	Result   app.CheckResult
	Err      error
}

// scaleResult is the scale run.
type scaleResult struct {
	Tenants     int
	Shape       scenarioShape
	Concurrency int // what the App was given (0 = its default)
	Effective   int // what the App uses
	Setup       time.Duration
	SetupRSS    int64
	Cycles      []cycleMeasure
}

// appDefaultConcurrency is what app.Options.Concurrency 0 means (see
// internal/app: "0 = 8").
const appDefaultConcurrency = 8

func runScale(ctx context.Context, n int, shape scenarioShape, cycles, conc int, dir, memProfile, cpuProfile string) (scaleResult, error) {
	res := scaleResult{Tenants: n, Shape: shape, Concurrency: conc, Effective: conc}
	if conc <= 0 {
		res.Effective = appDefaultConcurrency
	}
	p, err := spawnSim(ctx, shape, n, dir)
	if err != nil {
		return res, fmt.Errorf("scale: %w", err)
	}
	defer p.Close()

	setupStart := time.Now()
	cfg := config.Default()
	cfg.Store = "sqlite://" + filepath.Join(dir, "scale.db")
	for i, id := range p.Info.Tenants {
		cfg.Tenants = append(cfg.Tenants, config.Tenant{
			ID: fmt.Sprintf("t%04d", i+1), TenantID: id, ClientID: p.Info.ClientID, Auth: config.AuthClientSecret,
			ClientSecret: config.Secret(p.Info.Secret), GraphRoot: p.Info.URL, AuthorityHost: p.Info.URL,
			CAFile: p.Info.CAFile,
		})
	}
	if err := cfg.Validate(); err != nil {
		return res, fmt.Errorf("scale: config: %w", err)
	}
	a, err := app.New(ctx, cfg, app.Options{Stdout: io.Discard, Concurrency: conc})
	if err != nil {
		return res, fmt.Errorf("scale: %w", err)
	}
	defer a.Close()
	res.Setup = time.Since(setupStart)
	res.SetupRSS, _ = peakRSS()

	prev, err := p.totals()
	if err != nil {
		return res, fmt.Errorf("scale: %w", err)
	}
	for c := 0; c < cycles; c++ {
		var stopProfile func() error
		if c == 0 && cpuProfile != "" {
			if stopProfile, err = profile.Start(cpuProfile); err != nil {
				return res, fmt.Errorf("scale: %w", err)
			}
		}
		cpu0, t0 := cpuTime(), time.Now()
		r, cerr := a.Check(ctx)
		if stopProfile != nil {
			if err := stopProfile(); err != nil {
				return res, fmt.Errorf("scale: %w", err)
			}
		}
		m := cycleMeasure{Wall: time.Since(t0), CPU: cpuTime() - cpu0, Result: r, Err: cerr}
		m.PeakRSS, _ = peakRSS()
		runtime.GC() // outside the measured span: live heap, not garbage
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		m.LiveHeap = ms.HeapAlloc
		m.DBBytes = filesSize(filepath.Join(dir, "scale.db"))
		m.WALBytes = filesSize(filepath.Join(dir, "scale.db-wal"))
		tot, err := p.totals()
		if err != nil {
			return res, fmt.Errorf("scale: %w", err)
		}
		m.Wire, prev = tot.sub(prev), tot
		m.SimCPU = m.Wire.CPU
		res.Cycles = append(res.Cycles, m)
		if ctx.Err() != nil {
			return res, fmt.Errorf("scale: cycle %d: %w", c+1, ctx.Err())
		}
	}
	if memProfile != "" {
		if err := writeHeapProfile(memProfile); err != nil {
			return res, fmt.Errorf("scale: %w", err)
		}
	}
	return res, nil
}

// writeHeapProfile writes the live heap (the App and its clients are still
// referenced) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write heap profile: %w", err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("write heap profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write heap profile: %w", err)
	}
	return nil
}

// filesSize sums the sizes of the files that exist.
func filesSize(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}
