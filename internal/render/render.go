// Package render turns one detected event into a notice a person reads: a
// one-line subject and a body that says what the item is, what changed and
// the new text (the new post, the changed Message Center sections), with
// every date in the reader's time zone.
//
// Rendering happens in two steps: Compose builds a neutral Doc (subject,
// labelled fields, change lines, text blocks) and a formatter writes it as
// plain text or Markdown. Later formats (HTML, Adaptive Card, Slack blocks)
// are further formatters of the same Doc. Dates are formatted here, never
// handed to a translator.
package render

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
)

// Format names an output format.
type Format string

// The formats Notice writes.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
)

// Options control one rendering.
type Options struct {
	// Format is the output format; "" means text.
	Format Format
	// Location is the reader's time zone; nil means UTC.
	Location *time.Location
	// Now is the rendering time (reserved for relative phrases such as
	// "in 3 days"; not used in the current layout).
	Now time.Time
	// MaxPostChars cuts long posts and sections to this many characters
	// (runes); 0 means unlimited.
	MaxPostChars int
}

// Doc is the neutral notice every format is written from.
type Doc struct {
	// Subject is the one-line header.
	Subject string
	// Fields are the labelled facts about the item, in display order.
	Fields []Field
	// Changes are the "What changed" lines, in readable English.
	Changes []string
	// Blocks are titled texts: new posts, Message Center body sections.
	Blocks []Block
	// Note is a closing remark such as "The rest of the message is unchanged."
	Note string
	// Footer names the tenant and the detection time.
	Footer string
}

// Field is one labelled value.
type Field struct {
	Label string
	Value string
}

// Block is a text with an optional title; Text is plain text with "\n"
// line breaks and "- " list items.
type Block struct {
	Title string
	Text  string
}

// Notice renders one event. Subject is the one-line header; Body the rest.
// In Markdown the body starts with the subject as a bold heading, because
// chat channels have no separate subject. A nil event renders as nothing.
func Notice(ev *model.Event, o Options) (subject, body string) {
	if ev == nil {
		return "", ""
	}
	d := Compose(ev, o)
	switch o.Format {
	case FormatMarkdown:
		return d.Subject, Markdown(d)
	default:
		return d.Subject, Text(d)
	}
}

// FormatTime renders t in loc (nil = UTC) as "2023-05-14 20:00 UTC", with
// the zone's abbreviation ("2023-05-15 05:00 JST"); the zero time is "—".
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// Compose builds the neutral notice of an event.
func Compose(ev *model.Event, o Options) Doc {
	var d Doc
	switch {
	case ev.Has(model.ChangeRemoved):
		d = composeRemoved(ev, o)
	case ev.Issue != nil:
		d = composeIssue(ev, ev.Issue, o)
	case ev.Message != nil:
		d = composeMessage(ev, ev.Message, o)
	case ev.Service != nil:
		d = composeService(ev, ev.Service, o)
	default:
		d = Doc{Subject: "[" + string(ev.Type) + "] " + ev.ItemID}
		d.Changes = changeLines(ev, o)
	}
	if ev.Tenant != "" {
		d.Footer = "Tenant " + ev.Tenant + " · detected " + FormatTime(ev.DetectedAt, o.Location)
	}
	return d
}

func composeIssue(ev *model.Event, is *model.Issue, o Options) Doc {
	d := Doc{Subject: join(" | ", "["+string(is.Status)+"] "+is.ID, is.Service, oneLine(is.Title))}
	status := string(is.Status)
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeStatus && c.From != "" {
			status += " ← " + c.From
		}
	}
	d.add("Status", status)
	d.add("Classification", string(is.Classification))
	if is.Origin != "" && is.Origin != model.OriginMicrosoft {
		d.add("Origin", string(is.Origin))
	}
	if is.FeatureGroup == is.Feature {
		d.add("Feature", is.Feature) // the scenario and real data often repeat it
	} else {
		d.add("Feature", join(" / ", is.FeatureGroup, is.Feature))
	}
	d.add("User Impact", oneLine(is.ImpactDescription))
	d.add("Last Updated", FormatTime(is.LastModified, o.Location))
	d.add("Start Time", FormatTime(is.Start, o.Location))
	end := FormatTime(is.End, o.Location)
	if is.End.IsZero() && is.Status.Active() && !is.IsResolved {
		end = "ongoing"
	}
	d.add("End Time", end)
	d.Changes = changeLines(ev, o)
	d.Blocks = postBlocks(ev, is, o)
	return d
}

// postBlocks shows the posts this event added or edited, oldest first, or
// else the latest post, so that a notice never repeats the whole history.
func postBlocks(ev *model.Event, is *model.Issue, o Options) []Block {
	var out []Block
	if !ev.Has(model.ChangeNew) {
		for _, c := range ev.Changes {
			title := ""
			switch c.Kind {
			case model.ChangePostAdded:
				title = "New post"
			case model.ChangePostEdited:
				title = "Edited post"
			default:
				continue
			}
			at, err := time.Parse(time.RFC3339, c.To)
			if err != nil {
				continue
			}
			for _, p := range is.Posts {
				if p.Created.Truncate(time.Second).Equal(at) {
					out = append(out, Block{Title: title + " (" + FormatTime(p.Created, o.Location) + ")", Text: postText(p.Content, o)})
					break
				}
			}
		}
	}
	if len(out) == 0 {
		if p, ok := is.LatestPost(); ok {
			out = append(out, Block{Title: "Latest post (" + FormatTime(p.Created, o.Location) + ")", Text: postText(p.Content, o)})
		}
	}
	return out
}

