package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// outboxCmd lists deliveries; its retry subcommand requeues one.
func outboxCmd(g *globals) *cobra.Command {
	var sf storeFlags
	var states []string
	var limit int
	c := &cobra.Command{
		Use:   "outbox",
		Short: "List pending, retrying and dead deliveries (with their last error)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, loc, err := sf.resolve(g)
			if err != nil {
				return err
			}
			var ss []store.DeliveryState
			for _, s := range states {
				switch st := store.DeliveryState(s); st {
				case store.DeliveryPending, store.DeliveryRetrying, store.DeliveryDead, store.DeliveryDone:
					ss = append(ss, st)
				default:
					return exitError{2, fmt.Errorf("unknown state %q (want pending, retrying, dead or done)", s)}
				}
			}
			return printOutbox(cmd.Context(), g.stdout, dsn, ss, limit, loc)
		},
	}
	sf.add(c)
	c.Flags().StringSliceVar(&states, "state", nil, "only these states: pending, retrying, dead, done (default: all but done)")
	c.Flags().IntVar(&limit, "limit", 100, "at most this many rows")
	var rsf storeFlags
	retry := &cobra.Command{
		Use:   "retry ID",
		Short: "Make a delivery (for example a dead one) due again now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return exitError{2, fmt.Errorf("delivery ID %q is not a number", args[0])}
			}
			dsn, _, err := rsf.resolve(g)
			if err != nil {
				return err
			}
			if err := retryDelivery(cmd.Context(), dsn, id); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "delivery %d requeued; the next `shdmc run` or `shdmc check` sends it\n", id)
			return nil
		},
	}
	rsf.add(retry)
	c.AddCommand(retry)
	return c
}

// printOutbox prints deliveries in the given states (pending, retrying and
// dead when none are given), newest first.
func printOutbox(ctx context.Context, w io.Writer, dsn string, states []store.DeliveryState, limit int, loc *time.Location) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	if len(states) == 0 {
		states = []store.DeliveryState{store.DeliveryPending, store.DeliveryRetrying, store.DeliveryDead}
	}
	ds, err := st.Deliveries(ctx, states, limit)
	if err != nil {
		return fmt.Errorf("list deliveries: %w", err)
	}
	return writeOutbox(w, ds, loc)
}

// writeOutbox prints deliveries as `shdmc outbox` shows them, with their
// last error on one line.
func writeOutbox(w io.Writer, ds []store.Delivery, loc *time.Location) error {
	if len(ds) == 0 {
		_, err := fmt.Fprintln(w, "no deliveries in that state")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCHANNEL\tROUTE\tITEM\tEVENT\tATTEMPTS\tCREATED\tNEXT ATTEMPT\tLAST ERROR")
	for _, d := range ds {
		next := ""
		if d.State == store.DeliveryPending || d.State == store.DeliveryRetrying {
			next = render.FormatTime(d.NextAttempt, loc)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s/%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.State, d.Channel, d.Route,
			d.Event.Tenant, d.Event.ItemID, d.Event.Type, d.Attempts, render.FormatTime(d.CreatedAt, loc), next,
			oneLine(d.LastError, 100))
	}
	return tw.Flush()
}

// retryDelivery makes a delivery due again now.
func retryDelivery(ctx context.Context, dsn string, id int64) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	err = st.RequeueDelivery(ctx, id, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		// The store's error would repeat "requeue delivery N"; say it once.
		return fmt.Errorf("no delivery %d: not found (shdmc outbox --state pending,retrying,dead,done lists them)", id)
	}
	return err
}

func oneLine(s string, max int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\r' || c == '\t' {
			r[i] = ' '
		}
	}
	if len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return string(r)
}
