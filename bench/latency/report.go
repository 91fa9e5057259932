package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/shdmc/shdmc/internal/outage"
)

// stats are the order statistics of a sample.
type stats struct {
	n             int
	p50, p95, max time.Duration
}

// summarize returns the nearest-rank percentiles of ds.
func summarize(ds []time.Duration) stats {
	if len(ds) == 0 {
		return stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		return s[max(0, int(math.Ceil(q*float64(len(s))))-1)]
	}
	return stats{n: len(s), p50: rank(0.50), p95: rank(0.95), max: s[len(s)-1]}
}

func (s stats) String() string {
	return fmt.Sprintf("n=%d p50=%s p95=%s max=%s", s.n, secs(s.p50), secs(s.p95), secs(s.max))
}

// secs shows a duration in seconds with one decimal.
func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// verdict says whether a figure met its target.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// report prints the run's figures; its last line is the summary line.
func report(w io.Writer, o options, r results) {
	in, q := summarize(r.incident), summarize(r.quiet)
	budget := max(r.incidentRate, r.quietRate) / outage.HourlyBudget
	quietTarget := o.interval + 5*time.Second
	fmt.Fprintf(w, "latency  %s  %s/%s GOMAXPROCS=%d  %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"),
		runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.Version())
	lane := "no fast lane"
	if r.plan.FastLane() {
		lane = fmt.Sprintf("fast lane every %s (the plan's minimum %s)", r.fastLaneInterval, r.plan.MinIncidentInterval)
	}
	fmt.Fprintf(w, "%d tenants, %s run, interval %s (quiet), fast_lane %s, incident_interval %s → %s, posts every %s\n",
		o.tenants, o.duration, o.interval, o.fastLane, o.incidentInterval, lane, o.postEvery)
	fmt.Fprintf(w, "visible in Graph → delivered, fast lane (incident posts): %s  target p95 ≤ 20s: %s\n", in, verdict(in.n > 0 && in.p95 <= 20*time.Second))
	fmt.Fprintf(w, "visible in Graph → delivered, quiet (Message Center posts): %s  target p95 ≤ %s: %s\n", q, quietTarget, verdict(q.n > 0 && q.p95 <= quietTarget))
	fmt.Fprintf(w, "missed notices: %d, unexpected: %d\n", len(r.missed), r.extra)
	for _, c := range r.missed[:min(len(r.missed), 5)] {
		fmt.Fprintf(w, "  missed: tenant %s %s at +%s (%s)\n", c.tenant, c.item, c.at, c.kind)
	}
	fmt.Fprintf(w, "Graph requests per tenant-hour: fast lane phase %.0f (%.0f%% of %d), quiet phase %.0f (%.0f%%); planned at most %.0f (%.0f%%); throttled %d  target ≤ 80%%: %s\n",
		r.incidentRate, 100*r.incidentRate/outage.HourlyBudget, outage.HourlyBudget, r.quietRate, 100*r.quietRate/outage.HourlyBudget,
		r.plan.BudgetRequests, 100*r.plan.Share(), r.throttled, verdict(budget <= outage.BudgetShare))
	fmt.Fprintf(w, "p95_incident=%s p95_quiet=%s budget=%.0f%%\n", secs(in.p95), secs(q.p95), 100*budget)
}
