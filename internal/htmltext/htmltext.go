// Package htmltext turns the HTML of Microsoft's posts into readable plain
// text and sections, for detection, rendering, routing and search.
package htmltext

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Section is one part of a Message Center body: the text under one heading.
// The text before the first heading has Heading "".
type Section struct {
	Heading string `json:"heading"`
	Text    string `json:"text"`
}

// Text converts an HTML fragment (a Message Center body or an issue
// post) into readable plain text: paragraphs become blank-line separated,
// <br> a line break, list items "- " lines (indented when nested, "1. " in
// ordered lists), links "text (url)", table cells " | "-separated; entities
// are decoded, script/style/head content dropped and runs of white space
// collapsed.
//
// Text without any block-level markup (a plain-text post, or one with only
// inline tags like <a> or <b>) keeps its own line breaks. A backslash right
// before a line break (an artefact of CLI captures) is dropped. Mis-decoded
// text (CP437 mojibake such as "ÔÇÖ") is kept as it is: guessing at a repair
// would corrupt correct text.
func Text(s string) string {
	secs := convert(s, false)
	if len(secs) == 0 {
		return ""
	}
	return secs[0].Text
}

// Sections splits a Message Center body into sections by its headings:
// <h1>–<h6> elements and bold lead-ins, i.e. a paragraph that starts with
// <strong>/<b> text ending in a colon ("When this will happen:") or that
// consists only of short bold text. Heading is the heading's text without
// the trailing colon, Text the section's content as Text renders it.
// The intro (text before the first heading) is returned with Heading ""
// only when it is not empty.
func Sections(s string) []Section {
	return convert(s, true)
}

// blockTags start and end a paragraph; their presence also switches off
// newline preservation.
var blockTags = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Ul: true, atom.Ol: true, atom.Li: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Table: true, atom.Tr: true, atom.Td: true, atom.Th: true, atom.Blockquote: true,
	atom.Pre: true, atom.Br: true, atom.Hr: true, atom.Section: true, atom.Article: true,
	atom.Header: true, atom.Footer: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Tbody: true, atom.Thead: true,
}

const maxDepth = 512 // deeper nesting is flattened, to bound recursion

func convert(s string, split bool) []Section {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = dropEscapedNewlines(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		// ParseFragment fails only on reader errors; a strings.Reader has none.
		return []Section{{Text: collapseLines(s)}}
	}
	c := &converter{split: split, keepNewlines: !hasBlock(nodes, 0)}
	for _, n := range nodes {
		c.node(n, 0)
	}
	c.flush()
	if !split {
		if len(c.out) == 0 {
			return []Section{{}}
		}
		return c.out[:1]
	}
	return c.out
}

// dropEscapedNewlines removes backslashes standing right before a line
// break: "line one\\\nline two" → "line one\nline two".
func dropEscapedNewlines(s string) string {
	if !strings.Contains(s, "\\\n") {
		return s
	}
	lines := strings.Split(s, "\n")
	for k := range lines[:len(lines)-1] {
		lines[k] = strings.TrimRight(lines[k], "\\")
	}
	return strings.Join(lines, "\n")
}

func hasBlock(nodes []*html.Node, depth int) bool {
	if depth > maxDepth {
		return false
	}
	for _, n := range nodes {
		if n.Type == html.ElementNode && blockTags[n.DataAtom] {
			return true
		}
		var kids []*html.Node
		for k := n.FirstChild; k != nil; k = k.NextSibling {
			kids = append(kids, k)
		}
		if hasBlock(kids, depth+1) {
			return true
		}
	}
	return false
}

type listState struct {
	ordered bool
	n       int
}

type converter struct {
	split        bool
	keepNewlines bool

	out     []Section
	heading string
	b       strings.Builder

	breaks int    // pending line breaks (0–2) before the next text
	space  bool   // a space is pending before the next text
	prefix string // list marker to write at the start of the next line
	lists  []listState
	pre    int // inside <pre>
}

// flush ends the current section.
func (c *converter) flush() {
	text := strings.TrimSpace(c.b.String())
	if c.heading != "" || text != "" || !c.split {
		c.out = append(c.out, Section{Heading: c.heading, Text: text})
	}
	c.b.Reset()
	c.breaks, c.space, c.prefix = 0, false, ""
}

func (c *converter) brk(n int) {
	if n > c.breaks {
		c.breaks = n
	}
	c.space = false
}

func (c *converter) indent() string {
	if len(c.lists) <= 1 {
		return ""
	}
	return strings.Repeat("  ", len(c.lists)-1)
}

