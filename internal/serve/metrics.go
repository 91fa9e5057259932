package serve

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descItems         = prometheus.NewDesc("shdmc_items", "Stored items (not removed) by source, kind and active flag.", []string{"source", "kind", "active"}, nil)
	descEvents        = prometheus.NewDesc("shdmc_events_total", "Stored events by type.", []string{"type"}, nil)
	descDeliveries    = prometheus.NewDesc("shdmc_deliveries", "Outbox rows by channel and state.", []string{"channel", "state"}, nil)
	descOutboxDepth   = prometheus.NewDesc("shdmc_outbox_depth", "Deliveries pending or retrying.", nil, nil)
	descOutboxOldest  = prometheus.NewDesc("shdmc_outbox_oldest_pending_age_seconds", "Age of the oldest pending or retrying delivery (0 when none).", nil, nil)
	descLastSuccess   = prometheus.NewDesc("shdmc_source_last_success_timestamp_seconds", "When a poll last stored the cursor of a tenant and source.", []string{"tenant", "source"}, nil)
	descStale         = prometheus.NewDesc("shdmc_source_stale", "1 when a tenant and source has not been polled successfully for 3 intervals.", []string{"tenant", "source"}, nil)
	descTransChars    = prometheus.NewDesc("shdmc_translation_characters_total", "Characters sent to a translation provider.", []string{"provider"}, nil)
	descTransHits     = prometheus.NewDesc("shdmc_translation_memory_hits_total", "Translation lookups answered by the memory.", []string{"provider"}, nil)
	descTransMisses   = prometheus.NewDesc("shdmc_translation_memory_misses_total", "Translation lookups that went to the provider.", []string{"provider"}, nil)
	descServiceStatus = prometheus.NewDesc("shdmc_service_status",
		"1 for the status a service of a tenant is in, 0 for the others: interruption, degradation, restoring, advisory or operational, from its health overview and its active issues together (as the dashboard shows it).",
		[]string{"tenant", "service", "status"}, nil)
	descScrapeFailure = prometheus.NewDesc("shdmc_store_scrape_error", "1 when reading the store for this scrape failed.", nil, nil)
)

// storeCollector reads the store's totals at scrape time.
type storeCollector struct{ s *Server }

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descItems, descEvents, descDeliveries, descOutboxDepth, descOutboxOldest,
		descLastSuccess, descStale, descTransChars, descTransHits, descTransMisses, descServiceStatus, descScrapeFailure} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := c.s
	failed := 0.0
	now := s.now()
	if counts, err := s.rd.Counts(ctx); err != nil {
		s.log.Warn("metrics_store_counts_failed", "err", err)
		failed = 1
	} else {
		for _, ic := range counts.Items {
			act := "false"
			if ic.Active {
				act = "true"
			}
			ch <- prometheus.MustNewConstMetric(descItems, prometheus.GaugeValue, float64(ic.N), string(ic.Source), ic.Kind, act)
		}
		for t, n := range counts.Events {
			ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(n), string(t))
		}
		depth := int64(0)
		for _, d := range counts.Deliveries {
			ch <- prometheus.MustNewConstMetric(descDeliveries, prometheus.GaugeValue, float64(d.N), d.Channel, string(d.State))
			if d.State == "pending" || d.State == "retrying" {
				depth += d.N
			}
		}
		ch <- prometheus.MustNewConstMetric(descOutboxDepth, prometheus.GaugeValue, float64(depth))
		age := 0.0
		if !counts.OldestPending.IsZero() {
			age = max(now.Sub(counts.OldestPending).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(descOutboxOldest, prometheus.GaugeValue, age)
	}
	if states, err := s.rd.SourceStates(ctx); err != nil {
		s.log.Warn("metrics_source_states_failed", "err", err)
		failed = 1
	} else {
		for _, st := range states {
			ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, float64(st.UpdatedAt.Unix()), st.Tenant, string(st.Source))
			stale := 0.0
			if s.isStale(st, now) {
				stale = 1
			}
			ch <- prometheus.MustNewConstMetric(descStale, prometheus.GaugeValue, stale, st.Tenant, string(st.Source))
		}
	}
	if usages, err := s.st.TranslationUsages(ctx, ""); err != nil {
		s.log.Warn("metrics_translation_usage_failed", "err", err)
		failed = 1
	} else {
		type sum struct{ chars, hits, misses int64 }
		by := map[string]*sum{}
		for _, u := range usages {
			if by[u.Provider] == nil {
				by[u.Provider] = &sum{}
			}
			by[u.Provider].chars += u.Chars
			by[u.Provider].hits += u.Hits
			by[u.Provider].misses += u.Misses
		}
		for p, v := range by {
			ch <- prometheus.MustNewConstMetric(descTransChars, prometheus.CounterValue, float64(v.chars), p)
			ch <- prometheus.MustNewConstMetric(descTransHits, prometheus.CounterValue, float64(v.hits), p)
			ch <- prometheus.MustNewConstMetric(descTransMisses, prometheus.CounterValue, float64(v.misses), p)
		}
	}
	if sn, err := s.snapshot(ctx); err != nil {
		s.log.Warn("metrics_service_status_failed", "err", err)
		failed = 1
	} else {
		for tenant, m := range sn.Services {
			for name, st := range m {
				for l, word := range levelNames {
					val := 0.0
					if level(l) == st.Level {
						val = 1
					}
					ch <- prometheus.MustNewConstMetric(descServiceStatus, prometheus.GaugeValue, val, tenant, name, word)
				}
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(descScrapeFailure, prometheus.GaugeValue, failed)
}
