package main

import (
	"time"

	"github.com/shdmc/shdmc/bench/internal/scenario"
	"github.com/shdmc/shdmc/internal/sim"
)

// scenarioShape is the content every simulated tenant sees (see
// bench/internal/scenario, which bench/scalebench uses too).
type scenarioShape = scenario.Shape

// genScenario builds the scenario of shape; end is the scenario time of its
// final step.
func genScenario(shape scenarioShape, now time.Time) (*sim.Scenario, time.Time, error) {
	return scenario.Generate(shape, now)
}
