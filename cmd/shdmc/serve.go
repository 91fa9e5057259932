package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// serveCmd serves the dashboard, JSON API, feeds and metrics of a store
// without polling.
func serveCmd(g *globals) *cobra.Command {
	var addr, dsn string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the dashboard, JSON API, feeds and /metrics of the store (read-only)",
		Long: `Serve the dashboard, JSON API (/api/v1), RSS/Atom/iCalendar feeds and Prometheus
/metrics of the configured store, read-only. It listens on loopback (serve.addr,
default 127.0.0.1:8080) and refuses any other address unless authentication is
set: SHDMC_SERVE_TOKEN (or SHDMC_SERVE_TOKEN_FILE) for a bearer token, and/or
SHDMC_SERVE_USERNAME with SHDMC_SERVE_PASSWORD (or SHDMC_SERVE_PASSWORD_FILE)
for basic auth — or serve.token / serve.username and serve.password in the config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			log := g.logger(cfg)
			if dsn == "" {
				dsn = cfg.StoreDSN().Reveal()
			}
			if addr == "" {
				addr = cfg.Serve.Addr
			}
			auth, err := serveAuth(cfg)
			if err != nil {
				return exitError{2, err}
			}
			st, err := store.Open(cmd.Context(), dsn, store.WithLogger(log))
			if err != nil {
				return err
			}
			defer st.Close()
			srv, err := serve.New(serve.Options{Store: st, Addr: addr, Auth: auth, Location: cfg.Location(),
				Interval: time.Duration(cfg.Interval), Logger: log})
			if err != nil {
				return exitError{2, err}
			}
			fmt.Fprintf(g.stdout, "shdmc serve: http://%s/\n", srv.Addr())
			return srv.ListenAndServe(cmd.Context())
		},
	}
	c.Flags().StringVar(&addr, "addr", "", "listen address (default: serve.addr of the config)")
	c.Flags().StringVar(&dsn, "store", "", "store DSN (default: store of the config)")
	return c
}

// serveAuth returns the server's credentials: serve.token and
// serve.username/password of the config, else the environment.
func serveAuth(cfg *config.Config) (serve.Auth, error) {
	if cfg.Serve.Token != "" || cfg.Serve.Username != "" {
		return serve.Auth{Token: cfg.Serve.Token.Reveal(), Username: cfg.Serve.Username, Password: cfg.Serve.Password.Reveal()}, nil
	}
	return serveAuthFromEnv()
}

// serveAuthFromEnv reads the server's credentials from the environment;
// *_FILE variables name files holding them (trailing white space is
// trimmed).
func serveAuthFromEnv() (serve.Auth, error) {
	get := func(name string) (string, error) {
		if f := os.Getenv(name + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("read %s_FILE: %w", name, err)
			}
			return strings.TrimSpace(string(b)), nil
		}
		return os.Getenv(name), nil
	}
	var a serve.Auth
	var err error
	if a.Token, err = get("SHDMC_SERVE_TOKEN"); err != nil {
		return a, err
	}
	a.Username = os.Getenv("SHDMC_SERVE_USERNAME")
	if a.Password, err = get("SHDMC_SERVE_PASSWORD"); err != nil {
		return a, err
	}
	if (a.Username == "") != (a.Password == "") {
		return a, fmt.Errorf("SHDMC_SERVE_USERNAME and SHDMC_SERVE_PASSWORD must be set together")
	}
	return a, nil
}
