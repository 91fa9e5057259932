package ticket

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
)

func TestDecisions(t *testing.T) {
	issue := func(status model.Status, resolved bool) *model.Issue {
		return &model.Issue{ID: "EX1", Title: "Mail delayed", Status: status, IsResolved: resolved}
	}
	tests := []struct {
		name        string
		ev          model.Event
		marker      string
		close       Reason
		reopen      bool
		opensClosed bool
	}{
		{"new issue", model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventIssueNew,
			Changes: []model.Change{{Kind: model.ChangeNew}}, Issue: issue(model.StatusInvestigating, false)},
			"shdmc:contoso:EX1", Open, false, true},
		{"restored before isResolved", model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventIssueStatus,
			Issue: issue(model.StatusServiceRestored, false)}, "shdmc:contoso:EX1", Resolved, false, true},
		{"resolved", model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventIssueResolved,
			Issue: issue(model.StatusServiceRestored, true)}, "shdmc:contoso:EX1", Resolved, false, true},
		{"reopened", model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventIssueReopened,
			Changes: []model.Change{{Kind: model.ChangeReopened}}, Issue: issue(model.StatusInvestigating, false)},
			"shdmc:contoso:EX1", Open, true, true},
		{"issue removed", model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventIssueRemoved,
			Changes: []model.Change{{Kind: model.ChangeRemoved}}, Issue: issue(model.StatusInvestigating, false)},
			"shdmc:contoso:EX1", Withdrawn, false, false},
		{"post withdrawn", model.Event{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageRemoved,
			Changes: []model.Change{{Kind: model.ChangeRemoved}}, Message: &model.Message{ID: "MC1"}},
			"shdmc:contoso:MC1", Withdrawn, false, false},
		{"post back", model.Event{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageNew,
			Changes: []model.Change{{Kind: model.ChangeNew, Field: model.FieldReappeared}}, Message: &model.Message{ID: "MC1"}},
			"shdmc:contoso:MC1", Open, true, false},
		{"service degraded", model.Event{Tenant: "contoso", Source: model.SourceHealth, ItemID: "Exchange", Type: model.EventServiceStatus,
			Service: &model.ServiceHealth{ID: "Exchange", Status: model.StatusServiceDegradation}},
			"shdmc:contoso:health/Exchange", Open, true, false},
		{"service operational", model.Event{Tenant: "contoso", Source: model.SourceHealth, ItemID: "Exchange", Type: model.EventServiceStatus,
			Service: &model.ServiceHealth{ID: "Exchange", Status: model.StatusServiceOperational}},
			"shdmc:contoso:health/Exchange", Resolved, false, false},
		{"source down", model.Event{Tenant: "my tenant", Source: model.SourceGraph, ItemID: "issues^x", Type: model.EventSourceDown},
			"shdmc:my_tenant:graph/issues_x", Open, true, false},
		{"source restored", model.Event{Tenant: "contoso", Source: model.SourceGraph, ItemID: "issues", Type: model.EventSourceRestored},
			"shdmc:contoso:graph/issues", Resolved, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewUpdate(&tt.ev, renderOptions())
			if u.Marker != tt.marker || u.Close != tt.close || u.Reopen != tt.reopen || OpensClosed(&tt.ev) != tt.opensClosed {
				t.Errorf("marker %q close %v reopen %v opensClosed %v; want %q %v %v %v",
					u.Marker, u.Close, u.Reopen, OpensClosed(&tt.ev), tt.marker, tt.close, tt.reopen, tt.opensClosed)
			}
		})
	}
}

func TestShortenAndCut(t *testing.T) {
	long := "shdmc:" + strings.Repeat("t", 80) + ":EX1"
	if got := Shorten("shdmc:contoso:EX1", 50); got != "shdmc:contoso:EX1" {
		t.Errorf("short marker changed: %s", got)
	}
	a, b := Shorten(long, 50), Shorten(long+"2", 50)
	if len(a) != 50 || !strings.HasPrefix(a, "shdmc:") || a == b {
		t.Errorf("Shorten = %q, %q", a, b)
	}
	s := strings.Repeat("é", 100)
	c := Cut(s, 120)
	if len(c) > 120 || !utf8.ValidString(c) || !strings.HasSuffix(c, "dashboard]") {
		t.Errorf("Cut = %q (%d bytes)", c, len(c))
	}
	if Cut("short", 120) != "short" || CutRunes("ab", 2) != "ab" || CutRunes("abc", 2) != "a…" {
		t.Error("Cut changed a short text")
	}
}

func renderOptions() render.Options { return render.Options{} }
