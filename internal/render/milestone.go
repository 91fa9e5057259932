package render

import (
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// milestoneChange describes a milestone that moved (ChangeSchedule: Field
// names it, From and To are its ranges, "2024-06-11/2024-06-20" or one
// day) or a reminder of an action-required date (ChangeReminder: Field
// is the number of days, To the date).
func (l *tr) milestoneChange(c model.Change) string {
	if c.Kind == model.ChangeReminder {
		return l.f("change.reminder", "time", l.timeText(c.To), "n", c.Field)
	}
	return l.f("change.schedule", "name", c.Field, "from", l.rangeText(c.From), "to", l.rangeText(c.To))
}

// rangeText shows a milestone range: "2024-06-11 – 2024-06-20", a day as
// it is, an exact time in the reader's zone, "—" when unset.
func (l *tr) rangeText(s string) string {
	if a, b, ok := strings.Cut(s, "/"); ok {
		return a + " – " + b
	}
	return l.timeText(s)
}
