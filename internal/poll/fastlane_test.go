package poll_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/sim"
	"github.com/shdmc/shdmc/internal/store"
)

// laneScenario has, from its start, a service, a Message Center post and
// an issue that is an active incident or a resolved one.
func laneScenario(t *testing.T, active bool) *sim.Scenario {
	t.Helper()
	status, resolved := "investigating", "false"
	if !active {
		status, resolved = "serviceRestored", "true"
	}
	sc, err := sim.ParseScenario(fmt.Appendf(nil, `name: lane
start: 2024-11-25T09:00:00Z
tenants:
  - {id: 6f1e3c2a-0000-4000-8000-00000000000a, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: lane-secret}
steps:
  - at: 0s
    services:
      - {id: Exchange, service: Exchange Online, status: serviceDegradation}
    issues:
      - {id: EX100001, title: Mail delayed, service: Exchange Online, classification: incident, status: %s, isResolved: %s, post: "Current status: looking."}
    messages:
      - {id: MC100001, title: A post, category: stayInformed, severity: normal, services: [Exchange Online], body: "<p>Body.</p>"}
`, status, resolved), "lane.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// runLanes runs a Scheduler of one tenant of sc for d, the tenant
// configured by tn (its ID, Graph and Settings are filled in), and
// returns the Graph requests the simulator saw per collection.
func runLanes(t *testing.T, sc *sim.Scenario, tn poll.Tenant, d time.Duration) map[string]int {
	t.Helper()
	srv, err := sim.New(sim.Options{Clock: sim.NewSteppedClock(sc.Start.Add(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := srv.WriteCAFile(ca); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+10*time.Second)
	defer cancel()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.UpsertTenant(ctx, model.Tenant{ID: "contoso"}); err != nil {
		t.Fatal(err)
	}
	st0 := sc.Tenants[0]
	tn.ID, tn.BudgetKey = "contoso", st0.ID+"/"+st0.ClientID
	tn.Graph = graph.Config{TenantID: st0.ID, ClientID: st0.ClientID, Auth: graph.AuthClientSecret, ClientSecret: st0.ClientSecret,
		GraphRoot: srv.URL(), AuthorityHost: srv.URL(), CAFile: ca, Budget: graph.NewBudget(nil)}
	tn.Settings = poll.Settings{Issues: true, Messages: true, Health: true, AnnounceActive: true, Channels: []string{"out"}}
	s := poll.NewScheduler(poll.Options{Store: st, Tenants: []poll.Tenant{tn}})
	rctx, stop := context.WithTimeout(ctx, d)
	defer stop()
	if err := s.Run(rctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range srv.Requests() {
		p, _, _ := strings.Cut(r.Path, "?")
		if !strings.HasPrefix(p, "/v1.0/admin/serviceAnnouncement/") {
			continue
		}
		p = strings.TrimPrefix(p, "/v1.0/admin/serviceAnnouncement/")
		p, _, _ = strings.Cut(p, "/")
		got[p]++
		got["total"]++
	}
	return got
}

// TestFastLane: while an incident is active the issues are polled every
// incident interval on their own, the messages and health overviews at
// their interval; without an incident, or with the lane off, the issues
// go with the others. No collection is polled more often than its
// interval allows (with jitter), so the requests stay within the plan
// (outage.PlanBudget) that set the intervals. Time is scaled down: an
// interval of 1 s stands for 100 s.
func TestFastLane(t *testing.T) {
	if testing.Short() {
		t.Skip("runs schedulers for seconds")
	}
	const (
		interval = time.Second
		fast     = 200 * time.Millisecond
		run      = 4500 * time.Millisecond
		scale    = 100
	)
	// The join pause (2 s) passes before the first poll.
	polling := run - 2*time.Second
	tests := []struct {
		name   string
		active bool
		lane   outage.Lane
		fast   bool // the issues polled faster than the rest
	}{
		{"incident, auto", true, outage.LaneAuto, true},
		{"no incident, auto", false, outage.LaneAuto, false},
		{"no incident, always", false, outage.LaneAlways, true},
		{"incident, off", true, outage.LaneOff, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runLanes(t, laneScenario(t, tt.active), poll.Tenant{Interval: interval, Lane: tt.lane, IncidentInterval: fast}, run)
			t.Logf("requests: %v over %v of polling", got, polling)
			issues, messages, health := got["issues"], got["messages"], got["healthOverviews"]
			if messages < 1 || health != messages {
				t.Errorf("messages polled %d times, health %d: want the same, at least once", messages, health)
			}
			// At most one poll per interval less the jitter, plus the first.
			bound := func(iv time.Duration) int { return int(polling/(iv*9/10)) + 1 }
			if messages > bound(interval) {
				t.Errorf("messages polled %d times in %v, more than every %v allows", messages, polling, interval)
			}
			if tt.fast {
				if issues < 2*messages || issues > bound(fast) {
					t.Errorf("issues polled %d times (messages %d): want the fast lane, every %v", issues, messages, fast)
				}
			} else if issues != messages {
				t.Errorf("issues polled %d times, messages %d: want them together", issues, messages)
			}
			// The plan of the same intervals, scaled up to real ones, spends
			// at least as much as the scheduler did.
			plan := outage.PlanBudget([]outage.PlanInput{{Interval: interval * scale, Lane: tt.lane, IncidentInterval: fast * scale,
				Issues: true, Messages: true, Health: true}})[0]
			if tt.lane == outage.LaneOff || (!tt.fast && tt.lane == outage.LaneAuto) {
				plan = outage.PlanBudget([]outage.PlanInput{{Interval: interval * scale, Lane: outage.LaneOff,
					Issues: true, Messages: true, Health: true}})[0]
			}
			if allowed := plan.Requests*float64(polling*scale)/float64(time.Hour) + 3; float64(got["total"]) > allowed {
				t.Errorf("%d Graph requests in %v; the plan allows %.1f", got["total"], polling, allowed)
			}
		})
	}
}
