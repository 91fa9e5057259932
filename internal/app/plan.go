package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/tenants"
)

// Plans returns the request plan of every tenant shdmc polls (the
// config's and the database's enabled ones), in order, as `shdmc run`
// plans them (see planTenants).
func Plans(ctx context.Context, cfg *config.Config, st store.Store) ([]outage.Plan, error) {
	ts, err := tenants.Merge(ctx, st, cfg.Tenants, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, fmt.Errorf("request plans: %w", err)
	}
	var on []config.Tenant
	for _, t := range ts {
		if !t.Disabled {
			on = append(on, t)
		}
	}
	return planTenants(cfg, on), nil
}

// planTenants plans the tenants (none disabled) in order: those of one
// Entra tenant and app share one Graph budget and are planned together
// (outage.PlanBudget), which sets the shortest fast lane interval each may
// have.
func planTenants(cfg *config.Config, ts []config.Tenant) []outage.Plan {
	groups := map[string][]int{} // budget key → indexes into ts
	var keys []string
	for i := range ts {
		k := budgetKey(ts[i])
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	out := make([]outage.Plan, len(ts))
	for _, k := range keys {
		in := make([]outage.PlanInput, len(groups[k]))
		for j, i := range groups[k] {
			t := &ts[i]
			in[j] = outage.PlanInput{Tenant: t.ID, Interval: cfg.IntervalFor(t), Lane: outage.Lane(cfg.FastLaneFor(t)),
				IncidentInterval: cfg.IncidentIntervalFor(t), Issues: enabled(t.Sources.Issues),
				Messages: enabled(t.Sources.Messages), Health: enabled(t.Sources.Health), FullResync: cfg.FullResync.Std()}
		}
		for j, p := range outage.PlanBudget(in) {
			out[groups[k][j]] = p
		}
	}
	return out
}

// budgetKey names the Graph budget of a tenant: one per Entra tenant and
// app (graph.Budget, shared by the clients of both).
func budgetKey(t config.Tenant) string { return t.TenantID + "/" + t.ClientID }

// logPlans says at start how often the tenants are polled and what that
// costs: one line for all, a warning for each budget whose fast lane
// interval was raised to its minimum or that has no room for a fast lane.
func logPlans(log *slog.Logger, plans []outage.Plan) {
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
		"requests_per_hour", int(worst.BudgetRequests+0.5), "budget_share", percent(worst.Share()), "budget_limit", outage.HourlyBudget)
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