// text writes a text node: verbatim inside <pre>, line by line when the
// input's own newlines are kept, otherwise with white space collapsed.
func (c *converter) text(s string, keep bool) {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	switch {
	case c.pre > 0:
		for k, line := range strings.Split(s, "\n") {
			if k > 0 {
				c.hardBreak()
			}
			c.word(strings.TrimRight(line, " \t"), true)
		}
	case keep:
		for k, line := range strings.Split(s, "\n") {
			if k > 0 {
				c.hardBreak()
			}
			c.inline(line)
		}
	default:
		c.inline(s)
	}
}

// inline writes text with runs of white space collapsed to one space.
func (c *converter) inline(s string) {
	if startsWithSpace(s) {
		c.space = true
	}
	for k, f := range strings.FieldsFunc(s, unicode.IsSpace) {
		if k > 0 {
			c.space = true
		}
		c.word(f, false)
	}
	if endsWithSpace(s) {
		c.space = true
	}
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

func endsWithSpace(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && unicode.IsSpace(r)
}

// hardBreak is a <br> or a kept newline: it adds one line break, so that two
// in a row make a blank line.
func (c *converter) hardBreak() {
	if c.b.Len() == 0 {
		return
	}
	if c.breaks < 2 {
		c.breaks++
	}
	c.space = false
}

// word writes s after the pending breaks, list marker or space.
func (c *converter) word(s string, raw bool) {
	if s == "" {
		return
	}
	if c.b.Len() > 0 {
		switch {
		case c.breaks > 0:
			c.b.WriteString(strings.Repeat("\n", c.breaks))
			if c.prefix == "" {
				c.b.WriteString(c.indent())
				if len(c.lists) > 0 {
					c.b.WriteString("  ")
				}
			}
		case c.space && c.prefix == "":
			c.b.WriteByte(' ')
		}
	}
	if c.prefix != "" {
		c.b.WriteString(c.prefix)
		c.prefix = ""
	}
	c.breaks, c.space = 0, false
	if !raw {
		s = strings.TrimLeft(s, " \t")
	}
	c.b.WriteString(s)
}

func (c *converter) node(n *html.Node, depth int) {
	switch n.Type {
	case html.TextNode:
		c.text(n.Data, c.keepNewlines || c.pre > 0)
		return
	case html.ElementNode:
	case html.DocumentNode:
		c.children(n, depth)
		return
	default: // comments, doctype
		return
	}
	if depth > maxDepth {
		c.text(nodeText(n, 0), false)
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Head, atom.Noscript, atom.Template, atom.Title, atom.Iframe, atom.Object:
		return
	case atom.Br:
		c.hardBreak()
		return
	case atom.Hr:
		c.brk(2)
		return
	case atom.Img:
		if alt := strings.TrimSpace(attr(n, "alt")); alt != "" {
			c.text("["+alt+"]", false)
		}
		return
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		title := cleanHeading(nodeText(n, 0))
		if c.split {
			c.flush()
			c.heading = title
			return
		}
		c.brk(2)
		c.text(title, false)
		c.brk(2)
		return
	case atom.P:
		c.brk(2)
		if c.split {
			if h, rest, ok := leadIn(n); ok {
				c.flush()
				c.heading = h
				for _, k := range rest {
					c.node(k, depth+1)
				}
				c.brk(2)
				return
			}
		}
		c.children(n, depth)
		c.brk(2)
		return
	case atom.Ul, atom.Ol:
		if len(c.lists) == 0 {
			c.brk(2)
		} else {
			c.brk(1)
		}
		c.lists = append(c.lists, listState{ordered: n.DataAtom == atom.Ol, n: startOf(n)})
		c.children(n, depth)
		c.lists = c.lists[:len(c.lists)-1]
		if len(c.lists) == 0 {
			c.brk(2)
		} else {
			c.brk(1)
		}
		return
	case atom.Li:
		c.brk(1)
		marker := "- "
		if len(c.lists) > 0 {
			l := &c.lists[len(c.lists)-1]
			if l.ordered {
				marker = strconv.Itoa(l.n) + ". "
				l.n++
			}
		}
		c.prefix = c.indent() + marker
		c.children(n, depth)
		c.prefix = ""
		c.brk(1)
		return
	case atom.A:
		label := strings.Join(strings.Fields(nodeText(n, 0)), " ")
		href := strings.TrimSpace(attr(n, "href"))
		c.children(n, depth)
		if showHref(label, href) {
			c.space = true
			c.word("("+href+")", false)
		}
		return
	case atom.Pre:
		c.brk(2)
		c.pre++
		c.children(n, depth)
		c.pre--
		c.brk(2)
		return
	case atom.Td, atom.Th:
		if n.PrevSibling != nil && c.b.Len() > 0 && c.breaks == 0 {
			c.word("|", false)
			c.space = true
		}
		c.space = true
		c.children(n, depth)
		c.space = true
		return
	case atom.Tr, atom.Div, atom.Dt, atom.Dd, atom.Section, atom.Article, atom.Header, atom.Footer:
		c.brk(1)
		c.children(n, depth)
		c.brk(1)
		return
	case atom.Table, atom.Blockquote, atom.Dl:
		c.brk(2)
		c.children(n, depth)
		c.brk(2)
		return
	}
	c.children(n, depth)
}

func (c *converter) children(n *html.Node, depth int) {
	for k := n.FirstChild; k != nil; k = k.NextSibling {
		c.node(k, depth+1)
	}
}

func startOf(n *html.Node) int {
	if v, err := strconv.Atoi(strings.TrimSpace(attr(n, "start"))); err == nil && v >= 0 && v < 1e6 {
		return v
	}
	return 1
}

// showHref reports whether a link's target adds anything to its label.
func showHref(label, href string) bool {
	if href == "" || strings.HasPrefix(href, "#") {
		return false
	}
	low := strings.ToLower(href)
	if strings.HasPrefix(low, "javascript:") || strings.HasPrefix(low, "data:") {
		return false
	}
	if label == "" {
		return true
	}
	bare := strings.TrimPrefix(strings.TrimPrefix(href, "mailto:"), "tel:")
	return label != href && label != bare && strings.TrimSuffix(label, "/") != strings.TrimSuffix(href, "/")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// nodeText is the concatenated text below n, without script or style.
func nodeText(n *html.Node, depth int) string {
	var b strings.Builder
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		if depth > maxDepth {
			return
		}
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
			return
		case n.Type != html.ElementNode:
			return
		case n.DataAtom == atom.Script || n.DataAtom == atom.Style:
			return
		case n.DataAtom == atom.Br:
			b.WriteByte(' ')
			return
		}
		for k := n.FirstChild; k != nil; k = k.NextSibling {
			walk(k, depth+1)
		}
	}
	walk(n, depth)
	return strings.ReplaceAll(b.String(), "\u00a0", " ")
}

