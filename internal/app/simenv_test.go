package app_test

import (
	"path/filepath"
	"testing"

	"github.com/shdmc/shdmc/internal/sim"
)

// simEnv is a started simulator playing one scenario on a stepped clock.
type simEnv struct {
	sc     *sim.Scenario
	clock  *sim.SteppedClock
	srv    *sim.Server
	caFile string // the simulator's CA, for the tenants' ca_file
}

// startScenario parses a scenario, starts the simulator on it (before
// which prepare, if set, may add or replace tenants) and writes its CA
// file into dir; the simulator stops with the test.
func startScenario(t *testing.T, yaml, name, dir string, prepare func(*sim.Server, *sim.Scenario)) *simEnv {
	t.Helper()
	sc, err := sim.ParseScenario([]byte(yaml), name)
	if err != nil {
		t.Fatal(err)
	}
	e := &simEnv{sc: sc, clock: sim.NewSteppedClock(sc.Start), caFile: filepath.Join(dir, "sim-ca.pem")}
	if e.srv, err = sim.New(sim.Options{Clock: e.clock}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(e.srv, sc)
	}
	if err := e.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.srv.Close() })
	if err := e.srv.WriteCAFile(e.caFile); err != nil {
		t.Fatal(err)
	}
	return e
}
