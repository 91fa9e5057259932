package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cycle is one cycle of every tenant.
type cycle struct {
	Wall     time.Duration // first poll to last
	Sim      window
	Xacts    int64           // PostgreSQL transactions (commits + rollbacks)
	Stmts    int64           // pg_stat_statements calls, -1 when unavailable
	Written  int64           // rows inserted, updated and deleted (pg_stat_statements, else pg_stat_database)
	CPU      []time.Duration // per worker, user+sys
	TotalCPU time.Duration
	SimCPU   time.Duration // the simulator's user+sys
	PGCPU    time.Duration // the PostgreSQL server's, -1 when its processes cannot be read
}

// result is one worker count.
type result struct {
	Workers int
	Cycles  [2]cycle
	RSS     []int64 // peak RSS per worker
	Share   []int   // tenants leased per worker at the end
}

type proc struct {
	cmd *exec.Cmd
	log *os.File
}

func measure(ctx context.Context, o options, bin, dir string, p simProc, k int) (res result, err error) {
	res.Workers = k
	admin, err := pgAdmin(o.postgres)
	if err != nil {
		return res, err
	}
	defer admin.Close()
	name := fmt.Sprintf("scalebench_%d_%d", k, time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return res, fmt.Errorf("create database: %w", err)
	}
	defer func() { _, _ = admin.Exec("DROP DATABASE " + name + " WITH (FORCE)") }()
	dsn, err := withDatabase(o.postgres, name)
	if err != nil {
		return res, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return res, err
	}
	defer db.Close()
	statements := false
	if _, err := db.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err == nil {
		var n int64
		statements = db.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_statements").Scan(&n) == nil
	}

	cfg := filepath.Join(dir, fmt.Sprintf("shdmc-%d.yaml", k))
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s\ninterval: 5m\nlog: {level: warn}\nchannels:\n  - {name: out, type: file, path: %s}\ntenants:\n",
		dsn, filepath.Join(dir, fmt.Sprintf("notices-%d.jsonl", k)))
	for i, id := range p.Info.Tenants {
		fmt.Fprintf(&b, "  - {id: t%05d, tenant_id: %s, client_id: %s, client_secret: %s, graph_root: %s, authority_host: %s, ca_file: %s}\n",
			i, id, p.Info.ClientID, p.Info.Secret, p.Info.URL, p.Info.URL, p.Info.CAFile)
	}
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		return res, err
	}
	if out, err := exec.CommandContext(ctx, bin, "migrate", "-c", cfg).CombinedOutput(); err != nil {
		return res, fmt.Errorf("migrate: %v\n%s", err, out)
	}

	counters := func() (xacts, stmts, written int64) {
		_ = db.QueryRowContext(ctx, `SELECT xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted
			FROM pg_stat_database WHERE datname = current_database()`).Scan(&xacts, &written)
		stmts = -1
		if statements {
			// pg_stat_statements counts at the end of each statement;
			// pg_stat_database's row counts lag by up to seconds.
			_ = db.QueryRowContext(ctx, `SELECT coalesce(sum(calls), 0)::bigint,
				coalesce(sum(rows) FILTER (WHERE query ~* '^\s*(insert|update|delete|copy)'), 0)::bigint
				FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
				WHERE d.datname = current_database()`).Scan(&stmts, &written)
		}
		return
	}

	start := time.Now()
	var procs []*proc
	defer func() {
		for _, pr := range procs {
			if pr.cmd.ProcessState == nil {
				_ = pr.cmd.Process.Kill()
				_ = pr.cmd.Wait()
			}
			pr.log.Close()
		}
	}()
	for i := range k {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("worker-%d-%d.log", k, i)))
		if err != nil {
			return res, err
		}
		args := []string{"run", "-c", cfg, "--poll-every", o.pollEvery.String()}
		if o.profiles != "" {
			args = append(args, "--cpuprofile", filepath.Join(o.profiles, fmt.Sprintf("worker-%d-%d.pprof", k, i)))
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = os.Environ()
		if o.shareCores {
			cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", max(1, numCPU()/k)))
		}
		if o.memLimit != "" {
			cmd.Env = append(cmd.Env, "GOMEMLIMIT="+o.memLimit)
		}
		cmd.Stdout, cmd.Stderr = f, f
		cmd.WaitDelay = 10 * time.Second
		if err := cmd.Start(); err != nil {
			f.Close()
			return res, err
		}
		procs = append(procs, &proc{cmd: cmd, log: f})
	}
	postmaster := postmasterPid(ctx, db)
	x0, s0, w0 := counters()
	cpu0 := cpus(procs)
	sim0, pg0 := procCPU(p.Pid(), false), pgCPU(postmaster)
	// Cycle 1: until every tenant has been polled once; cycle 2 until every
	// tenant has been polled again (the second window starts where the
	// first ended).
	from := start
	for c := range 2 {
		var w window
		for {
			if err := sleepCtx(ctx, 2*time.Second); err != nil {
				return res, err
			}
			if w, err = p.window(from, time.Now()); err != nil {
				return res, err
			}
			if w.Tenants >= o.tenants {
				break
			}
			for _, pr := range procs {
				if pr.cmd.ProcessState != nil {
					return res, fmt.Errorf("a worker exited: %s", pr.cmd.ProcessState)
				}
			}
		}
		if err := sleepCtx(ctx, time.Second); err != nil { // the last commits
			return res, err
		}
		x1, s1, w1 := counters()
		cpu1 := cpus(procs)
		sim1, pg1 := procCPU(p.Pid(), false), pgCPU(postmaster)
		cy := cycle{Wall: w.Last.Sub(w.First), Sim: w, Xacts: x1 - x0, Written: w1 - w0, Stmts: -1,
			SimCPU: sim1 - sim0, PGCPU: -1}
		if postmaster > 0 {
			cy.PGCPU = pg1 - pg0
		}
		if s0 >= 0 && s1 >= 0 {
			cy.Stmts = s1 - s0
		}
		for i := range procs {
			cy.CPU = append(cy.CPU, cpu1[i]-cpu0[i])
			cy.TotalCPU += cpu1[i] - cpu0[i]
		}
		res.Cycles[c] = cy
		x0, s0, w0, cpu0, sim0, pg0 = x1, s1, w1, cpu1, sim1, pg1
		from = w.Last.Add(time.Millisecond)
	}
	for _, pr := range procs {
		res.RSS = append(res.RSS, peakRSS(pr.cmd.Process.Pid))
	}
	rows, err := db.QueryContext(ctx, `SELECT worker, count(*) FROM leases WHERE worker <> '' GROUP BY worker ORDER BY worker`)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var (
			w string
			n int
		)
		if err := rows.Scan(&w, &n); err != nil {
			rows.Close()
			return res, err
		}
		res.Share = append(res.Share, n)
	}
	rows.Close()
	for _, pr := range procs {
		_ = pr.cmd.Process.Signal(syscall.SIGTERM)
		_ = pr.cmd.Wait()
	}
	return res, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// cpus reads each worker's user+sys time from /proc.
