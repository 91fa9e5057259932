// Command latency measures how long a change visible in Microsoft Graph
// takes to reach a channel: in the fast lane (a post on an active
// incident) and in quiet times (a Message Center post), and what the
// polling costs in Graph requests per tenant and hour.
//
// Everything runs in this process on loopback: the Graph simulator
// (internal/sim) on the wall clock (real speed) with Graph's real
// throttling limits, shdmc's `run` (internal/app with the default config
// plus a webhook channel, no dashboard), and a webhook receiver that
// timestamps every notice. Every tenant has one active incident from the
// start, with a new post every -post-every (97 s), the tenants' posts
// spread over that period; at 60 % of the run the incident is resolved,
// then each tenant gets one new Message Center post. The time a change
// becomes visible is its lastModifiedDateTime in the simulator, which
// the notice carries.
//
// Usage:
//
//	go run ./bench/latency [-tenants 20] [-duration 3m] [-interval 30s]
//	    [-incident-interval 15s] [-fast-lane auto] [-post-every 97s] [-v]
//
// -interval is the configured polling interval (the default config's is
// 5m; 30s, the shortest allowed, keeps the quiet phase short). The last
// line is `p95_incident=…s p95_quiet=…s budget=…%`, budget being the
// Graph requests per tenant-hour of the fast lane phase (the busiest) as
// a share of Graph's 800. The results are in BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	tenants          int
	duration         time.Duration
	interval         time.Duration
	incidentInterval time.Duration
	fastLane         string
	postEvery        time.Duration
	verbose          bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("latency", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.tenants, "tenants", 20, "simulated tenants")
	fs.DurationVar(&o.duration, "duration", 3*time.Minute, "length of the run (the incident is resolved at 60 %)")
	fs.DurationVar(&o.interval, "interval", 30*time.Second, "configured polling interval (interval:), at least 30s")
	fs.DurationVar(&o.incidentInterval, "incident-interval", 15*time.Second, "configured incident_interval (the fast lane)")
	fs.StringVar(&o.fastLane, "fast-lane", "auto", "configured fast_lane: auto, always or off (off shows the latency without it)")
	fs.DurationVar(&o.postEvery, "post-every", 97*time.Second, "time between two posts on the incident, per tenant")
	fs.BoolVar(&o.verbose, "v", false, "log what shdmc logs at info level")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.tenants < 1 || o.tenants > 1000:
		return o, fmt.Errorf("-tenants must be 1…1000")
	case o.duration < 2*time.Minute || o.duration > 24*time.Hour:
		return o, fmt.Errorf("-duration must be 2m…24h")
	case o.interval < 30*time.Second || o.interval > o.duration/3:
		return o, fmt.Errorf("-interval must be at least 30s and at most a third of -duration")
	case o.postEvery < 10*time.Second:
		return o, fmt.Errorf("-post-every must be at least 10s")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// Bound on the whole run: the scenario, the grace period, set-up.
	ctx, cancel := context.WithTimeout(ctx, o.duration+o.interval+2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "latency-")
	if err != nil {
		return fmt.Errorf("create temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	res, err := measure(ctx, o, dir, stderr)
	if err != nil {
		return err
	}
	report(stdout, o, res)
	return nil
}
