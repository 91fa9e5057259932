// Package cli is shdmc's command line: the cobra command tree and the
// terminal printers (history, outbox, status, tenants, export, translation
// usage). cmd/shdmc hands over to Execute; the work is done by
// internal/app and the packages it wires.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/demo"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/notify/channels"
)

// Execute runs the command line args (without the program name) of shdmc
// at version and returns the exit status: 0 on success, 2 for a bad config
// or usage, 1 for any other failure, which it reports on stderr.
func Execute(ctx context.Context, version string, args []string, stdout, stderr io.Writer) int {
	root := newRoot(version, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "shdmc:", err)
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

type globals struct {
	version    string
	configPath string
	logLevel   string
	stdout     io.Writer
	stderr     io.Writer
}

func newRoot(version string, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{version: version, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "shdmc",
		Short:         "Watch Microsoft 365 Service Health and Message Center, and tell people what changed",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVarP(&g.configPath, "config", "c", envOr("SHDMC_CONFIG", "shdmc.yaml"), "config file (env SHDMC_CONFIG)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn, error (overrides log.level)")
	root.AddCommand(runCmd(g), checkCmd(g), demoCmd(g), simCmd(g), historyCmd(g), configCmd(g), versionCmd(g),
		outboxCmd(g), testChannelCmd(g), translateCmd(g), serveCmd(g), statusCmd(g),
		tenantsCmd(g), storeCmd(g), migrateCmd(g), siteCmd(g), exportCmd(g), previewCmd(g))
	return root
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// logger builds the process logger on stderr.
func (g *globals) logger(cfg *config.Config) *slog.Logger {
	level, format := "info", "text"
	if cfg != nil {
		if cfg.Log.Level != "" {
			level = cfg.Log.Level
		}
		if cfg.Log.Format != "" {
			format = cfg.Log.Format
		}
	}
	if g.logLevel != "" {
		level = g.logLevel
	}
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	ho := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, ho))
	}
	return slog.New(slog.NewTextHandler(g.stderr, ho))
}

func (g *globals) load() (*config.Config, error) {
	cfg, err := config.Load(g.configPath, channels.Default())
	if err != nil {
		return nil, exitError{2, err}
	}
	return cfg, nil
}

// logWarnings logs the config's warnings (what `shdmc config validate`
// prints) when a command that polls starts.
func logWarnings(log *slog.Logger, cfg *config.Config) {
	for _, w := range cfg.Warnings() {
		log.Warn("config warning", "warning", w)
	}
}

func runCmd(g *globals) *cobra.Command {
	var (
		every   time.Duration
		addr    string
		noServe bool
		profile string
	)
	c := &cobra.Command{
		Use:   "run",
		Short: "Poll every tenant for ever and notify on every change",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if every > 0 {
				// Tests and benchmarks only: below config.MinInterval.
				cfg.Interval = config.Duration(every)
			}
			if profile != "" {
				stop, err := startCPUProfile(profile)
				if err != nil {
					return err
				}
				defer stop()
			}
			log := g.logger(cfg)
			logWarnings(log, cfg)
			// The App serves the dashboard while it runs, on its store.
			a, err := app.New(cmd.Context(), cfg, app.Options{Logger: log, Stdout: g.stdout, Dashboard: !noServe, DashboardAddr: addr})
			if errors.Is(err, app.ErrDashboard) {
				return exitError{2, err}
			}
			if err != nil {
				return err
			}
			defer a.Close()
			log.Info("shdmc running", "tenants", len(cfg.Tenants), "interval", time.Duration(cfg.Interval), "store", netsafe.DSN(cfg.Store))
			return a.Run(cmd.Context())
		},
	}
	c.Flags().StringVar(&addr, "addr", "", "dashboard listen address (default: serve.addr of the config)")
	c.Flags().BoolVar(&noServe, "no-serve", false, "do not serve the dashboard")
	c.Flags().DurationVar(&every, "poll-every", 0, "override the polling interval, below the config's minimum (tests and benchmarks)")
	_ = c.Flags().MarkHidden("poll-every")
	c.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the run to this file (benchmarks)")
	_ = c.Flags().MarkHidden("cpuprofile")
	return c
}

func checkCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Poll every tenant once, deliver notices and exit (for cron and CI)",
		Long: "Poll every tenant once, deliver notices and exit.\n\n" +
			"Exit status: 0 when every tenant was polled and every notice delivered, 1 when a tenant or a delivery failed, 2 for a bad config.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			log := g.logger(cfg)
			logWarnings(log, cfg)
			a, err := app.New(cmd.Context(), cfg, app.Options{Logger: log, Stdout: g.stdout})
			if err != nil {
				return err
			}
			defer a.Close()
			res, err := a.Check(cmd.Context())
			fmt.Fprintf(g.stderr, "checked %d tenant(s): %d failed, %d event(s), %d notice(s) sent, %d delivery failure(s)\n",
				res.Tenants, res.Failed, res.Events, res.Sent, res.SendFailed)
			if err == nil && res.SendFailed > 0 {
				err = fmt.Errorf("%d delivery failure(s); they will be retried", res.SendFailed)
			}
			return err
		},
	}
}

func demoCmd(g *globals) *cobra.Command {
	var o demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Play the built-in scenario against a local Microsoft Graph simulator (no credentials, no network)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Stdout = g.stdout
			o.Command = selfCommand(os.Args[0], os.TempDir(), os.Executable, exec.LookPath)
			o.Logger = g.logger(nil)
			if g.logLevel == "" {
				o.Logger = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			}
			return demo.Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.Duration, "duration", time.Minute, "how long the scenario takes to play (0 = as fast as possible)")
	f.BoolVar(&o.Follow, "follow", false, "keep polling the simulator after the scenario ends and serve the dashboard, until interrupted")
	f.StringVar(&o.Addr, "addr", "", "with --follow: dashboard listen address (default 127.0.0.1:8080)")
	f.BoolVar(&o.NoServe, "no-serve", false, "with --follow: do not serve the dashboard")
	f.StringVar(&o.Replay, "replay", "", "serve recorded Graph responses from DIR instead of the scenario, announce every item and exit")
	f.StringVar(&o.Scenario, "scenario", "", "play this scenario file instead of the built-in one")
	f.StringVar(&o.Store, "store", "", "store DSN (default: a SQLite file in a temporary directory)")
	f.StringVar(&o.TimeZone, "time-zone", "UTC", "time zone of the notices, e.g. Asia/Tokyo")
	f.StringVar(&o.Language, "language", "en", "language of the notices: en or ja (Japanese from the scenario's shipped translation memory)")
	f.StringVar(&o.Mode, "mode", "bilingual", "with --language ja: bilingual, translated or side-by-side")
	f.StringVar(&o.Dir, "dir", "", "directory for the demo's files (store, CA, notices.jsonl); default a new temporary directory")
	return cmd
}

