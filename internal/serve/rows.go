package serve

import (
	"html/template"
	"strconv"
	"strings"
)

// The rows of a list, and the choices of its filters, are written here in
// Go rather than by list.html:
// fifty rows of a dozen cells made about 1,700 template actions, each a
// reflective call of html/template's escaper, a quarter of a list page's
// CPU. rowsHTML escapes every value as html/template does in the same
// place (text and quoted attributes: htmlEscape; href: safeURL, then
// htmlEscape), so the page is byte for byte what the template wrote;
// TestRowsHTMLMatchesTemplate holds it to that with hostile values.

// rowsHTML is the <tbody> content of a list page.
func rowsHTML(rows []msgRow) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 1400)
	for i := range rows {
		writeRow(&b, &rows[i])
	}
	return template.HTML(b.String())
}

// optionsHTML is the <option>s of a filter, each followed by its count
// when counts is set.
func optionsHTML(opts []facetOpt, counts bool) template.HTML {
	var b strings.Builder
	b.Grow(len(opts) * 48)
	for _, o := range opts {
		b.WriteString(`<option value="`)
		htmlEscape(&b, o.Value)
		b.WriteString(`"`)
		if o.Selected {
			b.WriteString(" selected")
		}
		b.WriteString(">")
		htmlEscape(&b, o.Label)
		if counts {
			b.WriteString(" (")
			b.WriteString(strconv.Itoa(o.N))
			b.WriteString(")")
		}
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// writeRow writes one <tr> of a list, ending with a newline.
func writeRow(b *strings.Builder, r *msgRow) {
	p := r.P
	b.WriteString(`<tr class="`)
	if r.Removed {
		b.WriteString("removed")
	}
	b.WriteString("\">\n")

	cellOpen(b, "c-id", p.ID)
	b.WriteString(`<a href="`)
	writeURL(b, r.Link)
	b.WriteString(`">`)
	htmlEscape(b, r.ID)
	b.WriteString("</a>")
	for _, t := range r.Extra.Tickets {
		if t.URL != "" {
			b.WriteString(`<a class="ticket" href="`)
			writeURL(b, t.URL)
			b.WriteString(`" rel="noopener noreferrer">`)
			htmlEscape(b, t.Label)
			b.WriteString("</a>")
		} else {
			tag(b, "span", "ticket", t.Label)
		}
	}
	b.WriteString("</td>\n")

	cellOpen(b, "c-title", p.Title)
	htmlEscape(b, r.Title)
	if r.Major {
		b.WriteString(" ")
		tag(b, "span", "tag major", p.Major)
	}
	if r.RemovedWord != "" {
		b.WriteString(" ")
		tag(b, "span", "tag withdrawn", r.RemovedWord)
	}
	if o := r.Own; o != nil {
		b.WriteString(` <span class="hs h-`)
		htmlEscape(b, o.Status)
		b.WriteString(`">`)
		htmlEscape(b, o.StatusWord)
		if o.Owner != "" {
			b.WriteString(" · ")
			htmlEscape(b, o.Owner)
		}
		b.WriteString("</span>")
	}
	if r.TitleOrig != "" {
		b.WriteString(`<span class="orig" lang="en">`)
		htmlEscape(b, r.TitleOrig)
		b.WriteString("</span>")
	}
	b.WriteString("</td>\n")

	cell(b, "c-tenant", p.Tenant, r.Tenant)
	b.WriteString("\n")
	if p.Source == "mc" {
		cell(b, "c-category", p.Category, r.Category)
		b.WriteString(`<td class="c-severity sev-`)
		htmlEscape(b, r.Severity)
		b.WriteString(`" data-label="`)
		htmlEscape(b, p.Severity)
		b.WriteString(`">`)
		htmlEscape(b, r.Severity)
		b.WriteString("</td>")
		cell(b, "c-services", p.Services, r.Services)
		b.WriteString("\n")
		cellOpen(b, "c-action", p.ActionBy)
		if r.ActionBy != "" {
			tag(b, "span", "date", r.ActionBy)
			if r.ActionRel != "" {
				b.WriteString(` <span class="due `)
				htmlEscape(b, r.ActionClass)
				b.WriteString(`">`)
				htmlEscape(b, r.ActionRel)
				b.WriteString("</span>")
			}
		}
		b.WriteString("</td>\n")
	} else {
		cellOpen(b, "c-status", p.Status)
		if r.Level != "" {
			b.WriteString(`<span class="badge lvl-`)
			htmlEscape(b, r.Level)
			b.WriteString(`"><span class="glyph" aria-hidden="true"></span>`)
			htmlEscape(b, r.LevelWord)
			b.WriteString("</span> ")
		}
		tag(b, "span", "statusword", r.Status)
		b.WriteString(" ")
		tag(b, "small", "muted", r.Kind)
		b.WriteString("</td>")
		cell(b, "c-service", p.Service, r.Services)
	}
	b.WriteString("\n")
	cell(b, "c-modified", p.Modified, r.Modified)
	b.WriteString("\n")

	// What msp.go adds: relevance, and the item in the other tenants.
	if p.Source == "mc" {
		cellOpen(b, "c-relevance", p.Rel)
		if rel := r.Extra.Rel; rel != nil {
			b.WriteString(`<span class="rel `)
			htmlEscape(b, rel.Class)
			b.WriteString(`" title="`)
			htmlEscape(b, rel.Why)
			b.WriteString(`">`)
			htmlEscape(b, rel.Word)
			b.WriteString("</span>")
			tag(b, "small", "why", rel.Why)
		}
		b.WriteString("</td>")
	}
	b.WriteString("\n")
	if p.Multi {
		cellOpen(b, "c-across", p.Across)
		if c := r.Extra.Copies; c != nil {
			if c.Only {
				tag(b, "span", "tag only", c.Text)
			} else {
				b.WriteString(`<a href="`)
				writeURL(b, c.Link)
				b.WriteString(`">`)
				htmlEscape(b, c.Text)
				b.WriteString("</a>")
			}
			for _, n := range c.Notes {
				tag(b, "small", "note", n)
			}
		}
		b.WriteString("</td>")
	}
	b.WriteString("</tr>\n")
}

// cellOpen writes a cell's start: its class (ours, never escaped) and the
// label a phone shows above it.
func cellOpen(b *strings.Builder, class, label string) {
	b.WriteString(`<td class="`)
	b.WriteString(class)
	b.WriteString(`" data-label="`)
	htmlEscape(b, label)
	b.WriteString(`">`)
}

// cell writes a cell of text.
func cell(b *strings.Builder, class, label, text string) {
	cellOpen(b, class, label)
	htmlEscape(b, text)
	b.WriteString("</td>")
}

// tag writes an element of one of our classes around text.
func tag(b *strings.Builder, name, class, text string) {
	b.WriteString("<")
	b.WriteString(name)
	b.WriteString(` class="`)
	b.WriteString(class)
	b.WriteString(`">`)
	htmlEscape(b, text)
	b.WriteString("</")
	b.WriteString(name)
	b.WriteString(">")
}

// htmlEscape writes s escaped as html/template escapes text and quoted
// attribute values: NUL becomes U+FFFD; " ' & + < > become references.
func htmlEscape(b *strings.Builder, s string) {
	written := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '\'':
			repl = "&#39;"
		case '&':
			repl = "&amp;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		b.WriteString(s[written:i])
		b.WriteString(repl)
		written = i + 1
	}
	b.WriteString(s[written:])
}

// writeURL writes u as html/template writes a whole href value: a scheme
// other than http, https or mailto (javascript:, data:, …) becomes
// "#ZgotmplZ"; bytes a URL may not hold are percent-encoded (existing
// escapes kept); then the result is escaped for the attribute.
func writeURL(b *strings.Builder, u string) {
	if i := strings.IndexByte(u, ':'); i >= 0 && !strings.Contains(u[:i], "/") {
		switch strings.ToLower(u[:i]) {
		case "http", "https", "mailto":
		default:
			b.WriteString("#ZgotmplZ")
			return
		}
	}
	const hex = "0123456789abcdef"
	written := 0
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("-._~!#$*,/:;=?@[]", c) >= 0:
			continue
		case c == '%' && i+2 < len(u) && isHexDigit(u[i+1]) && isHexDigit(u[i+2]):
			continue
		case c == '&':
			b.WriteString(u[written:i])
			b.WriteString("&amp;")
		case c == '+':
			b.WriteString(u[written:i])
			b.WriteString("&#43;")
		default:
			b.WriteString(u[written:i])
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
		written = i + 1
	}
	b.WriteString(u[written:])
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