func cpus(procs []*proc) []time.Duration {
	out := make([]time.Duration, len(procs))
	for i, pr := range procs {
		out[i] = procCPU(pr.cmd.Process.Pid, false)
	}
	return out
}

// procCPU is a process's user+sys time from /proc (0 when it cannot be
// read); with reaped, also that of its children it has waited for.
func procCPU(pid int, reaped bool) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	fields := []int{11, 12} // utime, stime
	if reaped {
		fields = append(fields, 13, 14) // cutime, cstime
	}
	for _, i := range fields {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// postmasterPid is the PostgreSQL server's process ID, from postmaster.pid
// in its data directory: 0 when the server is not on this machine or the
// file cannot be read (no superuser, another user's directory).
func postmasterPid(ctx context.Context, db *sql.DB) int {
	var dir string
	if db.QueryRowContext(ctx, "SHOW data_directory").Scan(&dir) != nil {
		return 0
	}
	data, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	if err != nil {
		return 0
	}
	return pid
}

// pgCPU is the CPU time of the server: the postmaster, the children it has
// reaped (connections that ended) and those still running.
func pgCPU(postmaster int) time.Duration {
	if postmaster <= 0 {
		return 0
	}
	t := procCPU(postmaster, true)
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", postmaster, postmaster))
	if err != nil {
		return t
	}
	for _, c := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(c); err == nil {
			t += procCPU(pid, false)
		}
	}
	return t
}

// peakRSS is VmHWM of a process, in bytes.
func peakRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

func numCPU() int { return runtime.NumCPU() }
