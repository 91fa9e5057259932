package render

import (
	"fmt"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// Block Kit limits (docs.slack.dev, "Reference: blocks"), counted in
// characters.
const (
	SlackMaxBlocks      = 50
	SlackMaxSectionText = 3000
	SlackMaxHeader      = 150
	SlackMaxFields      = 10
	SlackMaxFieldText   = 2000
	// SlackMaxTotal budgets the text of all blocks together: Slack answers
	// msg_blocks_too_long at about 13,200 characters even when every block
	// is within its own limit (slackapi/bolt-js #2509).
	SlackMaxTotal = 12000
	// slackMaxFallback caps the top-level "text" (the notification line).
	slackMaxFallback = 3000
)

type (
	slackMessage struct {
		Text   string       `json:"text"`
		Blocks []slackBlock `json:"blocks"`
	}
	slackBlock struct {
		Type     string        `json:"type"`
		Text     *slackText    `json:"text,omitempty"`
		Fields   []slackText   `json:"fields,omitempty"`
		Elements []slackObject `json:"elements,omitempty"`
	}
	slackText struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	// slackObject is a context element (a text) or an actions element (a
	// link button).
	slackObject struct {
		Type string `json:"type"`
		Text any    `json:"text,omitempty"`
		URL  string `json:"url,omitempty"`
	}
)

// slackEscape escapes the three characters mrkdwn reserves.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// SlackBlocks returns the chat.postMessage / incoming-webhook payload
// {"text": fallback, "blocks": [...]} within Block Kit's limits: at most 50
// blocks, section text ≤ 3,000 characters, header ≤ 150, at most 10 fields
// per section of ≤ 2,000 each, and SlackMaxTotal characters in all. Text,
// the top-level text included, is mrkdwn with &, < and > escaped (so that
// no item text becomes a mention such as <!channel> or a link); long text is cut at paragraph boundaries
// (a line or word for one huge paragraph) and ends with "… (continued in the
// admin center)" linked to the item.
func SlackBlocks(ev *model.Event, o Options) ([]byte, error) {
	if ev == nil {
		return nil, fmt.Errorf("render slack blocks: no event")
	}
	return SlackOf(Compose(ev, o))
}

// slackMaxButtons is how many links a message shows as buttons.
const slackMaxButtons = 5

// SlackOf writes a Doc as the Slack payload of SlackBlocks.
func SlackOf(d Doc) ([]byte, error) {
	h := d.Headline
	link := d.ItemLink().URL
	e := slackEscape.Replace

	// The top-level text is mrkdwn too (the notification and the fallback):
	// escaped like the blocks, so that "<!channel>" or "<https://evil|x>"
	// in a title stays text.
	msg := slackMessage{Text: trimEntity(cutRunes(e(oneLine(d.Subject)), slackMaxFallback))}
	total := 0
	add := func(b slackBlock, size int) {
		msg.Blocks = append(msg.Blocks, b)
		total += size
	}
	mrkdwn := func(s string) *slackText { return &slackText{Type: "mrkdwn", Text: s} }

	// Header: the title (or the subject for items without one), then the
	// badge line as context.
	title := h.Title
	if title == "" {
		title = oneLine(d.Subject)
	}
	title = cutRunes(title, SlackMaxHeader)
	add(slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: title}}, runes(title))
	badge := "*" + e(h.Badge) + "* · " + e(strings.Join(nonEmpty(h.ID, h.Service), " · "))
	badge = cutRunes(badge, SlackMaxSectionText)
	add(slackBlock{Type: "context", Elements: []slackObject{{Type: "mrkdwn", Text: badge}}}, runes(badge))

	// Fields, ten to a section: the key facts, then the services (under
	// their title), then, after what changed, the other fields.
	fields := func(all []Field, title string) {
		for i := 0; i < len(all); i += SlackMaxFields {
			var fs []slackText
			size := 0
			for _, f := range all[i:min(i+SlackMaxFields, len(all))] {
				t := cutRunes("*"+e(f.Label)+"*\n"+e(f.Value), SlackMaxFieldText)
				fs = append(fs, slackText{Type: "mrkdwn", Text: t})
				size += runes(t)
			}
			b := slackBlock{Type: "section", Fields: fs}
			if i == 0 && title != "" {
				t := cutRunes("*"+e(title)+"*", SlackMaxSectionText)
				b.Text = mrkdwn(t)
				size += runes(t)
			}
			add(b, size)
		}
	}
	var facts, rest []Field
	for _, f := range d.Fields {
		if f.Fact {
			facts = append(facts, f)
		} else {
			rest = append(rest, f)
		}
	}
	fields(facts, "")
	fields(d.Services, d.ServicesTitle)

	if len(d.Changes) > 0 {
		var lines []string
		for _, c := range d.Changes {
			if len(d.Fields) > 0 {
				lines = append(lines, "• "+e(c))
			} else {
				lines = append(lines, e(c))
			}
		}
		t := strings.Join(lines, "\n")
		if len(d.Fields) > 0 {
			t = "*" + e(changesTitle(d)) + "*\n" + t
		}
		t = cutRunes(t, SlackMaxSectionText)
		add(slackBlock{Type: "section", Text: mrkdwn(t)}, runes(t))
	}
	fields(rest, "")

	// The closing blocks are reserved before the text gets the rest.
	var tail []slackBlock
	tailSize := 0
	if d.Note != "" {
		t := cutRunes("_"+e(d.Note)+"_", SlackMaxSectionText)
		tail = append(tail, slackBlock{Type: "context", Elements: []slackObject{{Type: "mrkdwn", Text: t}}})
		tailSize += runes(t)
	}
	if len(d.Links) > 0 {
		var buttons []slackObject
		for _, l := range d.Links[:min(len(d.Links), slackMaxButtons)] {
			label := cutRunes(l.Label, 75)
			buttons = append(buttons, slackObject{Type: "button", Text: slackText{Type: "plain_text", Text: label}, URL: l.URL})
			tailSize += runes(label)
		}
		tail = append(tail, slackBlock{Type: "actions", Elements: buttons})
	}
	if d.TranslationNote != "" {
		t := cutRunes(e(d.TranslationNote), SlackMaxSectionText)
		tail = append(tail, slackBlock{Type: "context", Elements: []slackObject{{Type: "mrkdwn", Text: t}}})
		tailSize += runes(t)
	}
	if d.Footer != "" {
		t := cutRunes(e(d.Footer), SlackMaxSectionText)
		tail = append(tail, slackBlock{Type: "context", Elements: []slackObject{{Type: "mrkdwn", Text: t}}})
		tailSize += runes(t)
	}
	more := "_" + e(continued(d)) + "_"
	if link != "" && len(link) < 2000 {
		more = "<" + link + "|" + e(continued(d)) + ">"
	}
	reserve := runes(more)

	// Text blocks: a section per block, paragraphs packed up to the section
	// limit; stop (and say so) when the blocks or the characters run out.
	cut := false
	room := func() int { return SlackMaxTotal - total - tailSize - reserve }
	blocksLeft := func() int { return SlackMaxBlocks - len(msg.Blocks) - len(tail) - 1 }
	var cur []string
	curSize := 0
	flush := func() {
		if len(cur) > 0 {
			t := strings.Join(cur, "\n\n")
			add(slackBlock{Type: "section", Text: mrkdwn(t)}, runes(t))
			cur, curSize = nil, 0
		}
	}
