package render

import (
	"html"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/shdmc/shdmc/internal/model"
)

// HTML renders an email body: a complete, self-contained HTML document
// (inline styles only, no external resources, no scripts) and the plain-text
// alternative, both written from the notice's Doc (HTMLOf). Microsoft's HTML
// (MC bodies, posts) is shown only where the notice shows Microsoft's text
// in its original language, sanitized with bluemonday (a UGC-like policy:
// no script/style/iframe/on* handlers or javascript: URLs; links get
// rel="noopener"; images only over https); a localized notice shows its
// localized text. Subject is the one-line subject (UTF-8; the mailer
// encodes it). A nil event renders as nothing.
func HTML(ev *model.Event, o Options) (subject, html, text string) {
	if ev == nil {
		return "", "", ""
	}
	d := Compose(ev, o)
	html, text = HTMLOf(d)
	return oneLine(d.Subject), html, text
}

// HTMLOf writes a Doc as an email: the HTML document and its plain-text
// alternative.
func HTMLOf(d Doc) (html, text string) {
	return htmlDoc(d), plainAlternative(d)
}

// plainAlternative is Text(d): the links come before the footer.
func plainAlternative(d Doc) string { return Text(d) }

// Colours of the tones (Fluent UI palette, readable on white).
var toneColor = map[Tone]string{
	ToneNeutral:   "#605e5c",
	ToneAccent:    "#0f6cbd",
	ToneGood:      "#107c10",
	ToneWarning:   "#8a6d00",
	ToneAttention: "#c50f1f",
}

const (
	fontStack  = `'Segoe UI',-apple-system,Helvetica,Arial,'Hiragino Kaku Gothic ProN','Hiragino Sans',Meiryo,'IPAGothic',sans-serif`
	styleBody  = "margin:0;padding:0;background:#f3f2f1;"
	styleSheet = "max-width:760px;margin:0 auto;padding:20px 24px;background:#ffffff;color:#242424;font-family:" + fontStack + ";font-size:14px;line-height:1.5;"
	styleH2    = "font-size:15px;font-weight:600;margin:20px 0 6px 0;"
	styleLabel = "text-align:left;vertical-align:top;padding:2px 16px 2px 0;color:#616161;font-weight:600;white-space:nowrap;"
	styleValue = "vertical-align:top;padding:2px 0;"
	styleLink  = "color:#0f6cbd;"
	styleSmall = "font-size:12px;color:#616161;"
	styleFacts = "border-collapse:collapse;margin:0 0 8px 0;"
)

// htmlLang is the lang attribute of a Doc's language.
func htmlLang(d Doc) string {
	if d.Language == "" {
		return "en"
	}
	return d.Language
}

func htmlDoc(d Doc) string {
	e := html.EscapeString
	h := d.Headline
	color := toneColor[h.Tone]
	if color == "" {
		color = toneColor[ToneNeutral]
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"" + e(htmlLang(d)) + "\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<title>" + e(oneLine(d.Subject)) + "</title>\n</head>\n")
	b.WriteString("<body style=\"" + styleBody + "\">\n<div style=\"" + styleSheet + "\">\n")

	b.WriteString("<div style=\"border-left:6px solid " + color + ";padding:4px 0 4px 12px;margin:0 0 16px 0;\">\n")
	b.WriteString("<div style=\"font-size:13px;\"><span style=\"display:inline-block;padding:1px 8px;border-radius:3px;color:#ffffff;background:" +
		color + ";font-weight:600;\">" + e(h.Badge) + "</span> <strong>" + e(h.ID) + "</strong>")
	if h.Service != "" {
		b.WriteString(" · " + e(h.Service))
	}
	b.WriteString("</div>\n")
	if h.Title != "" {
		b.WriteString("<h1 style=\"font-size:20px;line-height:1.3;font-weight:600;margin:6px 0 0 0;\">" + e(h.Title) + "</h1>\n")
	}
	b.WriteString("</div>\n")
	htmlBody(&b, d, true)
	if d.Original != nil {
		o := *d.Original
		o.Links, o.Footer = nil, ""
		b.WriteString("<div style=\"margin:24px 0 0 0;padding-top:8px;border-top:2px solid #e0e0e0;\" lang=\"en\">\n")
		b.WriteString("<h2 style=\"" + styleH2 + "color:#616161;\">" + e(originalTitle(d)) + "</h2>\n")
		b.WriteString("<p style=\"margin:0 0 8px 0;font-weight:600;\">" + e(oneLine(o.Subject)) + "</p>\n")
		htmlBody(&b, o, false)
		b.WriteString("</div>\n")
	}
	if d.Footer != "" {
		b.WriteString("<p style=\"margin:16px 0 0 0;padding-top:8px;border-top:1px solid #e0e0e0;" + styleSmall + "\">" + e(d.Footer) + "</p>\n")
	}
	b.WriteString("</div>\n</body>\n</html>\n")
	return b.String()
}

