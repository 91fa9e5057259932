package render

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Text writes a Doc as plain text (without the subject): aligned label
// lines, the "What changed" list, the text blocks, the note and the footer.
func Text(d Doc) string {
	var b strings.Builder
	width := 0
	for _, f := range d.Fields {
		width = max(width, utf8.RuneCountInString(f.Label))
	}
	for _, f := range d.Fields {
		pad := width - utf8.RuneCountInString(f.Label) + 2
		b.WriteString(f.Label + ":" + strings.Repeat(" ", pad) + f.Value + "\n")
	}
	para := func() {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
	}
	if len(d.Changes) > 0 {
		para()
		if len(d.Fields) > 0 {
			b.WriteString("What changed:\n")
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
			b.WriteString(bl.Title + ":\n")
		}
		if bl.Text != "" {
			b.WriteString(bl.Text + "\n")
		}
	}
	if d.Note != "" {
		para()
		b.WriteString(d.Note + "\n")
	}
	if d.Footer != "" {
		para()
		b.WriteString("-- \n" + d.Footer + "\n")
	}
	return b.String()
}

// Markdown writes a Doc as Markdown: the subject as a bold first line,
// fields as a list with bold labels, blocks under bold titles, every text
// escaped so that Microsoft's wording cannot turn into markup.
func Markdown(d Doc) string {
	var b strings.Builder
	b.WriteString("**" + EscapeMarkdown(d.Subject) + "**\n")
	if len(d.Fields) > 0 {
		b.WriteString("\n")
		for _, f := range d.Fields {
			b.WriteString("- **" + EscapeMarkdown(f.Label) + ":** " + EscapeMarkdown(f.Value) + "\n")
		}
	}
	if len(d.Changes) > 0 {
		b.WriteString("\n")
		if len(d.Fields) > 0 {
			b.WriteString("**What changed**\n\n")
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
	if d.Footer != "" {
		b.WriteString("\n_" + EscapeMarkdown(d.Footer) + "_\n")
	}
	return b.String()
}

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
