package poll_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
)

// escalations lists the item.escalated events as "item route".
func escalations(evs []model.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == model.EventItemEscalated && len(e.Changes) == 1 {
			out = append(out, e.ItemID+" "+e.Changes[0].Field)
		}
	}
	return out
}

// TestEscalation: an active incident or a post with an action-required
// date ahead that a route with escalate announced, and that nobody
// acknowledged, is escalated once the route's first notice is old
// enough: one event with a delivery to each escalation channel (and to
// the routes that name item.escalated), once, across passes and restarts.
// What someone acknowledged, advisories, and what the route never
// announced are not escalated.
func TestEscalation(t *testing.T) {
	routes := []config.Route{
		{Name: "incidents", Match: config.Match{Sources: []string{"shd"}}, Channels: []string{"teams"},
			Escalate: &config.Escalate{UnacknowledgedAfter: config.Duration(4 * time.Hour), To: []string{"pager", "mail"}}},
		{Name: "posts", Match: config.Match{Sources: []string{"mc"}, Events: []string{"mc.new"}}, Channels: []string{"mail"},
			Escalate: &config.Escalate{UnacknowledgedAfter: config.Duration(48 * time.Hour), To: []string{"pager"}}},
		{Name: "audit", Match: config.Match{Events: []string{"item.escalated"}}, Channels: []string{"log"}},
	}
	router, err := route.New(routes, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := allOn()
	set.AnnounceActive, set.Targets, set.Escalations = true, router.Match, router.Escalations()
	r := newRig(t, set)
	start := r.clock.now()
	advisory := issue("EX2", model.StatusServiceDegradation, false, t0)
	advisory.Classification = model.ClassificationAdvisory
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{issue("EX1", model.StatusInvestigating, false, t0), advisory,
			issue("EX3", model.StatusInvestigating, false, t0)}
		old := message("MC1", t0, false) // stored silently at the baseline: never announced
		old.ActionRequiredBy = start.Add(30 * 24 * time.Hour)
		f.messages = []model.Message{old}
	})
	r.poll(t)
	ctx := context.Background()
	// Someone acknowledges EX3 on the dashboard.
	ex3 := model.ItemKey{Tenant: tenant, Source: model.SourceSHD, ID: "EX3"}
	if _, err := r.st.Act(ctx, store.ItemHandling{Item: ex3, Status: model.HandlingAcknowledged, By: "alice", Seq: 1},
		model.Event{Tenant: tenant, Source: model.SourceSHD, ItemID: "EX3", Type: model.EventItemAcknowledged, Revision: 1}, nil); err != nil {
		t.Fatal(err)
	}
	// A new post with an action-required date arrives an hour later.
	r.clock.add(time.Hour)
	r.f.set(func(f *fake) {
		m := message("MC2", r.clock.now(), false)
		m.ActionRequiredBy = start.Add(10 * 24 * time.Hour)
		f.messages = append(f.messages, m)
	})
	r.poll(t)
	r.clock.add(2*time.Hour + 59*time.Minute) // 3 h 59 min after the first notice
	r.poll(t)
	if got := escalations(r.events(t)); len(got) != 0 {
		t.Fatalf("escalated before the time: %v", got)
	}
	r.clock.add(time.Minute)
	res := r.poll(t)
	if diff := cmp.Diff([]string{"EX1 incidents"}, escalations(r.events(t))); diff != "" {
		t.Fatalf("escalations after 4 h (-want +got):\n%s", diff)
	}
	if res.Sources[model.SourceSHD].Events != 1 {
		t.Errorf("pass result %+v", res.Sources[model.SourceSHD])
	}
	// Again, and after a restart: nothing new.
	r.poll(t)
	r.p = poll.New(tenant, r.f, r.st, r.set, r.clock.now, nil)
	r.poll(t)
	// Two days after MC2's notice it is escalated through route posts.
	r.clock.add(45*time.Hour - time.Minute) // MC2 was announced at start + 1 h
	r.poll(t)
	if got := escalations(r.events(t)); len(got) != 1 {
		t.Fatalf("escalations before MC2's 48 h: %v", got)
	}
	r.clock.add(time.Minute)
	r.poll(t)
	r.poll(t)
	if diff := cmp.Diff([]string{"EX1 incidents", "MC2 posts"}, escalations(r.events(t))); diff != "" {
		t.Fatalf("escalations (-want +got):\n%s", diff)
	}

	ds, err := r.st.Deliveries(ctx, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		if d.Event.Type == model.EventItemEscalated {
			got = append(got, string(d.Kind)+" "+d.Route+" "+d.Key)
			if d.Event.Issue == nil && d.Event.Message == nil {
				t.Errorf("escalation %s carries no item", d.Key)
			}
		}
	}
	slices.Sort(got)
	want := []string{
		"escalation incidents escalate/incidents/mail/contoso/shd/EX1",
		"escalation incidents escalate/incidents/pager/contoso/shd/EX1",
		"escalation posts escalate/posts/pager/contoso/mc/MC2",
		"notice audit contoso/mc/MC2/1/audit/log/escalated-posts",
		"notice audit contoso/shd/EX1/1/audit/log/escalated-incidents",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("escalation deliveries (-want +got):\n%s", diff)
	}
}

// TestEscalationAfterAcknowledgement: an item acknowledged and then
// reopened is open again, and escalated when its time has come; one
// resolved before its time is not.
func TestEscalationAfterAcknowledgement(t *testing.T) {
	router, err := route.New([]config.Route{{Name: "incidents", Channels: []string{"teams"},
		Escalate: &config.Escalate{UnacknowledgedAfter: config.Duration(time.Hour), To: []string{"pager"}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := allOn()
	set.AnnounceActive, set.Targets, set.Escalations = true, router.Match, router.Escalations()
	r := newRig(t, set)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{issue("EX1", model.StatusInvestigating, false, t0), issue("EX2", model.StatusInvestigating, false, t0)}
	})
	r.poll(t)
	ctx := context.Background()
	act := func(id string, h model.Handling, seq int) {
		t.Helper()
		k := model.ItemKey{Tenant: tenant, Source: model.SourceSHD, ID: id}
		typ := model.EventItemAcknowledged
		if h == model.HandlingOpen {
			typ = model.EventItemReopened
		}
		if _, err := r.st.Act(ctx, store.ItemHandling{Item: k, Status: h, By: "bob", Seq: seq},
			model.Event{Tenant: tenant, Source: model.SourceSHD, ItemID: id, Type: typ, Revision: 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	act("EX1", model.HandlingAcknowledged, 1)
	r.clock.add(30 * time.Minute)
	r.f.set(func(f *fake) {
		f.issues[1] = issue("EX2", model.StatusServiceRestored, true, r.clock.now())
	})
	r.poll(t)
	r.clock.add(time.Hour)
	r.poll(t)
	if got := escalations(r.events(t)); len(got) != 0 {
		t.Fatalf("escalated an acknowledged or resolved incident: %v", got)
	}
	act("EX1", model.HandlingOpen, 2)
	r.poll(t)
	if diff := cmp.Diff([]string{"EX1 incidents"}, escalations(r.events(t))); diff != "" {
		t.Errorf("escalations after the reopening (-want +got):\n%s", diff)
	}
}