text:
	for _, bl := range d.Blocks {
		paras := paragraphs(bl.Text)
		if bl.Title != "" {
			if len(paras) > 0 {
				paras[0] = "*" + e(bl.Title) + "*\n" + e(paras[0])
			} else {
				paras = []string{"*" + e(bl.Title) + "*"}
			}
			for k := 1; k < len(paras); k++ {
				paras[k] = e(paras[k])
			}
		} else {
			for k := range paras {
				paras[k] = e(paras[k])
			}
		}
		flush() // each titled block starts its own section
		for _, p := range paras {
			// A paragraph longer than a section continues in the next one,
			// cut at a line or word; each round adds text or stops.
			for round := 0; p != "" && round < SlackMaxBlocks; round++ {
				n := runes(p)
				sep := 0
				if len(cur) > 0 {
					sep = 2
				}
				if len(cur) == 0 && blocksLeft() < 1 {
					cut = true
					break text
				}
				fit := min(SlackMaxSectionText, room()) - curSize - sep
				if n <= fit {
					cur = append(cur, p)
					curSize += sep + n
					break
				}
				if len(cur) > 0 && n <= min(SlackMaxSectionText, room()) {
					flush() // fits whole in a section of its own
					continue
				}
				if fit < 200 {
					if len(cur) > 0 && room() >= 400 {
						flush()
						continue
					}
					cut = true
					break text
				}
				piece := trimEntity(cutText(p, fit, runes))
				if piece == "" {
					cut = true
					break text
				}
				cur = append(cur, piece)
				curSize += sep + runes(piece)
				p = strings.TrimLeft(p[len(piece):], " \t\n")
				flush()
			}
		}
	}
	flush()
	if cut {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "context", Elements: []slackObject{{Type: "mrkdwn", Text: more}}})
	}
	msg.Blocks = append(msg.Blocks, tail...)
	out, err := marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("render slack blocks for %s: %w", h.ID, err)
	}
	return out, nil
}

// trimEntity drops an escape sequence ("&amp;") that a cut has split.
func trimEntity(s string) string {
	if i := strings.LastIndexByte(s, '&'); i >= 0 && !strings.Contains(s[i:], ";") {
		return strings.TrimRight(s[:i], " \t\n")
	}
	return s
}
