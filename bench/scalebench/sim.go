package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/bench/internal/profile"
	"github.com/shdmc/shdmc/bench/internal/scenario"
	"github.com/shdmc/shdmc/bench/internal/simproc"
	"github.com/shdmc/shdmc/internal/sim"
)

// The simulator runs as a separate process (this binary with -serve-sim),
// as in bench/pollbench, so that its CPU is not the workers'.

// window is what the simulator saw between two times.
type window struct {
	Graph       int64     `json:"graph"`        // Graph requests
	Auth        int64     `json:"auth"`         // token and metadata requests
	Polls       int64     `json:"polls"`        // issue list requests: one per poll
	Tenants     int       `json:"tenants"`      // tenants polled at least once
	First       time.Time `json:"first"`        // first poll
	Last        time.Time `json:"last"`         // last poll
	MaxInFlight int       `json:"max_inflight"` // most requests of one tenant at once
	Errors      int64     `json:"errors"`
}

func isPoll(p string) bool {
	return strings.HasPrefix(p, "/v1.0/admin/serviceAnnouncement/issues") && !strings.Contains(p, "/issues/")
}

func summarize(recs []sim.RequestRecord, from, to time.Time) window {
	var w window
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		if strings.HasPrefix(r.Path, "/v1.0/") {
			w.Graph++
		} else {
			w.Auth++
		}
		if r.Status == 0 || r.Status >= 400 {
			w.Errors++
		}
		w.MaxInFlight = max(w.MaxInFlight, r.InFlight)
		if isPoll(r.Path) {
			w.Polls++
			seen[strings.ToLower(r.Tenant)] = true
			if w.First.IsZero() || r.Time.Before(w.First) {
				w.First = r.Time
			}
			if r.Time.After(w.Last) {
				w.Last = r.Time
			}
		}
	}
	w.Tenants = len(seen)
	return w
}

// serveSim is the simulator process: it prints a simInfo line, then answers
// each "window FROM TO" line (Unix nanoseconds) with a window line.
//
// With posts 0 every tenant sees sim.GenerateScenario's items (one short
// post per issue, one-line bodies); with posts > 0 the realistic content of
// bench/internal/scenario (that many posts of ~1 KB per issue, ~2.5 KB
// Message Center bodies, timestamps spread over 30 days), as
// bench/pollbench polls.
func serveSim(ctx context.Context, n, issues, messages, posts int, dir, profiles string, in io.Reader, out io.Writer) error {
	if profiles != "" {
		stop, err := profile.Start(filepath.Join(profiles, "sim.pprof"))
		if err != nil {
			return err
		}
		defer func() { _ = stop() }()
	}
	start := time.Now().Add(-48 * time.Hour).Truncate(time.Second).UTC()
	sc, clock := sim.GenerateScenario(start, issues, messages), start.Add(24*time.Hour)
	if posts > 0 {
		var (
			end time.Time
			err error
		)
		if sc, end, err = scenario.Generate(scenario.Shape{Issues: issues, Messages: messages, Posts: posts}, time.Now()); err != nil {
			return err
		}
		clock = end.Add(time.Hour)
	}
	s, info, err := simproc.Start(sim.Options{Clock: sim.NewSteppedClock(clock), MaxRecords: n * 40}, sc, n, dir)
	if err != nil {
		return err
	}
	defer s.Close()
	return simproc.Serve(ctx, info, in, out, func(l string) (any, bool) {
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != "window" {
			return nil, false
		}
		a, _ := strconv.ParseInt(f[1], 10, 64)
		b, _ := strconv.ParseInt(f[2], 10, 64)
		return summarize(s.Requests(), time.Unix(0, a), time.Unix(0, b)), true
	})
}

// simProc is the parent's handle on the simulator process.
type simProc struct{ *simproc.Proc }

func spawnSim(ctx context.Context, n, issues, messages, posts int, dir, profiles string) (simProc, error) {
	p, err := simproc.Spawn(ctx, "-serve-sim", "-tenants", strconv.Itoa(n),
		"-issues", strconv.Itoa(issues), "-messages", strconv.Itoa(messages), "-posts", strconv.Itoa(posts), "-dir", dir,
		"-cpuprofile", profiles)
	return simProc{p}, err
}

// window asks the simulator what it saw between from and to.
func (p simProc) window(from, to time.Time) (window, error) {
	var w window
	err := p.Ask(fmt.Sprintf("window %d %d", from.UnixNano(), to.UnixNano()), &w)
	return w, err
}
