package main

import (
	"strconv"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/serve"
)

// observeInto feeds every poll into the dashboard's Prometheus metrics:
// the duration of each source's pass, Graph answers by status, and the
// waits on Retry-After.
func observeInto(m *serve.Metrics) func(app.Observation) {
	return func(o app.Observation) {
		for src, r := range o.Sources {
			outcome := "ok"
			if r.Err != nil {
				outcome = "error"
			}
			m.PollDuration.WithLabelValues(string(src), outcome).Observe(r.Took.Seconds())
		}
		for code, n := range o.Graph.ByStatus {
			m.GraphRequests.WithLabelValues(strconv.Itoa(code)).Add(float64(n))
		}
		if errs := o.Graph.Requests - sum(o.Graph.ByStatus); errs > 0 {
			m.GraphRequests.WithLabelValues("error").Add(float64(errs)) // no response at all
		}
		m.ThrottledWaits.Add(float64(o.Graph.Throttled))
		m.ThrottledWaitSeconds.Add(o.Graph.ThrottledWait.Seconds())
	}
}

func sum(m map[int]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}
