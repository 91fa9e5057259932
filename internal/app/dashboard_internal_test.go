package app

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/metrics"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/poll"
)

func TestObserveInto(t *testing.T) {
	m := metrics.New()
	observe := observeInto(m)
	observe(Observation{Tenant: "contoso",
		Sources: map[model.Source]poll.SourceResult{
			model.SourceSHD: {Took: 120 * time.Millisecond},
			model.SourceMC:  {Took: time.Second, Err: errors.New("503")},
		},
		Graph: graph.Stats{Requests: 6, ByStatus: map[int]int64{200: 3, 429: 2}, Throttled: 2, ThrottledWait: 2500 * time.Millisecond},
	})
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"200", testutil.ToFloat64(m.GraphRequests.WithLabelValues("200")), 3},
		{"429", testutil.ToFloat64(m.GraphRequests.WithLabelValues("429")), 2},
		{"no response", testutil.ToFloat64(m.GraphRequests.WithLabelValues("error")), 1},
		{"throttled waits", testutil.ToFloat64(m.ThrottledWaits), 2},
		{"throttled seconds", testutil.ToFloat64(m.ThrottledWaitSeconds), 2.5},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.PollDuration); n != 2 {
		t.Errorf("%d poll duration series, want 2 (shd ok, mc error)", n)
	}
}
