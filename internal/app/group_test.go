package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/sim"
	"github.com/shdmc/shdmc/internal/store"
)

// TestGroupTenants plays the demo scenario for five tenants with the same
// content: a route with group_tenants announces every Message Center
// change once, naming the four other tenants, while an ungrouped route
// announces it five times.
func TestGroupTenants(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	e := newEnv(t)
	dir := filepath.Dir(e.notices)
	path := func(n string) string { return filepath.Join(dir, n+".jsonl") }
	first := e.cfg.Tenants[0]
	others := e.srv.AddTenants(4, sim.Tenant{ClientID: first.ClientID, ClientSecret: first.ClientSecret.Reveal()})
	for i, id := range others {
		tc := first
		tc.ID, tc.Name, tc.TenantID = fmt.Sprintf("tenant%d", i+1), "", id
		e.cfg.Tenants = append(e.cfg.Tenants, tc)
	}
	e.cfg.Channels = []config.Channel{
		{Name: "grouped", Type: "file", Settings: &file.Settings{Format: "json", Path: path("grouped")}},
		{Name: "each", Type: "file", Settings: &file.Settings{Format: "json", Path: path("each")}},
	}
	e.cfg.Routes = []config.Route{
		{Name: "mc-once", Match: config.Match{Sources: []string{"mc"}}, Channels: []string{"grouped"}, GroupTenants: true},
		{Name: "mc-each", Match: config.Match{Sources: []string{"mc"}}, Channels: []string{"each"}},
	}
	if err := e.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := e.newApp(t, ctx)
	defer a.Close()
	for _, st := range e.sc.Steps {
		e.clock.Set(st.Time)
		if _, err := a.Check(ctx); err != nil {
			t.Fatalf("step %s: %v", st.Note, err)
		}
	}
	// The last step's group deliveries wait for the other tenants' polls.
	e.clock.Set(e.sc.Steps[len(e.sc.Steps)-1].Time.Add(3 * time.Minute))
	if _, err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}

	type change struct {
		item string
		rev  int
		typ  model.EventType
	}
	each := map[change]map[string]bool{} // change → tenants
	for _, r := range readNotices(t, path("each")) {
		c := change{r.Event.ItemID, r.Event.Revision, r.Event.Type}
		if each[c] == nil {
			each[c] = map[string]bool{}
		}
		if each[c][r.Event.Tenant] {
			t.Errorf("each: %v twice for %s", c, r.Event.Tenant)
		}
		each[c][r.Event.Tenant] = true
	}
	if len(each) == 0 {
		t.Fatal("the scenario announced no Message Center change")
	}
	for c, ts := range each {
		if len(ts) != 5 {
			t.Errorf("each: %v announced for %d tenants, want 5", c, len(ts))
		}
	}
	grouped := map[change]int{}
	for _, r := range readNotices(t, path("grouped")) {
		c := change{r.Event.ItemID, r.Event.Revision, r.Event.Type}
		grouped[c]++
		if !strings.Contains(r.Text, "Also in 4 other tenants: ") {
			t.Errorf("grouped %v from %s does not name the 4 others:\n%s", c, r.Event.Tenant, r.Text)
		}
		for _, id := range append([]string{"demo"}, "tenant1", "tenant2", "tenant3", "tenant4") {
			if id != r.Event.Tenant && !strings.Contains(r.Text, id) {
				t.Errorf("grouped %v does not name %s", c, id)
			}
		}
	}
	for c := range each {
		if grouped[c] != 1 {
			t.Errorf("grouped: %v announced %d times, want once", c, grouped[c])
		}
	}
	if len(grouped) != len(each) {
		t.Errorf("grouped: %d changes, each: %d", len(grouped), len(each))
	}
	// Every delivery was handed over or sent: nothing is left waiting.
	left, err := a.Store().Deliveries(ctx, []store.DeliveryState{store.DeliveryPending, store.DeliveryRetrying}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d deliveries left in the outbox, first %s", len(left), left[0].Key)
	}
	t.Logf("%d Message Center changes: %d grouped notices, %d in all on the ungrouped route", len(each), len(grouped), 5*len(each))
}
