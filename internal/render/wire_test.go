package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
)

// wireCase is one event rendered in every wire format.
type wireCase struct {
	name string
	ev   *model.Event
	o    Options
}

// wireCases are the events of the golden files: the EX559755 final update,
// a new MC post with hostile HTML and an MC update.
func wireCases(t *testing.T) []wireCase {
	t.Helper()
	first, final := ex559755(t)
	issueDone, ok := detect.Issue("contoso", first, 1, final, detect.Options{Now: at("2023-05-26T00:15:00Z")})
	if !ok {
		t.Fatal("detect raised no event for EX559755")
	}
	v1, v2 := message(t)
	mcUpd, ok := detect.Message("contoso", v1, 1, v2, detect.Options{Now: at("2024-05-10T21:10:00Z")})
	if !ok {
		t.Fatal("detect raised no event for the MC update")
	}
	mcHostile, ok := detect.Message("contoso", nil, 0, hostileMessage(t), detect.Options{Now: at("2024-04-02T18:30:00Z")})
	if !ok {
		t.Fatal("detect raised no event for the hostile MC post")
	}
	return []wireCase{
		{"ex559755_final", &issueDone, Options{}},
		{"mc_hostile_new", &mcHostile, Options{}},
		{"mc_updated", &mcUpd, Options{LinkURL: "https://shdmc.contoso.example/items/MC123456"}},
	}
}

// hostileMessage is a new Message Center post whose body tries every trick:
// scripts, event handlers, javascript: links, frames, styles, forms and
// insecure images.
func hostileMessage(t *testing.T) *model.Message {
	return &model.Message{
		ID:       "MC999001",
		Title:    `Retiring the <b>classic</b> usage reports & "legacy" exports`,
		Category: model.CategoryPlanForChange, Severity: model.SeverityCritical,
		Services:         []string{"Microsoft 365 suite"},
		Tags:             []string{"Retirement", "Admin impact"},
		Start:            at("2024-04-02T18:22:10Z"),
		LastModified:     at("2024-04-02T18:22:10Z"),
		ActionRequiredBy: at("2024-06-01T07:00:00Z"),
		BodyType:         "html",
		Body:             fixture(t, "mc_hostile.html"),
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func indentJSON(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return out.String() + "\n"
}

func TestWireGolden(t *testing.T) {
	for _, tc := range wireCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			subject, html, text := HTML(tc.ev, tc.o)
			if subject == "" || strings.ContainsAny(subject, "\r\n") {
				t.Errorf("subject = %q", subject)
			}
			golden(t, tc.name+".html.golden", html)
			golden(t, tc.name+".mail.txt.golden", subject+"\n\n"+text)
			c, err := AdaptiveCard(tc.ev, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".card.json.golden", indentJSON(t, c))
			s, err := SlackBlocks(tc.ev, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".slack.json.golden", indentJSON(t, s))
			checkCard(t, c, 0)
			checkSlack(t, s)
		})
	}
}

