package route

import (
	"slices"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
)

var t0 = time.Date(2023, 5, 26, 0, 12, 0, 0, time.UTC)

func issueEvent(status model.Status, changes ...model.Change) *model.Event {
	return &model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX559755", Type: model.EventIssueStatus,
		DetectedAt: t0, Changes: changes,
		Issue: &model.Issue{ID: "EX559755", Title: "Users’ OME email may be unable to be accessed", Service: "Exchange Online",
			Feature: "E-Mail and calendar access", FeatureGroup: "Networking", Classification: model.ClassificationAdvisory,
			Origin: model.OriginMicrosoft, Status: status, ImpactDescription: "Recipients can't open OME mail.",
			Posts: []model.Post{{Created: t0, Content: "<p>We deployed a <b>fix</b> for the CDN.</p>"}}}}
}

func mcEvent(major bool, action time.Time, tags ...string) *model.Event {
	return &model.Event{Tenant: "fabrikam", Source: model.SourceMC, ItemID: "MC599001", Type: model.EventMessageNew,
		DetectedAt: t0, Changes: []model.Change{{Kind: model.ChangeNew}},
		Message: &model.Message{ID: "MC599001", Title: "Retirement of Basic authentication", Category: model.CategoryPlanForChange,
			Severity: model.SeverityHigh, Services: []string{"Exchange Online", "Microsoft 365 suite"}, Tags: tags,
			IsMajorChange: major, ActionRequiredBy: action, Body: "<p>Update your SMTP AUTH clients.</p>"}}
}

