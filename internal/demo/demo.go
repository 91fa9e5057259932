// Package demo runs shdmc end to end with nothing configured: it starts the
// Graph simulator on loopback with the built-in scenario (or a replay of
// recorded responses), points a real Graph client at it, and prints every
// notice as it is detected. It is the only production path that imports the
// simulator.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/demo/scenario"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/sim"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// Options configure Run.
type Options struct {
	Stdout   io.Writer
	Logger   *slog.Logger
	Duration time.Duration // how long the scenario takes to play; 0 = no pauses
	Follow   bool          // keep polling after the scenario ends
	Replay   string        // directory of recorded Graph responses
	Scenario string        // scenario file; "" = built in
	Store    string        // store DSN; "" = SQLite in Dir
	TimeZone string        // notices' time zone
	Language string        // notices' language: en (default) or ja
	Mode     string        // bilingual (default), translated or side-by-side
	Dir      string        // working directory; "" = a new temporary one
	Addr     string        // dashboard address with Follow; "" = 127.0.0.1:8080
	NoServe  bool          // with Follow, do not serve the dashboard
	// Command is how the user runs shdmc, for the closing hint: "shdmc",
	// "go run ./cmd/shdmc" or the binary's path; "" = "shdmc".
	Command string
}

// Run plays the demo.
func Run(ctx context.Context, o Options) error {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.TimeZone == "" {
		o.TimeZone = "UTC"
	}
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "shdmc-demo-")
		if err != nil {
			return fmt.Errorf("create demo directory: %w", err)
		}
		o.Dir = d
	} else if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return fmt.Errorf("create demo directory: %w", err)
	}
	if o.Store == "" {
		o.Store = "sqlite://" + filepath.Join(o.Dir, "shdmc.db")
	}
	sc, err := loadScenario(o.Scenario)
	if err != nil {
		return err
	}
	srv, clock, err := startSim(sc, o.Replay, o.Logger)
	if err != nil {
		return err
	}
	defer srv.Close()
	caFile := filepath.Join(o.Dir, "sim-ca.pem")
	if err := srv.WriteCAFile(caFile); err != nil {
		return fmt.Errorf("write simulator CA: %w", err)
	}

	cfg := config.Default()
	cfg.Store = o.Store
	cfg.TimeZone = o.TimeZone
	cfg.Baseline.AnnounceActive = true
	cfg.Outage.PublicStatus.Poll = "never" // the demo never leaves this machine
	jsonl := filepath.Join(o.Dir, "notices.jsonl")
	cfg.Channels = []config.Channel{
		{Name: "terminal", Type: "stdout", Settings: &file.StdoutSettings{Format: file.FormatText}},
		{Name: "mailbox", Type: "file", Settings: &file.Settings{Format: file.FormatJSON, Path: jsonl}},
	}
	for i, t := range sc.Tenants {
		cfg.Tenants = append(cfg.Tenants, config.Tenant{
			ID: fmt.Sprintf("demo-%d", i+1), Name: "Demo tenant", TenantID: t.ID, ClientID: t.ClientID,
			Auth: "client_secret", ClientSecret: config.Secret(t.ClientSecret),
			GraphRoot: srv.URL(), AuthorityHost: srv.URL(), CAFile: caFile,
		})
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	ao := app.Options{Logger: o.Logger, Stdout: o.Stdout, NoBaseline: o.Replay != "", Now: clock.Now}
	if o.Language != "" && o.Language != "en" {
		// One route in the chosen language, with the scenario's shipped
		// translation memory standing in for a translator.
		cfg.Routes = []config.Route{{Name: "demo", Channels: []string{"terminal", "mailbox"}, Language: o.Language, Mode: o.Mode}}
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("demo config: %w", err)
		}
		st, err := store.Open(ctx, o.Store, store.WithNow(clock.Now), store.WithLogger(o.Logger))
		if err != nil {
			return fmt.Errorf("open store: %w", err)
		}
		defer st.Close()
		tr, err := demoTranslator(ctx, st, clock.Now, o.Logger)
		if err != nil {
			return err
		}
		ao.Store, ao.Translator = st, tr
	}
	a, err := app.New(ctx, cfg, ao)
	if err != nil {
		return err
	}
	defer a.Close()

	w := o.Stdout
	loc := cfg.Location()
	if o.Replay != "" {
		fmt.Fprintf(w, "shdmc demo: replaying recorded Graph responses from %s through a local Microsoft Graph at %s\n\n", o.Replay, srv.URL())
		res, err := a.Check(ctx)
		fmt.Fprintf(w, "\n%d notice(s) from the replay. Store: %s\n", res.Events, o.Store)
		return err
	}
	fmt.Fprintf(w, "shdmc demo: playing %q (%d steps) against a local Microsoft Graph at %s\n", sc.Name, len(sc.Steps), srv.URL())
	fmt.Fprintf(w, "The first poll is a baseline: what exists is stored silently, except issues still active.\n\n")
	pause := time.Duration(0)
	if n := len(sc.Steps); n > 0 && o.Duration > 0 {
		pause = o.Duration / time.Duration(n)
	}
	total := 0
	for i, st := range sc.Steps {
		clock.Set(st.Time)
		fmt.Fprintf(w, "▶ step %d/%d · %s · %s\n", i+1, len(sc.Steps), st.Time.In(loc).Format("2006-01-02 15:04 MST"), st.Note)
		res, err := a.Check(ctx)
		total += res.Events
		if err != nil {
			fmt.Fprintf(w, "  poll failed: %v\n", err)
		}
		if i < len(sc.Steps)-1 && pause > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(pause):
			}
		}
	}
	fmt.Fprintf(w, "\nDemo finished: %d notice(s). Store %s; notices also in %s.\n", total, o.Store, jsonl)
	command := o.Command
	if command == "" {
		command = "shdmc"
	}
	fmt.Fprintf(w, "Try: %s history EX559755 --store %s\n", command, o.Store)
	if !o.Follow {
		return nil
	}
	if !o.NoServe {
		addr := o.Addr
		if addr == "" {
			addr = serve.DefaultAddr
		}
		srv, err := serve.New(serve.Options{Store: a.Store(), Addr: addr, Location: loc, Interval: 5 * time.Second,
			Logger: o.Logger, Now: clock.Now})
		if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
		ln, err := srv.Listen()
		if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
		go func() {
			if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
				fmt.Fprintf(w, "dashboard stopped: %v\n", err)
			}
		}()
		fmt.Fprintf(w, "Dashboard: http://%s/ (add ?lang=ja for Japanese)\n", ln.Addr())
	}
	fmt.Fprintf(w, "Following (Ctrl-C to stop)…\n")
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := a.Check(ctx); err != nil && ctx.Err() == nil {
				fmt.Fprintf(w, "poll failed: %v\n", err)
			}
		}
	}
}