func postText(content string, o Options) string {
	return truncate(detect.HTMLToText(content), o.MaxPostChars)
}

// truncate cuts s to max runes at a line or word boundary and says how much
// was left out.
func truncate(s string, max int) string {
	n := utf8.RuneCountInString(s)
	if max <= 0 || n <= max {
		return s
	}
	cut := string([]rune(s)[:max])
	if i := strings.LastIndexAny(cut, "\n "); i > len(cut)/2 {
		cut = cut[:i]
	}
	cut = strings.TrimRight(cut, " \n")
	left := n - utf8.RuneCountInString(cut)
	return cut + " …\n[" + strconv.Itoa(left) + " more characters not shown]"
}

func composeMessage(ev *model.Event, m *model.Message, o Options) Doc {
	tags := []string{string(m.Category), string(m.Severity)}
	if m.IsMajorChange {
		tags = append(tags, "major")
	}
	d := Doc{Subject: join(" | ", "["+join(" · ", tags...)+"] "+m.ID, strings.Join(m.Services, ", "), oneLine(m.Title))}
	d.add("Category", string(m.Category))
	d.add("Severity", string(m.Severity))
	d.add("Services", strings.Join(m.Services, ", "))
	d.add("Tags", strings.Join(m.Tags, ", "))
	d.add("Major change", yesNo(m.IsMajorChange))
	if !m.ActionRequiredBy.IsZero() {
		d.add("Action required by", FormatTime(m.ActionRequiredBy, o.Location))
	}
	d.add("Published", FormatTime(m.Start, o.Location))
	d.add("Last Updated", FormatTime(m.LastModified, o.Location))
	if !m.End.IsZero() {
		d.add("Expires", FormatTime(m.End, o.Location))
	}
	if len(m.Attachments) > 0 {
		names := make([]string, 0, len(m.Attachments))
		for _, a := range m.Attachments {
			names = append(names, oneLine(a.Name))
		}
		d.add("Attachments", strings.Join(names, "; "))
	}
	d.Changes = changeLines(ev, o)
	secs := detect.Sections(m.Body)
	if m.BodyType == "text" {
		secs = []detect.Section{{Text: detect.HTMLToText(m.Body)}}
	}
	if ev.Has(model.ChangeNew) {
		for _, s := range secs {
			d.Blocks = append(d.Blocks, Block{Title: s.Heading, Text: truncate(s.Text, o.MaxPostChars)})
		}
		return d
	}
	changed := map[string]bool{}
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeBodySection && c.To != "" {
			changed[c.Field] = true
		}
	}
	for _, s := range secs {
		if changed[s.Heading] {
			title := s.Heading
			if title == "" {
				title = "Introduction"
			}
			d.Blocks = append(d.Blocks, Block{Title: title, Text: truncate(s.Text, o.MaxPostChars)})
			delete(changed, s.Heading) // a repeated heading is shown once
		}
	}
	switch {
	case len(d.Blocks) > 0:
		d.Note = "The rest of the message is unchanged."
	case ev.Has(model.ChangeBodySection):
		d.Note = "The rest of the message is unchanged."
	default:
		d.Note = "The message text is unchanged."
	}
	return d
}

func composeService(ev *model.Event, s *model.ServiceHealth, o Options) Doc {
	name := s.Service
	if name == "" {
		name = s.ID
	}
	d := Doc{Subject: "[" + string(s.Status) + "] " + name}
	status := string(s.Status)
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeStatus && c.From != "" {
			status += " ← " + c.From
		}
	}
	d.add("Status", status)
	d.add("Service", name)
	if s.ID != "" && s.ID != name {
		d.add("Service ID", s.ID)
	}
	d.add("Detected", FormatTime(ev.DetectedAt, o.Location))
	d.Changes = changeLines(ev, o)
	return d
}

func composeRemoved(ev *model.Event, o Options) Doc {
	where := "the Service Health Dashboard"
	subject := "[removed] " + ev.ItemID
	switch {
	case ev.Issue != nil:
		subject = join(" | ", subject, ev.Issue.Service, oneLine(ev.Issue.Title))
	case ev.Message != nil:
		subject = join(" | ", subject, strings.Join(ev.Message.Services, ", "), oneLine(ev.Message.Title))
	case ev.Service != nil:
		subject = join(" | ", subject, ev.Service.Service)
	}
	switch ev.Source {
	case model.SourceMC:
		where = "the Message Center"
	case model.SourceHealth:
		where = "the service health overview"
	}
	d := Doc{Subject: subject}
	d.Changes = []string{"Microsoft no longer lists " + ev.ItemID + " in " + where + " (noticed " +
		FormatTime(ev.DetectedAt, o.Location) + "). It was withdrawn or has expired; no further notices will follow unless it returns."}
	return d
}

func (d *Doc) add(label, value string) {
	if value != "" {
		d.Fields = append(d.Fields, Field{Label: label, Value: value})
	}
}

// join joins the non-empty parts.
func join(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