// htmlFields writes fields as a table of labels and values.
func htmlFields(b *strings.Builder, fs []Field) {
	e := html.EscapeString
	b.WriteString("<table role=\"presentation\" style=\"" + styleFacts + "\">\n")
	for _, f := range fs {
		v := strings.ReplaceAll(e(f.Value), "\n", "<br>\n")
		b.WriteString("<tr><th scope=\"row\" style=\"" + styleLabel + "\">" + e(f.Label) + "</th><td style=\"" + styleValue + "\">" + v + "</td></tr>\n")
	}
	b.WriteString("</table>\n")
}

// htmlBody writes a Doc below its headline: key facts, services, what
// changed, the other fields, the text, the note and (with links) the
// links and the translation note.
func htmlBody(b *strings.Builder, d Doc, links bool) {
	e := html.EscapeString
	var facts, rest []Field
	for _, f := range d.Fields {
		if f.Fact {
			facts = append(facts, f)
		} else {
			rest = append(rest, f)
		}
	}
	if len(facts) > 0 {
		htmlFields(b, facts)
	}
	if len(d.Services) > 0 {
		b.WriteString("<h2 style=\"" + styleH2 + "\">" + e(d.ServicesTitle) + "</h2>\n")
		htmlFields(b, d.Services)
	}
	if len(d.Changes) > 0 {
		if len(d.Fields) > 0 {
			b.WriteString("<h2 style=\"" + styleH2 + "\">" + e(changesTitle(d)) + "</h2>\n<ul style=\"margin:0;padding-left:22px;\">\n")
			for _, c := range d.Changes {
				b.WriteString("<li>" + linkify(c) + "</li>\n")
			}
			b.WriteString("</ul>\n")
		} else {
			for _, c := range d.Changes {
				b.WriteString("<p style=\"margin:8px 0;\">" + linkify(c) + "</p>\n")
			}
		}
	}
	if len(rest) > 0 {
		b.WriteString("<div style=\"margin:16px 0 0 0;\">\n")
		htmlFields(b, rest)
		b.WriteString("</div>\n")
	}
	if d.BodyHTML != "" {
		b.WriteString("<div style=\"margin:16px 0 8px 0;overflow-wrap:break-word;\">\n" + d.BodyHTML + "\n</div>\n")
	} else {
		for _, bl := range d.Blocks {
			if bl.Title != "" {
				b.WriteString("<h2 style=\"" + styleH2 + "\">" + e(bl.Title) + "</h2>\n")
			}
			h := bl.HTML
			if h == "" {
				h = textHTML(bl.Text)
			}
			if h != "" {
				b.WriteString("<div style=\"margin:0 0 8px 0;overflow-wrap:break-word;\">\n" + h + "\n</div>\n")
			}
		}
	}
	if d.Note != "" {
		b.WriteString("<p style=\"margin:16px 0 0 0;font-style:italic;color:#616161;\">" + e(d.Note) + "</p>\n")
	}
	if !links {
		return
	}
	for i, l := range d.Links {
		if i == 0 {
			b.WriteString("<p style=\"margin:20px 0;\"><a href=\"" + e(l.URL) + "\" rel=\"noopener\" style=\"display:inline-block;padding:8px 16px;border-radius:4px;background:#0f6cbd;color:#ffffff;text-decoration:none;font-weight:600;\">" +
				e(l.Label) + "</a></p>\n")
			if len(d.Links) > 1 {
				b.WriteString("<ul style=\"margin:0 0 8px 0;padding-left:22px;\">\n")
			}
			continue
		}
		b.WriteString("<li><a href=\"" + e(l.URL) + "\" rel=\"noopener\" style=\"" + styleLink + "\">" + e(l.Label) + "</a></li>\n")
		if i == len(d.Links)-1 {
			b.WriteString("</ul>\n")
		}
	}
	if d.TranslationNote != "" {
		b.WriteString("<p style=\"margin:12px 0 0 0;" + styleSmall + "\">" + e(d.TranslationNote) + "</p>\n")
	}
}

