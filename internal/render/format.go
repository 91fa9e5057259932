package render

import (
	"regexp"
	"strings"

	"golang.org/x/text/width"
)

// Text writes a Doc as plain text (without the subject), in the layout of
// the seed notices: aligned label lines (the key facts first), the
// services, the "What changed" list, the text blocks, the links, the note
// and the footer. A localized Doc with an Original is written as its Mode
// says: the localized notice with its links and translation note, then
// under the heading of the original (原文) the English notice with its
// subject, then the footer (bilingual); or the English subject once (the
// localized one is the notice's subject) and each English unit followed
// by its translation (side-by-side).
func Text(d Doc) string {
	if d.Original == nil {
		return textBody(d, true)
	}
	if d.Mode == ModeSideBySide {
		return sideBySideText(d)
	}
	orig := *d.Original
	orig.Footer, orig.Links = "", nil
	loc := d
	loc.Footer = ""
	s := textBody(loc, true) + "\n" + originalHeading(d) + "\n\n" + orig.Subject + "\n\n" + textBody(orig, false)
	if d.Footer != "" {
		s += "\n-- \n" + d.Footer + "\n"
	}
	return s
}

// originalTitle heads the original of a bilingual notice: "原文（英語）".
func originalTitle(d Doc) string { return or(d.OriginalTitle, Phrase(d.Language, "label.original")) }

// originalHeading is the line between the localized notice and its
// original in text.
func originalHeading(d Doc) string {
	return "──────────── " + originalTitle(d) + " ────────────"
}

// textWidth is the width of s in a monospaced terminal: East Asian wide and
// full-width characters take two columns.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// fieldLines writes the aligned "Label: value" lines; the further lines
// of a value are indented to its column.
func fieldLines(b *strings.Builder, d Doc) {
	colon := Phrase(d.Language, "punct.colon")
	w := 0
	for _, f := range d.Fields {
		w = max(w, textWidth(f.Label))
	}
	indent := strings.Repeat(" ", w+textWidth(colon)+2)
	for _, f := range d.Fields {
		pad := w - textWidth(f.Label) + 2
		lines := strings.Split(f.Value, "\n")
		b.WriteString(f.Label + colon + strings.Repeat(" ", pad) + lines[0] + "\n")
		for _, l := range lines[1:] {
			if strings.TrimSpace(l) == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString(indent + l + "\n")
		}
	}
}

// changesTitle is the heading of the "What changed" list.
func changesTitle(d Doc) string { return or(d.ChangesTitle, Phrase(d.Language, "label.whatChanged")) }

func textBody(d Doc, translationNote bool) string {
	var b strings.Builder
	fieldLines(&b, d)
	para := func() {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
	}
	if len(d.Services) > 0 {
		para()
		b.WriteString(d.ServicesTitle + Phrase(d.Language, "punct.colon") + "\n")
		for _, f := range d.Services {
			b.WriteString("- " + f.Label + Phrase(d.Language, "punct.labelSep") + f.Value + "\n")
		}
	}
	if len(d.Changes) > 0 {
		para()
		if len(d.Fields) > 0 {
			b.WriteString(changesTitle(d) + Phrase(d.Language, "punct.colon") + "\n")
		}
		for _, c := range d.Changes {
			if len(d.Fields) > 0 {
				b.WriteString("- ")
			}
			b.WriteString(c + "\n")
		}
	}
	for _, bl := range d.Blocks {
		para()
		if bl.Title != "" {
			b.WriteString(bl.Title + Phrase(d.Language, "punct.colon") + "\n")
		}
		if bl.Text != "" {
			b.WriteString(bl.Text + "\n")
		}
	}
	if d.Note != "" {
		para()
		b.WriteString(d.Note + "\n")
	}
	if len(d.Links) > 0 {
		para()
		textLinks(&b, d)
	}
	if translationNote && d.TranslationNote != "" {
		para()
		b.WriteString(d.TranslationNote + "\n")
	}
	if d.Footer != "" {
		para()
		b.WriteString("-- \n" + d.Footer + "\n")
	}
	return b.String()
}

// textLinks writes one "Label: URL" line per link.
func textLinks(b *strings.Builder, d Doc) {
	for _, l := range d.Links {
		b.WriteString(l.Label + Phrase(d.Language, "punct.labelSep") + l.URL + "\n")
	}
}

// pair is one unit of a side-by-side notice: the English and the localized
// text of the same field, change line, title or paragraph.
type pair struct {
	orig, loc string
	kind      int // pairTitle, pairField, pairChange, pairText
}

const (
	pairTitle = iota
	pairField
	pairChange
	pairText
)

