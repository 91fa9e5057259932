package outage

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestPlanBudget(t *testing.T) {
	all := PlanInput{Tenant: "contoso", Interval: 5 * time.Minute, IncidentInterval: 15 * time.Second,
		Issues: true, Messages: true, Health: true, FullResync: 6 * time.Hour}
	with := func(f func(*PlanInput)) PlanInput {
		p := all
		f(&p)
		return p
	}
	tests := []struct {
		name     string
		in       []PlanInput
		busy     time.Duration
		incident time.Duration // of the first tenant
		minIv    time.Duration
		raised   bool
	}{
		// 48 polls an hour of messages and of health, 240 of issues, 1 of
		// full listings, 12 attachments: 301 + 25 % = 436 (55 %).
		{"defaults", []PlanInput{all}, 75 * time.Second, 15 * time.Second, 9 * time.Second, false},
		{"always plans as auto", []PlanInput{with(func(p *PlanInput) { p.Lane = LaneAlways })}, 75 * time.Second, 15 * time.Second, 9 * time.Second, false},
		{"30s interval", []PlanInput{with(func(p *PlanInput) { p.Interval = 30 * time.Second })}, 30 * time.Second, 15 * time.Second, 14 * time.Second, false},
		{"asked below the minimum", []PlanInput{with(func(p *PlanInput) { p.IncidentInterval = 5 * time.Second })}, 75 * time.Second, 9 * time.Second, 9 * time.Second, true},
		{"three tenants share a budget", []PlanInput{
			with(func(p *PlanInput) { p.IncidentInterval = 5 * time.Second }), all, all,
		}, 75 * time.Second, 59 * time.Second, 59 * time.Second, true},
		{"never slower than the busy interval", []PlanInput{with(func(p *PlanInput) { p.IncidentInterval = 5 * time.Minute })}, 75 * time.Second, 75 * time.Second, 9 * time.Second, false},
		{"no room for a fast lane", []PlanInput{
			with(func(p *PlanInput) { p.Interval = 30 * time.Second }), with(func(p *PlanInput) { p.Interval = 30 * time.Second }),
		}, 30 * time.Second, 30 * time.Second, 0, true},
		{"off", []PlanInput{with(func(p *PlanInput) { p.Lane = LaneOff })}, 75 * time.Second, 0, 0, false},
		{"no issues polled", []PlanInput{with(func(p *PlanInput) { p.Issues = false })}, 75 * time.Second, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plans := PlanBudget(tt.in)
			if len(plans) != len(tt.in) {
				t.Fatalf("%d plans for %d tenants", len(plans), len(tt.in))
			}
			p := plans[0]
			if p.BusyInterval != tt.busy || p.IncidentInterval != tt.incident || p.MinIncidentInterval != tt.minIv || p.Raised() != tt.raised {
				t.Errorf("busy %v, incident %v, min %v, raised %v; want %v, %v, %v, %v",
					p.BusyInterval, p.IncidentInterval, p.MinIncidentInterval, p.Raised(), tt.busy, tt.incident, tt.minIv, tt.raised)
			}
			if p.Share() > BudgetShare && p.MinIncidentInterval > 0 {
				t.Errorf("the plan spends %.0f requests an hour, %.0f %% of %d", p.BudgetRequests, 100*p.Share(), HourlyBudget)
			}
			sum := 0.0
			for _, q := range plans {
				sum += q.Requests
			}
			if d := sum - p.BudgetRequests; d > 1e-9 || d < -1e-9 {
				t.Errorf("budget requests %.1f, sum of the tenants' %.1f", p.BudgetRequests, sum)
			}
		})
	}
	if p := PlanBudget([]PlanInput{all})[0]; p.Requests < 436 || p.Requests > 437 {
		t.Errorf("default plan: %.1f requests an hour, want 436.25", p.Requests)
	}
}

// TestPlanMinimumIsTight: at the minimum the budget holds; a second less
// for every fast lane would break it. Random tenants, random budgets.
func TestPlanMinimumIsTight(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		n := 1 + rng.IntN(4)
		in := make([]PlanInput, n)
		for j := range in {
			in[j] = PlanInput{
				Interval:         time.Duration(30+rng.IntN(600)) * time.Second,
				IncidentInterval: time.Duration(5+rng.IntN(60)) * time.Second,
				Lane:             []Lane{LaneAuto, LaneAlways, LaneOff}[rng.IntN(3)],
				Issues:           rng.IntN(5) > 0, Messages: rng.IntN(4) > 0, Health: rng.IntN(4) > 0,
				FullResync: time.Duration(rng.IntN(12)) * time.Hour,
			}
		}
		plans := PlanBudget(in)
		p := plans[0]
		if p.MinIncidentInterval == 0 {
			continue // no fast lane, or no room for one
		}
		if p.Share() > BudgetShare+1e-9 {
			t.Fatalf("case %d: %+v plans %.1f requests an hour (%.1f %%)", i, in, p.BudgetRequests, 100*p.Share())
		}
		// Every fast lane one second faster than the minimum, none slower
		// than its busy interval: over the budget (unless a lane was
		// capped at its busy interval, which leaves room).
		capped := false
		tighter := 0.0
		for j, q := range plans {
			if !q.FastLane() {
				tighter += q.Requests
				continue
			}
			if q.BusyInterval <= q.MinIncidentInterval {
				capped = true
			}
			slow := q.Requests/(1+retryShare) - float64(time.Hour)/float64(q.IncidentInterval)
			tighter += (slow + float64(time.Hour)/float64(q.MinIncidentInterval-time.Second)) * (1 + retryShare)
			_ = j
		}
		if !capped && p.MinIncidentInterval > time.Second && tighter <= BudgetShare*HourlyBudget {
			t.Fatalf("case %d: the minimum %v is not tight: a second less spends %.1f", i, p.MinIncidentInterval, tighter)
		}
	}
}
