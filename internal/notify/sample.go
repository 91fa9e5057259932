package notify

import (
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// SampleEvent is the notice `shdmc test-channel` sends: Microsoft's final
// update of EX559755, the incident of the seed notice.
func SampleEvent(now time.Time) model.Event {
	start := time.Date(2023, 5, 14, 20, 0, 0, 0, time.UTC)
	end := time.Date(2023, 5, 25, 19, 0, 0, 0, time.UTC)
	upd := time.Date(2023, 5, 26, 0, 12, 21, 0, time.UTC)
	return model.Event{
		Tenant: "shdmc-test", Source: model.SourceSHD, ItemID: "EX559755", Type: model.EventIssueResolved, Revision: 2,
		DetectedAt: now,
		Changes: []model.Change{
			{Kind: model.ChangeStatus, From: string(model.StatusInvestigating), To: string(model.StatusServiceRestored)},
			{Kind: model.ChangeResolved},
			{Kind: model.ChangePostAdded, To: upd.Format(time.RFC3339)},
			{Kind: model.ChangeEnd, To: end.Format(time.RFC3339)},
		},
		Issue: &model.Issue{
			ID: "EX559755", Service: "Exchange Online", Feature: "E-Mail and calendar access", FeatureGroup: "E-Mail and calendar access",
			Title:          "[shdmc test notice] Users’ Office Message Encrypted (OME) email sent from Exchange Online may be unable to be accessed by some recipients",
			Classification: model.ClassificationAdvisory, Origin: model.OriginMicrosoft, Status: model.StatusServiceRestored,
			ImpactDescription: "Users’ OME email sent from Exchange Online may have been unable to be accessed by some recipients.",
			IsResolved:        true, Start: start, End: end, LastModified: upd,
			Posts: []model.Post{{Created: upd, Type: model.PostRegular, ContentType: "html", Content: "This is a test notice sent by `shdmc test-channel`.\n\n" +
				"Title: Users’ Office Message Encrypted (OME) email sent from Exchange Online may be unable to be accessed by some recipients\n\n" +
				"User impact: Users’ OME email sent from Exchange Online may have been unable to be accessed by some recipients.\n\n" +
				"Final status: We determined that a recent deployment contained issues that led to the CDN not delivering the scripts required for OME to work. " +
				"We developed and deployed a fix and have confirmed via telemetry and customer report that impact is now remediated.\n\n" +
				"Start time: Sunday, May 14, 2023, at 8:00 PM UTC\n\nEnd time: Thursday, May 25, 2023, at 7:00 PM UTC\n\n" +
				"This is the final update for the event."}},
		},
	}
}
