// Package render turns one detected event into a notice a person reads: a
// one-line subject, the key facts first (as Microsoft's own emails put
// them), what changed and the new text (the new post, the changed Message
// Center sections), with every date in the reader's time zone.
//
// Rendering happens in two steps: Compose builds one localized Doc (the
// document of the notice: headline, key facts and other fields, services,
// change lines, text blocks, links, notes) and a format writes it: Text,
// Markdown, HTML (email), AdaptiveCard (Teams), SlackBlocks, or the Doc
// itself as JSON (webhook, file). Every format writes the same Doc, so none
// can forget a field. Dates are formatted here, never handed to a
// translator.
//
// A notice in another language is localized, not translated: labels, enum
// values, service names, dates and the fixed sentences and section labels
// of Microsoft's posts (ParsePost) come from the message catalogs in
// catalog/; only the prose between them (Segments) is translated, by
// someone else beforehand, and looked up through Options.Prose.
package render

import (
	"net/url"
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
	// TenantName is the configured display name of the event's tenant;
	// "" shows the tenant's ID.
	TenantName string
	// Template is TemplateFull ("" too) or TemplateShort.
	Template string
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

// Compose builds the document of an event's notice in o.Language. For a
// language other than English it is the localized notice, and, unless
// o.Mode is ModeTranslated, Original holds the English notice that the
// formats show with it. The translation note says truthfully what
// happened to the prose: machine translated (or o.NoteKey's text), partly
// untranslated, or not translated at all.
func Compose(ev *model.Event, o Options) Doc {
	if isEnglish(o.Language) {
		return composeIn(ev, o, newTr("en", o))
	}
	l := newTr(o.Language, o)
	d := composeIn(ev, o, l)
	d.Language = l.lang
	d.Mode = o.Mode
	if d.Mode == "" {
		d.Mode = ModeBilingual
	}
	d.TranslationNote = l.translationNote(o.NoteKey)
	if d.Mode != ModeTranslated {
		orig := composeIn(ev, o, newTr("en", o))
		d.Original = &orig
		d.OriginalTitle = l.t("label.original")
	}
	return d
}

// translationNote is the note of a localized notice after its
// composition: what the lookups of its prose found.
func (l *tr) translationNote(noteKey string) string {
	switch {
	case l.hits > 0 && l.misses > 0:
		return sentences(l.t(or(noteKey, "note.translated")), l.t("note.partlyUntranslated"))
	case l.hits > 0:
		return l.t(or(noteKey, "note.translated"))
	case l.misses > 0:
		return l.t("note.notTranslated")
	}
	return ""
}

// sentences joins two sentences: with a space, unless the first ends in
// full-width punctuation (Japanese has no space between sentences).
func sentences(a, b string) string {
	if strings.HasSuffix(a, "。") || strings.HasSuffix(a, "）") {
		return a + b
	}
	return a + " " + b
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func composeIn(ev *model.Event, o Options, l *tr) Doc {
	var d Doc
	switch {
	case isSourceEvent(ev):
		d = composeSource(ev, o, l)
	case ev.Type == model.EventDigest:
		d = composeDigest(ev, l)
	case ev.Has(model.ChangeRemoved):
		d = composeRemoved(ev, o, l)
	case ev.Issue != nil:
		d = composeIssue(ev, ev.Issue, o, l)
	case ev.Message != nil:
		d = composeMessage(ev, ev.Message, o, l)
	case ev.Service != nil && len(ev.Items) > 0:
		d = composeServices(ev, o, l)
	case ev.Service != nil:
		d = composeService(ev, ev.Service, o, l)
	default:
		d = Doc{Subject: "[" + string(ev.Type) + "] " + ev.ItemID}
		d.Changes = l.changeLines(ev)
	}
	if d.Headline.ID == "" {
		d.Headline.ID = ev.ItemID
	}
	if d.Headline.Badge == "" {
		d.Headline.Badge = string(ev.Type)
		if strings.HasPrefix(d.Subject, "[") {
			if i := strings.Index(d.Subject, "] "); i > 0 {
				d.Headline.Badge = d.Subject[1:i]
			}
		}
	}
	if d.Headline.Tone == "" {
		d.Headline.Tone = ToneNeutral
	}
	if len(d.Links) == 0 && ev.Type != model.EventDigest && !isSourceEvent(ev) {
		d.Links = []Link{l.itemLink(ev, o)}
	}
	if len(d.Changes) > 0 {
		d.ChangesTitle = l.t("label.whatChanged")
	}
	if ev.Tenant != "" {
		d.Footer = l.f("footer", "tenant", tenantName(ev, o), "time", l.time(ev.DetectedAt))
	}
	if line := l.alsoIn(o.AlsoIn); line != "" {
		d.Footer = strings.TrimPrefix(d.Footer+"\n"+line, "\n")
	}
	d.Template = TemplateFull
	if o.Template == TemplateShort {
		d.Template = TemplateShort
		d.short(l, o)
	}
	return d
}

// shortChars is how much text the short template shows when no key fact
// summarizes it.
const shortChars = 500

// short turns a full document into the short template: the key facts,
// the services, what changed and the links; the text only when no key
// fact (the current status of an issue, Microsoft's summary of a post)
// summarizes it, cut to shortChars.
func (d *Doc) short(l *tr, o Options) {
	facts := d.Facts()
	summarized := false
	for _, f := range facts {
		switch f.Key {
		case "currentStatus", "finalStatus", "summary":
			summarized = true
		}
	}
	if len(facts) > 0 {
		d.Fields = facts
	}
	d.BodyHTML = ""
	if summarized {
		d.Blocks = nil
		return
	}
	max := shortChars
	if o.MaxPostChars > 0 {
		max = min(max, o.MaxPostChars)
	}
	if len(d.Blocks) > 1 {
		d.Blocks = d.Blocks[:1]
	}
	for i := range d.Blocks {
		d.Blocks[i].Text = l.truncate(d.Blocks[i].Text, max)
		d.Blocks[i].HTML = ""
	}
}

// tenantName is how a notice names the event's tenant: its configured
// name and its ID, or the ID alone.
func tenantName(ev *model.Event, o Options) string {
	name := strings.TrimSpace(o.TenantName)
	switch {
	case name == "" || name == ev.Tenant:
		return ev.Tenant
	case ev.Tenant == "":
		return name
	}
	return name + " (" + ev.Tenant + ")"
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

// statusSince is a status with the one it came from, when the event
// changed it: "Service restored ← Investigating".
func (l *tr) statusSince(ev *model.Event, status model.Status) string {
	s := l.name("status", string(status))
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeStatus && c.From != "" {
			s = l.f("punct.since", "to", s, "from", l.name("status", c.From))
		}
	}
	return s
}

// badge is the status in a subject's brackets: the wire spelling in
// English ("[serviceRestored]", as the seed notices write it), the
// catalog's word in another language.
func (l *tr) badge(s model.Status) string {
	if l.english() {
		return string(s)
	}
	return l.name("status", string(s))
}

func composeIssue(ev *model.Event, is *model.Issue, o Options, l *tr) Doc {
	title := l.quiet(oneLine(is.Title))
	service := l.name("service", is.Service)
	badge := l.badge(is.Status)
	d := Doc{Subject: join(" | ", "["+badge+"] "+is.ID, service, title)}
	d.Headline = Headline{Badge: badge, ID: is.ID, Service: service, Title: title, Tone: issueTone(is)}

	// The key facts, as Microsoft's emails put them.
	d.fact("status", l.t("label.status"), l.statusSince(ev, is.Status))
	d.fact("service", l.t("label.service"), service)
	if ev.Tenant != "" {
		d.fact("tenant", l.t("label.tenant"), tenantName(ev, o))
	}
	if impact := oneLine(is.ImpactDescription); impact != "" {
		d.fact("userImpact", l.t("label.userImpact"), l.text(impact))
	}
	if p, ok := is.LatestPost(); ok {
		pf := latestFacts(p)
		if pf.status != "" {
			key := "currentStatus"
			if pf.final {
				key = "finalStatus"
			}
			d.fact(key, l.t("label."+key), l.body(pf.status))
		}
		if pf.next != "" && is.Status.Active() && !is.IsResolved {
			if pf.nextAt.IsZero() {
				d.fact("nextUpdateBy", l.t("label.nextUpdateBy"), l.text(pf.next))
			} else {
				d.fact("nextUpdateBy", l.t("label.nextUpdateBy"), l.time(pf.nextAt))
			}
		}
	}

	d.add("classification", l.t("label.classification"), l.name("classification", string(is.Classification)))
	if is.Origin != "" && is.Origin != model.OriginMicrosoft {
		d.add("origin", l.t("label.origin"), l.name("origin", string(is.Origin)))
	}
	if is.FeatureGroup == is.Feature {
		d.add("feature", l.t("label.feature"), is.Feature) // the scenario and real data often repeat it
	} else {
		d.add("feature", l.t("label.feature"), join(" / ", is.FeatureGroup, is.Feature))
	}
	d.add("lastUpdated", l.t("label.lastUpdated"), l.time(is.LastModified))
	d.add("startTime", l.t("label.startTime"), l.time(is.Start))
	end := l.time(is.End)
	if is.End.IsZero() && is.Status.Active() && !is.IsResolved {
		end = l.t("value.ongoing")
	}
	d.add("endTime", l.t("label.endTime"), end)
	for _, kv := range is.Details {
		if k := strings.TrimSpace(kv.Name); k != "" && !strings.EqualFold(k, "NotifyInApp") {
			d.add("", k, htmltext.Excerpt(kv.Value, 300))
		}
	}

	d.Changes = l.changeLines(ev)
	d.services(ev.Items, l)
	english := l.english() && o.MaxPostChars <= 0
	for _, sp := range shownPosts(ev, is) {
		b := Block{Title: l.f(sp.key, "time", l.time(sp.post.Created)), Text: l.truncate(l.post(sp.post.Content), o.MaxPostChars)}
		if english && sp.post.ContentType != "text" && strings.TrimSpace(sp.post.Content) != "" {
			b.HTML = SanitizeHTML(sp.post.Content)
		}
		d.Blocks = append(d.Blocks, b)
	}
	d.Links = []Link{l.itemLink(ev, o)}
	if is.Status == model.StatusPostIncidentReviewPublished || ev.Has(model.ChangeIncidentReport) {
		d.Links = append(d.Links, Link{Key: "report", Label: l.t("link.report"), URL: adminCenter + "servicehealth/:/alerts/" + url.PathEscape(is.ID)})
	}
	return d
}

// issueTone is red while an incident is open, amber for an open advisory,
// green once it is over.
func issueTone(is *model.Issue) Tone {
	switch {
	case !is.Status.Active() || is.IsResolved:
		return ToneGood
	case is.Classification == model.ClassificationIncident:
		return ToneAttention
	}
	return ToneWarning
}

// postFacts are the key facts a post states.
type postFacts struct {
	status string    // the text of its "Current status:" or "Final status:"
	final  bool      // status is the final status
	next   string    // the text of its "Next update by:"
	nextAt time.Time // that date, when it is one
}

// latestFacts reads the current (or final) status and the next update of
// a post.
func latestFacts(p model.Post) postFacts {
	var f postFacts
	for _, s := range ParsePost(htmltext.Text(p.Content)) {
		switch s.Label {
		case "currentStatus", "finalStatus":
			if f.status == "" {
				f.status, f.final = s.Text, s.Label == "finalStatus"
			}
		case "nextUpdateBy":
			f.next, f.nextAt = s.Text, s.Time
		}
	}
	return f
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

// messageTone is red for a critical post, amber for a high one or one
// that asks for action by a date, blue otherwise.
func messageTone(m *model.Message) Tone {
	switch {
	case m.Severity == model.SeverityCritical:
		return ToneAttention
	case m.Severity == model.SeverityHigh || !m.ActionRequiredBy.IsZero():
		return ToneWarning
	}
	return ToneAccent
}

func composeMessage(ev *model.Event, m *model.Message, o Options, l *tr) Doc {
	tags := []string{l.name("category", string(m.Category)), l.name("severity", string(m.Severity))}
	if m.IsMajorChange {
		tags = append(tags, l.t("value.major"))
	}
	badge := join(" · ", tags...)
	services := strings.Join(l.names("service", m.Services), l.t("punct.listSep"))
	title := l.quiet(oneLine(m.Title))
	d := Doc{Subject: join(" | ", "["+badge+"] "+m.ID, services, title)}
	d.Headline = Headline{Badge: badge, ID: m.ID, Service: services, Title: title, Tone: messageTone(m)}
	det := messageDetails(m)

	d.fact("category", l.t("label.category"), l.name("category", string(m.Category)))
	d.fact("severity", l.t("label.severity"), l.name("severity", string(m.Severity)))
	d.fact("services", l.t("label.services"), services)
	if ev.Tenant != "" {
		d.fact("tenant", l.t("label.tenant"), tenantName(ev, o))
	}
	if !m.ActionRequiredBy.IsZero() {
		d.fact("actionRequiredBy", l.t("label.actionRequiredBy"), l.date(m.ActionRequiredBy))
	}
	if det.summary != "" {
		d.fact("summary", l.t("label.summary"), l.text(det.summary))
	}

	d.add("tags", l.t("label.tags"), strings.Join(l.names("tag", m.Tags), l.t("punct.listSep")))
	d.add("majorChange", l.t("label.majorChange"), l.yesNo(m.IsMajorChange))
	d.add("published", l.t("label.published"), l.time(m.Start))
	d.add("lastUpdated", l.t("label.lastUpdated"), l.time(m.LastModified))
	if !m.End.IsZero() {
		d.add("expires", l.t("label.expires"), l.time(m.End))
	}
	d.add("platforms", l.t("label.platforms"), det.platforms)
	if len(det.roadmap) > 0 {
		d.add("roadmap", l.t("label.roadmap"), strings.Join(det.roadmap, l.t("punct.listSep")))
	}
	d.add("featureStatus", l.t("label.featureStatus"), det.featureStatus)
	for _, kv := range det.other {
		d.add("", kv.Name, kv.Value)
	}
	if len(m.Attachments) > 0 {
		names := make([]string, 0, len(m.Attachments))
		for _, a := range m.Attachments {
			names = append(names, oneLine(a.Name))
		}
		d.add("attachments", l.t("label.attachments"), strings.Join(names, "; "))
	}
	if e := m.AttachmentsError; e != nil {
		d.add("attachments", l.t("label.attachments"), l.t("note.attachmentsUnavailable")+" ("+htmltext.Excerpt(e.Error, 160)+")")
	}

	d.Changes = l.changeLines(ev)
	d.Links = []Link{l.itemLink(ev, o)}
	if det.external != "" {
		d.Links = append(d.Links, Link{Key: "external", Label: l.t("link.external"), URL: det.external})
	}
	for _, id := range det.roadmap {
		d.Links = append(d.Links, Link{Key: "roadmap", Label: l.f("link.roadmap", "id", id), URL: RoadmapURL(id)})
	}

	secs := bodySections(m)
	if ev.Has(model.ChangeNew) {
		for _, s := range secs {
			title := ""
			if s.Heading != "" {
				title = l.text(s.Heading)
			}
			d.Blocks = append(d.Blocks, Block{Title: title, Text: l.truncate(l.body(s.Text), o.MaxPostChars)})
		}
		if l.english() && o.MaxPostChars <= 0 && m.BodyType != "text" && len(d.Blocks) > 0 {
			d.BodyHTML = SanitizeHTML(m.Body)
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

// serviceTone is green for a service that works, red otherwise.
func serviceTone(s model.Status) Tone {
	if s == model.StatusServiceOperational {
		return ToneGood
	}
	return ToneAttention
}

// fact adds a key fact, unless its value is empty.
func (d *Doc) fact(key, label, value string) {
	if value != "" {
		d.Fields = append(d.Fields, Field{Key: key, Label: label, Value: value, Fact: true})
	}
}

// add adds a field, unless its value is empty.
func (d *Doc) add(key, label, value string) {
	if value != "" {
		d.Fields = append(d.Fields, Field{Key: key, Label: label, Value: value})
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
