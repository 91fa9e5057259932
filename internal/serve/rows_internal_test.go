package serve

import (
	"fmt"
	"html/template"
	"strings"
	"testing"
)

// rowsOracle is how list.html wrote its rows before rowsHTML (with the
// msp.html parts it called inlined): html/template's contextual escaping
// is what rowsHTML must match.
const rowsOracle = `{{define "badge"}}<span class="badge lvl-{{.Level}}"><span class="glyph" aria-hidden="true"></span>{{.Word}}</span>{{end}}` +
	`{{define "msp-rowtickets"}}{{range .Extra.Tickets}}{{if .URL}}<a class="ticket" href="{{.URL}}" rel="noopener noreferrer">{{.Label}}</a>{{else}}<span class="ticket">{{.Label}}</span>{{end}}{{end}}{{end}}` +
	`{{define "msp-cells"}}{{if eq .P.Source "mc"}}<td class="c-relevance" data-label="{{.P.Rel}}">{{with .Extra.Rel}}<span class="rel {{.Class}}" title="{{.Why}}">{{.Word}}</span><small class="why">{{.Why}}</small>{{end}}</td>{{end}}
{{if .P.Multi}}<td class="c-across" data-label="{{.P.Across}}">{{with .Extra.Copies}}{{if .Only}}<span class="tag only">{{.Text}}</span>{{else}}<a href="{{.Link}}">{{.Text}}</a>{{end}}{{range .Notes}}<small class="note">{{.}}</small>{{end}}{{end}}</td>{{end}}{{end}}` +
	`<table><tbody>{{range .}}<tr class="{{if .Removed}}removed{{end}}">
<td class="c-id" data-label="{{.P.ID}}"><a href="{{.Link}}">{{.ID}}</a>{{template "msp-rowtickets" .}}</td>
<td class="c-title" data-label="{{.P.Title}}">{{.Title}}{{if .Major}} <span class="tag major">{{.P.Major}}</span>{{end}}{{with .RemovedWord}} <span class="tag withdrawn">{{.}}</span>{{end}}{{with .Own}} <span class="hs h-{{.Status}}">{{.StatusWord}}{{with .Owner}} · {{.}}{{end}}</span>{{end}}{{with .TitleOrig}}<span class="orig" lang="en">{{.}}</span>{{end}}</td>
<td class="c-tenant" data-label="{{.P.Tenant}}">{{.Tenant}}</td>
{{if eq .P.Source "mc"}}<td class="c-category" data-label="{{.P.Category}}">{{.Category}}</td><td class="c-severity sev-{{.Severity}}" data-label="{{.P.Severity}}">{{.Severity}}</td><td class="c-services" data-label="{{.P.Services}}">{{.Services}}</td>
<td class="c-action" data-label="{{.P.ActionBy}}">{{if .ActionBy}}<span class="date">{{.ActionBy}}</span>{{if .ActionRel}} <span class="due {{.ActionClass}}">{{.ActionRel}}</span>{{end}}{{end}}</td>
{{else}}<td class="c-status" data-label="{{.P.Status}}">{{if .Level}}{{template "badge" (dict "Level" .Level "Word" .LevelWord)}} {{end}}<span class="statusword">{{.Status}}</span> <small class="muted">{{.Kind}}</small></td><td class="c-service" data-label="{{.P.Service}}">{{.Services}}</td>{{end}}
<td class="c-modified" data-label="{{.P.Modified}}">{{.Modified}}</td>
{{template "msp-cells" .}}</tr>
{{end}}</tbody></table>`

