package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// MaxCardBytes is the size the Teams message (the whole JSON envelope) must
// stay under: Teams rejects messages over 28 KB.
const MaxCardBytes = 28000

// Caps that keep the fixed part of a card small, so that the budget goes to
// the post text.
const (
	maxCardFact  = 1000 // characters of a fact value
	maxCardTitle = 500  // characters of the title
)

// The card's JSON: small maps of our own keep the field order stable and the
// output readable.
type (
	cardEnvelope struct {
		Type        string           `json:"type"`
		Attachments []cardAttachment `json:"attachments"`
	}
	cardAttachment struct {
		ContentType string  `json:"contentType"`
		ContentURL  *string `json:"contentUrl"`
		Content     card    `json:"content"`
	}
	card struct {
		Schema  string        `json:"$schema"`
		Type    string        `json:"type"`
		Version string        `json:"version"`
		MSTeams cardMSTeams   `json:"msteams"`
		Body    []cardElement `json:"body"`
		Actions []cardAction  `json:"actions,omitempty"`
	}
	cardMSTeams struct {
		Width string `json:"width"`
	}
	cardElement struct {
		Type      string        `json:"type"`
		Text      string        `json:"text,omitempty"`
		Wrap      bool          `json:"wrap,omitempty"`
		Size      string        `json:"size,omitempty"`
		Weight    string        `json:"weight,omitempty"`
		Color     string        `json:"color,omitempty"`
		IsSubtle  bool          `json:"isSubtle,omitempty"`
		Spacing   string        `json:"spacing,omitempty"`
		Separator bool          `json:"separator,omitempty"`
		Style     string        `json:"style,omitempty"`
		Bleed     bool          `json:"bleed,omitempty"`
		Items     []cardElement `json:"items,omitempty"`
		Facts     []cardFact    `json:"facts,omitempty"`
	}
	cardFact struct {
		Title string `json:"title"`
		Value string `json:"value"`
	}
	cardAction struct {
		Type  string `json:"type"`
		Title string `json:"title"`
		URL   string `json:"url"`
	}
)

// Adaptive Card names of the tones: container styles and text colours.
var (
	cardStyle = map[Tone]string{ToneNeutral: "emphasis", ToneAccent: "accent", ToneGood: "good", ToneWarning: "warning", ToneAttention: "attention"}
	cardColor = map[Tone]string{ToneNeutral: "Default", ToneAccent: "Accent", ToneGood: "Good", ToneWarning: "Warning", ToneAttention: "Attention"}
)

// maxCardActions is how many links a card shows as buttons.
const maxCardActions = 5

// AdaptiveCard returns the Teams Workflows webhook envelope
// {"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{…}}]}
// holding an Adaptive Card of version 1.5 (the newest Teams renders) at full
// width, written from the notice's Doc (CardOf): a header styled by status
// or severity (badge, ID, service, title), a FactSet of the key facts, the
// services, the "what changed" list, a FactSet of the other fields, the new
// posts or MC sections as wrapped TextBlocks, and an Action.OpenUrl per
// link (the item's page in the Microsoft 365 admin center, or o.LinkURL,
// first). The JSON stays under MaxCardBytes: long text is cut at a
// paragraph (or, for one huge paragraph, a line or word; never inside a
// UTF-8 character) and ends with the line "… (continued in the admin
// center)".
//
// Teams reads TextBlocks and fact values as a small Markdown subset, so
// text that comes from the item (titles, service names, posts, MC
// sections, change lines, the footer) is escaped (cardText, cardParagraph):
// a "[admin center](https://evil.example)" in Microsoft's text or a title
// shows as typed, never as a link. The only links of the card are its own
// Action.OpenUrl buttons.
func AdaptiveCard(ev *model.Event, o Options) ([]byte, error) {
	if ev == nil {
		return nil, fmt.Errorf("render adaptive card: no event")
	}
	return CardOf(Compose(ev, o))
}

// factSet is a FactSet of fields.
func factSet(fs []Field) cardElement {
	el := cardElement{Type: "FactSet"}
	for _, f := range fs {
		el.Facts = append(el.Facts, cardFact{Title: cutRunes(f.Label, 100), Value: cardText(cutRunes(f.Value, maxCardFact))})
	}
	return el
}

// maxCardFactRunes is the longest value a FactSet shows; a longer one
// (a user impact, a current status) gets a labelled TextBlock of its own,
// because a FactSet squeezes its labels next to long values.
const maxCardFactRunes = 80

// factBlocks writes fields in order: runs of short values as FactSets, a
// long value as a bold label and a wrapped TextBlock.
func factBlocks(fs []Field) []cardElement {
	var out []cardElement
	var run []Field
	flush := func() {
		if len(run) > 0 {
			out = append(out, factSet(run))
			run = nil
		}
	}
	for _, f := range fs {
		if runes(f.Value) <= maxCardFactRunes && !strings.Contains(f.Value, "\n") {
			run = append(run, f)
			continue
		}
		flush()
		out = append(out,
			cardElement{Type: "TextBlock", Text: cardText(cutRunes(f.Label, 100)), Weight: "Bolder", Wrap: true, Spacing: "Small"},
			cardElement{Type: "TextBlock", Text: cardParagraph(cutRunes(f.Value, maxCardFact)), Wrap: true, Spacing: "None"})
	}
	flush()
	return out
}