func simCmd(g *globals) *cobra.Command {
	var o demo.SimOptions
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve a local Microsoft Graph + token authority (HTTPS with its own CA) for a scenario or a replay",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Stdout = g.stdout
			o.Logger = g.logger(nil)
			return demo.Sim(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:8443", "listen address")
	f.StringVar(&o.Scenario, "scenario", "", "scenario file (default: the built-in demo scenario)")
	f.StringVar(&o.Replay, "replay", "", "serve recorded Graph response bodies from DIR")
	f.Float64Var(&o.Speed, "speed", demo.DefaultSimSpeed, "scenario seconds per real second (each step is printed when it shows, with the time to the next)")
	f.StringVar(&o.CAOut, "ca-out", "shdmc-sim-ca.pem", "write the simulator's CA certificate here")
	return cmd
}

func configCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Work with the config file"}
	var strict bool
	validate := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a config file and explain every mistake by file, line and key",
		Long: "Check a config file and explain every mistake, and every warning (such as a route no event can match), " +
			"by file, line and key, all in one run.\n\n" +
			"Exit status: 0 when the file is valid (warnings are printed), 2 when it has errors, " +
			"or with --strict also when it has warnings.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := g.configPath
			if len(args) == 1 {
				path = args[0]
			}
			cfg, err := config.Load(path, channels.Default())
			if err != nil {
				return exitError{2, err}
			}
			warnings := cfg.Warnings()
			for _, w := range warnings {
				fmt.Fprintf(g.stdout, "warning: %s\n", w)
			}
			if strict && len(warnings) > 0 {
				return exitError{2, fmt.Errorf("%s: %d warning(s), and --strict treats them as errors", path, len(warnings))}
			}
			fmt.Fprintf(g.stdout, "%s: OK (%d tenant(s), %d channel(s), store %s", path, len(cfg.Tenants), len(cfg.Channels), netsafe.DSN(cfg.Store))
			if len(warnings) > 0 {
				fmt.Fprintf(g.stdout, ", %d warning(s)", len(warnings))
			}
			fmt.Fprintln(g.stdout, ")")
			return nil
		},
	}
	validate.Flags().BoolVar(&strict, "strict", false, "exit with status 2 on warnings too")
	c.AddCommand(validate, &cobra.Command{
		Use:   "sample",
		Short: "Print a complete, commented sample config",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := g.stdout.Write(config.Sample())
			return err
		},
	})
	return c
}

func versionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(g.stdout, "shdmc", g.version)
		},
	}
}

// storeFlags resolves --store and --time-zone against the config file.
type storeFlags struct{ dsn, tz string }

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dsn, "store", "", "store DSN (default: from the config file)")
	cmd.Flags().StringVar(&f.tz, "time-zone", "", "show times in this zone (default: the config's time_zone)")
}

func (f *storeFlags) resolve(g *globals) (string, *time.Location, error) {
	dsn, loc := f.dsn, time.UTC
	if dsn == "" {
		cfg, err := g.load()
		if err != nil {
			return "", nil, err
		}
		dsn, loc = cfg.StoreDSN().Reveal(), cfg.Location()
	}
	if f.tz != "" {
		l, err := time.LoadLocation(f.tz)
		if err != nil {
			return "", nil, exitError{2, fmt.Errorf("time zone: %w", err)}
		}
		loc = l
	}
	return dsn, loc, nil
}

func testChannelCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "test-channel NAME",
		Short: "Send a sample notice through a channel and print what the far end answered",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			a, err := app.New(cmd.Context(), cfg, app.Options{Logger: g.logger(cfg), Stdout: g.stdout})
			if err != nil {
				return err
			}
			defer a.Close()
			rc, err := a.TestChannel(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("channel %s: %w", args[0], err)
			}
			fmt.Fprintf(g.stdout, "channel %s answered: %s", args[0], rc.Status)
			if rc.Detail != "" {
				fmt.Fprintf(g.stdout, " (%s)", rc.Detail)
			}
			fmt.Fprintln(g.stdout)
			return nil
		},
	}
}

// selfCommand returns how the user can run this shdmc again, for hints
// such as the demo's closing "Try: … history": "go run ./cmd/shdmc" when
// arg0 (os.Args[0]) is a binary that `go run` built, in a go-build
// directory under tmp (deleted on exit) or in the build cache (a go-build
// directory too; evicted in time), "shdmc" when that name on the PATH is
// this binary, else the binary's absolute path.
func selfCommand(arg0, tmp string, executable func() (string, error), lookPath func(string) (string, error)) string {
	if rel, err := filepath.Rel(tmp, arg0); err == nil && strings.HasPrefix(rel, "go-build") {
		return "go run ./cmd/shdmc"
	}
	if slices.Contains(strings.Split(filepath.ToSlash(filepath.Dir(arg0)), "/"), "go-build") {
		return "go run ./cmd/shdmc"
	}
	self, err := executable()
	if err != nil {
		return "shdmc"
	}
	if p, err := lookPath("shdmc"); err == nil && sameFile(p, self) {
		return "shdmc"
	}
	if abs, err := filepath.Abs(self); err == nil {
		return abs
	}
	return self
}

// sameFile reports whether two paths name the same file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
