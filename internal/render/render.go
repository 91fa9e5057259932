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
//
// A notice in another language is localized, not translated: labels, enum
// values, service names, dates and the fixed sentences and section labels
// of Microsoft's posts (ParsePost) come from the message catalogs in
// catalog/; only the prose between them (Segments) is translated, by
// someone else beforehand, and looked up through Options.Prose.
package render

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/htmltext"
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
	// LinkURL is where a notice's "open" link points (the shdmc dashboard
	// page of the item, say); "" means the item's page in the Microsoft 365
	// admin center.
	LinkURL string
	// Language is the reader's language as a BCP 47 tag ("ja", "ja-JP");
	// "" or "en" is English. Labels, enum values, service names and dates
	// come from the language's catalog (English where it has none); prose
	// comes from Prose.
	Language string
	// Mode arranges a non-English notice: ModeBilingual ("" too),
	// ModeTranslated or ModeSideBySide. It is ignored for English.
	Mode string
	// Prose returns the translation of one prose unit (one of the strings
	// Segments returns), or false when there is none; the original is
	// then shown with a note such as "（原文）". nil means no translations.
	// Render never calls a translator: Prose is a lookup.
	Prose func(text string) (string, bool)
	// NoteKey overrides the catalog key of the note that says where the
	// translation comes from (default "note.translated": machine
	// translation); the demo uses "note.demoTranslation".
	NoteKey string
	// AlsoIn names the other tenants in which the same item, with the same
	// content, was detected (a route with group_tenants): the footer gets
	// a line "Also in N other tenants: …".
	AlsoIn []string
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
	// Language is the catalog language of the Doc's words ("" = English).
	Language string
	// Mode is the Options.Mode of a localized Doc (ModeBilingual when none
	// was given); "" for English.
	Mode string
	// Original is the English notice to show with a localized one
	// (ModeBilingual, ModeSideBySide); nil otherwise.
	Original *Doc
	// TranslationNote tells the reader that the prose is translated and
	// the rest set by shdmc; "" for English.
	TranslationNote string
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

// Compose builds the neutral notice of an event in o.Language. For a
// language other than English it is the localized notice, and, unless
// o.Mode is ModeTranslated, Original holds the English notice that the
// formatters show with it.
func Compose(ev *model.Event, o Options) Doc {
	if isEnglish(o.Language) {
		return composeIn(ev, o, newTr("en", o))
	}
	d := composeIn(ev, o, newTr(o.Language, o))
	d.Language = newTr(o.Language, o).lang
	d.Mode = o.Mode
	if d.Mode == "" {
		d.Mode = ModeBilingual
	}
	noteKey := "note.translated"
	if o.NoteKey != "" {
		noteKey = o.NoteKey
	}
	d.TranslationNote = Phrase(d.Language, noteKey)
	if d.Mode != ModeTranslated {
		orig := composeIn(ev, o, newTr("en", o))
		d.Original = &orig
	}
	return d
}

func composeIn(ev *model.Event, o Options, l *tr) Doc {
	var d Doc
	switch {
	case isSourceEvent(ev):
		d = composeSource(ev, l)
	case ev.Type == model.EventDigest:
		d = composeDigest(ev, l)
	case ev.Has(model.ChangeRemoved):
		d = composeRemoved(ev, l)
	case ev.Issue != nil:
		d = composeIssue(ev, ev.Issue, o, l)
	case ev.Message != nil:
		d = composeMessage(ev, ev.Message, o, l)
	case ev.Service != nil:
		d = composeService(ev, ev.Service, l)
	default:
		d = Doc{Subject: "[" + string(ev.Type) + "] " + ev.ItemID}
		d.Changes = l.changeLines(ev)
	}
	if ev.Tenant != "" {
		d.Footer = l.f("footer", "tenant", ev.Tenant, "time", l.time(ev.DetectedAt))
	}
	if line := l.alsoIn(o.AlsoIn); line != "" {
		d.Footer = strings.TrimPrefix(d.Footer+"\n"+line, "\n")
	}
	return d
}

// maxAlsoIn is how many other tenants a grouped notice names; the rest
// are counted.
const maxAlsoIn = 10

// alsoIn is the footer line naming the other tenants of a grouped
// notice, "" for none.
func (l *tr) alsoIn(tenants []string) string {
	switch len(tenants) {
	case 0:
		return ""
	case 1:
		return l.f("footer.alsoInOne", "tenants", tenants[0])
	}
	list := strings.Join(tenants[:min(len(tenants), maxAlsoIn)], l.t("punct.listSep"))
	if len(tenants) > maxAlsoIn {
		list = l.f("footer.alsoInMore", "list", list, "n", strconv.Itoa(len(tenants)-maxAlsoIn))
	}
	return l.f("footer.alsoIn", "n", strconv.Itoa(len(tenants)), "tenants", list)
}

