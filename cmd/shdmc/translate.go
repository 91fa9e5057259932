package main

import (
	"fmt"

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
			return translate.WriteUsage(g.stdout, lines)
		},
	}
	stats.Flags().StringVar(&dsn, "store", "", "store DSN (default: from the config file)")
	stats.Flags().StringVar(&month, "month", "", "only this month, as 2006-01 (default: every month)")
	c.AddCommand(stats)
	return c
}