// TestRowsHTMLMatchesTemplate writes rows of both sources, with and
// without tenants to compare, full of what an attacker could put in a
// title, a ticket or a translation, through rowsHTML and through the
// template it replaced, and wants the same bytes.
func TestRowsHTMLMatchesTemplate(t *testing.T) {
	oracle := template.Must(template.New("rows").Funcs(template.FuncMap{
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}).Parse(rowsOracle))

	hostile := []string{
		``, `plain`, `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `' onmouseover='x`,
		"a\x00b", `1 + 1 & 2 < 3 > 0`, `暗号化 “引用” ・ 提供終了`, `&amp; &#34; &lt;`, "tab\tnew\nline",
	}
	urls := []string{
		`/items/t1/mc/MC1?lang=ja&tz=Asia%2FTokyo`, `https://tracker.example/browse/OPS-12?x=1&y=2`,
		`javascript:alert(1)`, `JavaScript:alert(1)`, ` javascript:alert(1)`, `data:text/html,<script>x</script>`,
		`vbscript:x`, `mailto:ops@example.com`, `HTTP://EXAMPLE.COM/a b`, `/a/b:c`, `//evil.example/"><x>`,
		`/q?x=%zz&y=%4`, `/q?x=%41%4a%e6`, `/日本語?q=暗号化#frag`, `/p+q'r(s)`, "/nul\x00", `?x="y"`, `#"'<>`,
	}
	var rows []msgRow
	n := 0
	pick := func(list []string) string { n++; return list[n%len(list)] }
	for _, src := range []string{"mc", "shd"} {
		for _, multi := range []bool{false, true} {
			for i := range 24 {
				p := &rowPage{Source: src, Multi: multi, ID: pick(hostile), Title: pick(hostile), Major: pick(hostile),
					Tenant: pick(hostile), Category: pick(hostile), Severity: pick(hostile), Services: pick(hostile),
					ActionBy: pick(hostile), Status: pick(hostile), Service: pick(hostile), Modified: pick(hostile),
					Rel: pick(hostile), Across: pick(hostile)}
				r := msgRow{P: p, Tenant: pick(hostile), ID: pick(hostile), Title: pick(hostile), Category: pick(hostile),
					Severity: pick(hostile), Services: pick(hostile), ActionBy: pick(hostile), Modified: pick(hostile),
					Link: pick(urls), Status: pick(hostile), Kind: pick(hostile), Major: i%2 == 0, Removed: i%3 == 0,
					TitleOrig: pick(hostile), ActionRel: pick(hostile), ActionClass: pick(hostile), Level: pick(hostile),
					LevelWord: pick(hostile), RemovedWord: pick(hostile)}
				if i%4 != 1 {
					r.Own = &ownView{Status: pick(hostile), StatusWord: pick(hostile), Owner: pick(hostile)}
				}
				if i%4 != 2 {
					r.Extra.Rel = &relMark{Class: pick(hostile), Word: pick(hostile), Why: pick(hostile)}
					r.Extra.Copies = &copiesMark{Text: pick(hostile), Notes: []string{pick(hostile), pick(hostile)}, Only: i%5 == 0, Link: pick(urls)}
				}
				for range i % 3 {
					r.Extra.Tickets = append(r.Extra.Tickets, ticketLink{Label: pick(hostile), URL: pick(urls)}, ticketLink{Label: pick(hostile)})
				}
				rows = append(rows, r)
			}
		}
	}
	for i := range urls { // every URL in every place a URL goes
		r := rows[i]
		r.Link, r.Extra.Copies = urls[i], &copiesMark{Text: "x", Link: urls[i]}
		r.Extra.Tickets = []ticketLink{{Label: "t", URL: urls[i]}}
		rows = append(rows, r)
	}

	var want strings.Builder
	if err := oracle.Execute(&want, rows); err != nil {
		t.Fatal(err)
	}
	got := "<table><tbody>" + string(rowsHTML(rows)) + "</tbody></table>"
	if got != want.String() {
		w := want.String()
		i := 0
		for i < min(len(got), len(w)) && got[i] == w[i] {
			i++
		}
		from := max(i-200, 0)
		t.Fatalf("rows differ at byte %d:\n got: %q\nwant: %q", i, got[from:min(i+200, len(got))], w[from:min(i+200, len(w))])
	}
	for _, bad := range []string{"javascript:", "JavaScript:", "data:text", "vbscript:", "<script>", "<img"} {
		if strings.Contains(got, bad) {
			t.Errorf("rows hold %q", bad)
		}
	}
}

// TestOptionsHTMLMatchesTemplate: the filters' choices, written by
// optionsHTML, are what list.html wrote for them, hostile values included.
func TestOptionsHTMLMatchesTemplate(t *testing.T) {
	const oracle = `{{define "counts"}}{{range .}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}} ({{.N}})</option>{{end}}{{end}}` +
		`{{define "plain"}}{{range .}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>{{end}}{{end}}`
	tmpl := template.Must(template.New("options").Parse(oracle))
	var opts []facetOpt
	for i, v := range []string{"", "t042", `"><script>x</script>`, "a&b+c", "暗号化", "' onclick='x", "a\x00b", "Microsoft Teams"} {
		opts = append(opts, facetOpt{Value: v, Label: v + " " + strings.ToUpper(v), N: i * 7, Selected: i%3 == 1})
	}
	for _, tt := range []struct {
		name   string
		counts bool
	}{{"counts", true}, {"plain", false}} {
		var want strings.Builder
		if err := tmpl.ExecuteTemplate(&want, tt.name, opts); err != nil {
			t.Fatal(err)
		}
		if got := string(optionsHTML(opts, tt.counts)); got != want.String() {
			t.Errorf("%s:\n got: %q\nwant: %q", tt.name, got, want.String())
		}
	}
}