// cardShape is what the tests read back from a card.
type cardShape struct {
	Type        string `json:"type"`
	Attachments []struct {
		ContentType string          `json:"contentType"`
		ContentURL  json.RawMessage `json:"contentUrl"`
		Content     struct {
			Schema  string `json:"$schema"`
			Type    string `json:"type"`
			Version string `json:"version"`
			MSTeams struct {
				Width string `json:"width"`
			} `json:"msteams"`
			Body []struct {
				Type  string `json:"type"`
				Text  string `json:"text"`
				Wrap  bool   `json:"wrap"`
				Items []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"items"`
				Facts []struct{ Title, Value string } `json:"facts"`
			} `json:"body"`
			Actions []struct {
				Type, Title, URL string
			} `json:"actions"`
		} `json:"content"`
	} `json:"attachments"`
}

// checkCard asserts the envelope and card rules Teams depends on (the parts
// the adaptivecards validator does not check) and returns the card.
func checkCard(t *testing.T, b []byte, _ int) cardShape {
	t.Helper()
	if len(b) >= MaxCardBytes {
		t.Errorf("card is %d bytes, limit %d", len(b), MaxCardBytes)
	}
	if !utf8.Valid(b) {
		t.Error("card is not valid UTF-8")
	}
	var c cardShape
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("card JSON: %v", err)
	}
	if c.Type != "message" || len(c.Attachments) != 1 {
		t.Fatalf("envelope: type %q, %d attachments", c.Type, len(c.Attachments))
	}
	a := c.Attachments[0]
	if a.ContentType != "application/vnd.microsoft.card.adaptive" || string(a.ContentURL) != "null" {
		t.Errorf("attachment contentType %q contentUrl %s", a.ContentType, a.ContentURL)
	}
	cc := a.Content
	if cc.Type != "AdaptiveCard" || cc.Version != "1.5" || cc.Schema != "http://adaptivecards.io/schemas/adaptive-card.json" || cc.MSTeams.Width != "Full" {
		t.Errorf("card header: type %q version %q schema %q width %q", cc.Type, cc.Version, cc.Schema, cc.MSTeams.Width)
	}
	if len(cc.Actions) != 1 || cc.Actions[0].Type != "Action.OpenUrl" || !strings.HasPrefix(cc.Actions[0].URL, "https://") {
		t.Errorf("actions = %+v", cc.Actions)
	}
	for i, el := range cc.Body {
		switch el.Type {
		case "TextBlock":
			if !el.Wrap || el.Text == "" {
				t.Errorf("body[%d]: TextBlock wrap=%v text=%q", i, el.Wrap, el.Text)
			}
		case "FactSet":
			if len(el.Facts) == 0 {
				t.Errorf("body[%d]: empty FactSet", i)
			}
		case "Container":
			if len(el.Items) == 0 {
				t.Errorf("body[%d]: empty Container", i)
			}
		default:
			t.Errorf("body[%d]: unexpected element %q", i, el.Type)
		}
	}
	return c
}

type slackShape struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
		Fields []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"fields"`
		Elements []struct {
			Type string          `json:"type"`
			Text json.RawMessage `json:"text"`
			URL  string          `json:"url"`
		} `json:"elements"`
	} `json:"blocks"`
}

// checkSlack asserts Block Kit's documented limits and returns the message
// and the total characters of its blocks.
func checkSlack(t *testing.T, b []byte) (slackShape, int) {
	t.Helper()
	if !utf8.Valid(b) {
		t.Error("slack payload is not valid UTF-8")
	}
	var m slackShape
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("slack JSON: %v", err)
	}
	if m.Text == "" {
		t.Error("no fallback text")
	}
	if len(m.Blocks) > 50 {
		t.Errorf("%d blocks, limit 50", len(m.Blocks))
	}
	total := 0
	for i, bl := range m.Blocks {
		switch bl.Type {
		case "header":
			if bl.Text == nil || bl.Text.Type != "plain_text" || runes(bl.Text.Text) > 150 || bl.Text.Text == "" {
				t.Errorf("block %d: bad header %+v", i, bl.Text)
			}
		case "section":
			if bl.Text != nil {
				total += runes(bl.Text.Text)
				if n := runes(bl.Text.Text); n > 3000 || n == 0 {
					t.Errorf("block %d: section text of %d characters", i, n)
				}
			}
			if len(bl.Fields) > 10 {
				t.Errorf("block %d: %d fields", i, len(bl.Fields))
			}
			for _, f := range bl.Fields {
				total += runes(f.Text)
				if runes(f.Text) > 2000 {
					t.Errorf("block %d: field of %d characters", i, runes(f.Text))
				}
			}
			if bl.Text == nil && len(bl.Fields) == 0 {
				t.Errorf("block %d: empty section", i)
			}
		case "context":
			if len(bl.Elements) == 0 || len(bl.Elements) > 10 {
				t.Errorf("block %d: %d context elements", i, len(bl.Elements))
			}
		case "actions":
			for _, el := range bl.Elements {
				if el.Type != "button" || !strings.HasPrefix(el.URL, "https://") || len(el.URL) > 3000 {
					t.Errorf("block %d: bad button %+v", i, el)
				}
			}
		default:
			t.Errorf("block %d: unexpected type %q", i, bl.Type)
		}
	}
	if total > SlackMaxTotal {
		t.Errorf("blocks hold %d characters, budget %d", total, SlackMaxTotal)
	}
	return m, total
}

// TestHostileHTMLStrings asserts on the output strings that nothing active
// or remote from Microsoft's HTML survives; TestBrowser checks the same in
// Chromium.
func TestHostileHTMLStrings(t *testing.T) {
	tc := wireCases(t)[1]
	_, html, text := HTML(tc.ev, tc.o)
	lower := strings.ToLower(html)
	for _, bad := range []string{"<script", "pwned", "onerror", "onload", "onclick", "javascript:", "&#106;avascript", "<iframe",
		"<style", "<svg", "<form", "<input", "<object", "http://insecure.example", "tracker.example", "evil.example", "<b>classic</b>"} {
		if strings.Contains(lower, bad) {
			t.Errorf("email HTML contains %q", bad)
		}
	}
	for _, good := range []string{
		`<a href="https://learn.microsoft.com/microsoft-365/admin/activity-reports/activity-reports" rel="nofollow noopener" target="_blank" style="color:#0f6cbd;">Microsoft 365 reports in the admin center</a>`,
		`<img src="https://res.cdn.office.net/assets/mc/reports.png" alt="The new reports page" width="600" style=`,
		`<a href="mailto:admin@contoso.example" rel="nofollow" style="color:#0f6cbd;">your admin</a>`,
		`Retiring the &lt;b&gt;classic&lt;/b&gt; usage reports &amp; &#34;legacy&#34; exports`,
		`<li>Retirement begins <em>June 1, 2024</em>.</li>`,
		`<td style="border:1px solid #d1d1d1;`,
	} {
		if !strings.Contains(html, good) {
			t.Errorf("email HTML lacks %q", good)
		}
	}
	// Every src and href of the document: no scripts, only https images.
	for _, m := range regexp.MustCompile(`\s(src|href)="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		switch {
		case m[1] == "src" && !strings.HasPrefix(m[2], "https://"):
			t.Errorf("image not over https: %s", m[0])
		case m[1] == "href" && !strings.HasPrefix(m[2], "https://") && !strings.HasPrefix(m[2], "mailto:"):
			t.Errorf("link with a bad scheme: %s", m[0])
		}
	}
	if strings.Contains(strings.ToLower(text), "javascript:") || strings.Contains(text, "pwned") {
		t.Errorf("plain-text alternative carries script:\n%s", text)
	}
	for name, f := range map[string]func(*model.Event, Options) ([]byte, error){"card": AdaptiveCard, "slack": SlackBlocks} {
		b, err := f(tc.ev, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ToLower(string(b))
		for _, bad := range []string{"<script", "pwned", "javascript:", "<iframe", "onerror"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
	s, err := SlackBlocks(tc.ev, tc.o)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := checkSlack(t, s)
	for _, bl := range m.Blocks {
		var texts []string
		if bl.Text != nil && bl.Text.Type == "mrkdwn" {
			texts = append(texts, bl.Text.Text)
		}
		for _, f := range bl.Fields {
			texts = append(texts, f.Text)
		}
		for _, x := range texts {
			// In mrkdwn only our own links may use < and >.
			rest := regexp.MustCompile(`<https://[^|>]+\|[^<>]+>`).ReplaceAllString(x, "")
			if strings.ContainsAny(rest, "<>") {
				t.Errorf("unescaped < or > in Slack text %q", x)
			}
		}
	}
	if h := m.Blocks[0].Text.Text; h != `Retiring the <b>classic</b> usage reports & "legacy" exports` {
		t.Errorf("header (plain_text, not escaped) = %q", h)
	}
}

