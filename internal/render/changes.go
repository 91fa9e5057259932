package render

import (
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
)

const maxChangeText = 120 // runes of a From/To text shown in a change line

// changeLines describes each change of an event in readable English.
func changeLines(ev *model.Event, o Options) []string {
	var out []string
	for _, c := range ev.Changes {
		if s := changeLine(ev, c, o); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func changeLine(ev *model.Event, c model.Change, o Options) string {
	short := func(s string) string { return detect.Excerpt(s, maxChangeText) }
	switch c.Kind {
	case model.ChangeNew:
		what := map[model.Source]string{model.SourceSHD: "New issue", model.SourceMC: "New message", model.SourceHealth: "Service first seen"}[ev.Source]
		if what == "" {
			what = "New item"
		}
		if c.Field == detect.FieldReappeared {
			return what + ": listed again after Microsoft had removed it"
		}
		return what
	case model.ChangeRemoved:
		return "No longer listed by Microsoft"
	case model.ChangeIncidentReport:
		return "Post-incident report available in the Microsoft 365 admin center (" + reportSize(c) + ")"
	case model.ChangeStatus:
		return "Status: " + arrow(c.From, c.To)
	case model.ChangeResolved:
		return "Marked resolved"
	case model.ChangeReopened:
		return "Reopened: no longer marked resolved"
	case model.ChangeClassification:
		return "Classification: " + arrow(c.From, c.To)
	case model.ChangePostAdded:
		return "New post (" + timeText(c.To, o) + ")"
	case model.ChangePostEdited:
		return "Post of " + timeText(c.To, o) + " edited"
	case model.ChangeTitle:
		return rewordChange("Title", c.From, c.To)
	case model.ChangeImpact:
		return rewordChange("User impact", c.From, c.To)
	case model.ChangeStart:
		return timeChange("Start time", c, o)
	case model.ChangeEnd:
		return timeChange("End time", c, o)
	case model.ChangeActionDate:
		return timeChange("Action required by", c, o)
	case model.ChangeService:
		return "Service: " + arrow(c.From, c.To)
	case model.ChangeFeature:
		label := "Feature"
		if c.Field == "featureGroup" {
			label = "Feature group"
		}
		return textChange(label, c.From, c.To)
	case model.ChangeOrigin:
		return "Origin: " + arrow(c.From, c.To)
	case model.ChangeCategory:
		return "Category: " + arrow(c.From, c.To)
	case model.ChangeSeverity:
		return "Severity: " + arrow(c.From, c.To)
	case model.ChangeServices:
		return setChange("Services", c.From, c.To)
	case model.ChangeTags:
		return setChange("Tags", c.From, c.To)
	case model.ChangeAttachments:
		return setChange("Attachments", c.From, c.To)
	case model.ChangeMajor:
		if c.To == "true" {
			return "Now marked as a major change"
		}
		return "No longer marked as a major change"
	case model.ChangeBodySection:
		name := c.Field
		if name == "" {
			name = "Introduction"
		}
		switch {
		case c.From == "":
			return "Section added: " + name
		case c.To == "":
			return "Section removed: " + name
		}
		return "Section changed: " + name
	}
	label := string(c.Kind)
	if c.Field != "" {
		label += " (" + c.Field + ")"
	}
	return textChange(label, short(c.From), short(c.To))
}

// rewordChange describes an edit of a long text whose new value the notice
// already shows: what was put in front or appended, else the old wording.
func rewordChange(label, from, to string) string {
	short := func(s string) string { return detect.Excerpt(s, maxChangeText) }
	switch {
	case from == "":
		return label + " set"
	case to == "":
		return label + " cleared (was: “" + short(from) + "”)"
	case strings.HasSuffix(to, from):
		return label + ": “" + strings.TrimSpace(strings.TrimSuffix(to, from)) + "” added in front"
	case strings.HasPrefix(to, from):
		return label + ": “" + short(strings.TrimSpace(strings.TrimPrefix(to, from))) + "” added at the end"
	}
	return label + " reworded (was: “" + short(from) + "”)"
}

func arrow(from, to string) string {
	if from == "" {
		from = "(none)"
	}
	if to == "" {
		to = "(none)"
	}
	return from + " → " + to
}

func textChange(label, from, to string) string {
	switch {
	case from == "":
		return label + " set: " + to
	case to == "":
		return label + " cleared (was: " + from + ")"
	}
	return label + ": " + from + " → " + to
}

func timeChange(label string, c model.Change, o Options) string {
	from, to := timeText(c.From, o), timeText(c.To, o)
	switch {
	case c.From == "":
		return label + " set: " + to
	case c.To == "":
		return label + " cleared (was " + from + ")"
	}
	return label + " moved: " + from + " → " + to
}

// setChange describes a change of a comma-separated list as additions and
// removals.
func setChange(label, from, to string) string {
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
		parts = append(parts, "added "+quoteAll(added))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+quoteAll(removed))
	}
	if len(parts) == 0 {
		return label + ": " + arrow(from, to)
	}
	return label + ": " + strings.Join(parts, "; ")
}

func quoteAll(xs []string) string {
	q := make([]string, len(xs))
	for k, x := range xs {
		q[k] = "“" + x + "”"
	}
	return strings.Join(q, ", ")
}

// timeText formats an RFC 3339 change value in the reader's zone; other
// text is returned as it is.
func timeText(s string, o Options) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if s == "" {
			return "—"
		}
		return s
	}
	return FormatTime(t, o.Location)
}

// reportSize describes the post-incident report document of c.
func reportSize(c model.Change) string {
	n, err := strconv.Atoi(c.To)
	if err != nil {
		return c.Field
	}
	size := strconv.Itoa(n) + " bytes"
	if n >= 1024 {
		size = strconv.Itoa((n+512)/1024) + " KB"
	}
	if c.Field == "" {
		return size
	}
	return c.Field + ", " + size
}