// pairs lines up an English Doc and its localization unit by unit. Both
// come from the same composition, so fields, changes and blocks match one
// to one; a block whose paragraphs do not (a cut text) is paired whole.
func pairs(o, d Doc) []pair {
	var out []pair
	out = append(out, pair{o.Subject, d.Subject, pairTitle})
	sepO, sepD := Phrase(o.Language, "punct.labelSep"), Phrase(d.Language, "punct.labelSep")
	for k := range min(len(o.Fields), len(d.Fields)) {
		out = append(out, pair{o.Fields[k].Label + sepO + o.Fields[k].Value, d.Fields[k].Label + sepD + d.Fields[k].Value, pairField})
	}
	if len(d.Services) > 0 {
		out = append(out, pair{o.ServicesTitle, d.ServicesTitle, pairTitle})
		for k := range min(len(o.Services), len(d.Services)) {
			out = append(out, pair{o.Services[k].Label + sepO + o.Services[k].Value, d.Services[k].Label + sepD + d.Services[k].Value, pairChange})
		}
	}
	if len(d.Changes) > 0 {
		if len(d.Fields) > 0 {
			out = append(out, pair{changesTitle(o), changesTitle(d), pairTitle})
		}
		for k := range min(len(o.Changes), len(d.Changes)) {
			out = append(out, pair{o.Changes[k], d.Changes[k], pairChange})
		}
	}
	for k := range min(len(o.Blocks), len(d.Blocks)) {
		ob, db := o.Blocks[k], d.Blocks[k]
		if ob.Title != "" || db.Title != "" {
			out = append(out, pair{ob.Title, db.Title, pairTitle})
		}
		op, dp := splitParas(ob.Text), splitParas(db.Text)
		if len(op) != len(dp) {
			op, dp = []string{ob.Text}, []string{db.Text}
		}
		for i := range op {
			out = append(out, pair{op[i], dp[i], pairText})
		}
	}
	if o.Note != "" || d.Note != "" {
		out = append(out, pair{o.Note, d.Note, pairText})
	}
	return out
}

// sideBySideText writes each English unit followed by its translation;
// of the subjects only the English one, since the localized subject heads
// the notice already (the email's subject, the first line of a text
// notice), so that the headline is printed once.
func sideBySideText(d Doc) string {
	var b strings.Builder
	for k, p := range pairs(*d.Original, d) {
		if k > 0 {
			b.WriteString("\n")
		}
		prefix := ""
		if p.kind == pairChange {
			prefix = "- "
		}
		b.WriteString(prefix + p.orig + "\n")
		if p.loc != p.orig && k > 0 {
			b.WriteString(prefix + p.loc + "\n")
		}
	}
	if len(d.Links) > 0 {
		b.WriteString("\n")
		textLinks(&b, d)
	}
	if d.TranslationNote != "" {
		b.WriteString("\n" + d.TranslationNote + "\n")
	}
	if d.Footer != "" {
		b.WriteString("\n-- \n" + d.Footer + "\n")
	}
	return b.String()
}

// Markdown writes a Doc as Markdown: the subject as a bold first line,
// fields as a list with bold labels, blocks under bold titles, every text
// escaped so that Microsoft's wording cannot turn into markup. A
// bilingual Doc is the localized notice with its links and translation
// note, a rule, the heading of the original (原文) and the English notice,
// then the footer; a side-by-side Doc is a two-column table.
func Markdown(d Doc) string {
	if d.Original == nil {
		return markdownBody(d, true)
	}
	if d.Mode == ModeSideBySide {
		return sideBySideMarkdown(d)
	}
	orig := *d.Original
	orig.Footer, orig.Links = "", nil
	loc := d
	loc.Footer = ""
	s := markdownBody(loc, true) + "\n---\n\n**" + EscapeMarkdown(originalTitle(d)) + "**\n\n" + markdownBody(orig, false)
	if d.Footer != "" {
		s += "\n_" + EscapeMarkdown(d.Footer) + "_\n"
	}
	return s
}

