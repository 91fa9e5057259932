// Package metrics holds the Prometheus collectors that polling feeds and
// the dashboard serves at /metrics.
package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
)

// Metrics holds the collectors that polling feeds: the poller
// observes PollDuration and GraphRequests, the Graph client ThrottledWaits.
// Everything the store knows (items, events, deliveries, outbox, source
// health, translation usage) is read at scrape time instead.
type Metrics struct {
	// PollDuration observes one pass of one tenant and source, in seconds
	// (labels: source, outcome = "ok" | "error").
	PollDuration *prometheus.HistogramVec
	// GraphRequests counts Microsoft Graph requests by HTTP status code
	// (label: code, e.g. "200", "429", or "error" without a response).
	GraphRequests *prometheus.CounterVec
	// ThrottledWaits counts waits on Retry-After (429/503) and the seconds
	// waited.
	ThrottledWaits       prometheus.Counter
	ThrottledWaitSeconds prometheus.Counter
	// PrunedRows counts what the scheduled pruning removed (label: kind =
	// events, deliveries, dead_letters, revisions, items, blobs,
	// documents), and PruneRuns its runs (label: outcome = "ok" |
	// "error").
	PrunedRows *prometheus.CounterVec
	PruneRuns  *prometheus.CounterVec
}

// New makes unregistered collectors; the dashboard registers them.
func New() *Metrics {
	return &Metrics{
		PollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shdmc_poll_duration_seconds", Help: "Duration of one poll pass of a tenant and source.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"source", "outcome"}),
		GraphRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shdmc_graph_requests_total", Help: "Microsoft Graph requests by HTTP status.",
		}, []string{"code"}),
		ThrottledWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shdmc_graph_throttled_waits_total", Help: "Waits on Retry-After after 429 or 503 answers.",
		}),
		ThrottledWaitSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shdmc_graph_throttled_wait_seconds_total", Help: "Seconds spent waiting on Retry-After.",
		}),
		PrunedRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shdmc_pruned_rows_total", Help: "Rows the scheduled pruning removed, by kind.",
		}, []string{"kind"}),
		PruneRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shdmc_prune_runs_total", Help: "Runs of the scheduled pruning by this process, by outcome.",
		}, []string{"outcome"}),
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.PollDuration.Describe(ch)
	m.GraphRequests.Describe(ch)
	m.ThrottledWaits.Describe(ch)
	m.ThrottledWaitSeconds.Describe(ch)
	m.PrunedRows.Describe(ch)
	m.PruneRuns.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.PollDuration.Collect(ch)
	m.GraphRequests.Collect(ch)
	m.ThrottledWaits.Collect(ch)
	m.ThrottledWaitSeconds.Collect(ch)
	m.PrunedRows.Collect(ch)
	m.PruneRuns.Collect(ch)
}

// SourceTiming is one source's part of a poll.
type SourceTiming struct {
	Took time.Duration
	Err  error
}

// ObservePoll records one poll of one tenant: the duration of each
// source's pass, Graph answers by status, and the waits on Retry-After.
func (m *Metrics) ObservePoll(sources map[model.Source]SourceTiming, g graph.Stats) {
	for src, r := range sources {
		outcome := "ok"
		if r.Err != nil {
			outcome = "error"
		}
		m.PollDuration.WithLabelValues(string(src), outcome).Observe(r.Took.Seconds())
	}
	var answered int64
	for code, n := range g.ByStatus {
		m.GraphRequests.WithLabelValues(strconv.Itoa(code)).Add(float64(n))
		answered += n
	}
	if errs := g.Requests - answered; errs > 0 {
		m.GraphRequests.WithLabelValues("error").Add(float64(errs)) // no response at all
	}
	m.ThrottledWaits.Add(float64(g.Throttled))
	m.ThrottledWaitSeconds.Add(g.ThrottledWait.Seconds())
}

// ObservePrune records one run of the scheduled pruning: the rows it
// removed by kind, and its outcome.
func (m *Metrics) ObservePrune(removed map[string]int64, err error) {
	for kind, n := range removed {
		m.PrunedRows.WithLabelValues(kind).Add(float64(n))
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.PruneRuns.WithLabelValues(outcome).Inc()
}