func composeIssue(ev *model.Event, is *model.Issue, o Options, l *tr) Doc {
	d := Doc{Subject: join(" | ", "["+l.name("status", string(is.Status))+"] "+is.ID, l.name("service", is.Service), l.quiet(oneLine(is.Title)))}
	status := l.name("status", string(is.Status))
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeStatus && c.From != "" {
			status = l.f("punct.since", "to", status, "from", l.name("status", c.From))
		}
	}
	d.add(l.t("label.status"), status)
	d.add(l.t("label.classification"), l.name("classification", string(is.Classification)))
	if is.Origin != "" && is.Origin != model.OriginMicrosoft {
		d.add(l.t("label.origin"), l.name("origin", string(is.Origin)))
	}
	if is.FeatureGroup == is.Feature {
		d.add(l.t("label.feature"), is.Feature) // the scenario and real data often repeat it
	} else {
		d.add(l.t("label.feature"), join(" / ", is.FeatureGroup, is.Feature))
	}
	if impact := oneLine(is.ImpactDescription); impact != "" {
		d.add(l.t("label.userImpact"), l.text(impact))
	}
	d.add(l.t("label.lastUpdated"), l.time(is.LastModified))
	d.add(l.t("label.startTime"), l.time(is.Start))
	end := l.time(is.End)
	if is.End.IsZero() && is.Status.Active() && !is.IsResolved {
		end = l.t("value.ongoing")
	}
	d.add(l.t("label.endTime"), end)
	d.Changes = l.changeLines(ev)
	for _, sp := range shownPosts(ev, is) {
		d.Blocks = append(d.Blocks, Block{Title: l.f(sp.key, "time", l.time(sp.post.Created)), Text: l.truncate(l.post(sp.post.Content), o.MaxPostChars)})
	}
	return d
}

// shownPost is a post a notice shows and the catalog key of its title.
type shownPost struct {
	key  string
	post model.Post
}

// shownPosts are the posts this event added or edited, oldest first, or
// else the latest post, so that a notice never repeats the whole history.
func shownPosts(ev *model.Event, is *model.Issue) []shownPost {
	var out []shownPost
	if !ev.Has(model.ChangeNew) {
		for _, c := range ev.Changes {
			key := ""
			switch c.Kind {
			case model.ChangePostAdded:
				key = "block.newPost"
			case model.ChangePostEdited:
				key = "block.editedPost"
			default:
				continue
			}
			at, err := time.Parse(time.RFC3339, c.To)
			if err != nil {
				continue
			}
			for _, p := range is.Posts {
				if p.Created.Truncate(time.Second).Equal(at) {
					out = append(out, shownPost{key, p})
					break
				}
			}
		}
	}
	if len(out) == 0 {
		if p, ok := is.LatestPost(); ok {
			out = append(out, shownPost{"block.latestPost", p})
		}
	}
	return out
}

// truncate cuts s to max runes at a line or word boundary and says how much
// was left out.
func truncate(s string, max int) string {
	return truncateNote(s, max, "[{n} more characters not shown]")
}

// truncateNote is truncate with note, a template of {n}, the number of
// characters left out.
func truncateNote(s string, max int, note string) string {
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
	return cut + " …\n" + fill(note, "n", strconv.Itoa(left))
}

// bodySections are a Message Center body's sections as the notice shows
// them.
func bodySections(m *model.Message) []htmltext.Section {
	if m.BodyType == "text" {
		return []htmltext.Section{{Text: htmltext.Text(m.Body)}}
	}
	return htmltext.Sections(m.Body)
}

// changedSections are the headings of the sections this event added or
// changed.
func changedSections(ev *model.Event) map[string]bool {
	changed := map[string]bool{}
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeBodySection && c.To != "" {
			changed[c.Field] = true
		}
	}
	return changed
}

