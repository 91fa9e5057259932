package render

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
)

func TestOwnershipChanges(t *testing.T) {
	ev := &model.Event{Source: model.SourceSHD, Type: model.EventItemAcknowledged, By: "alice", Changes: []model.Change{
		{Kind: model.ChangeHandling, From: "open", To: "acknowledged"},
		{Kind: model.ChangeOwner, To: "bob"},
		{Kind: model.ChangeOwner, From: "bob"},
		{Kind: model.ChangeNote, To: "Vendor ticket 4711\nwaiting for <Microsoft>"},
		{Kind: model.ChangeEscalation, Field: "incidents", From: "2024-07-31T07:00:00Z", To: "4h0m0s"},
	}}
	want := []string{
		"Acknowledged by alice (was: Open)",
		"Assigned to bob by alice",
		"No longer assigned to bob (alice)",
		"Note from alice: Vendor ticket 4711 waiting for <Microsoft>",
		"Escalated: nobody acknowledged this within 4 h of the first notice (2024-07-31 07:00 UTC, route incidents)",
	}
	got := changeLines(ev, Options{})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("change lines (-want +got):\n%s", diff)
	}
	ev.Changes[4].To = "90m0s"
	if got := changeLines(ev, Options{}); !strings.Contains(got[4], "within 1 h 30 min of") {
		t.Errorf("escalation after 90 minutes: %q", got[4])
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	ja := newTr("ja", Options{Location: tokyo}).changeLines(ev)
	if len(ja) != 5 || ja[0] != "確認済み（alice、変更前：未対応）" || !strings.Contains(ja[1], "bob") ||
		!strings.Contains(ja[3], "Vendor ticket 4711") || strings.Contains(ja[3], "（原文）") || !strings.Contains(ja[4], "16:00") || !strings.Contains(ja[4], "1時間30分") {
		t.Errorf("Japanese change lines: %q", ja)
	}
}

// TestEscalationNotice: an escalated incident reads as the incident's
// notice, with the escalation first among what changed.
func TestEscalationNotice(t *testing.T) {
	at := time.Date(2024, 7, 31, 11, 0, 0, 0, time.UTC)
	ev := &model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventItemEscalated, DetectedAt: at,
		Changes: []model.Change{{Kind: model.ChangeEscalation, Field: "incidents", From: at.Add(-4 * time.Hour).Format(time.RFC3339), To: "4h0m0s"}},
		Issue: &model.Issue{ID: "EX1", Title: "Users can't send mail", Service: "Exchange Online", Status: model.StatusServiceInterruption,
			Classification: model.ClassificationIncident}}
	d := Compose(ev, Options{})
	if len(d.Changes) != 1 || !strings.HasPrefix(d.Changes[0], "Escalated:") || !strings.Contains(d.Subject, "EX1") {
		t.Errorf("escalation notice: subject %q, changes %q", d.Subject, d.Changes)
	}
}
