// Command growth measures how a store grows over a simulated year of
// realistic churn and what size it settles at under the default retention.
//
// N tenants share one world of Microsoft 365 (internal/sim is not needed:
// the tenants' Graph is an in-memory poll.Fetcher): every tenant sees, per
// day, about 10 new and 6 edited Message Center posts (~2.5 KB of HTML
// each, visible for 90 days), 4 service health issues with 8 hourly posts
// each (listed until 30 days after they are resolved), and the health
// flips the incidents among them cause; each post and issue reaches 80 %
// of the tenants, the same JSON in each. The clock steps an hour at a
// time; every tenant is polled every hour by the real poller
// (internal/poll: detection, events, outbox rows, a full resync a day)
// into a SQLite store, every delivery is completed, and Prune runs once a
// simulated day with the default retention (config.Default().Retention).
//
// It prints the store's size per 30 days, the growth in KB per tenant per
// day before any retention period has passed (days 30–180), the size over
// the last simulated quarter and its spread, and the tables at the end.
//
//	go run ./bench/growth [-tenants 20] [-days 365] [-dir DIR] [-keep]
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/shdmc/shdmc/bench/internal/profile"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/sim"
	"github.com/shdmc/shdmc/internal/store"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "growth:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fl := flag.NewFlagSet("growth", flag.ContinueOnError)
	tenants := fl.Int("tenants", 20, "tenants")
	days := fl.Int("days", 365, "simulated days after the first poll")
	dir := fl.String("dir", "", "directory of the store (default: a temporary one)")
	keep := fl.Bool("keep", false, "keep the store")
	every := fl.Int("report", 30, "print a line every this many days")
	cpuprofile := fl.String("cpuprofile", "", "write a CPU profile to this file")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		stop, err := profile.Start(*cpuprofile)
		if err != nil {
			return err
		}
		defer func() { _ = stop() }()
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "growth")
		if err != nil {
			return err
		}
		*dir = d
		if !*keep {
			defer os.RemoveAll(d)
		}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(*dir, "growth.db")
	_ = os.Remove(path)
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := churn{newPosts: 10, editedPosts: 6, incidents: 4, postsPerInc: 8, postLife: 90 * 24 * time.Hour, incidentStays: 30 * 24 * time.Hour}
	w := newWorld(*tenants, c, 1)
	clock := sim.NewSteppedClock(start.Add(-c.postLife))
	// The world's history before the first poll: what a tenant's baseline finds.
	for clock.Now().Before(start) {
		clock.Advance(time.Hour)
		w.tick(clock.Now())
	}

	st, err := store.Open(ctx, "sqlite://"+path, store.WithNow(clock.Now), store.WithCursorStamp(time.Hour))
	if err != nil {
		return err
	}
	defer st.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer raw.Close()
	retention := config.Default().Retention
	pol := store.Retention{Events: retention.Events.Std(), Revisions: retention.Revisions.Std(),
		DeadLetters: retention.DeadLetters.Std(), RemovedItems: retention.RemovedItems.Std()}

	set := poll.Settings{Overlap: 10 * time.Minute, OverlapEvery: 30 * time.Minute, FullResync: 24 * time.Hour,
		AnnounceActive: true, Issues: true, Messages: true, Health: true, Channels: []string{"ops"}}
	log := slog.New(slog.DiscardHandler)
	pollers := make([]*poll.Poller, *tenants)
	for i := range pollers {
		pollers[i] = poll.New(fmt.Sprintf("tenant%04d", i), fetcher{w, i}, st, set, clock.Now, log)
	}

	fmt.Fprintf(out, "GROWTH: %d tenants, %d simulated days, hourly polls, prune daily with retention events %s, revisions %s, dead_letters %s, removed_items %s\n",
		*tenants, *days, retention.Events, retention.Revisions, retention.DeadLetters, retention.RemovedItems)
	const row = "%4v %8v %7v %9v %8v %9v %7v %7v %6v %6v %11v %9v %9v %9v %7v\n"
	fmt.Fprintf(out, row, "day", "db MB", "free MB", "KB/tenant", "events", "revisions", "items", "outbox", "blobs", "docs",
		"events/t/day", "pruned ev", "pruned rv", "pruned it", "wall")
	sizes := make([]int64, *days+1)
	var (
		evCount  int
		pruned   store.PruneStats
		began    = time.Now()
		evPerDay []int
	)
	for day := 0; day <= *days; day++ {
		evDay := 0
		for hour := 0; hour < 24; hour++ {
			if day > 0 || hour > 0 {
				clock.Advance(time.Hour)
				w.tick(clock.Now())
			}
			for _, p := range pollers {
				res, err := p.Poll(ctx)
				if err != nil {
					return fmt.Errorf("day %d: %w", day, err)
				}
				evDay += res.Events
			}
			if err := deliver(ctx, st, clock.Now()); err != nil {
				return err
			}
		}
		evCount += evDay
		evPerDay = append(evPerDay, evDay)
		ps, err := st.Prune(ctx, pol, clock.Now())
		if err != nil {
			return fmt.Errorf("day %d: prune: %w", day, err)
		}
		pruned.Events += ps.Events
		pruned.Revisions += ps.Revisions
		pruned.Items += ps.Items
		size, free, err := dbSize(ctx, raw)
		if err != nil {
			return err
		}
		sizes[day] = size - free
		if day%*every == 0 || day == *days {
			n := func(table string) int64 {
				var v int64
				_ = raw.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&v)
				return v
			}
			fmt.Fprintf(out, row, day, fmt.Sprintf("%.1f", mb(size)), fmt.Sprintf("%.1f", mb(free)),
				fmt.Sprintf("%.0f", float64(size-free)/1024/float64(*tenants)), n("events"), n("revisions"), n("items"), n("outbox"), n("blobs"),
				n("search_docs"), fmt.Sprintf("%.1f", float64(evDay)/float64(*tenants)), pruned.Events, pruned.Revisions, pruned.Items,
				time.Since(began).Round(time.Second))
		}
	}

	from, to := 30, min(180, *days)
	if to > from {
		rate := float64(sizes[to]-sizes[from]) / 1024 / float64(*tenants) / float64(to-from)
		fmt.Fprintf(out, "\ngrowth before retention (days %d–%d, nothing old enough to prune yet): %.1f KB per tenant per day (target ≤ 60)\n", from, to, rate)
	}
	if *days >= 300 { // every retention period has come round by then
		q := sizes[*days-90:]
		lo, hi := slices.Min(q), slices.Max(q)
		var sum int64
		for _, v := range q {
			sum += v
		}
		mean := float64(sum) / float64(len(q))
		fmt.Fprintf(out, "last quarter (days %d–%d): %.1f–%.1f MB, spread %+.1f %% / %+.1f %% around the mean %.1f MB (target ±10 %%); %.2f MB per tenant\n",
			*days-90, *days, mb(lo), mb(hi), 100*(float64(lo)-mean)/mean, 100*(float64(hi)-mean)/mean, mb(int64(mean)), mb(int64(mean))/float64(*tenants))
	}
	fmt.Fprintf(out, "events announced: %.1f per tenant per day on average; %d in all\n", float64(evCount)/float64(*tenants)/float64(*days+1), evCount)

	u, err := st.Usage(ctx, pol, clock.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\ntables at day %d:\n", *days)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\trows\tMB\tKB/tenant\t")
	for _, t := range u.Tables {
		if t.Bytes < 64<<10 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t\n", t.Name, t.Rows, mb(t.Bytes), float64(t.Bytes)/1024/float64(*tenants))
	}
	tw.Flush()
	fmt.Fprintf(out, "took %v\n", time.Since(began).Round(time.Second))
	return nil
}

// deliver completes every due delivery, as a channel that always works.
func deliver(ctx context.Context, st store.Store, now time.Time) error {
	for {
		ds, err := st.ClaimDeliveries(ctx, nil, now, time.Minute, 500)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if err := st.CompleteDelivery(ctx, d.ID, now); err != nil {
				return err
			}
		}
		if len(ds) < 500 {
			return nil
		}
	}
}

// dbSize returns the database's size and its free space (bytes), as a
// reader sees it (the WAL's committed pages included).
func dbSize(ctx context.Context, db *sql.DB) (size, free int64, err error) {
	var pageSize, pages, freePages int64
	for q, dst := range map[string]*int64{`PRAGMA page_size`: &pageSize, `PRAGMA page_count`: &pages, `PRAGMA freelist_count`: &freePages} {
		if err := db.QueryRowContext(ctx, q).Scan(dst); err != nil {
			return 0, 0, err
		}
	}
	return pages * pageSize, freePages * pageSize, nil
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