// sanitizer is policy, built once: bluemonday allows a policy that is no
// longer changed to sanitize from many goroutines (building one for every
// post was a tenth of composing a notice, most of it compiling a regexp).
var sanitizer = sync.OnceValue(policy)

// policy is the sanitizer for Microsoft's HTML: formatting, lists, tables,
// links (http, https, mailto; rel="nofollow noopener", target="_blank") and
// https images; no scripts, styles, frames, forms, event handlers or
// relative URLs.
func policy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowAttrs("lang").Matching(regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$`)).Globally()
	p.AllowAttrs("title").Matching(bluemonday.Paragraph).Globally()
	p.AllowStandardURLs()
	p.AllowRelativeURLs(false)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("href").OnElements("a")
	p.AllowElements("p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike", "del", "ins", "sub", "sup",
		"small", "mark", "code", "kbd", "samp", "pre", "blockquote", "hr", "abbr", "cite", "q",
		"h1", "h2", "h3", "h4", "h5", "h6",
		"ul", "ol", "li", "dl", "dt", "dd",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("src").Matching(regexp.MustCompile(`^https://`)).OnElements("img")
	p.AllowAttrs("alt").Matching(bluemonday.Paragraph).OnElements("img")
	p.AllowAttrs("width", "height").Matching(bluemonday.NumberOrPercent).OnElements("img")
	return p
}

// styleOf gives sanitized elements the inline style an email client needs
// (there is no style sheet to rely on).
var styleOf = map[atom.Atom]string{
	atom.A:          styleLink,
	atom.Img:        "max-width:100%;height:auto;border:0;",
	atom.Table:      "border-collapse:collapse;margin:8px 0;",
	atom.Th:         "border:1px solid #d1d1d1;padding:4px 8px;text-align:left;vertical-align:top;background:#f5f5f5;",
	atom.Td:         "border:1px solid #d1d1d1;padding:4px 8px;text-align:left;vertical-align:top;",
	atom.Pre:        "white-space:pre-wrap;font-family:Consolas,'Courier New',monospace;font-size:13px;background:#f5f5f5;padding:8px;",
	atom.Code:       "font-family:Consolas,'Courier New',monospace;font-size:13px;",
	atom.Blockquote: "margin:8px 0;padding-left:12px;border-left:3px solid #d1d1d1;color:#424242;",
	atom.P:          "margin:0 0 10px 0;",
	atom.Ul:         "margin:0 0 10px 0;padding-left:22px;",
	atom.Ol:         "margin:0 0 10px 0;padding-left:22px;",
}

// SanitizeHTML cleans an HTML fragment from Microsoft (a post or a Message
// Center body) for embedding in an email or a web page: the bluemonday
// policy first; then the fragment is parsed as the content of a <div> (the
// HTML5 fragment algorithm a browser uses for innerHTML) and written out
// again with inline styles on what survived. Writing the parsed tree closes
// every element the fragment opens inside it and drops end tags that close
// nothing of its own, so an unclosed <a> or <table> cannot swallow the page
// around it. A fragment without block-level markup (most service health
// posts are plain text with line breaks) keeps its line breaks as <br>.
func SanitizeHTML(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.TrimSpace(dropBackslashBreaks(s))
	clean := sanitizer().Sanitize(s)
	if clean == "" {
		return ""
	}
	nodes, err := nethtml.ParseFragment(strings.NewReader(clean), &nethtml.Node{Type: nethtml.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		// The parser fails only when its reader does, which a
		// strings.Reader does not; show the text rather than unbalanced HTML.
		return html.EscapeString(clean)
	}
	w := fragmentWriter{keepBreaks: !hasBlockMarkup(clean)}
	for _, n := range nodes {
		w.node(n, 0)
	}
	return strings.TrimSpace(w.b.String())
}

// voidElements have no end tag.
var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true, atom.Hr: true, atom.Img: true,
	atom.Input: true, atom.Link: true, atom.Meta: true, atom.Source: true, atom.Track: true, atom.Wbr: true,
}

var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	attrEscaper = strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;")
)

// fragmentWriter writes a parsed fragment as HTML: void elements as
// "<br>", text with only &, < and > escaped, the inline style of each
// element last.
type fragmentWriter struct {
	b          strings.Builder
	keepBreaks bool // write the line breaks of text as <br>
}

