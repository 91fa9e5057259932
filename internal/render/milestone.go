package render

import (
	"strconv"
	"strings"

	"github.com/shdmc/shdmc/internal/milestone"
	"github.com/shdmc/shdmc/internal/model"
)

// milestoneChange describes a milestone that moved (ChangeSchedule: Field
// names it, From and To are its ranges, "2024-06-11/2024-06-20" or one
// day) or a reminder of an action-required date (ChangeReminder: Field
// is the number of days, To the date, shown as a date).
func (l *tr) milestoneChange(c model.Change) string {
	if c.Kind == model.ChangeReminder {
		return l.f("change.reminder", "time", l.dateText(c.To), "n", c.Field)
	}
	return l.f("change.schedule", "name", l.milestoneName(c.Field), "from", l.rangeText(c.From), "to", l.rangeText(c.To))
}

// milestoneName shows a milestone's key (milestone.Name, with " #n" for a
// repeated one) in l's language: in English as it is, in another
// language its ring, cloud, platform and phase from the catalog
// ("対象指定リリース：ロールアウト完了"). A key that milestone cannot read
// back is shown as it is.
func (l *tr) milestoneName(key string) string {
	if l.english() {
		return key
	}
	m, n, ok := milestone.ParseKey(key)
	if !ok {
		return key
	}
	s := l.name("phase", string(m.Phase))
	if label := l.milestoneLabel(m); label != "" {
		s = l.f("milestone.name", "label", label, "phase", s)
	}
	if n > 1 {
		s += " #" + strconv.Itoa(n)
	}
	return s
}

// milestoneLabel is Milestone.Label in l's language: "General
// Availability (GCC High)" is "一般提供（GCC High）".
func (l *tr) milestoneLabel(m milestone.Milestone) string {
	if l.english() {
		return m.Label()
	}
	label := l.name("ring", m.Ring)
	if m.Cloud != "" {
		cloud := l.name("cloud", m.Cloud)
		if label == "" {
			label = cloud
		} else {
			label = l.f("milestone.ringCloud", "ring", label, "cloud", cloud)
		}
	}
	if m.Platform != "" {
		p := strings.Join(l.names("platform", strings.Split(m.Platform, ", ")), l.t("punct.listSep"))
		if label == "" {
			label = p
		} else {
			label = l.f("milestone.platform", "label", label, "platform", p)
		}
	}
	return label
}

// MilestoneLabel names where a milestone applies in lang, as
// Milestone.Label does in English ("Targeted Release", "General
// Availability (GCC)"; Japanese "対象指定リリース", "一般提供（GCC）").
func MilestoneLabel(lang string, m milestone.Milestone) string {
	return newTr(lang, Options{}).milestoneLabel(m)
}

// rangeText shows a milestone range. English: "2024-06-11 – 2024-06-20",
// a day as it is. Another language: the range as the phrase it is
// ("2024年6月中旬") or its first and last day, a day as a date. An exact
// time is in the reader's zone; "—" when unset.
func (l *tr) rangeText(s string) string {
	if l.english() {
		if a, b, ok := strings.Cut(s, "/"); ok {
			return a + " – " + b
		}
		return l.timeText(s)
	}
	r, ok := milestone.ParseRange(s)
	switch {
	case !ok:
		return l.timeText(s)
	case !r.From.Equal(r.To) || strings.Contains(s, "/") || !strings.Contains(s, "T"):
		return FormatDaysIn(r.From, r.To, l.lang)
	}
	return l.time(r.From)
}