func composeMessage(ev *model.Event, m *model.Message, o Options, l *tr) Doc {
	tags := []string{l.name("category", string(m.Category)), l.name("severity", string(m.Severity))}
	if m.IsMajorChange {
		tags = append(tags, l.t("value.major"))
	}
	services := strings.Join(l.names("service", m.Services), l.t("punct.listSep"))
	d := Doc{Subject: join(" | ", "["+join(" · ", tags...)+"] "+m.ID, services, l.quiet(oneLine(m.Title)))}
	d.add(l.t("label.category"), l.name("category", string(m.Category)))
	d.add(l.t("label.severity"), l.name("severity", string(m.Severity)))
	d.add(l.t("label.services"), services)
	d.add(l.t("label.tags"), strings.Join(l.names("tag", m.Tags), l.t("punct.listSep")))
	d.add(l.t("label.majorChange"), l.yesNo(m.IsMajorChange))
	if !m.ActionRequiredBy.IsZero() {
		d.add(l.t("label.actionRequiredBy"), l.time(m.ActionRequiredBy))
	}
	d.add(l.t("label.published"), l.time(m.Start))
	d.add(l.t("label.lastUpdated"), l.time(m.LastModified))
	if !m.End.IsZero() {
		d.add(l.t("label.expires"), l.time(m.End))
	}
	if len(m.Attachments) > 0 {
		names := make([]string, 0, len(m.Attachments))
		for _, a := range m.Attachments {
			names = append(names, oneLine(a.Name))
		}
		d.add(l.t("label.attachments"), strings.Join(names, "; "))
	}
	if e := m.AttachmentsError; e != nil {
		d.add(l.t("label.attachments"), l.t("note.attachmentsUnavailable")+" ("+htmltext.Excerpt(e.Error, 160)+")")
	}
	d.Changes = l.changeLines(ev)
	secs := bodySections(m)
	if ev.Has(model.ChangeNew) {
		for _, s := range secs {
			title := ""
			if s.Heading != "" {
				title = l.text(s.Heading)
			}
			d.Blocks = append(d.Blocks, Block{Title: title, Text: l.truncate(l.body(s.Text), o.MaxPostChars)})
		}
		return d
	}
	changed := changedSections(ev)
	for _, s := range secs {
		if changed[s.Heading] {
			title := l.t("label.introduction")
			if s.Heading != "" {
				title = l.text(s.Heading)
			}
			d.Blocks = append(d.Blocks, Block{Title: title, Text: l.truncate(l.body(s.Text), o.MaxPostChars)})
			delete(changed, s.Heading) // a repeated heading is shown once
		}
	}
	switch {
	case len(d.Blocks) > 0:
		d.Note = l.t("note.restUnchanged")
	case ev.Has(model.ChangeBodySection):
		d.Note = l.t("note.restUnchanged")
	default:
		d.Note = l.t("note.textUnchanged")
	}
	return d
}

func composeService(ev *model.Event, s *model.ServiceHealth, l *tr) Doc {
	name := s.Service
	if name == "" {
		name = s.ID
	}
	name = l.name("service", name)
	d := Doc{Subject: "[" + l.name("status", string(s.Status)) + "] " + name}
	status := l.name("status", string(s.Status))
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeStatus && c.From != "" {
			status = l.f("punct.since", "to", status, "from", l.name("status", c.From))
		}
	}
	d.add(l.t("label.status"), status)
	d.add(l.t("label.service"), name)
	if s.ID != "" && s.ID != s.Service && s.ID != name {
		d.add(l.t("label.serviceID"), s.ID)
	}
	d.add(l.t("label.detected"), l.time(ev.DetectedAt))
	d.Changes = l.changeLines(ev)
	return d
}

func composeRemoved(ev *model.Event, l *tr) Doc {
	subject := "[" + l.t("label.removed") + "] " + ev.ItemID
	switch {
	case ev.Issue != nil:
		subject = join(" | ", subject, l.name("service", ev.Issue.Service), l.quiet(oneLine(ev.Issue.Title)))
	case ev.Message != nil:
		subject = join(" | ", subject, strings.Join(l.names("service", ev.Message.Services), l.t("punct.listSep")), l.quiet(oneLine(ev.Message.Title)))
	case ev.Service != nil:
		subject = join(" | ", subject, l.name("service", ev.Service.Service))
	}
	where := l.t("removed.where.shd")
	switch ev.Source {
	case model.SourceMC:
		where = l.t("removed.where.mc")
	case model.SourceHealth:
		where = l.t("removed.where.health")
	}
	d := Doc{Subject: subject}
	d.Changes = []string{l.f("removed.text", "id", ev.ItemID, "where", where, "time", l.time(ev.DetectedAt))}
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

func (l *tr) yesNo(b bool) string {
	if b {
		return l.t("value.yes")
	}
	return l.t("value.no")
}
