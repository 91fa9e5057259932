package render

// Doc is one notice, composed once by Compose in the reader's language and
// time zone. Every format writes this same value: Text, Markdown, HTML (the
// email), AdaptiveCard (Teams), SlackBlocks, and the JSON of the webhook
// and file channels (Doc encodes as JSON with the tags below), so that no
// format can forget a field. Everything in it is display text: labels,
// enum values (statuses, categories, severities, tags), service names,
// dates and Microsoft's prose are localized already; a format only lays it
// out and escapes it for its medium.
//
// The parts, in the order every format shows them:
//
//   - Subject: the one-line header (email subject, the first line of a
//     chat message, a feed title).
//   - Headline: badge, ID, service, title and tone of the rich formats.
//   - Fields: the key facts first (Field.Fact), as Microsoft's own emails
//     put them: status, service, tenant, user impact, current status, next
//     update by for an issue; category, severity, services, tenant, action
//     required by and Microsoft's summary for a Message Center post; then
//     the other labelled fields (classification, feature, dates, tags,
//     roadmap, platforms, attachments). The short template keeps the facts
//     only.
//   - Services: the services whose status changed with this notice (a
//     service status notice, or the flips an incident caused).
//   - Changes: the "What changed" lines.
//   - Blocks: the text: the new or edited posts, the Message Center body
//     or the sections that changed.
//   - Links: the item in the Microsoft 365 admin center (or the link of
//     Options.LinkURL) first, then the post-incident report, Microsoft's
//     external link and Microsoft 365 Roadmap items.
//   - Note, TranslationNote, Footer.
//
// A notice in another language than English may carry the English notice
// as Original (Mode bilingual or side-by-side).
type Doc struct {
	// Subject is the one-line header: "[serviceRestored] EX559755 |
	// Exchange Online | …". An English issue keeps the wire status in its
	// brackets, as the seed notices do; everything else is friendly text.
	Subject string `json:"subject"`
	// Headline is the top of the rich formats.
	Headline Headline `json:"headline"`
	// Fields are the labelled facts, key facts (Fact) first, in display
	// order.
	Fields []Field `json:"fields,omitempty"`
	// ServicesTitle is the heading of Services ("Service status").
	ServicesTitle string `json:"servicesTitle,omitempty"`
	// Services are the services whose status changed, one Field each:
	// Label the service, Value its status ("Service degradation ←
	// Service operational").
	Services []Field `json:"services,omitempty"`
	// ChangesTitle is the heading of Changes ("What changed").
	ChangesTitle string `json:"changesTitle,omitempty"`
	// Changes are the "What changed" lines.
	Changes []string `json:"changes,omitempty"`
	// Blocks are titled texts: new posts, Message Center body sections.
	Blocks []Block `json:"blocks,omitempty"`
	// BodyHTML is Microsoft's whole Message Center body, sanitized, when
	// the notice shows that body unchanged in its original language (a new
	// post in English): a format that shows HTML shows it instead of
	// Blocks. "" otherwise.
	BodyHTML string `json:"-"`
	// Links are where to read more: Links[0] is the item's page (in the
	// Microsoft 365 admin center, or Options.LinkURL).
	Links []Link `json:"links,omitempty"`
	// Note is a closing remark such as "The rest of the message is
	// unchanged."
	Note string `json:"note,omitempty"`
	// TranslationNote says truthfully where the prose of a localized
	// notice comes from: machine translated, partly untranslated, or not
	// translated at all; "" for English and when there is no prose.
	TranslationNote string `json:"translationNote,omitempty"`
	// Footer names the tenant and the detection time.
	Footer string `json:"footer,omitempty"`
	// Language is the catalog language of the Doc's words ("" = English).
	Language string `json:"language,omitempty"`
	// Mode is the Options.Mode of a localized Doc (ModeBilingual when none
	// was given); "" for English.
	Mode string `json:"mode,omitempty"`
	// Template is TemplateFull or TemplateShort.
	Template string `json:"template"`
	// OriginalTitle heads the original of a bilingual notice ("Original
	// (English)").
	OriginalTitle string `json:"originalTitle,omitempty"`
	// Original is the English notice to show with a localized one
	// (ModeBilingual, ModeSideBySide); nil otherwise.
	Original *Doc `json:"original,omitempty"`
}

// The templates of a notice (Options.Template).
const (
	// TemplateFull shows everything: key facts, the other fields, what
	// changed and the whole text of the new posts or sections.
	TemplateFull = "full"
	// TemplateShort shows the key facts, what changed and the links: for
	// chat. The text is shown (cut) only when no key fact summarizes it.
	TemplateShort = "short"
)

// Headline is the top of a notice in the rich formats: a coloured badge
// with the status (or the Message Center category and severity), the
// item's ID, its service and its title, all in the reader's language.
type Headline struct {
	// Badge is the status or the category/severity, as the subject's
	// brackets show it.
	Badge   string `json:"badge"`
	ID      string `json:"id"`
	Service string `json:"service,omitempty"`
	Title   string `json:"title,omitempty"`
	Tone    Tone   `json:"tone"`
}

// Tone says how a notice should look: red while something is broken, amber
// for advisories and important announcements, green when it is over.
type Tone string

// The tones.
const (
	ToneNeutral   Tone = "neutral"
	ToneAccent    Tone = "accent"
	ToneGood      Tone = "good"
	ToneWarning   Tone = "warning"
	ToneAttention Tone = "attention"
)

// Field is one labelled value.
type Field struct {
	// Key names the field independently of the language ("status",
	// "service", "tenant", "userImpact", "currentStatus", "nextUpdateBy",
	// "category", "actionRequiredBy", "summary", "roadmap", …); "" for a
	// field without a fixed meaning.
	Key   string `json:"key,omitempty"`
	Label string `json:"label"`
	Value string `json:"value"`
	// Fact marks a key fact: shown first, and kept by the short template.
	Fact bool `json:"fact,omitempty"`
}

// Block is a text with an optional title; Text is plain text with "\n"
// line breaks and "- " list items.
type Block struct {
	Title string `json:"title,omitempty"`
	Text  string `json:"text"`
	// HTML is Microsoft's HTML of the same text, sanitized (SanitizeHTML),
	// when the block shows a whole post in its original language; ""
	// otherwise. A format that shows HTML prefers it to Text.
	HTML string `json:"-"`
}

// Link is a place to read more about the item.
type Link struct {
	// Key is "item" (the item's page), "report" (the post-incident
	// report), "external" (Microsoft's link in the post's details) or
	// "roadmap" (a Microsoft 365 Roadmap item).
	Key   string `json:"key"`
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Facts returns the key facts of d, in order.
func (d Doc) Facts() []Field {
	var out []Field
	for _, f := range d.Fields {
		if f.Fact {
			out = append(out, f)
		}
	}
	return out
}

// Field returns the value of the field with key k, or "".
func (d Doc) Field(k string) string {
	for _, f := range d.Fields {
		if f.Key == k {
			return f.Value
		}
	}
	return ""
}

// ItemLink returns Links[0], the item's page, or the zero Link.
func (d Doc) ItemLink() Link {
	if len(d.Links) == 0 {
		return Link{}
	}
	return d.Links[0]
}
