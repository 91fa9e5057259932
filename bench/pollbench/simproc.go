package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/bench/internal/simproc"
	"github.com/shdmc/shdmc/internal/sim"
)

// wireTotals are what went over the wire, split by kind, as the simulator
// recorded it (response bodies only: no headers, no TLS framing).
type wireTotals struct {
	GraphRequests int64         `json:"graph_requests"`
	GraphBytes    int64         `json:"graph_bytes"`
	AuthRequests  int64         `json:"auth_requests"` // token and metadata requests
	AuthBytes     int64         `json:"auth_bytes"`
	Throttled     int64         `json:"throttled"`
	Errors        int64         `json:"errors"` // status 0 or >= 400
	CPU           time.Duration `json:"cpu"`    // the simulator's own user+sys time
}

func (w wireTotals) sub(o wireTotals) wireTotals {
	return wireTotals{
		GraphRequests: w.GraphRequests - o.GraphRequests, GraphBytes: w.GraphBytes - o.GraphBytes,
		AuthRequests: w.AuthRequests - o.AuthRequests, AuthBytes: w.AuthBytes - o.AuthBytes,
		Throttled: w.Throttled - o.Throttled, Errors: w.Errors - o.Errors, CPU: w.CPU - o.CPU,
	}
}

// isGraphPath reports whether a recorded request path is a Graph call.
func isGraphPath(p string) bool {
	return strings.HasPrefix(p, "/v1.0/") || strings.HasPrefix(p, "/beta/")
}

// totalsOf sums the records by kind.
func totalsOf(recs []sim.RequestRecord) wireTotals {
	var w wireTotals
	for _, r := range recs {
		if isGraphPath(r.Path) {
			w.GraphRequests++
			w.GraphBytes += r.Bytes
		} else {
			w.AuthRequests++
			w.AuthBytes += r.Bytes
		}
		if r.Status == 429 && r.Fault == "" {
			w.Throttled++
		}
		if r.Status == 0 || r.Status >= 400 {
			w.Errors++
		}
	}
	return w
}

// startSim creates and starts an in-process simulator serving shape to n
// tenants, with Graph's real throttling limits and a clock that stands still
// after the newest change.
func startSim(shape scenarioShape, n int, dir string) (*sim.Server, simproc.Info, error) {
	sc, end, err := genScenario(shape, time.Now())
	if err != nil {
		return nil, simproc.Info{}, err
	}
	// Records: a cycle of n tenants costs about 5 requests each.
	return simproc.Start(sim.Options{Clock: sim.NewSteppedClock(end.Add(time.Hour)), MaxRecords: max(100000, n*40)}, sc, n, dir)
}

// serveSim is the simulator process (-serve-sim): it prints a simInfo line,
// then answers each "totals" line on stdin with a wireTotals line, until
// stdin closes or ctx ends.
func serveSim(ctx context.Context, shape scenarioShape, n int, dir string, in io.Reader, out io.Writer) error {
	s, info, err := startSim(shape, n, dir)
	if err != nil {
		return err
	}
	defer s.Close()
	return simproc.Serve(ctx, info, in, out, func(l string) (any, bool) {
		if strings.TrimSpace(l) != "totals" {
			return nil, false
		}
		w := totalsOf(s.Requests())
		w.CPU = cpuTime()
		return w, true
	})
}

// simProc is the parent's handle on the simulator process.
type simProc struct{ *simproc.Proc }

// spawnSim re-executes this binary with -serve-sim and waits for its info.
func spawnSim(ctx context.Context, shape scenarioShape, n int, dir string) (simProc, error) {
	p, err := simproc.Spawn(ctx, "-serve-sim",
		"-tenants", strconv.Itoa(n), "-issues", strconv.Itoa(shape.Issues),
		"-messages", strconv.Itoa(shape.Messages), "-posts", strconv.Itoa(shape.Posts),
		"-sim-dir", dir)
	if err != nil {
		return simProc{}, err
	}
	if len(p.Info.Tenants) != n {
		p.Close()
		return simProc{}, fmt.Errorf("spawn simulator: got %d tenants, want %d", len(p.Info.Tenants), n)
	}
	return simProc{p}, nil
}

// totals asks the simulator for its cumulative wire totals.
func (p simProc) totals() (wireTotals, error) {
	var w wireTotals
	err := p.Ask("totals", &w)
	return w, err
}
