package sim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// The tenant Serve registers when the scenario names none.
const (
	DefaultTenantID     = "6f1e3c2a-0000-4000-8000-000000000001"
	DefaultClientID     = "5d7c0000-0000-4000-8000-0000000000aa"
	DefaultClientSecret = "demo-secret"
)

// ServeOptions configures Serve (the `shdmc sim` command).
type ServeOptions struct {
	Scenario string  // scenario YAML file; empty with Replay
	Replay   string  // replay directory; empty with Scenario
	Speed    float64 // scenario seconds per wall second (default 1)
	Addr     string  // listen address (default 127.0.0.1:0)
	CAOut    string  // where to write the CA PEM (default a file in the temp dir)
	Out      io.Writer
	Logger   *slog.Logger
	// Server holds further options; its Clock and Addr are set by Serve.
	Server Options
}

// Serve runs a simulator until ctx is done. It prints the URL, the tenants
// and their credentials, the CA path and, while playing a scenario, each
// step's note as the clock passes it.
func Serve(ctx context.Context, o ServeOptions) error {
	out := o.Out
	if out == nil {
		out = os.Stdout
	}
	opts := o.Server
	opts.Addr = o.Addr
	if opts.Logger == nil {
		opts.Logger = o.Logger
	}
	var sc *Scenario
	if o.Scenario != "" {
		var err error
		if sc, err = LoadScenarioFile(o.Scenario); err != nil {
			return fmt.Errorf("serve simulator: %w", err)
		}
		opts.Clock = NewAcceleratedClock(sc.Start, o.Speed, nil)
	}
	s, err := New(opts)
	if err != nil {
		return fmt.Errorf("serve simulator: %w", err)
	}
	switch {
	case sc != nil:
		if err := s.LoadScenario(sc); err != nil {
			return fmt.Errorf("serve simulator: %w", err)
		}
	case o.Replay != "":
		if err := s.LoadReplay(o.Replay); err != nil {
			return fmt.Errorf("serve simulator: %w", err)
		}
	}
	tenants := []Tenant{}
	if sc != nil {
		for _, t := range sc.Tenants {
			tenants = append(tenants, Tenant{ID: t.ID, ClientID: t.ClientID, ClientSecret: t.ClientSecret})
		}
	}
	if len(tenants) == 0 {
		t := Tenant{ID: DefaultTenantID, ClientID: DefaultClientID, ClientSecret: DefaultClientSecret}
		s.AddTenant(t)
		tenants = append(tenants, t)
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("serve simulator: %w", err)
	}
	defer s.Close()
	caPath := o.CAOut
	if caPath == "" {
		caPath = filepath.Join(os.TempDir(), "shdmc-sim-ca.pem")
	}
	if err := s.WriteCAFile(caPath); err != nil {
		return fmt.Errorf("serve simulator: %w", err)
	}
	fmt.Fprintf(out, "shdmc simulator listening on %s\n", s.URL())
	fmt.Fprintf(out, "graph root:  %s   (scope %s/.default)\n", s.URL(), s.URL())
	fmt.Fprintf(out, "authority:   %s   (azidentity: Cloud.ActiveDirectoryAuthorityHost, DisableInstanceDiscovery)\n", s.URL())
	fmt.Fprintf(out, "ca:          %s\n", caPath)
	for _, t := range tenants {
		fmt.Fprintf(out, "tenant:      %s client_id %s client_secret %s\n", t.ID, t.ClientID, t.ClientSecret)
	}
	if sc == nil {
		<-ctx.Done()
		return nil
	}
	fmt.Fprintf(out, "scenario:    %s (%d steps, starts %s)\n", sc.Name, len(sc.Steps), sc.Start.Format(time.RFC3339))
	shown := 0
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		for n := s.ApplyUntil(s.clock.Now()); shown < n; shown++ {
			st := sc.Steps[shown]
			fmt.Fprintf(out, "step %d  %s  +%s  %s\n", shown+1, st.Time.Format(time.RFC3339), st.At, st.Note)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
