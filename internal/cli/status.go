package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// statusCmd prints per-tenant source health and the outbox.
func statusCmd(g *globals) *cobra.Command {
	var sf storeFlags
	c := &cobra.Command{
		Use:   "status",
		Short: "Show each tenant's source health (up/down, since, failure, last success, staleness) and pending deliveries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, loc, err := sf.resolve(g)
			if err != nil {
				return err
			}
			return printStatus(cmd.Context(), g.stdout, dsn, loc, time.Now())
		},
	}
	sf.add(c)
	return c
}

// printStatus prints the health of every tenant's sources (up or down
// since when, the failure class, the last success and how stale the last
// known state is at now) and the pending deliveries (outbox depth, oldest).
func printStatus(ctx context.Context, w io.Writer, dsn string, loc *time.Location, now time.Time) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	return WriteStatus(ctx, w, st, loc, now)
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
