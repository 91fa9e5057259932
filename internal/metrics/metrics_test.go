package metrics_test

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shdmc/shdmc/internal/metrics"
)

// TestObservePrune: the scheduled pruning's rows add up per kind, and
// its runs count by outcome, as /metrics serves them.
func TestObservePrune(t *testing.T) {
	m := metrics.New()
	m.ObservePrune(map[string]int64{"events": 3, "deliveries": 2, "blobs": 0}, nil)
	m.ObservePrune(map[string]int64{"events": 4}, errors.New("disk full"))
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range mt.GetLabel() {
				name += " " + l.GetName() + "=" + l.GetValue()
			}
			got[name] = mt.GetCounter().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"shdmc_pruned_rows_total kind=events":     7,
		"shdmc_pruned_rows_total kind=deliveries": 2,
		"shdmc_pruned_rows_total kind=blobs":      0,
		"shdmc_prune_runs_total outcome=ok":       1,
		"shdmc_prune_runs_total outcome=error":    1,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %t), want %v", name, v, ok, want)
		}
	}
}
