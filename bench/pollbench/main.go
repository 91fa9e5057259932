// Command pollbench measures what shdmc costs: the Graph requests and bytes
// of one tenant's poll when nothing changed (incremental) against its first,
// full poll, and the wall time, CPU time and peak memory of one process
// polling many simulated tenants.
//
// Everything runs against internal/sim on loopback. For the scale run the
// simulator is a separate process (this binary re-executed with -serve-sim)
// so that the CPU time and peak RSS reported are the poller's own. The
// poller is internal/app (App.Check) with a SQLite store in a temporary
// directory and Graph's real throttling limits in the simulator.
//
// Usage:
//
//	go run ./bench/pollbench [-tenants 1000] [-issues 50] [-messages 200] [-posts 5]
//	    [-cycles 3] [-concurrency 16] [-steady-issues 300] [-steady-messages 1000]
//	    [-timeout 5m] [-skip-steady] [-skip-scale] [-keep] [-memprofile file] [-cpuprofile file]
//
// The results are in BENCHMARKS.md at the repository root.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pollbench:", err)
		os.Exit(1)
	}
}

type options struct {
	tenants, issues, messages, posts int
	cycles, concurrency              int
	steadyIssues, steadyMessages     int
	steadyPolls                      int
	timeout                          time.Duration
	skipSteady, skipScale            bool
	keep                             bool
	memProfile, cpuProfile           string
	serveSim                         bool
	simDir                           string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("pollbench", flag.ContinueOnError)
	fs.IntVar(&o.tenants, "tenants", 1000, "scale: simulated tenants polled by one process")
	fs.IntVar(&o.issues, "issues", 50, "scale: service health issues per tenant")
	fs.IntVar(&o.messages, "messages", 200, "scale: Message Center posts per tenant")
	fs.IntVar(&o.posts, "posts", 5, "posts per issue (both runs)")
	fs.IntVar(&o.cycles, "cycles", 3, "scale: polling cycles (the first is the full baseline)")
	fs.IntVar(&o.concurrency, "concurrency", 16, "scale: tenants polled at once (0 = the app default, 8)")
	fs.IntVar(&o.steadyIssues, "steady-issues", 300, "steady state: issues of the tenant")
	fs.IntVar(&o.steadyMessages, "steady-messages", 1000, "steady state: Message Center posts of the tenant")
	fs.IntVar(&o.steadyPolls, "steady-polls", 3, "steady state: incremental polls after the baseline")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound on the whole run")
	fs.BoolVar(&o.skipSteady, "skip-steady", false, "skip the steady-state run")
	fs.BoolVar(&o.skipScale, "skip-scale", false, "skip the scale run")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (SQLite files) and print its path")
	fs.StringVar(&o.memProfile, "memprofile", "", "scale: write a heap profile of the poller after the last cycle")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "scale: write a CPU profile of the poller's first (baseline) cycle")
	fs.BoolVar(&o.serveSim, "serve-sim", false, "internal: run the simulator process")
	fs.StringVar(&o.simDir, "sim-dir", "", "internal: where the simulator process writes its CA")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.tenants < 1 || o.issues < 1 || o.messages < 1 || o.posts < 1 || o.steadyIssues < 1 || o.steadyMessages < 1:
		return o, fmt.Errorf("tenants, issues, messages and posts must be at least 1")
	case o.cycles < 1 || o.cycles > 100 || o.steadyPolls < 1 || o.steadyPolls > 100:
		return o, fmt.Errorf("cycles and steady-polls must be 1..100")
	case o.concurrency < 0 || o.timeout <= 0:
		return o, fmt.Errorf("concurrency must not be negative and timeout must be positive")
	}
	return o, nil
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.serveSim {
		// The parent bounds the simulator: it ends when stdin closes.
		return serveSim(ctx, scenarioShape{Issues: o.issues, Messages: o.messages, Posts: o.posts}, o.tenants, o.simDir, stdin, stdout)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "pollbench-")
	if err != nil {
		return fmt.Errorf("create temp dir: %w", err)
	}
	if o.keep {
		defer fmt.Fprintf(stdout, "kept %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	fmt.Fprintf(stdout, "pollbench  %s  %s/%s  GOMAXPROCS=%d NumCPU=%d  %s\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH,
		runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())

	// Scale first: the in-process simulator of the steady-state run would
	// otherwise count in this process's peak RSS.
	if !o.skipScale {
		sdir := dir + "/scale"
		if err := os.Mkdir(sdir, 0o755); err != nil {
			return fmt.Errorf("create temp dir: %w", err)
		}
		res, err := runScale(ctx, o.tenants, scenarioShape{Issues: o.issues, Messages: o.messages, Posts: o.posts}, o.cycles, o.concurrency, sdir, o.memProfile, o.cpuProfile)
		printScale(stdout, res)
		if err != nil {
			return err
		}
	}
	if !o.skipSteady {
		sdir := dir + "/steady"
		if err := os.Mkdir(sdir, 0o755); err != nil {
			return fmt.Errorf("create temp dir: %w", err)
		}
		res, err := runSteady(ctx, scenarioShape{Issues: o.steadyIssues, Messages: o.steadyMessages, Posts: o.posts}, o.steadyPolls, sdir)
		if err != nil {
			return err
		}
		printSteady(stdout, res)
	}
	return nil
}