// demoTranslator serves the scenario's shipped Japanese through the
// translation memory in the store, exactly as a production translator's
// earlier results would be served.
func demoTranslator(ctx context.Context, st store.Store, now func() time.Time, log *slog.Logger) (*translate.Service, error) {
	mp, err := translate.LoadMemoryFile(scenario.TranslationsJA)
	if err != nil {
		return nil, fmt.Errorf("demo translations: %w", err)
	}
	svc := translate.New(translate.Config{}, mp, st, translate.WithNow(now), translate.WithLogger(log))
	if err := mp.SeedGlossary(ctx, st, svc.Glossary(), now()); err != nil {
		return nil, err
	}
	return svc, nil
}

// startSim starts the simulator on loopback with a stepped clock at the
// scenario's start.
func startSim(sc *sim.Scenario, replay string, log *slog.Logger) (*sim.Server, *sim.SteppedClock, error) {
	clock := sim.NewSteppedClock(sc.Start)
	srv, err := sim.New(sim.Options{Clock: clock, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("create simulator: %w", err)
	}
	if err := loadData(srv, sc, replay); err != nil {
		return nil, nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, nil, fmt.Errorf("start simulator: %w", err)
	}
	return srv, clock, nil
}

func loadData(srv *sim.Server, sc *sim.Scenario, replay string) error {
	var err error
	if replay != "" {
		for _, t := range sc.Tenants {
			srv.AddTenant(sim.Tenant{ID: t.ID, ClientID: t.ClientID, ClientSecret: t.ClientSecret})
		}
		err = srv.LoadReplay(replay)
	} else {
		err = srv.LoadScenario(sc)
	}
	if err != nil {
		return fmt.Errorf("load simulator data: %w", err)
	}
	return nil
}

func loadScenario(path string) (*sim.Scenario, error) {
	if path == "" {
		sc, err := sim.ParseScenario(scenario.Demo, "demo.yaml (built in)")
		if err != nil {
			return nil, fmt.Errorf("built-in scenario: %w", err)
		}
		return sc, nil
	}
	sc, err := sim.LoadScenarioFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	return sc, nil
}

// SimOptions configure Sim.
type SimOptions struct {
	Stdout   io.Writer
	Logger   *slog.Logger
	Addr     string
	Scenario string
	Replay   string
	Speed    float64
	CAOut    string
}

// Sim serves the simulator until ctx is done, on a clock accelerated by
// o.Speed from the scenario's start.
func Sim(ctx context.Context, o SimOptions) error {
	sc, err := loadScenario(o.Scenario)
	if err != nil {
		return err
	}
	if o.Speed <= 0 {
		o.Speed = 1
	}
	clock := sim.NewAcceleratedClock(sc.Start, o.Speed, time.Now)
	srv, err := sim.New(sim.Options{Clock: clock, Logger: o.Logger, Addr: o.Addr})
	if err != nil {
		return fmt.Errorf("create simulator: %w", err)
	}
	if err := loadData(srv, sc, o.Replay); err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	defer srv.Close()
	if err := srv.WriteCAFile(o.CAOut); err != nil {
		return fmt.Errorf("write CA: %w", err)
	}
	fmt.Fprintf(o.Stdout, "Microsoft Graph simulator at %s (CA certificate: %s)\n", srv.URL(), o.CAOut)
	fmt.Fprintf(o.Stdout, "Point a tenant at it with graph_root: %s, authority_host: %s, ca_file: %s\n", srv.URL(), srv.URL(), o.CAOut)
	for _, t := range sc.Tenants {
		fmt.Fprintf(o.Stdout, "  tenant_id: %s  client_id: %s  client_secret: %s\n", t.ID, t.ClientID, t.ClientSecret)
	}
	if o.Replay != "" || len(sc.Steps) == 0 {
		<-ctx.Done()
		return nil
	}
	fmt.Fprintf(o.Stdout, "Playing %q at %g scenario seconds per real second; each step is printed when Graph starts showing it.\n",
		sc.Name, o.Speed)
	announceSteps(ctx, o.Stdout, sc.Steps, clock, o.Speed)
	<-ctx.Done()
	return nil
}

// DefaultSimSpeed is `shdmc sim`'s default speed in scenario seconds per
// real second: the built-in scenario's second step (55 minutes in) shows
// after 5.5 s, and its three weeks play in about 45 minutes.
const DefaultSimSpeed = 600

// announceSteps prints each step of a scenario when the accelerated clock
// reaches it, and when the next one is due, until the last step or ctx is
// done; so a user polling the simulator knows when to expect a change.
func announceSteps(ctx context.Context, w io.Writer, steps []sim.Step, clock *sim.AcceleratedClock, speed float64) {
	for i, st := range steps {
		if wait := time.Duration(float64(st.Time.Sub(clock.Now())) / speed); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		fmt.Fprintf(w, "▶ step %d/%d · %s · %s\n", i+1, len(steps), st.Time.UTC().Format("2006-01-02 15:04 MST"), st.Note)
		if i+1 < len(steps) {
			next := time.Duration(float64(steps[i+1].Time.Sub(clock.Now())) / speed)
			fmt.Fprintf(w, "  next change in %s (step %d/%d)\n", max(next, 0).Round(100*time.Millisecond), i+2, len(steps))
		} else {
			fmt.Fprintf(w, "  that was the last step; the simulator keeps serving it (Ctrl-C to stop)\n")
		}
	}
}
