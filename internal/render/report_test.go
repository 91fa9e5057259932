package render

import (
	"strings"
	"testing"

	"github.com/shdmc/shdmc/internal/model"
)

func TestIncidentReportChange(t *testing.T) {
	ev := &model.Event{Source: model.SourceSHD, ItemID: "EX1", Type: model.EventIssueStatus,
		Issue: &model.Issue{ID: "EX1", Title: "t", Status: model.StatusPostIncidentReviewPublished},
		Changes: []model.Change{
			{Kind: model.ChangeStatus, From: "serviceRestored", To: "postIncidentReviewPublished"},
			{Kind: model.ChangeIncidentReport, Field: "application/pdf", To: "204800"},
		}}
	_, body := Notice(ev, Options{})
	if !strings.Contains(body, "Post-incident report available in the Microsoft 365 admin center (application/pdf, 200 KB)") {
		t.Errorf("report line missing:\n%s", body)
	}
}
