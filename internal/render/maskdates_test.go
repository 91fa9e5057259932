package render

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

func TestMaskDates(t *testing.T) {
	tests := []struct {
		in, want string
		dates    int
	}{
		{"Deployment of the fix completed on Thursday, May 25, 2023, at 7:00 PM UTC. We're verifying.",
			"Deployment of the fix completed on `{date:0}`. We're verifying.", 1},
		{"Between May 14, 2023 at 8:00 PM UTC and Monday, May 15, 2023, at 12:40 AM UTC, users were affected.",
			"Between `{date:0}` and `{date:1}`, users were affected.", 2},
		{"No date here, only May and 2023.", "No date here, only May and 2023.", 0},
		{"An impossible May 32, 2023, at 7:00 PM UTC stays.", "An impossible May 32, 2023, at 7:00 PM UTC stays.", 0},
	}
	for _, tt := range tests {
		got, dates := maskDates(tt.in)
		if got != tt.want || len(dates) != tt.dates {
			t.Errorf("maskDates(%q) = %q, %d dates; want %q, %d", tt.in, got, len(dates), tt.want, tt.dates)
		}
	}
}

// TestDateInsideSentence: the translator sees the sentence with the date
// masked, and the reader gets the date in their language and zone.
func TestDateInsideSentence(t *testing.T) {
	at := time.Date(2023, 5, 25, 19, 55, 0, 0, time.UTC)
	const sentence = "Deployment of the fix completed on Thursday, May 25, 2023, at 7:00 PM UTC. We're verifying that impact is remediated."
	ev := &model.Event{Tenant: "demo", Source: model.SourceSHD, ItemID: "EX559755", Type: model.EventIssuePost, DetectedAt: at,
		Changes: []model.Change{{Kind: model.ChangePostAdded, To: at.Format(time.RFC3339)}},
		Issue: &model.Issue{ID: "EX559755", Title: "OME", Service: "Exchange Online", Status: model.StatusVerifyingService,
			Posts: []model.Post{{Created: at, Content: "Title: OME\n\nCurrent status: " + sentence}}}}
	masked := "Deployment of the fix completed on `{date:0}`. We're verifying that impact is remediated."
	if segs := Segments(ev); !slices.Contains(segs, masked) || slices.Contains(segs, sentence) {
		t.Fatalf("Segments = %q; want the masked sentence only", segs)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	_, body := Notice(ev, Options{Language: "ja", Mode: ModeTranslated, Location: tokyo, Prose: func(s string) (string, bool) {
		if s == masked {
			return "修正プログラムの展開は `{date:0}` に完了しました。影響が解消されたことを確認しています。", true
		}
		return "", false
	}})
	if !strings.Contains(body, "修正プログラムの展開は 2023年5月26日(金) 4:00 JST に完了しました。") {
		t.Errorf("the date is not ours:\n%s", body)
	}
}
