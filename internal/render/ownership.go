package render

import (
	"strconv"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// ownershipChange describes a change of an ownership event: who took the
// item, acknowledged it, finished or set it aside (ev.By), the note they
// left (shown as written, never translated: a colleague wrote it), or
// that nobody acknowledged it in time.
func (l *tr) ownershipChange(ev *model.Event, c model.Change) string {
	by := ev.By
	if by == "" {
		by = l.t("value.none")
	}
	switch c.Kind {
	case model.ChangeOwner:
		if c.To == "" {
			return l.f("change.unassigned", "from", c.From, "by", by)
		}
		return l.f("change.assigned", "to", c.To, "by", by)
	case model.ChangeHandling:
		return l.f("change.handled", "to", l.name("handling", c.To), "from", l.name("handling", c.From), "by", by)
	case model.ChangeNote:
		return l.f("change.noted", "text", oneLine(c.To), "by", by)
	case model.ChangeEscalation:
		after := c.To
		if d, err := time.ParseDuration(c.To); err == nil {
			after = l.duration(d)
			if d >= time.Hour && d%time.Hour == 0 {
				after = l.f("value.hours", "h", strconv.FormatInt(int64(d/time.Hour), 10))
			}
		}
		return l.f("change.escalated", "after", after, "route", c.Field, "time", l.timeText(c.From))
	}
	return ""
}
