package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

func translateCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "translate", Short: "Translation memory and usage"}
	var dsn, month string
	stats := &cobra.Command{
		Use:   "stats",
		Short: "Characters sent per translation provider and month, memory hit rate and the monthly budget",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			budgets := map[string]int64{}
			if dsn == "" {
				cfg, err := g.load()
				if err != nil {
					return err
				}
				dsn = cfg.StoreDSN().Reveal()
				if cfg.Translator.Provider != "" {
					budgets[cfg.Translator.Provider] = int64(cfg.Translator.MonthlyCharBudget)
				}
			}
			st, err := store.Open(cmd.Context(), dsn)
			if err != nil {
				return fmt.Errorf("open store: %w", err)
			}
			defer st.Close()
			lines, err := translate.Usage(cmd.Context(), st, month, budgets)
			if err != nil {
				return err
			}
			if len(lines) == 0 {
				fmt.Fprintln(g.stdout, "nothing translated yet")
				return nil
			}
			return writeUsage(g.stdout, lines)
		},
	}
	stats.Flags().StringVar(&dsn, "store", "", "store DSN (default: from the config file)")
	stats.Flags().StringVar(&month, "month", "", "only this month, as 2006-01 (default: every month)")
	c.AddCommand(stats)
	return c
}

// writeUsage prints usage lines as `shdmc translate stats` shows them.
func writeUsage(w io.Writer, lines []translate.UsageLine) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MONTH\tPROVIDER\tCHARS SENT\tREQUESTS\tHITS\tMISSES\tHIT RATE\tFAILURES\tBUDGET\tLEFT\t")
	for _, u := range lines {
		budget, left := "none", "-"
		if u.Budget > 0 {
			budget, left = fmt.Sprint(u.Budget), fmt.Sprint(u.Remaining())
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.1f%%\t%d\t%s\t%s\t\n", u.Month, u.Provider, u.Chars, u.Requests,
			u.Hits, u.Misses, 100*u.HitRate(), u.Failures, budget, left)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write usage: %w", err)
	}
	return nil
}