// node writes n and its children; depth bounds the recursion (the parser
// nests far less deep than this).
func (w *fragmentWriter) node(n *nethtml.Node, depth int) {
	if depth > 512 {
		return
	}
	switch n.Type {
	case nethtml.TextNode:
		t := textEscaper.Replace(n.Data)
		if w.keepBreaks {
			t = strings.ReplaceAll(t, "\n", "<br>\n")
		}
		w.b.WriteString(t)
	case nethtml.ElementNode:
		if n.DataAtom == atom.Img && !hasAttr(n.Attr, "src") {
			return // its http or relative source was dropped
		}
		w.b.WriteString("<" + n.Data)
		for _, a := range n.Attr {
			if a.Namespace == "" {
				w.b.WriteString(" " + a.Key + `="` + attrEscaper.Replace(a.Val) + `"`)
			}
		}
		if st, ok := styleOf[n.DataAtom]; ok {
			w.b.WriteString(` style="` + attrEscaper.Replace(st) + `"`)
		}
		w.b.WriteString(">")
		if voidElements[n.DataAtom] {
			return
		}
		if n.DataAtom == atom.Pre || n.DataAtom == atom.Textarea || n.DataAtom == atom.Listing {
			// The parser drops one line break right after the start tag.
			if c := n.FirstChild; c != nil && c.Type == nethtml.TextNode && strings.HasPrefix(c.Data, "\n") {
				w.b.WriteString("\n")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			w.node(c, depth+1)
		}
		w.b.WriteString("</" + n.Data + ">")
	}
	// Comments and doctypes are left out.
}

// dropBackslashBreaks removes a backslash right before a line break, an
// artefact of CLI captures that HTMLToText drops too.
func dropBackslashBreaks(s string) string {
	return strings.ReplaceAll(s, "\\\n", "\n")
}

var blockMarkup = regexp.MustCompile(`(?i)<(p|div|br|ul|ol|li|table|tr|td|th|h[1-6]|blockquote|pre|hr|dl|dt|dd)[\s/>]`)

func hasBlockMarkup(s string) bool { return blockMarkup.MatchString(s) }

// textHTML turns plain text as HTMLToText writes it into HTML: paragraphs at
// blank lines, "- " and "1. " lines as (nested) lists, other line breaks as
// <br>, and http(s) URLs as links. Everything is escaped.
func textHTML(s string) string {
	var b strings.Builder
	for _, para := range paragraphs(s) {
		lines := strings.Split(para, "\n")
		type open struct {
			indent int
			tag    string
		}
		var stack []open
		var text []string
		flushText := func() {
			if len(text) > 0 {
				b.WriteString("<p style=\"" + styleOf[atom.P] + "\">" + strings.Join(text, "<br>\n") + "</p>\n")
				text = nil
			}
		}
		closeTo := func(indent int) {
			for len(stack) > 0 && stack[len(stack)-1].indent > indent {
				b.WriteString("</li></" + stack[len(stack)-1].tag + ">\n")
				stack = stack[:len(stack)-1]
			}
		}
		for _, l := range lines {
			m := listItem.FindStringSubmatch(l)
			if m == nil {
				if len(stack) > 0 { // a continuation line of a list item
					b.WriteString("<br>" + linkify(strings.TrimSpace(l)))
					continue
				}
				text = append(text, linkify(strings.TrimLeft(l, " \t")))
				continue
			}
			flushText()
			indent := len(m[1])
			tag := "ul"
			if m[2] != "- " {
				tag = "ol"
			}
			closeTo(indent)
			switch {
			case len(stack) == 0 || stack[len(stack)-1].indent < indent:
				b.WriteString("<" + tag + " style=\"" + styleOf[atom.Ul] + "\">\n<li>")
				stack = append(stack, open{indent, tag})
			default:
				b.WriteString("</li>\n<li>")
			}
			b.WriteString(linkify(m[3]))
		}
		closeTo(-1)
		flushText()
	}
	return strings.TrimSuffix(b.String(), "\n")
}

var urlPattern = regexp.MustCompile(`https?://[^\s<>"'()]*[^\s<>"'().,;:!?]`)

// linkify escapes s and turns its http(s) URLs into links.
func linkify(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range urlPattern.FindAllStringIndex(s, -1) {
		b.WriteString(html.EscapeString(s[last:m[0]]))
		u := html.EscapeString(s[m[0]:m[1]])
		b.WriteString("<a href=\"" + u + "\" rel=\"noopener\" style=\"" + styleLink + "\">" + u + "</a>")
		last = m[1]
	}
	b.WriteString(html.EscapeString(s[last:]))
	return b.String()
}

func hasAttr(attrs []nethtml.Attribute, key string) bool {
	for _, a := range attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}
