package render

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
)

func TestMilestoneChanges(t *testing.T) {
	ev := &model.Event{Source: model.SourceMC, Changes: []model.Change{
		{Kind: model.ChangeSchedule, Field: "Targeted Release: rollout complete", From: "2024-05-21/2024-05-31", To: "2024-06-11/2024-06-20"},
		{Kind: model.ChangeSchedule, Field: "General Availability (GCC): rollout begins", To: "2024-08-14"},
		{Kind: model.ChangeReminder, Field: "7", To: "2024-07-31T07:00:00Z"},
	}}
	want := []string{
		"Schedule moved: Targeted Release: rollout complete: 2024-05-21 – 2024-05-31 → 2024-06-11 – 2024-06-20",
		"Schedule moved: General Availability (GCC): rollout begins: — → 2024-08-14",
		"Reminder: action required by 2024-07-31 (7-day reminder)", // a date, never a time of day
	}
	if diff := cmp.Diff(want, changeLines(ev, Options{})); diff != "" {
		t.Errorf("change lines (-want +got):\n%s", diff)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	ja := newTr("ja", Options{Location: tokyo}).changeLines(ev)
	if len(ja) != 3 || !strings.HasPrefix(ja[0], "予定の変更：") || !strings.Contains(ja[2], "7 日前") || !strings.Contains(ja[2], "2024年7月31日(水)") || strings.Contains(ja[2], "16:00") {
		t.Errorf("Japanese change lines: %q", ja)
	}
}
