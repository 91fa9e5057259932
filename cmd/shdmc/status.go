package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/app"
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
			return app.Status(cmd.Context(), g.stdout, dsn, loc, time.Now())
		},
	}
	sf.add(c)
	return c
}
