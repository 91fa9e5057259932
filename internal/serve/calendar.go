package serve

import (
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/milestone"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
)

// roadmapLines names each Microsoft 365 Roadmap ID of a post with its
// link to the roadmap and the rollout status its details give per
// platform, one per line, for a calendar description.
func roadmapLines(m *model.Message) string {
	var b strings.Builder
	statuses := milestone.FeatureStatuses(m)
	for _, id := range milestone.RoadmapIDs(m) {
		b.WriteString("Microsoft 365 Roadmap " + id + ": " + milestone.RoadmapLink(id))
		for _, fs := range statuses {
			if fs.RoadmapID == id {
				b.WriteString(" · " + fs.Platform + ": " + fs.Status)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// phaseKinds name the calendar events of a milestone's phase in their
// UIDs; phaseLabels are their catalog keys.
var (
	phaseKinds = map[milestone.Phase]string{
		milestone.PhaseBegin: "rollout-start", milestone.PhaseComplete: "rollout-end", milestone.PhaseRollout: "rollout",
		milestone.PhaseRetire: "retirement", milestone.PhaseDate: "date",
	}
	phaseLabels = map[milestone.Phase]string{
		milestone.PhaseBegin: "cal.rolloutStart", milestone.PhaseComplete: "cal.rolloutEnd", milestone.PhaseRollout: "cal.rollout",
		milestone.PhaseRetire: "cal.retirement", milestone.PhaseDate: "cal.date",
	}
)

// calendarMilestones returns an all-day event (without its label) for
// each milestone of a post (milestone.Parse) but the action-required
// date, which has its own: over the milestone's days, DTEND exclusive.
// In English an event names its milestone's days with Microsoft's phrase
// ("mid-June 2024") and where it applies as the milestone package does
// ("General Availability (GCC)"); in another language both come from
// render's catalogs ("2024年6月中旬", "一般提供（GCC）").
// The first milestone of a phase is kind "rollout-start", "rollout-end",
// "rollout", "retirement" or "date"; a later one adds where it applies
// ("rollout-start-general-availability-gcc") or its rank. A UID built of
// the kind stays when Microsoft moves the dates, so that a subscribed
// calendar moves the event instead of adding one.
func calendarMilestones(v view, m *model.Message) []icsEvent {
	var out []icsEvent
	seen := map[string]int{}
	for _, ms := range milestone.Parse(m) {
		kind, ok := phaseKinds[ms.Phase]
		if !ok {
			continue // the action-required date
		}
		seen[kind]++
		if n := seen[kind]; n > 1 {
			if l := slug(ms.Label()); l != "" && seen[kind+"-"+l] == 0 {
				kind += "-" + l
			} else {
				kind += "-" + strconv.Itoa(n)
			}
			seen[kind]++
		}
		note, prev := ms.Range.Phrase, ms.Previous.Phrase
		if v.Lang != "en" {
			note = render.FormatDaysIn(ms.From, ms.To, v.Lang)
			if !ms.Previous.IsZero() {
				prev = render.FormatDaysIn(ms.Previous.From, ms.Previous.To, v.Lang)
			}
		}
		when := note
		if !ms.Previous.IsZero() {
			when = v.F("cal.previously", "when", note, "prev", prev)
		}
		out = append(out, icsEvent{kind: kind, phase: ms.Phase, start: ms.From.UTC(), end: ms.To.UTC().Add(24 * time.Hour),
			note: note, where: render.MilestoneLabel(v.Lang, ms), when: when})
	}
	return out
}

// slug makes a label fit a UID: lower-case letters and digits, other
// runs as one "-".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
