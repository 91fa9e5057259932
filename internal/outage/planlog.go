package outage

import (
	"fmt"
	"log/slog"
	"time"
)

// LogPlans says at start how often the tenants are polled and what that
// costs: one line for all, a warning for each budget whose fast lane
// interval was raised to its minimum or that has no room for a fast lane.
func LogPlans(log *slog.Logger, plans []Plan) {
	if len(plans) == 0 {
		return
	}
	var (
		lanes        int
		loMin, hiMin time.Duration // of the plans' shortest fast lane intervals
		loIv, hiIv   time.Duration // of the fast lane intervals
		worst        = plans[0]
	)
	for _, p := range plans {
		if p.Share() > worst.Share() {
			worst = p
		}
		if p.FastLane() {
			lanes++
			if loIv == 0 || p.IncidentInterval < loIv {
				loIv = p.IncidentInterval
			}
			hiIv = max(hiIv, p.IncidentInterval)
			if loMin == 0 || p.MinIncidentInterval < loMin {
				loMin = p.MinIncidentInterval
			}
			hiMin = max(hiMin, p.MinIncidentInterval)
		}
		switch {
		case p.FastLane() && p.MinIncidentInterval == 0:
			log.Warn("no room for a fast lane: the tenant's other requests already use its Graph budget; its issues are polled with them",
				"tenant", p.Tenant, "interval", p.BusyInterval, "requests_per_hour", int(p.BudgetRequests+0.5), "budget_share", percent(p.Share()))
		case p.Raised():
			log.Warn("incident_interval raised to the shortest the tenant's Graph budget allows",
				"tenant", p.Tenant, "asked", p.Asked, "incident_interval", p.IncidentInterval)
		}
	}
	log.Info("request plan", "tenants", len(plans), "fast_lane", lanes, "incident_interval", span(loIv, hiIv),
		"min_incident_interval", span(loMin, hiMin), "interval", worst.Interval, "busy_interval", worst.BusyInterval,
		"requests_per_hour", int(worst.BudgetRequests+0.5), "budget_share", percent(worst.Share()), "budget_limit", HourlyBudget)
}

// span shows a range of durations, or one.
func span(lo, hi time.Duration) string {
	if lo == hi {
		return lo.String()
	}
	return lo.String() + "…" + hi.String()
}

// percent shows a share as a whole percentage.
func percent(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }
