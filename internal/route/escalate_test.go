package route

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
)

// TestOwnershipEventsOnlyWhenNamed: a route announces an ownership event
// only when its match.events names the type; its other keys still apply.
func TestOwnershipEventsOnlyWhenNamed(t *testing.T) {
	ack := issueEvent(model.StatusInvestigating, model.Change{Kind: model.ChangeHandling, From: "open", To: "acknowledged"})
	ack.Type, ack.By = model.EventItemAcknowledged, "alice"
	routes := []config.Route{
		{Name: "everything", Channels: []string{"teams"}},
		{Name: "exchange", Match: config.Match{Services: []string{"Exchange Online"}}, Channels: []string{"teams"}},
		{Name: "acks", Match: config.Match{Events: []string{"item.acknowledged", "issue.new"}}, Channels: []string{"log"}},
		{Name: "acks-of-mc", Match: config.Match{Sources: []string{"mc"}, Events: []string{"item.acknowledged"}}, Channels: []string{"mc-log"}},
		{Name: "done", Match: config.Match{Events: []string{"item.done"}}, Channels: []string{"done-log"}},
	}
	r, err := New(routes, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Target{{Route: "acks", Channel: "log"}}, r.Match(ack)); diff != "" {
		t.Errorf("targets of an acknowledgement (-want +got):\n%s", diff)
	}
	detected := issueEvent(model.StatusInvestigating, model.Change{Kind: model.ChangePostAdded})
	if got := r.Match(detected); len(got) != 2 {
		t.Errorf("a detected event reaches %v, want the two routes without events", got)
	}
}

// TestEscalations: the routes with escalate, compiled in config order.
func TestEscalations(t *testing.T) {
	r, err := New([]config.Route{
		{Name: "plain", Channels: []string{"teams"}},
		{Name: "incidents", Channels: []string{"teams"},
			Escalate: &config.Escalate{UnacknowledgedAfter: config.Duration(4 * time.Hour), To: []string{"pager", "mail"}}},
		{Name: "posts", Channels: []string{"mail"}, Escalate: &config.Escalate{UnacknowledgedAfter: config.Duration(48 * time.Hour), To: []string{"teams"}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Escalation{{Route: "incidents", After: 4 * time.Hour, Channels: []string{"pager", "mail"}},
		{Route: "posts", After: 48 * time.Hour, Channels: []string{"teams"}}}
	if diff := cmp.Diff(want, r.Escalations()); diff != "" {
		t.Errorf("Escalations (-want +got):\n%s", diff)
	}
	if (*Router)(nil).Escalations() != nil {
		t.Error("a nil router escalates")
	}
}

// TestEscalates: active incidents and posts whose action-required date
// is ahead are escalated; advisories, resolved incidents, posts without a
// date or past it, and service health are not.
func TestEscalates(t *testing.T) {
	incident := func(f func(is *model.Issue)) *model.Event {
		ev := issueEvent(model.StatusServiceInterruption)
		ev.Issue.Classification = model.ClassificationIncident
		if f != nil {
			f(ev.Issue)
		}
		return ev
	}
	for _, tt := range []struct {
		name string
		ev   *model.Event
		want bool
	}{
		{"active incident", incident(nil), true},
		{"advisory", incident(func(is *model.Issue) { is.Classification = model.ClassificationAdvisory }), false},
		{"restored", incident(func(is *model.Issue) { is.Status = model.StatusServiceRestored }), false},
		{"resolved flag", incident(func(is *model.Issue) { is.IsResolved = true }), false},
		{"post with a date ahead", mcEvent(false, t0.Add(time.Hour)), true},
		{"post past its date", mcEvent(false, t0.Add(-time.Hour)), false},
		{"post without a date", mcEvent(false, time.Time{}), false},
		{"service", &model.Event{Source: model.SourceHealth, Service: &model.ServiceHealth{Status: model.StatusServiceInterruption}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escalates(tt.ev, t0); got != tt.want {
				t.Errorf("Escalates = %v, want %v", got, tt.want)
			}
		})
	}
}