func markdownBody(d Doc, translationNote bool) string {
	var b strings.Builder
	b.WriteString("**" + EscapeMarkdown(d.Subject) + "**\n")
	if len(d.Fields) > 0 {
		b.WriteString("\n")
		for _, f := range d.Fields {
			b.WriteString("- **" + EscapeMarkdown(f.Label+Phrase(d.Language, "punct.colon")) + "** " + EscapeMarkdown(f.Value) + "\n")
		}
	}
	if len(d.Services) > 0 {
		b.WriteString("\n**" + EscapeMarkdown(d.ServicesTitle) + "**\n\n")
		for _, f := range d.Services {
			b.WriteString("- **" + EscapeMarkdown(f.Label+Phrase(d.Language, "punct.colon")) + "** " + EscapeMarkdown(f.Value) + "\n")
		}
	}
	if len(d.Changes) > 0 {
		b.WriteString("\n")
		if len(d.Fields) > 0 {
			b.WriteString("**" + EscapeMarkdown(changesTitle(d)) + "**\n\n")
			for _, c := range d.Changes {
				b.WriteString("- " + EscapeMarkdown(c) + "\n")
			}
		} else {
			for _, c := range d.Changes {
				b.WriteString(EscapeMarkdown(c) + "\n")
			}
		}
	}
	for _, bl := range d.Blocks {
		if bl.Title != "" {
			b.WriteString("\n**" + EscapeMarkdown(bl.Title) + "**\n")
		}
		if bl.Text != "" {
			b.WriteString("\n" + markdownText(bl.Text) + "\n")
		}
	}
	if d.Note != "" {
		b.WriteString("\n_" + EscapeMarkdown(d.Note) + "_\n")
	}
	if len(d.Links) > 0 {
		b.WriteString("\n" + markdownLinks(d))
	}
	if translationNote && d.TranslationNote != "" {
		b.WriteString("\n_" + EscapeMarkdown(d.TranslationNote) + "_\n")
	}
	if d.Footer != "" {
		b.WriteString("\n_" + EscapeMarkdown(d.Footer) + "_\n")
	}
	return b.String()
}

// sideBySideMarkdown writes a two-column table, English left and the
// localized text right, one row per field, change line, title or paragraph.
func sideBySideMarkdown(d Doc) string {
	cell := func(s string, kind int) string {
		s = EscapeMarkdown(s)
		s = strings.ReplaceAll(s, "\n", "<br>")
		switch kind {
		case pairTitle:
			if s != "" {
				s = "**" + s + "**"
			}
		case pairChange:
			s = "• " + s
		}
		return s
	}
	var b strings.Builder
	b.WriteString("| " + EscapeMarkdown(Phrase(d.Original.Language, "language.name")) + " | " + EscapeMarkdown(Phrase(d.Language, "language.name")) + " |\n|---|---|\n")
	for _, p := range pairs(*d.Original, d) {
		b.WriteString("| " + cell(p.orig, p.kind) + " | " + cell(p.loc, p.kind) + " |\n")
	}
	if len(d.Links) > 0 {
		b.WriteString("\n" + markdownLinks(d))
	}
	if d.TranslationNote != "" {
		b.WriteString("\n_" + EscapeMarkdown(d.TranslationNote) + "_\n")
	}
	if d.Footer != "" {
		b.WriteString("\n_" + EscapeMarkdown(d.Footer) + "_\n")
	}
	return b.String()
}

// markdownLinks writes the links as a list of Markdown links.
func markdownLinks(d Doc) string {
	var b strings.Builder
	for _, l := range d.Links {
		b.WriteString("- [" + EscapeMarkdown(l.Label) + "](" + markdownURL(l.URL) + ")\n")
	}
	return b.String()
}

// markdownURL makes a URL safe inside a Markdown link's parentheses.
var markdownURL = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace

var listItem = regexp.MustCompile(`^(\s*)(- |\d{1,6}\. )(.*)$`)

// markdownText escapes plain text (as HTMLToText writes it) line by line:
// "- " and "1. " items stay list items, and a line break inside a
// paragraph becomes a hard break (two trailing spaces), so that the
// post's line structure survives.
func markdownText(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, len(lines))
	for k, l := range lines {
		if m := listItem.FindStringSubmatch(l); m != nil {
			out[k] = m[1] + m[2] + EscapeMarkdown(m[3])
		} else {
			out[k] = EscapeMarkdown(strings.TrimLeft(l, " \t"))
		}
		next := ""
		if k+1 < len(lines) {
			next = lines[k+1]
		}
		if strings.TrimSpace(l) != "" && strings.TrimSpace(next) != "" && !listItem.MatchString(next) {
			out[k] += "  "
		}
	}
	return strings.Join(out, "\n")
}

var mdSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "#", `\#`,
)

var mdLineStart = regexp.MustCompile(`^(\d+)([.)])(\s|$)`)

// EscapeMarkdown escapes the characters of s that Markdown (CommonMark,
// Teams, GitHub) would read as markup, including list and heading markers
// at the start of the text.
func EscapeMarkdown(s string) string {
	s = mdSpecial.Replace(s)
	switch {
	case strings.HasPrefix(s, "- "), strings.HasPrefix(s, "+ "), strings.HasPrefix(s, "="):
		s = `\` + s
	case mdLineStart.MatchString(s):
		s = mdLineStart.ReplaceAllString(s, `$1\$2$3`)
	}
	return s
}
