package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

func report(w io.Writer, o options, rs []result) {
	r := rs[len(rs)-1]
	n := float64(o.tenants)
	fmt.Fprintf(w, "%d worker(s):\n", r.Workers)
	fmt.Fprintf(w, "  %-9s %8s %9s %8s %8s %8s %9s %10s %12s %9s %9s  %s\n", "cycle", "wall", "req/ten", "auth", "pg xact", "pg stmt", "pg rows", "CPU total", "CPU-ms/ten", "sim CPU", "PG CPU", "CPU per worker")
	for i, c := range r.Cycles {
		var per []string
		for _, d := range c.CPU {
			per = append(per, d.Round(10*time.Millisecond).String())
		}
		name := "1 (full)"
		if i == 1 {
			name = "2 (quiet)"
		}
		stmts := "-"
		if c.Stmts >= 0 {
			stmts = fmt.Sprint(c.Stmts)
		}
		pg := "-"
		if c.PGCPU >= 0 {
			pg = c.PGCPU.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(w, "  %-9s %8s %9.2f %8d %8d %8s %9d %10s %12.2f %9s %9s  %s\n", name, c.Wall.Round(100*time.Millisecond),
			float64(c.Sim.Graph)/n, c.Sim.Auth, c.Xacts, stmts, c.Written, c.TotalCPU.Round(10*time.Millisecond),
			float64(c.TotalCPU.Microseconds())/1000/n, c.SimCPU.Round(10*time.Millisecond), pg, strings.Join(per, " "))
	}
	var rss []string
	for _, b := range r.RSS {
		rss = append(rss, fmt.Sprintf("%.0f MB", float64(b)/(1<<20)))
	}
	fair := n / float64(r.Workers)
	var share []string
	worst := 0.0
	for _, s := range r.Share {
		share = append(share, fmt.Sprint(s))
		worst = max(worst, abs(float64(s)-fair)/fair)
	}
	fmt.Fprintf(w, "  peak RSS per worker: %s; tenants per worker: %s (fair %.0f, worst %+.1f %%); max in flight per tenant: %d\n",
		strings.Join(rss, ", "), strings.Join(share, ", "), fair, worst*100, max(r.Cycles[0].Sim.MaxInFlight, r.Cycles[1].Sim.MaxInFlight))
	if len(rs) > 1 && rs[0].Workers == 1 {
		base := rs[0].Cycles[1].TotalCPU.Seconds()
		if base > 0 {
			fmt.Fprintf(w, "  quiet-cycle CPU vs 1 worker: %.2fx\n", r.Cycles[1].TotalCPU.Seconds()/base)
		}
	}
	fmt.Fprintln(w)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