// longIssue is an issue event with one new post of text.
func longIssue(post string) *model.Event {
	is := &model.Issue{
		ID: "EX900001", Title: "Long post", Service: "Exchange Online", Status: model.StatusInvestigating,
		Classification: model.ClassificationIncident,
		Posts:          []model.Post{{Created: at("2024-01-01T00:00:00Z"), Content: post}},
	}
	ev, _ := detect.Issue("contoso", nil, 0, is, detect.Options{Now: at("2024-01-01T00:05:00Z")})
	return &ev
}

func TestSizeLimits(t *testing.T) {
	para := "Current status: We're reviewing service telemetry to identify the cause of the impact and develop a mitigation plan. " +
		"Users may see delays when sending or receiving email, and some may be unable to reach their mailbox at all."
	jaPara := "現在の状況: サービスのテレメトリを確認し、影響の原因を特定して軽減策を策定しています。" +
		"ユーザーはメールの送受信に遅延が発生したり、メールボックスにまったくアクセスできなかったりする可能性があります。"
	repeat := func(p string, sep string, size int) string {
		var b strings.Builder
		for k := 0; b.Len() < size && k < 100000; k++ {
			fmt.Fprintf(&b, "%d. %s%s", k+1, p, sep)
		}
		return strings.TrimSpace(b.String())
	}
	tests := []struct {
		name     string
		post     string
		paraCuts bool // the cut falls between paragraphs
	}{
		{"200KB English paragraphs", repeat(para, "\n\n", 200<<10), true},
		{"200KB Japanese paragraphs", repeat(jaPara, "\n\n", 200<<10), true},
		{"200KB Japanese single paragraph", strings.Repeat(jaPara, 200<<10/len(jaPara)+1), false},
		{"200KB English lines", repeat(para, "\n", 200<<10), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := longIssue(tt.post)
			if len(tt.post) < 200<<10 {
				t.Fatalf("post is only %d bytes", len(tt.post))
			}
			origParas := map[string]bool{}
			for _, p := range paragraphs(htmltext.Text(tt.post)) {
				origParas[p] = true
			}
			full := htmltext.Text(tt.post)

			start := time.Now()
			b, err := AdaptiveCard(ev, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("card took %v", d)
			}
			c := checkCard(t, b, 0)
			body := c.Attachments[0].Content.Body
			if len(b) < MaxCardBytes-2000 {
				t.Errorf("card of %d bytes wastes the budget", len(b))
			}
			var texts []string
			for _, el := range body {
				if el.Type == "TextBlock" {
					texts = append(texts, el.Text)
				}
			}
			k := len(texts) - 2 // the last is the footer, before it the continuation line
			if k < 1 || texts[k] != continued(Doc{}) {
				t.Fatalf("card does not end with %q: %q", continued(Doc{}), texts[max(0, k-1):])
			}
			last := texts[k-1]
			if !utf8.ValidString(last) || !strings.Contains(full, last) {
				t.Errorf("last kept text is not a piece of the post: %q", last)
			}
			if tt.paraCuts && !origParas[last] {
				t.Errorf("card cut inside a paragraph: %q", last)
			}

			s, err := SlackBlocks(ev, Options{})
			if err != nil {
				t.Fatal(err)
			}
			m, total := checkSlack(t, s)
			if total < SlackMaxTotal/2 {
				t.Errorf("slack used only %d characters of %d", total, SlackMaxTotal)
			}
			var cont bool
			var lastText string
			for _, bl := range m.Blocks {
				if bl.Type == "section" && bl.Text != nil {
					lastText = bl.Text.Text
				}
				if bl.Type == "context" && strings.Contains(string(bl.Elements[0].Text), continued(Doc{})) {
					cont = true
				}
			}
			if !cont {
				t.Error("slack message does not say it was cut")
			}
			tail := lastText[strings.LastIndex(lastText, "\n\n")+1:]
			tail = strings.TrimPrefix(tail, "\n")
			if strings.HasPrefix(tail, "*") { // the block's title line
				tail = tail[strings.Index(tail, "\n")+1:]
			}
			if !utf8.ValidString(lastText) || !strings.Contains(slackEscape.Replace(full), tail) {
				t.Errorf("last slack text is not a piece of the post: %q", tail)
			}
			if tt.paraCuts && !origParas[tail] {
				t.Errorf("slack cut inside a paragraph: %q", tail)
			}
		})
	}
}

