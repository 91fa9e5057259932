package render

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	cardStyle = map[tone]string{toneNeutral: "emphasis", toneAccent: "accent", toneGood: "good", toneWarning: "warning", toneAttention: "attention"}
	cardColor = map[tone]string{toneNeutral: "Default", toneAccent: "Accent", toneGood: "Good", toneWarning: "Warning", toneAttention: "Attention"}
)

// AdaptiveCard returns the Teams Workflows webhook envelope
// {"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{…}}]}
// holding an Adaptive Card of version 1.5 (the newest Teams renders) at full
// width: a header styled by status or severity (badge, ID, service, title),
// a FactSet of the fields, the "what changed" list, the new posts or MC
// sections as wrapped TextBlocks, and an Action.OpenUrl to o.LinkURL or else
// the item's page in the Microsoft 365 admin center. The JSON stays under
// MaxCardBytes: long text is cut at a paragraph (or, for one huge
// paragraph, a line or word; never inside a UTF-8 character) and ends with
// the line "… (continued in the admin center)". Text is passed as it is
// (Teams reads a TextBlock as a small Markdown subset).
func AdaptiveCard(ev *model.Event, o Options) ([]byte, error) {
	if ev == nil {
		return nil, fmt.Errorf("render adaptive card: no event")
	}
	d := Compose(ev, o)
	h := headlineOf(ev, d)

	head := []cardElement{{
		Type: "TextBlock", Text: strings.Join(nonEmpty(h.Badge, h.ID, h.Service), " · "),
		Weight: "Bolder", Color: cardColor[h.Tone], Wrap: true,
	}}
	if h.Title != "" {
		head = append(head, cardElement{Type: "TextBlock", Text: cutRunes(h.Title, maxCardTitle), Size: "Large", Weight: "Bolder", Wrap: true, Spacing: "Small"})
	}
	fixed := []cardElement{{Type: "Container", Style: cardStyle[h.Tone], Bleed: true, Items: head}}
	if len(d.Fields) > 0 {
		fs := cardElement{Type: "FactSet"}
		for _, f := range d.Fields {
			fs.Facts = append(fs.Facts, cardFact{Title: cutRunes(f.Label, 100), Value: cutRunes(f.Value, maxCardFact)})
		}
		fixed = append(fixed, fs)
	}
	if len(d.Changes) > 0 {
		lines := make([]string, len(d.Changes))
		for i, c := range d.Changes {
			lines[i] = c
			if len(d.Fields) > 0 {
				lines[i] = "- " + c
			}
		}
		if len(d.Fields) > 0 {
			fixed = append(fixed, cardElement{Type: "TextBlock", Text: "What changed", Weight: "Bolder", Wrap: true, Spacing: "Medium", Separator: true})
		}
		fixed = append(fixed, cardElement{Type: "TextBlock", Text: cutRunes(strings.Join(lines, "\n"), 4*maxCardFact), Wrap: true, Spacing: "Small"})
	}

	var tail []cardElement
	if d.Note != "" {
		tail = append(tail, cardElement{Type: "TextBlock", Text: d.Note, Wrap: true, IsSubtle: true, Spacing: "Medium"})
	}
	if d.Footer != "" {
		tail = append(tail, cardElement{Type: "TextBlock", Text: d.Footer, Wrap: true, IsSubtle: true, Size: "Small", Spacing: "Medium", Separator: true})
	}

	// The text blocks: a bold title, then one TextBlock per paragraph.
	var text []cardElement
	for _, bl := range d.Blocks {
		if bl.Title != "" {
			text = append(text, cardElement{Type: "TextBlock", Text: bl.Title, Weight: "Bolder", Wrap: true, Spacing: "Medium", Separator: true})
		}
		for _, p := range paragraphs(bl.Text) {
			text = append(text, cardElement{Type: "TextBlock", Text: p, Wrap: true})
		}
	}

	c := card{
		Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.5",
		MSTeams: cardMSTeams{Width: "Full"},
		Actions: []cardAction{{Type: "Action.OpenUrl", Title: linkLabel(o), URL: linkOf(ev, o)}},
	}
	env := cardEnvelope{Type: "message", Attachments: []cardAttachment{{ContentType: "application/vnd.microsoft.card.adaptive"}}}
	build := func(body []cardElement) ([]byte, error) {
		c.Body = body
		env.Attachments[0].Content = c
		return marshal(env)
	}

	all := append(append(append([]cardElement(nil), fixed...), text...), tail...)
	out, err := build(all)
	if err != nil {
		return nil, fmt.Errorf("render adaptive card for %s: %w", ev.ItemID, err)
	}
	if len(out) < MaxCardBytes {
		return out, nil
	}

	// Too big: keep the fixed part, as many paragraphs as fit, and the line
	// that says where the rest is. Element sizes add up (plus one comma
	// each), so the budget is counted without re-encoding the whole card.
	more := cardElement{Type: "TextBlock", Text: continued, Wrap: true, IsSubtle: true, Spacing: "Medium"}
	base, err := build(append(append(append([]cardElement(nil), fixed...), more), tail...))
	if err != nil {
		return nil, fmt.Errorf("render adaptive card for %s: %w", ev.ItemID, err)
	}
	budget := MaxCardBytes - 1 - len(base)
	kept := []cardElement{}
	for _, el := range text {
		n, err := elementSize(el)
		if err != nil {
			return nil, fmt.Errorf("render adaptive card for %s: %w", ev.ItemID, err)
		}
		if n+1 <= budget {
			kept = append(kept, el)
			budget -= n + 1
			continue
		}
		// The first paragraph that does not fit is cut at a line or word,
		// if enough of it fits to be worth reading.
		empty, _ := elementSize(cardElement{Type: el.Type, Wrap: el.Wrap, Weight: el.Weight, Spacing: el.Spacing, Separator: el.Separator})
		if room := budget - 1 - empty - 8; room > 200 {
			el.Text = cutText(el.Text, room, jsonStringSize)
			if el.Text != "" {
				kept = append(kept, el)
			}
		}
		break
	}
	out, err = build(append(append(append(append([]cardElement(nil), fixed...), kept...), more), tail...))
	if err != nil {
		return nil, fmt.Errorf("render adaptive card for %s: %w", ev.ItemID, err)
	}
	if len(out) >= MaxCardBytes {
		return nil, fmt.Errorf("render adaptive card for %s: %d bytes even after cutting the text", ev.ItemID, len(out))
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
