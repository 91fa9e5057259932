package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// statusCmd prints per-tenant source health and the outbox.
func statusCmd(g *globals) *cobra.Command {
	var sf storeFlags
	c := &cobra.Command{
		Use:   "status",
		Short: "Show each tenant's source health (up/down, since, failure, last success, staleness), request plan and pending deliveries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, loc, err := sf.resolve(g)
			if err != nil {
				return err
			}
			// The request plans come from the config; with --store and no
			// readable config, status shows the rest.
			cfg, cerr := g.load()
			if cerr != nil {
				cfg = nil
			}
			return printStatus(cmd.Context(), g.stdout, dsn, loc, time.Now(), cfg)
		},
	}
	sf.add(c)
	return c
}

// printStatus prints the health of every tenant's sources (up or down
// since when, the failure class, the last success and how stale the last
// known state is at now) and the pending deliveries (outbox depth,
// oldest); with a config, also every tenant's request plan.
func printStatus(ctx context.Context, w io.Writer, dsn string, loc *time.Location, now time.Time, cfg *config.Config) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	if err := WriteStatus(ctx, w, st, loc, now); err != nil {
		return err
	}
	if cfg == nil {
		return nil
	}
	plans, err := app.Plans(ctx, cfg, st)
	if err != nil {
		return err
	}
	active := map[string]bool{}
	for _, p := range plans {
		if active[p.Tenant], err = poll.ActiveIncident(ctx, st, p.Tenant); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	return WritePlans(w, plans, active)
}

// WritePlans prints the tenants' request plans: how often each collection
// is polled, quiet and while an incident is active (the fast lane), the
// shortest fast lane interval the Graph budget allows, the requests an
// hour the plan spends at most and their share of Graph's limit, and
// whether the fast lane runs now (active: tenants with an active
// incident).
func WritePlans(w io.Writer, plans []outage.Plan, active map[string]bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tFAST LANE\tISSUES IN AN INCIDENT\tMIN\tOTHERS (IN AN INCIDENT)\tPLANNED\tNOW")
	for _, p := range plans {
		lane, least, now := "with the others", "-", "quiet"
		switch {
		case p.FastLane() && p.MinIncidentInterval == 0:
			lane = "with the others (no room in the budget)"
		case p.FastLane():
			lane, least = "every "+short(p.IncidentInterval), short(p.MinIncidentInterval)
			if p.Raised() {
				lane += " (raised from " + short(p.Asked) + ")"
			}
		}
		switch {
		case p.FastLane() && p.Lane == outage.LaneAlways:
			now = "fast lane (always)"
		case p.FastLane() && active[p.Tenant]:
			now = "fast lane (incident active)"
		case active[p.Tenant]:
			now = "incident active"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s (%s)\t%d/h (%.0f %% of %d)\t%s\n", p.Tenant, p.Lane, lane, least,
			short(p.Interval), short(p.BusyInterval), int(p.BudgetRequests+0.5), 100*p.Share(), outage.HourlyBudget, now)
	}
	if len(plans) == 0 {
		fmt.Fprintln(tw, "(no tenants)\t\t\t\t\t\t")
	}
	return tw.Flush()
}

// WriteStatus prints what `shdmc status` shows of an open store.
func WriteStatus(ctx context.Context, w io.Writer, st store.Store, loc *time.Location, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tSOURCE\tSTATE\tSINCE\tFAILURE\tLAST SUCCESS\tSTALE")
	hs, rows := st, 0
	{
		list, err := hs.SourceHealths(ctx, "")
		if err != nil {
			return err
		}
		for _, r := range list {
			var s outage.State
			if err := json.Unmarshal(r.Data, &s); err != nil {
				return fmt.Errorf("decode source health of %s/%s: %w", r.Tenant, r.Source, err)
			}
			state, since, failure := "up", "", ""
			switch {
			case s.Paused:
				state = "paused (Graph works)"
			case s.Down:
				state, since = "DOWN", render.FormatTime(s.DownSince, loc)
			case s.Failing():
				state, since = "failing", render.FormatTime(s.FirstFailure, loc)
			}
			if s.Failing() {
				failure = string(s.Last.Class)
				if s.Last.Code != "" {
					failure += " " + s.Last.Code
				}
				failure += fmt.Sprintf(" (%d in a row)", s.Failures)
			}
			last, stale := "never", ""
			if !s.LastSuccess.IsZero() {
				last = render.FormatTime(s.LastSuccess, loc)
			}
			if d := s.Stale(now); d > 0 {
				stale = "STALE " + spanText(d)
			} else if s.LastSuccess.IsZero() && s.Failing() {
				stale = "no data yet"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Tenant, r.Source, state, since, failure, last, stale)
			rows++
		}
	}
	if rows == 0 {
		fmt.Fprintln(tw, "(no source polled yet)\t\t\t\t\t\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	ds, err := st.Deliveries(ctx, []store.DeliveryState{store.DeliveryPending, store.DeliveryRetrying}, 0)
	if err != nil {
		return fmt.Errorf("list deliveries: %w", err)
	}
	dead, err := st.Deliveries(ctx, []store.DeliveryState{store.DeliveryDead}, 0)
	if err != nil {
		return fmt.Errorf("list deliveries: %w", err)
	}
	if len(ds) == 0 {
		_, err = fmt.Fprintf(w, "\noutbox: empty (%d dead)\n", len(dead))
		return err
	}
	oldest := ds[0].CreatedAt
	for _, d := range ds {
		if d.CreatedAt.Before(oldest) {
			oldest = d.CreatedAt
		}
	}
	_, err = fmt.Fprintf(w, "\noutbox: %d pending, oldest %s (%s ago), %d dead\n", len(ds), render.FormatTime(oldest, loc),
		now.Sub(oldest).Round(time.Second), len(dead))
	return err
}

// spanText shows a duration to the second, rounded up ("20s", "1m30s",
// "2h5m7s"): a source down for 20 seconds is 20s stale, not "0s" as a
// duration rounded to the minute showed.
func spanText(d time.Duration) string {
	return ((d + time.Second - 1) / time.Second * time.Second).String()
}

// short shows a duration without trailing zero units: 5m, 1m15s, 1h.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