func TestMatch(t *testing.T) {
	restored := issueEvent(model.StatusServiceRestored, model.Change{Kind: model.ChangeStatus, From: "investigating", To: "serviceRestored"})
	post := issueEvent(model.StatusInvestigating, model.Change{Kind: model.ChangePostAdded})
	newIssue := issueEvent(model.StatusServiceInterruption, model.Change{Kind: model.ChangeNew})
	newIssue.Type = model.EventIssueNew
	mcSoon := mcEvent(true, t0.Add(20*24*time.Hour), "Action required", "Retirement")
	mcLate := mcEvent(false, t0.Add(90*24*time.Hour))
	mcNone := mcEvent(false, time.Time{})
	svc := &model.Event{Tenant: "contoso", Source: model.SourceHealth, ItemID: "Exchange", Type: model.EventServiceStatus,
		Changes: []model.Change{{Kind: model.ChangeStatus, From: "serviceOperational", To: "serviceDegradation"}},
		Service: &model.ServiceHealth{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceDegradation}}
	yes, no := true, false
	tests := []struct {
		name  string
		match config.Match
		hit   []*model.Event
		miss  []*model.Event
	}{
		{"empty matches all", config.Match{}, []*model.Event{restored, post, mcSoon, svc}, nil},
		{"tenant", config.Match{Tenants: []string{"Contoso"}}, []*model.Event{restored, svc}, []*model.Event{mcSoon}},
		{"source", config.Match{Sources: []string{"mc"}}, []*model.Event{mcSoon, mcNone}, []*model.Event{restored, svc}},
		{"event type", config.Match{Events: []string{"issue.new"}}, []*model.Event{newIssue}, []*model.Event{restored, post}},
		{"service on every source", config.Match{Services: []string{"exchange online"}}, []*model.Event{restored, mcSoon, svc}, nil},
		{"service miss", config.Match{Services: []string{"SharePoint Online"}}, nil, []*model.Event{restored, mcSoon, svc}},
		{"feature or group", config.Match{Features: []string{"Networking"}}, []*model.Event{restored}, []*model.Event{mcSoon, svc}},
		{"classification", config.Match{Classifications: []string{"incident"}}, nil, []*model.Event{restored}},
		{"status to", config.Match{StatusTo: []string{"serviceRestored"}}, []*model.Event{restored}, []*model.Event{post, mcSoon}},
		{"status to of a new issue", config.Match{StatusTo: []string{"serviceInterruption"}}, []*model.Event{newIssue}, []*model.Event{restored}},
		{"status from", config.Match{StatusFrom: []string{"investigating"}}, []*model.Event{restored}, []*model.Event{newIssue, svc}},
		{"service status to", config.Match{StatusTo: []string{"serviceDegradation"}}, []*model.Event{svc}, []*model.Event{restored}},
		{"origin", config.Match{Origins: []string{"microsoft"}}, []*model.Event{restored}, []*model.Event{mcSoon}},
		{"category and severity", config.Match{Categories: []string{"planForChange"}, Severities: []string{"high", "critical"}},
			[]*model.Event{mcSoon, mcLate}, []*model.Event{restored}},
		{"tags", config.Match{Tags: []string{"action required"}}, []*model.Event{mcSoon}, []*model.Event{mcLate, restored}},
		{"major change", config.Match{MajorChange: &yes}, []*model.Event{mcSoon}, []*model.Event{mcLate, restored}},
		{"not major", config.Match{MajorChange: &no}, []*model.Event{mcLate}, []*model.Event{mcSoon}},
		{"action required within 30 days", config.Match{ActionRequiredWithin: config.Duration(30 * 24 * time.Hour)},
			[]*model.Event{mcSoon}, []*model.Event{mcLate, mcNone, restored}},
		{"keyword in a post's HTML text", config.Match{Keywords: []string{"FIX for the cdn"}}, []*model.Event{restored}, []*model.Event{mcSoon}},
		{"keyword in MC body", config.Match{Keywords: []string{"smtp auth"}}, []*model.Event{mcSoon}, []*model.Event{restored}},
		{"title regex", config.Match{TitleRegex: "(?i)basic auth"}, []*model.Event{mcSoon}, []*model.Event{restored}},
		{"body regex", config.Match{BodyRegex: "OME|CDN"}, []*model.Event{restored}, []*model.Event{mcSoon}},
		{"all keys must match", config.Match{Sources: []string{"shd"}, StatusTo: []string{"serviceRestored"}, Tenants: []string{"fabrikam"}},
			nil, []*model.Event{restored}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New([]config.Route{{Name: "r", Match: tt.match, Channels: []string{"a", "b"}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range tt.hit {
				if got := r.Match(ev); !slices.Equal(got, []Target{{"r", "a"}, {"r", "b"}}) {
					t.Errorf("%s %s: got %v, want a match", ev.Type, ev.ItemID, got)
				}
			}
			for _, ev := range tt.miss {
				if got := r.Match(ev); len(got) != 0 {
					t.Errorf("%s %s: got %v, want no match", ev.Type, ev.ItemID, got)
				}
			}
		})
	}
}

func TestDefaultAndSeveralRoutes(t *testing.T) {
	r, err := New(nil, []string{"console", "archive"})
	if err != nil {
		t.Fatal(err)
	}
	ev := issueEvent(model.StatusInvestigating)
	if got := r.Match(ev); !slices.Equal(got, []Target{{DefaultRoute, "console"}, {DefaultRoute, "archive"}}) {
		t.Errorf("default route: %v", got)
	}
	r, _ = New([]config.Route{
		{Name: "all", Channels: []string{"archive"}},
		{Name: "mc", Match: config.Match{Sources: []string{"mc"}}, Channels: []string{"mail"}},
		{Name: "shd", Match: config.Match{Sources: []string{"shd"}}, Channels: []string{"teams", "mail"}},
	}, nil)
	if got := r.Match(ev); !slices.Equal(got, []Target{{"all", "archive"}, {"shd", "teams"}, {"shd", "mail"}}) {
		t.Errorf("fan-out: %v", got)
	}
	if p := r.Policy("mc"); p == nil || p.Channels[0] != "mail" {
		t.Errorf("Policy(mc) = %+v", p)
	}
	if p := r.Policy("nosuch"); p != nil || p.Digest() || p.FailoverFor("x") != "" || p.Translated() {
		t.Errorf("Policy(nosuch) = %+v, want nil, usable", p)
	}
}

// TestReminders: a route delivers the mc.reminder days of its reminders
// list; nil (the implicit default route) delivers every day raised, an
// empty list none; other events are not affected.
func TestReminders(t *testing.T) {
	reminder := func(days string) *model.Event {
		ev := mcEvent(false, t0.Add(7*24*time.Hour))
		ev.Type = model.EventMessageReminder
		ev.Changes = []model.Change{{Kind: model.ChangeReminder, Field: days, To: t0.Add(7 * 24 * time.Hour).Format(time.RFC3339)}}
		return ev
	}
	r, err := New([]config.Route{
		{Name: "all", Channels: []string{"a"}},
		{Name: "week", Channels: []string{"b"}, Reminders: []int{7}},
		{Name: "none", Channels: []string{"c"}, Reminders: []int{}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := func(ev *model.Event) []string {
		var out []string
		for _, tg := range r.Match(ev) {
			out = append(out, tg.Route)
		}
		return out
	}
	for _, tt := range []struct {
		ev   *model.Event
		want []string
	}{
		{reminder("7"), []string{"all", "week"}},
		{reminder("30"), []string{"all"}},
		{mcEvent(false, time.Time{}), []string{"all", "week", "none"}},
	} {
		if got := routes(tt.ev); !slices.Equal(got, tt.want) {
			t.Errorf("%s %v: routes %v, want %v", tt.ev.Type, tt.ev.Changes, got, tt.want)
		}
	}
}
