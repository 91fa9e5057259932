// Command scalebench measures shdmc's scale-out: N simulated tenants
// (internal/sim in a separate process) polled by 1, 2 and 4 `shdmc run`
// workers sharing one PostgreSQL database. For each worker count it runs
// the workers on a fresh database through two cycles — the first (the
// baseline, a full fetch of every tenant) and the second (a quiet,
// incremental cycle, what every interval costs from then on) — and reports
// per cycle: wall time from the first poll to the last, Graph requests per
// tenant, PostgreSQL transactions and rows written (pg_stat_database) and statements
// (pg_stat_statements, when the server preloads it), each worker's CPU
// time, peak RSS and share of the tenants (its leases).
//
// The interval is 5 minutes in the config; the workers run with the hidden
// --poll-every flag so that the second cycle starts a minute after the
// first instead of five (what a cycle costs does not depend on the wait).
//
// Usage:
//
//	go run ./bench/scalebench -postgres postgres://… [-tenants 10000] [-workers 1,2,4]
//	    [-issues 5] [-messages 20] [-posts 0] [-poll-every 60s] [-timeout 12m] [-cpuprofile DIR] [-gomemlimit 400MiB] [-share-cores] [-bin FILE]
//
// -posts N (N > 0) gives every tenant realistic content, as bench/pollbench
// does: N posts of ~1 KB per issue, ~2.5 KB Message Center bodies.
//
// SHDMC_TEST_POSTGRES is used when -postgres is not given. The results are
// in BENCHMARKS.md.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		os.Exit(1)
	}
}

type options struct {
	tenants, issues, messages int
	posts                     int
	workers                   []int
	postgres                  string
	pollEvery, timeout        time.Duration
	serveSim                  bool
	dir                       string
	keep                      bool
	profiles                  string
	memLimit                  string
	shareCores                bool
	bin                       string
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	var (
		o       options
		workers string
	)
	fs := flag.NewFlagSet("scalebench", flag.ContinueOnError)
	fs.IntVar(&o.tenants, "tenants", 10000, "simulated tenants")
	fs.IntVar(&o.issues, "issues", 5, "service health issues per tenant")
	fs.IntVar(&o.messages, "messages", 20, "Message Center posts per tenant")
	fs.IntVar(&o.posts, "posts", 0, "posts per issue of realistic content (~1 KB posts, ~2.5 KB MC bodies, as bench/pollbench); 0: one short post per issue, one-line bodies")
	fs.StringVar(&workers, "workers", "1,2,4", "worker counts to measure")
	fs.StringVar(&o.postgres, "postgres", os.Getenv("SHDMC_TEST_POSTGRES"), "PostgreSQL server DSN (databases are created on it)")
	fs.DurationVar(&o.pollEvery, "poll-every", time.Minute, "time between a tenant's polls (the config says 5m)")
	fs.DurationVar(&o.timeout, "timeout", 12*time.Minute, "bound on the whole run")
	fs.BoolVar(&o.serveSim, "serve-sim", false, "internal: be the simulator process")
	fs.StringVar(&o.dir, "dir", "", "internal: the simulator's directory")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	fs.StringVar(&o.bin, "bin", "", "measure this shdmc binary instead of building ./cmd/shdmc (an earlier version, to compare)")
	fs.BoolVar(&o.shareCores, "share-cores", false, "run each of k workers with GOMAXPROCS = cores/k (at least 1), as k machines would each have their own cores")
	fs.StringVar(&o.memLimit, "gomemlimit", "", "run the workers (not the simulator) with this GOMEMLIMIT (e.g. 400MiB)")
	fs.StringVar(&o.profiles, "cpuprofile", "", "write each worker's CPU profile into this directory (worker-K-I.pprof), and the simulator's (sim.pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if o.serveSim {
		return serveSim(ctx, o.tenants, o.issues, o.messages, o.posts, o.dir, o.profiles, stdin, stdout)
	}
	for _, w := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -workers %q", workers)
		}
		o.workers = append(o.workers, n)
	}
	if o.postgres == "" {
		return fmt.Errorf("no PostgreSQL server: give -postgres or SHDMC_TEST_POSTGRES")
	}
	dir, err := os.MkdirTemp("", "scalebench")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(dir, "shdmc")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/shdmc").CombinedOutput(); err != nil {
			return fmt.Errorf("build shdmc (run from the repository root): %v\n%s", err, out)
		}
	}
	p, err := spawnSim(ctx, o.tenants, o.issues, o.messages, o.posts, dir, o.profiles)
	if err != nil {
		return err
	}
	defer p.Close()
	cores := ""
	if o.shareCores {
		cores = ", each of k workers with GOMAXPROCS=cores/k"
	}
	content := ""
	if o.posts > 0 {
		content = fmt.Sprintf(" (realistic: %d posts per issue)", o.posts)
	}
	fmt.Fprintf(stdout, "SCALE-OUT: %d tenants x (%d issues, %d MC posts)%s, PostgreSQL, interval 5m (polls every %s here), %d cores%s\n\n",
		o.tenants, o.issues, o.messages, content, o.pollEvery, numCPU(), cores)
	var results []result
	for _, k := range o.workers {
		r, err := measure(ctx, o, bin, dir, p, k)
		if err != nil {
			return fmt.Errorf("%d workers: %w", k, err)
		}
		results = append(results, r)
		report(stdout, o, results)
	}
	return nil
}

// pgAdmin opens the server DSN.
func pgAdmin(dsn string) (*sql.DB, error) { return sql.Open("pgx", dsn) }

// withDatabase returns dsn pointing at database name.
func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}
