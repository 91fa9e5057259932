package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets of a steady-state poll (the issue's acceptance figures).
const (
	targetRequests = 3
	targetBytes    = 5 * 1000
)

func kb(b int64) string { return fmt.Sprintf("%.1f KB", float64(b)/1000) }
func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func printSteady(w io.Writer, r steadyResult) {
	fmt.Fprintf(w, "STEADY STATE: one tenant, %d issues x %d posts, %d Message Center posts, default config (overlap 10m)\n",
		r.Shape.Issues, r.Shape.Posts, r.Shape.Messages)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "poll\tGraph req\tGraph bytes\tauth req\tauth bytes\tclient req\tclient bytes\titems\twritten\tevents\ttook\t")
	row := func(name string, m pollMeasure) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\t%s\t%d\t%d\t%d\t%s\t\n", name, m.Wire.GraphRequests, kb(m.Wire.GraphBytes),
			m.Wire.AuthRequests, kb(m.Wire.AuthBytes), m.Client.Requests, kb(m.Client.BytesRead), m.Items, m.StoreWrites,
			m.Events, m.Took.Round(time.Millisecond))
	}
	row("baseline (full)", r.Full)
	for i, m := range r.Incr {
		row(fmt.Sprintf("incremental #%d (quiet)", i+1), m)
	}
	row(fmt.Sprintf("incremental reaching back (every %s)", r.OverlapEvery), r.ReachBack)
	row(fmt.Sprintf("full resync, quiet (every %s)", r.FullResync), r.Resync)
	_ = tw.Flush()
	if len(r.Incr) == 0 {
		return
	}
	last := r.Incr[len(r.Incr)-1]
	fmt.Fprintf(w, "\nincremental #%d, request by request (response body bytes):\n", len(r.Incr))
	for _, rec := range last.Records {
		fmt.Fprintf(w, "  %-4s %-90s %3d %9s\n", rec.Method, shortPath(rec.Path), rec.Status, kb(rec.Bytes))
	}
	reqs := last.Wire.GraphRequests + last.Wire.AuthRequests
	bytes := last.Wire.GraphBytes + last.Wire.AuthBytes
	fmt.Fprintf(w, "\ntarget <= %d requests: %d (%s); target <= %s: %s (%s); full fetch was %d requests, %s (%.0fx the bytes)\n",
		targetRequests, reqs, verdict(reqs <= targetRequests), kb(targetBytes), kb(bytes), verdict(bytes <= targetBytes),
		r.Full.Wire.GraphRequests+r.Full.Wire.AuthRequests, kb(r.Full.Wire.GraphBytes+r.Full.Wire.AuthBytes),
		float64(r.Full.Wire.GraphBytes+r.Full.Wire.AuthBytes)/float64(max(bytes, 1)))
	rb := r.ReachBack.Wire.GraphBytes + r.ReachBack.Wire.AuthBytes
	if n := int64(r.OverlapEvery / (5 * time.Minute)); n > 0 {
		avg := ((n-1)*bytes + rb) / n
		fmt.Fprintf(w, "the poll reaching back by the overlap (once every %s) costs %d requests, %s; averaged over %s at a 5m interval: %s per poll (%s)\n",
			r.OverlapEvery, r.ReachBack.Wire.GraphRequests+r.ReachBack.Wire.AuthRequests, kb(rb), r.OverlapEvery, kb(avg), verdict(avg <= targetBytes))
	}
	if r.FullResync > 0 {
		fb := r.Resync.Wire.GraphBytes + r.Resync.Wire.AuthBytes
		n := int64(r.FullResync / (5 * time.Minute))
		fmt.Fprintf(w, "the full resync (once every %s) costs %d requests, %s (the baseline %s); averaged over %s at a 5m interval: %s per poll\n",
			r.FullResync, r.Resync.Wire.GraphRequests+r.Resync.Wire.AuthRequests, kb(fb),
			kb(r.Full.Wire.GraphBytes+r.Full.Wire.AuthBytes), r.FullResync, kb(fb/max(n, 1)))
		fmt.Fprintf(w, "\nfull resync, request by request (response body bytes):\n")
		for _, rec := range r.Resync.Records {
			fmt.Fprintf(w, "  %-4s %-90s %3d %9s\n", rec.Method, shortPath(rec.Path), rec.Status, kb(rec.Bytes))
		}
	}
	fmt.Fprintln(w)
}

// shortPath drops the common Graph prefix.
func shortPath(p string) string {
	p = strings.Replace(p, "/v1.0/admin/serviceAnnouncement/", ".../", 1)
	if len(p) > 90 {
		p = p[:87] + "..."
	}
	return p
}

func printScale(w io.Writer, r scaleResult) {
	conc := fmt.Sprintf("%d", r.Effective)
	if r.Concurrency == 0 {
		conc += " (app default)"
	}
	fmt.Fprintf(w, "SCALE: %d tenants x (%d issues x %d posts, %d Message Center posts), one process, concurrency %s, SQLite store\n",
		r.Tenants, r.Shape.Issues, r.Shape.Posts, r.Shape.Messages, conc)
	fmt.Fprintf(w, "setup (config, app.New: store, %d Graph clients): %s, peak RSS %s\n", r.Tenants, secs(r.Setup), mb(r.SetupRSS))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cycle\twall\tCPU user+sys\tsim CPU\tGraph req\tauth req\tGraph bytes\treq/tenant\tbytes/tenant\tevents\tfailed\t429\tpeak RSS\tlive heap\tSQLite db\tWAL\t")
	for i, c := range r.Cycles {
		kind := "steady"
		if i == 0 {
			kind = "full"
		}
		n := int64(max(r.Tenants, 1))
		fmt.Fprintf(tw, "%d %s\t%s\t%s\t%s\t%d\t%d\t%s\t%.2f\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", i+1, kind,
			secs(c.Wall), secs(c.CPU), secs(c.SimCPU), c.Wire.GraphRequests, c.Wire.AuthRequests, mb(c.Wire.GraphBytes),
			float64(c.Wire.GraphRequests+c.Wire.AuthRequests)/float64(n), kb((c.Wire.GraphBytes+c.Wire.AuthBytes)/n),
			c.Result.Events, c.Result.Failed, c.Wire.Throttled, mb(c.PeakRSS), mb(int64(c.LiveHeap)), mb(c.DBBytes), mb(c.WALBytes))
	}
	_ = tw.Flush()
	for i, c := range r.Cycles {
		if c.Err != nil {
			msg := c.Err.Error()
			if len(msg) > 300 {
				msg = msg[:300] + "..."
			}
			fmt.Fprintf(w, "cycle %d errors: %s\n", i+1, msg)
		}
	}
	fmt.Fprintln(w)
}