// CardOf writes a Doc as the Teams message envelope of AdaptiveCard.
func CardOf(d Doc) ([]byte, error) {
	h := d.Headline
	head := []cardElement{{
		Type: "TextBlock", Text: cardText(strings.Join(nonEmpty(h.Badge, h.ID, h.Service), " · ")),
		Weight: "Bolder", Color: cardColor[h.Tone], Wrap: true,
	}}
	if h.Title != "" {
		head = append(head, cardElement{Type: "TextBlock", Text: cardText(cutRunes(h.Title, maxCardTitle)), Size: "Large", Weight: "Bolder", Wrap: true, Spacing: "Small"})
	}
	style := cardStyle[h.Tone]
	if style == "" {
		style = cardStyle[ToneNeutral]
	}
	fixed := []cardElement{{Type: "Container", Style: style, Bleed: true, Items: head}}
	var facts, rest []Field
	for _, f := range d.Fields {
		if f.Fact {
			facts = append(facts, f)
		} else {
			rest = append(rest, f)
		}
	}
	fixed = append(fixed, factBlocks(facts)...)
	if len(d.Services) > 0 {
		fixed = append(fixed, cardElement{Type: "TextBlock", Text: cardText(d.ServicesTitle), Weight: "Bolder", Wrap: true, Spacing: "Medium", Separator: true})
		fixed = append(fixed, factSet(d.Services))
	}
	if len(d.Changes) > 0 {
		lines := make([]string, len(d.Changes))
		for i, c := range d.Changes {
			lines[i] = cardText(c)
			if len(d.Fields) > 0 {
				lines[i] = "- " + lines[i]
			}
		}
		if len(d.Fields) > 0 {
			fixed = append(fixed, cardElement{Type: "TextBlock", Text: cardText(changesTitle(d)), Weight: "Bolder", Wrap: true, Spacing: "Medium", Separator: true})
		}
		fixed = append(fixed, cardElement{Type: "TextBlock", Text: cutRunes(strings.Join(lines, "\n"), 4*maxCardFact), Wrap: true, Spacing: "Small"})
	}
	if len(rest) > 0 {
		fs := factSet(rest)
		fs.Separator, fs.Spacing = true, "Medium"
		fixed = append(fixed, fs)
	}

	var tail []cardElement
	if d.Note != "" {
		tail = append(tail, cardElement{Type: "TextBlock", Text: cardParagraph(d.Note), Wrap: true, IsSubtle: true, Spacing: "Medium"})
	}
	if d.TranslationNote != "" {
		tail = append(tail, cardElement{Type: "TextBlock", Text: cardParagraph(d.TranslationNote), Wrap: true, IsSubtle: true, Size: "Small", Spacing: "Medium"})
	}
	if d.Footer != "" {
		tail = append(tail, cardElement{Type: "TextBlock", Text: cardParagraph(d.Footer), Wrap: true, IsSubtle: true, Size: "Small", Spacing: "Medium", Separator: true})
	}

	// The text blocks: a bold title, then one TextBlock per paragraph.
	var text []cardElement
	for _, bl := range d.Blocks {
		if bl.Title != "" {
			text = append(text, cardElement{Type: "TextBlock", Text: cardText(bl.Title), Weight: "Bolder", Wrap: true, Spacing: "Medium", Separator: true})
		}
		for _, p := range paragraphs(bl.Text) {
			text = append(text, cardElement{Type: "TextBlock", Text: cardParagraph(p), Wrap: true})
		}
	}

	c := card{
		Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.5",
		MSTeams: cardMSTeams{Width: "Full"},
	}
	for _, l := range d.Links[:min(len(d.Links), maxCardActions)] {
		c.Actions = append(c.Actions, cardAction{Type: "Action.OpenUrl", Title: cutRunes(l.Label, 100), URL: l.URL})
	}
	id := h.ID
	env := cardEnvelope{Type: "message", Attachments: []cardAttachment{{ContentType: "application/vnd.microsoft.card.adaptive"}}}
	build := func(body []cardElement) ([]byte, error) {
		c.Body = body
		env.Attachments[0].Content = c
		return marshal(env)
	}

	all := append(append(append([]cardElement(nil), fixed...), text...), tail...)
	out, err := build(all)
	if err != nil {
		return nil, fmt.Errorf("render adaptive card for %s: %w", id, err)
	}
	if len(out) < MaxCardBytes {
		return out, nil
	}

	// Too big: keep the fixed part, as many paragraphs as fit, and the line
	// that says where the rest is. Element sizes add up (plus one comma
	// each), so the budget is counted without re-encoding the whole card.
	more := cardElement{Type: "TextBlock", Text: continued(d), Wrap: true, IsSubtle: true, Spacing: "Medium"}
	base, err := build(append(append(append([]cardElement(nil), fixed...), more), tail...))
	if err != nil {
		return nil, fmt.Errorf("render adaptive card for %s: %w", id, err)
	}
	budget := MaxCardBytes - 1 - len(base)
	kept := []cardElement{}
	paras := 0 // paragraphs kept whole
	for _, el := range text {
		n, err := elementSize(el)
		if err != nil {
			return nil, fmt.Errorf("render adaptive card for %s: %w", id, err)
		}
		if n+1 <= budget {
			kept = append(kept, el)
			budget -= n + 1
			if el.Weight == "" {
				paras++
			}
			continue
		}
		// A text of several paragraphs is cut between them; the first
		// paragraph of one huge one is cut at a line or word, if enough
		// of it fits to be worth reading.
		empty, _ := elementSize(cardElement{Type: el.Type, Wrap: el.Wrap, Weight: el.Weight, Spacing: el.Spacing, Separator: el.Separator})
		if room := budget - 1 - empty - 8; room > 200 && paras == 0 {
			el.Text = cutText(el.Text, room, jsonStringSize)
			if el.Text != "" {
				kept = append(kept, el)
			}
		}
		break
	}
	out, err = build(append(append(append(append([]cardElement(nil), fixed...), kept...), more), tail...))
	if err != nil {
		return nil, fmt.Errorf("render adaptive card for %s: %w", id, err)
	}
	if len(out) >= MaxCardBytes {
		return nil, fmt.Errorf("render adaptive card for %s: %d bytes even after cutting the text", id, len(out))
	}
	return out, nil
}

