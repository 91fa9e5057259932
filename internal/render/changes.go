package render

import (
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
)

const maxChangeText = 120 // runes of a From/To text shown in a change line

// changeLines describes each change of an event in readable English.
func changeLines(ev *model.Event, o Options) []string {
	return newTr("en", o).changeLines(ev)
}

// changeLines describes each change of an event in l's language.
func (l *tr) changeLines(ev *model.Event) []string {
	var out []string
	for _, c := range ev.Changes {
		if s := l.changeLine(ev, c); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (l *tr) changeLine(ev *model.Event, c model.Change) string {
	short := func(s string) string { return htmltext.Excerpt(s, maxChangeText) }
	field := func(label, from, to string) string {
		return l.f("change.field", "label", label, "value", l.arrow(from, to))
	}
	switch c.Kind {
	case model.ChangeNew:
		what := l.t("change.new.item")
		switch ev.Source {
		case model.SourceSHD, model.SourceMC, model.SourceHealth:
			what = l.t("change.new." + string(ev.Source))
		}
		if c.Field == model.FieldReappeared {
			return l.f("change.reappeared", "what", what)
		}
		return what
	case model.ChangeRemoved:
		return l.t("change.removed")
	case model.ChangeIncidentReport:
		return l.f("change.incidentReport", "size", l.reportSize(c))
	case model.ChangeStatus:
		return field(l.t("label.status"), l.name("status", c.From), l.name("status", c.To))
	case model.ChangeResolved:
		return l.t("change.resolved")
	case model.ChangeReopened:
		return l.t("change.reopened")
	case model.ChangeClassification:
		return field(l.t("label.classification"), l.name("classification", c.From), l.name("classification", c.To))
	case model.ChangePostAdded:
		return l.f("change.postAdded", "time", l.timeText(c.To))
	case model.ChangePostEdited:
		return l.f("change.postEdited", "time", l.timeText(c.To))
	case model.ChangeTitle:
		return l.rewordChange(l.t("change.label.title"), c.From, c.To)
	case model.ChangeImpact:
		return l.rewordChange(l.t("change.label.userImpact"), c.From, c.To)
	case model.ChangeStart:
		return l.timeChange(l.t("change.label.startTime"), c)
	case model.ChangeEnd:
		return l.timeChange(l.t("change.label.endTime"), c)
	case model.ChangeActionDate:
		return l.dateChange(l.t("label.actionRequiredBy"), c)
	case model.ChangeService:
		return field(l.t("label.service"), l.name("service", c.From), l.name("service", c.To))
	case model.ChangeFeature:
		label := l.t("label.feature")
		if c.Field == "featureGroup" {
			label = l.t("label.featureGroup")
		}
		return l.textChange(label, c.From, c.To)
	case model.ChangeOrigin:
		return field(l.t("label.origin"), l.name("origin", c.From), l.name("origin", c.To))
	case model.ChangeCategory:
		return field(l.t("label.category"), l.name("category", c.From), l.name("category", c.To))
	case model.ChangeSeverity:
		return field(l.t("label.severity"), l.name("severity", c.From), l.name("severity", c.To))
	case model.ChangeServices:
		return l.setChange(l.t("label.services"), "service", c.From, c.To)
	case model.ChangeTags:
		return l.setChange(l.t("label.tags"), "tag", c.From, c.To)
	case model.ChangeAttachments:
		if c.Field == "replaced" {
			return l.f("change.attachmentsReplaced", "items", c.To)
		}
		return l.setChange(l.t("label.attachments"), "", c.From, c.To)
	case model.ChangeDetails:
		return l.textChange(l.f("change.detail", "name", c.Field), short(c.From), short(c.To))
	case model.ChangeSchedule, model.ChangeReminder:
		return l.milestoneChange(c)
	case model.ChangeOwner, model.ChangeHandling, model.ChangeNote, model.ChangeEscalation:
		return l.ownershipChange(ev, c)
	case model.ChangeMajor:
		if c.To == "true" {
			return l.t("change.majorOn")
		}
		return l.t("change.majorOff")
	case model.ChangeBodySection:
		name := l.t("label.introduction")
		if c.Field != "" {
			name = l.text(c.Field)
		}
		switch {
		case c.From == "":
			return l.f("change.sectionAdded", "name", name)
		case c.To == "":
			return l.f("change.sectionRemoved", "name", name)
		}
		return l.f("change.sectionChanged", "name", name)
	}
	label := string(c.Kind)
	if c.Field != "" {
		label += " (" + c.Field + ")"
	}
	return l.textChange(label, short(c.From), short(c.To))
}

// rewordChange describes an edit of a long text whose new value the notice
// already shows: what was put in front or appended, else the old wording
// (translated when a translation of it is known).
func (l *tr) rewordChange(label, from, to string) string {
	short := func(s string) string { return htmltext.Excerpt(s, maxChangeText) }
	was := func(s string) string {
		if t, ok := l.lookup(oneLine(s)); ok {
			return l.quote(short(t))
		}
		l.misses++
		return l.quote(l.t("note.untranslated") + short(s))
	}
	switch {
	case from == "":
		return l.f("change.rewordSet", "label", label)
	case to == "":
		return l.f("change.rewordCleared", "label", label, "from", was(from))
	case strings.HasSuffix(to, from):
		return l.f("change.rewordFront", "label", label, "text", l.quote(strings.TrimSpace(strings.TrimSuffix(to, from))))
	case strings.HasPrefix(to, from):
		return l.f("change.rewordEnd", "label", label, "text", l.quote(short(strings.TrimSpace(strings.TrimPrefix(to, from)))))
	}
	return l.f("change.reworded", "label", label, "from", was(from))
}

func (l *tr) textChange(label, from, to string) string {
	switch {
	case from == "":
		return l.f("change.textSet", "label", label, "to", to)
	case to == "":
		return l.f("change.textCleared", "label", label, "from", from)
	}
	return l.f("change.field", "label", label, "value", l.arrow(from, to))
}

func (l *tr) timeChange(label string, c model.Change) string {
	return l.movedChange(label, c, l.timeText(c.From), l.timeText(c.To))
}

// dateChange is timeChange for a date without a time (the action-required
// date): "2024-06-30", "2024年6月30日(日)", never a time of day.
func (l *tr) dateChange(label string, c model.Change) string {
	return l.movedChange(label, c, l.dateText(c.From), l.dateText(c.To))
}

// movedChange describes a time or date set, cleared or moved from from
// to to (already formatted).
func (l *tr) movedChange(label string, c model.Change, from, to string) string {
	switch {
	case c.From == "":
		return l.f("change.timeSet", "label", label, "to", to)
	case c.To == "":
		return l.f("change.timeCleared", "label", label, "from", from)
	}
	return l.f("change.timeMoved", "label", label, "from", from, "to", to)
}

// setChange describes a change of a comma-separated list as additions and
// removals; group names the catalog group of its values ("" = verbatim).
func (l *tr) setChange(label, group, from, to string) string {
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ", ")
	}
	a, b := split(from), split(to)
	in := func(xs []string, x string) bool {
		for _, y := range xs {
			if y == x {
				return true
			}
		}
		return false
	}
	show := func(xs []string) string {
		q := make([]string, len(xs))
		for k, x := range xs {
			if group != "" {
				x = l.name(group, x)
			}
			q[k] = l.quote(x)
		}
		return strings.Join(q, l.t("punct.listSep"))
	}
	var added, removed []string
	for _, x := range b {
		if !in(a, x) {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !in(b, x) {
			removed = append(removed, x)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, l.f("change.setAdded", "items", show(added)))
	}
	if len(removed) > 0 {
		parts = append(parts, l.f("change.setRemoved", "items", show(removed)))
	}
	if len(parts) == 0 {
		return l.f("change.field", "label", label, "value", l.arrow(from, to))
	}
	return l.f("change.field", "label", label, "value", strings.Join(parts, l.t("punct.partSep")))
}

// timeText formats an RFC 3339 change value in the reader's zone; other
// text is returned as it is.
func (l *tr) timeText(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if s == "" {
			return l.t("value.noTime")
		}
		return s
	}
	return l.time(t)
}

// reportSize describes the post-incident report document of c.
func (l *tr) reportSize(c model.Change) string {
	n, err := strconv.Atoi(c.To)
	if err != nil {
		return c.Field
	}
	size := l.f("change.sizeBytes", "n", strconv.Itoa(n))
	if n >= 1024 {
		size = l.f("change.sizeKB", "n", strconv.Itoa((n+512)/1024))
	}
	if c.Field == "" {
		return size
	}
	return c.Field + ", " + size
}