// TestSlackManyBlocks: sixty new posts in one event (a bulk backfill) still
// make at most 50 blocks.
func TestSlackManyBlocks(t *testing.T) {
	prev := &model.Issue{ID: "EX900002", Title: "Many posts", Status: model.StatusInvestigating}
	cur := *prev
	for k := 0; k < 60; k++ {
		cur.Posts = append(cur.Posts, model.Post{Created: at("2024-01-01T00:00:00Z").Add(time.Duration(k) * time.Minute), Content: fmt.Sprintf("Update %d: still investigating.", k)})
	}
	ev, ok := detect.Issue("contoso", prev, 1, &cur, detect.Options{Now: at("2024-01-01T02:00:00Z")})
	if !ok {
		t.Fatal("no event")
	}
	s, err := SlackBlocks(&ev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := checkSlack(t, s)
	if len(m.Blocks) < 40 {
		t.Errorf("only %d blocks for 60 posts", len(m.Blocks))
	}
	if !strings.Contains(string(s), continued(Doc{})) {
		t.Error("no continuation line")
	}
	b, err := AdaptiveCard(&ev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkCard(t, b, 0)
}

func TestCutText(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"one two three four", 12, "one two"},
		{"line one\nline two", 14, "line one"},
		{"日本語のテキスト", 10, "日本語"}, // 3 bytes a character: never split one
		{"日本語のテキスト", 2, ""},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		got := cutText(tt.in, tt.max, func(s string) int { return len(s) })
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("cutText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestLinks(t *testing.T) {
	cases := wireCases(t)
	tests := []struct {
		ev   *model.Event
		o    Options
		want string
	}{
		{cases[0].ev, Options{}, "https://admin.microsoft.com/Adminportal/Home#/servicehealth/:/alerts/EX559755"},
		{cases[1].ev, Options{}, "https://admin.microsoft.com/Adminportal/Home#/MessageCenter/:/messages/MC999001"},
		{cases[0].ev, Options{LinkURL: "https://shdmc.example/i/EX559755"}, "https://shdmc.example/i/EX559755"},
	}
	for _, tt := range tests {
		_, html, text := HTML(tt.ev, tt.o)
		card, err := AdaptiveCard(tt.ev, tt.o)
		if err != nil {
			t.Fatal(err)
		}
		slack, err := SlackBlocks(tt.ev, tt.o)
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string]string{"html": html, "text": text, "card": string(card), "slack": string(slack)} {
			if !strings.Contains(s, tt.want) {
				t.Errorf("%s lacks the link %s", name, tt.want)
			}
		}
	}
}

func TestSanitizeHTMLKeepsPlainPostLines(t *testing.T) {
	got := SanitizeHTML("Title: A & B\n\nUser impact: <a href=\"https://x.example/\">link</a>\\\nnext")
	want := "Title: A &amp; B<br>\n<br>\nUser impact: <a href=\"https://x.example/\" rel=\"nofollow noopener\" target=\"_blank\" style=\"color:#0f6cbd;\">link</a><br>\nnext"
	if got != want {
		t.Errorf("SanitizeHTML = %q\nwant %q", got, want)
	}
	if got := textHTML("a <b>\n- one\n  - sub\n- two\n\n1. first"); got != "<p style=\"margin:0 0 10px 0;\">a &lt;b&gt;</p>\n"+
		"<ul style=\"margin:0 0 10px 0;padding-left:22px;\">\n<li>one<ul style=\"margin:0 0 10px 0;padding-left:22px;\">\n<li>sub</li></ul>\n</li>\n<li>two</li></ul>\n"+
		"<ol style=\"margin:0 0 10px 0;padding-left:22px;\">\n<li>first</li></ol>" {
		t.Errorf("textHTML = %q", got)
	}
}
