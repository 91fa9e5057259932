package outage

import "github.com/shdmc/shdmc/internal/config"

// PlanTenants plans the tenants (none disabled) in order: those of one
// Entra tenant and app share one Graph budget and are planned together
// (PlanBudget), which sets the shortest fast lane interval each may
// have.
func PlanTenants(cfg *config.Config, ts []config.Tenant) []Plan {
	groups := map[string][]int{} // budget key → indexes into ts
	var keys []string
	for i := range ts {
		k := ts[i].TenantID + "/" + ts[i].ClientID // one Graph budget per Entra tenant and app
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	out := make([]Plan, len(ts))
	for _, k := range keys {
		in := make([]PlanInput, len(groups[k]))
		for j, i := range groups[k] {
			t := &ts[i]
			in[j] = PlanInput{Tenant: t.ID, Interval: cfg.IntervalFor(t), Lane: Lane(cfg.FastLaneFor(t)),
				IncidentInterval: cfg.IncidentIntervalFor(t), Issues: on(t.Sources.Issues),
				Messages: on(t.Sources.Messages), Health: on(t.Sources.Health), FullResync: cfg.FullResync.Std()}
		}
		for j, p := range PlanBudget(in) {
			out[groups[k][j]] = p
		}
	}
	return out
}

// on reports whether an optional source switch is on (unset is on).
func on(b *bool) bool { return b == nil || *b }
