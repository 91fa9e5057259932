package htmltext

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text post keeps newlines", "Title: OME\n\nUser impact: Users can't.\nMore info: x", "Title: OME\n\nUser impact: Users can't.\nMore info: x"},
		{"CRLF", "a\r\nb\r\n\r\n\r\n\r\nc", "a\nb\n\nc"},
		{"backslash before newline", "Start time: Sunday\\\nEnd time: Monday\\\\\nok", "Start time: Sunday\nEnd time: Monday\nok"},
		{"inline link in plain text", "See <a href=\"https://aka.ms/x\">the doc</a> now.\nNext", "See the doc (https://aka.ms/x) now.\nNext"},
		{"paragraphs and br", "<p>one\n two</p><p>three<br>four<br><br>five</p>", "one two\n\nthree\nfour\n\nfive"},
		{"entities", "<p>R&amp;D &lt;team&gt; &quot;q&quot; caf&eacute; &#x2014; &nbsp;x</p>", "R&D <team> \"q\" café — x"},
		{"script style head dropped", "<head><title>t</title></head><style>p{}</style><p>a<script>alert(1)</script>b</p>", "ab"},
		{"ordered and nested lists", "<ol start=\"3\"><li>three</li><li>four<ul><li>sub</li></ul></li></ol><p>after</p>", "3. three\n4. four\n  - sub\n\nafter"},
		{"link equal to url", "<a href=\"https://x.y/\">https://x.y</a> <a href=\"mailto:a@b.c\">a@b.c</a> <a href=\"#top\">top</a> <a href=\"javascript:alert(1)\">js</a>", "https://x.y a@b.c top js"},
		{"image alt", "<p><img src=\"x.png\" alt=\"Screenshot\"> <img src=\"y.png\"></p>", "[Screenshot]"},
		{"table", "<table><tr><th>Date</th><th>Phase</th></tr><tr><td>May</td><td>GA</td></tr></table>", "Date | Phase\nMay | GA"},
		{"heading", "<h2>When</h2><p>soon</p>", "When\n\nsoon"},
		{"pre keeps spacing", "<pre>Get-Thing  -x\n  y</pre>", "Get-Thing  -x\n  y"},
		{"mojibake kept", "<p>We\u00d4\u00c7\u00d6re fixing</p>", "We\u00d4\u00c7\u00d6re fixing"},
		{"unclosed and stray tags", "<p>a <b>bold <i>x</p></div></span> tail", "a bold x\n\ntail"},
		{"invalid utf8", "a\xffb", "a\ufffdb"},
		{"empty", "", ""},
		{"comment", "<p>a<!-- hidden -->b</p>", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSections(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Section
	}{
		{
			name: "realistic MC body",
			in:   readFile(t, "mc_v1.html"),
			want: []Section{
				{Heading: "", Text: "We are rolling out a new sharing experience for SharePoint Online and OneDrive for Business that makes it easier to share files with people inside and outside your organization.\n\nThis message is associated with Microsoft 365 Roadmap ID 124933 (https://www.microsoft.com/microsoft-365/roadmap?filters=&searchterms=124933)."},
				{Heading: "When this will happen", Text: "Targeted Release: We will begin rolling out in mid-May 2024 and expect to complete by late May 2024.\n\nGeneral Availability: We will begin rolling out in early June 2024 and expect to complete by late June 2024."},
				{Heading: "How this will affect your organization", Text: "Users will see a new Share dialog with these options:\n\n- Copy link & send in one step\n- Manage access from the same dialog\n  - including external guests\n\n[The new Share dialog]"},
				{Heading: "What you need to do to prepare", Text: "No action is needed, but you may want to notify your users about this change and update your training and documentation as appropriate.\n\nLearn more: Manage sharing settings (https://learn.microsoft.com/sharepoint/turn-external-sharing-on-or-off)"},
			},
		},
		{
			name: "h tags, colon outside bold, long bold is not a heading",
			in:   "<h3>Overview</h3><p>x</p><p><b>Note</b>: y</p><p><strong>This whole sentence is bold but continues</strong> with normal text.</p>",
			want: []Section{
				{Heading: "Overview", Text: "x"},
				{Heading: "Note", Text: "y\n\nThis whole sentence is bold but continues with normal text."},
			},
		},
		{name: "plain text", in: "just text\nmore", want: []Section{{Text: "just text\nmore"}}},
		{name: "empty", in: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Sections(tt.in)); diff != "" {
				t.Errorf("Sections (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeepNestingBounded(t *testing.T) {
	in := strings.Repeat("<div><span>", 3000) + "deep" + strings.Repeat("</span></div>", 3000)
	if got := Text(in); !strings.Contains(got, "deep") {
		t.Errorf("deep text lost: %q", got)
	}
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"", "<p>a</p>", "a\\\nb", "<ol start=-5><li>x", "<table><td>a<td>b", "<pre>\n x</pre>", "<a href=x>y</a>", "\xff<br>", "<p><b>H:</b> t</p>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if !utf8.ValidString(out) {
			t.Errorf("invalid UTF-8 out of %q", s)
		}
		if strings.Contains(out, "\n\n\n") {
			t.Errorf("more than one blank line in %q", out)
		}
	})
}

func FuzzSections(f *testing.F) {
	f.Add("<p><strong>When this will happen:</strong></p><p>x</p><h2>y</h2>")
	f.Add("<p><b>a</b>:<b>b</b></p>")
	f.Fuzz(func(t *testing.T, s string) {
		for _, sec := range Sections(s) {
			if sec.Heading == "" && sec.Text == "" {
				t.Errorf("empty section from %q", s)
			}
		}
	})
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