// cleanHeading collapses white space and drops a trailing colon.
func cleanHeading(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimSpace(strings.TrimRight(s, ":："))
	// "[When this will happen:]" is how some MC bodies mark headings.
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = cleanHeading(s[1 : len(s)-1])
	}
	return s
}

const maxLeadIn = 100 // runes; longer bold text is emphasis, not a heading

// leadIn recognizes a paragraph that starts with a bold heading: it returns
// the heading and the paragraph's nodes after it.
func leadIn(p *html.Node) (heading string, rest []*html.Node, ok bool) {
	first := p.FirstChild
	for first != nil && first.Type == html.TextNode && strings.TrimSpace(first.Data) == "" {
		first = first.NextSibling
	}
	if first == nil || first.Type != html.ElementNode || (first.DataAtom != atom.Strong && first.DataAtom != atom.B) {
		return "", nil, false
	}
	raw := strings.Join(strings.Fields(nodeText(first, 0)), " ")
	if raw == "" || utf8.RuneCountInString(raw) > maxLeadIn {
		return "", nil, false
	}
	for k := first.NextSibling; k != nil; k = k.NextSibling {
		rest = append(rest, k)
	}
	// A trailing colon may sit just outside the bold text: "<b>Heading</b>: text".
	if len(rest) > 0 && rest[0].Type == html.TextNode && strings.HasPrefix(strings.TrimSpace(rest[0].Data), ":") {
		raw += ":"
		t := strings.TrimPrefix(strings.TrimSpace(rest[0].Data), ":")
		rest = append([]*html.Node{{Type: html.TextNode, Data: t}}, rest[1:]...)
	}
	trimmed := strings.TrimSuffix(strings.TrimSuffix(raw, "]"), " ")
	colon := strings.HasSuffix(trimmed, ":") || strings.HasSuffix(trimmed, "：")
	alone := strings.TrimSpace(textOf(rest)) == ""
	if !colon && !alone {
		return "", nil, false
	}
	return cleanHeading(raw), rest, true
}

func textOf(nodes []*html.Node) string {
	var b strings.Builder
	for _, n := range nodes {
		b.WriteString(nodeText(n, 0))
	}
	return b.String()
}

// collapseLines trims every line and squeezes blank lines to one.
func collapseLines(s string) string {
	var out []string
	blank := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// Excerpt returns s on one line (white space collapsed), cut to at most max
// runes at a word boundary with "…" appended when cut.
func Excerpt(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)[:max]
	cut := string(r)
	if i := strings.LastIndex(cut, " "); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}
