package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// serveCmd serves the dashboard, JSON API, feeds and metrics of a store
// without polling.
func serveCmd(g *globals) *cobra.Command {
	var addr, dsn string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the dashboard, JSON API, feeds and /metrics of the store",
		Long: `Serve the dashboard, JSON API (/api/v1), RSS/Atom/iCalendar feeds and Prometheus
/metrics of the configured store, read-only but for the ownership of items (owner,
acknowledged, done, not applicable). It listens on loopback (serve.addr,
default 127.0.0.1:8080) and refuses any other address unless authentication is
set: SHDMC_SERVE_TOKEN (or SHDMC_SERVE_TOKEN_FILE) for a bearer token, and/or
SHDMC_SERVE_USERNAME with SHDMC_SERVE_PASSWORD (or SHDMC_SERVE_PASSWORD_FILE)
for basic auth — or serve.token / serve.username and serve.password in the config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load() // the SHDMC_SERVE_* credentials too
			if err != nil {
				return err
			}
			log := g.logger(cfg)
			if dsn == "" {
				dsn = cfg.StoreDSN().Reveal()
			}
			st, err := store.Open(cmd.Context(), dsn, store.WithLogger(log))
			if err != nil {
				return err
			}
			defer st.Close()
			srv, err := serve.FromConfig(cfg, st, addr, nil, log)
			if err != nil {
				return exitError{2, err}
			}
			ln, err := srv.Listen()
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "shdmc serve: http://%s/\n", ln.Addr())
			return srv.Serve(cmd.Context(), ln)
		},
	}
	c.Flags().StringVar(&addr, "addr", "", "listen address (default: serve.addr of the config)")
	c.Flags().StringVar(&dsn, "store", "", "store DSN (default: store of the config)")
	return c
}