// marshal encodes v without HTML escaping (Teams and Slack do not need
// "\u003c" for "<", and the result is smaller and readable).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func elementSize(el cardElement) (int, error) {
	b, err := marshal(el)
	return len(b), err
}

// jsonStringSize is the encoded size of s as a JSON string (with quotes).
func jsonStringSize(s string) int {
	b, err := marshal(s)
	if err != nil {
		return len(s) * 6
	}
	return len(b)
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// cardInline is what Teams' Markdown reads inside a line: links and images
// ([text](url), ![alt](url), [text][ref]), emphasis (*, _, ~~), code (`)
// and the backslash that escapes them. Parentheses are left alone: without
// a "]" before them they make no link, and they are everywhere in
// Microsoft's text ("(Updated)").
var cardInline = strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`")

// cardURLBrackets keeps a URL in the text a URL (Teams links it as it is)
// while a bracket in it can no longer open or close a Markdown link.
var cardURLBrackets = strings.NewReplacer("[", "%5B", "]", "%5D")

// cardEscapeInline escapes the inline Markdown of s, leaving the http(s)
// URLs in it intact but for their brackets: a backslash inside a URL would
// end up in the link.
func cardEscapeInline(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range urlPattern.FindAllStringIndex(s, -1) {
		b.WriteString(cardInline.Replace(s[last:m[0]]))
		b.WriteString(cardURLBrackets.Replace(s[m[0]:m[1]]))
		last = m[1]
	}
	b.WriteString(cardInline.Replace(s[last:]))
	return b.String()
}

// cardBlockMarker matches what Markdown reads at the start of a line as a
// heading, quote, list item or rule: "#", ">", "-", "+", "=", "1." or "1)".
var cardBlockMarker = regexp.MustCompile(`^([ \t]*)([#>+=-]|[0-9]+[.)])`)

// cardText escapes one piece of text from an item for a TextBlock or a
// fact value: the inline Markdown, and on every line what would make the
// line a heading, quote or list item.
func cardText(s string) string {
	lines := strings.Split(cardEscapeInline(s), "\n")
	for i, l := range lines {
		lines[i] = escapeBlockMarker(l)
	}
	return strings.Join(lines, "\n")
}

// cardParagraph escapes a paragraph of text converted from Microsoft's
// HTML (htmltext): like cardText, except that the "- " and "1. " list
// items the conversion writes for <ul> and <ol> stay lists.
func cardParagraph(s string) string {
	lines := strings.Split(cardEscapeInline(s), "\n")
	for i, l := range lines {
		if m := listItem.FindStringSubmatch(l); m != nil {
			continue
		}
		lines[i] = escapeBlockMarker(l)
	}
	return strings.Join(lines, "\n")
}

// escapeBlockMarker puts a backslash before the marker a line starts with:
// "\# x", "1\. x".
func escapeBlockMarker(l string) string {
	m := cardBlockMarker.FindStringSubmatchIndex(l)
	if m == nil {
		return l
	}
	at := m[5] - 1 // the marker's last character: "#", "-", "." or ")"
	return l[:at] + `\` + l[at:]
}
