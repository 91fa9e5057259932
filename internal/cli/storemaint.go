package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify/channels"
	"github.com/shdmc/shdmc/internal/store"
)

// retentionOf converts the config's retention block for the store, as
// `shdmc run` does.
func retentionOf(r config.Retention) store.Retention { return app.RetentionOf(r) }

// retentionFor returns the retention of the config file, or the defaults
// when there is no config file (a store named with --store).
func retentionFor(g *globals) (store.Retention, error) {
	cfg, err := config.Load(g.configPath, channels.Default())
	if errors.Is(err, fs.ErrNotExist) {
		return retentionOf(config.Default().Retention), nil
	}
	if err != nil {
		return store.Retention{}, exitError{2, err}
	}
	return retentionOf(cfg.Retention), nil
}

// storeStatsCmd prints what the store holds and what retention would
// remove.
func storeStatsCmd(g *globals) *cobra.Command {
	return withStore(g, &cobra.Command{
		Use:   "stats",
		Short: "Rows and bytes per table, and what the retention settings would remove now",
		Args:  cobra.NoArgs,
	}, func(cmd *cobra.Command, st store.Store, _ []string) error {
		pol, err := retentionFor(g)
		if err != nil {
			return err
		}
		u, err := st.Usage(cmd.Context(), pol, time.Now())
		if err != nil {
			return err
		}
		writeStoreUsage(g.stdout, u, pol)
		return nil
	})
}

// storePruneCmd prunes once.
func storePruneCmd(g *globals) *cobra.Command {
	var vacuum bool
	c := withStore(g, &cobra.Command{
		Use:   "prune",
		Short: "Remove what the retention settings no longer keep (once; `shdmc run` prunes on its own)",
		Long: "Remove old events with their delivered outbox rows, dead letters, revisions other than each item's " +
			"first and latest, and items Microsoft no longer lists, as the config's retention block says, in " +
			"small batches that workers can run beside; then the JSON documents and search entries nothing refers " +
			"to. SQLite files return the freed space to the file system (incremental vacuum). --vacuum then " +
			"rewrites the whole file, which a file created before incremental vacuum needs once to use it " +
			"(it needs as much free disk as the file and blocks writers while it runs); on PostgreSQL it runs VACUUM (ANALYZE).",
		Args: cobra.NoArgs,
	}, func(cmd *cobra.Command, st store.Store, _ []string) error {
		pol, err := retentionFor(g)
		if err != nil {
			return err
		}
		ps, err := st.Prune(cmd.Context(), pol, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "removed %d events, %d delivered and %d dead deliveries, %d revisions, %d removed items, "+
			"%d unused documents, %d search entries; freed %d pages in %v\n",
			ps.Events, ps.Deliveries, ps.DeadLetters, ps.Revisions, ps.Items, ps.Blobs, ps.Documents, ps.FreedPages,
			ps.Took.Round(time.Millisecond))
		if vacuum {
			start := time.Now()
			if err := st.Vacuum(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "vacuumed in %v\n", time.Since(start).Round(time.Millisecond))
		}
		return nil
	})
	c.Flags().BoolVar(&vacuum, "vacuum", false, "rewrite the database afterwards (SQLite: switches an older file to incremental vacuum)")
	return c
}

// writeStoreUsage prints u as tables.
func writeStoreUsage(w io.Writer, u store.Usage, pol store.Retention) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\trows\tbytes\t")
	for _, t := range u.Tables {
		rows := "-"
		if t.Rows >= 0 {
			rows = fmt.Sprint(t.Rows)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", t.Name, rows, sizeText(t.Bytes))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s database: %s", u.Engine, sizeText(u.Bytes))
	if u.Engine == "sqlite" {
		fmt.Fprintf(w, " (%s free)", sizeText(u.FreeBytes))
		if !u.IncrementalVacuum {
			fmt.Fprint(w, "; the file does not shrink when rows go: run `shdmc store prune --vacuum` once")
		}
	}
	fmt.Fprintln(w)
	keep := func(d time.Duration) string {
		if d <= 0 {
			return "kept forever"
		}
		return "older than " + config.Duration(d).String()
	}
	p := u.Prunable
	fmt.Fprintf(w, "\nretention would remove now:\n")
	fmt.Fprintf(w, "  %d events and %d delivered deliveries (%s)\n", p.Events, p.Deliveries, keep(pol.Events))
	fmt.Fprintf(w, "  %d dead letters (%s)\n", p.DeadLetters, keep(pol.DeadLetters))
	fmt.Fprintf(w, "  %d removed items (%s) and up to %d revisions (%s)\n", p.Items, keep(pol.RemovedItems), p.Revisions, keep(pol.Revisions))
	fmt.Fprintf(w, "  %d documents and %d search entries nothing refers to\n", p.Blobs, p.Documents)
}

// sizeText renders a byte count in binary units.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
