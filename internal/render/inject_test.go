package render

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
)

// spoofEvents are events whose item text tries to make links, mentions
// and formatting of its own in Teams and Slack.
func spoofEvents(t *testing.T) map[string]*model.Event {
	t.Helper()
	m := &model.Message{
		ID:       "MC666001",
		Title:    "[admin center](https://evil.example/login) <!channel> *urgent* _now_ <@U123>",
		Category: model.CategoryPlanForChange, Severity: model.SeverityHigh,
		Services:     []string{"Exchange](https://evil.example/s)", "<!here> Teams"},
		Tags:         []string{"[tag](https://evil.example/t)"},
		Start:        at("2024-04-02T18:22:10Z"),
		LastModified: at("2024-04-02T18:22:10Z"),
		BodyType:     "html",
		Body: `<p>Sign in at [the admin center](https://evil.example/login) or ![x](https://evil.example/i.png).</p>` +
			`<p># Not a heading</p><p>&gt; not a quote</p><p>1. not a list</p>` +
			`<ul><li>[item link](https://evil.example/l)</li><li>fine</li></ul>` +
			`<p>Docs: https://learn.microsoft.com/a_b/c*d?x=[1] stay links.</p>` +
			`<p>Slack: <!channel> <!here> <@U123> <https://evil.example|admin center> &amp; more</p>`,
	}
	mev, ok := detect.Message("contoso", nil, 0, m, detect.Options{Now: at("2024-04-02T18:30:00Z")})
	if !ok {
		t.Fatal("no MC event")
	}
	is := &model.Issue{
		ID: "EX666002", Title: "# [Fix it](https://evil.example/fix) <!channel>", Service: "[Exchange Online](https://evil.example/x)",
		Classification: model.ClassificationIncident, Status: model.StatusInvestigating,
		Start: at("2024-04-02T18:00:00Z"), LastModified: at("2024-04-02T18:20:00Z"),
		Posts: []model.Post{{Created: at("2024-04-02T18:20:00Z"), Type: model.PostRegular, ContentType: "text",
			Content: "Title: [Reset your password](https://evil.example/reset)\n\n- <!channel> [click](https://evil.example/c)"}},
	}
	iev, ok := detect.Issue("contoso", nil, 0, is, detect.Options{Now: at("2024-04-02T18:30:00Z")})
	if !ok {
		t.Fatal("no issue event")
	}
	return map[string]*model.Event{"mc": &mev, "issue": &iev}
}

// unescapedBracket is a "[" or "]" without a backslash before it.
var unescapedBracket = regexp.MustCompile(`(^|[^\\])[\[\]]`)

// TestCardEscapesMarkdown checks that no text of a card carries a Markdown
// link (or any bracket Teams could read as one), a heading or a quote made
// from item text, while the card's own link and real URLs stay intact.
func TestCardEscapesMarkdown(t *testing.T) {
	for name, ev := range spoofEvents(t) {
		t.Run(name, func(t *testing.T) {
			b, err := AdaptiveCard(ev, Options{})
			if err != nil {
				t.Fatal(err)
			}
			c := checkCard(t, b, 0).Attachments[0].Content
			var texts []string
			for _, el := range c.Body {
				texts = append(texts, el.Text)
				for _, it := range el.Items {
					texts = append(texts, it.Text)
				}
				for _, f := range el.Facts {
					texts = append(texts, f.Title, f.Value)
				}
			}
			all := strings.Join(texts, "\n")
			for _, x := range texts {
				if m := unescapedBracket.FindString(x); m != "" {
					t.Errorf("unescaped bracket %q in card text %q", m, x)
				}
				for _, l := range strings.Split(x, "\n") {
					if regexp.MustCompile(`^\s*(#|>)`).MatchString(l) {
						t.Errorf("line read as a heading or quote: %q", l)
					}
					if regexp.MustCompile(`(^|[^\\])[*_]`).MatchString(strings.Join(regexp.MustCompile(`https?://\S+`).Split(l, -1), " ")) {
						t.Errorf("unescaped emphasis outside URLs in %q", l)
					}
				}
			}
			if name == "mc" {
				for _, want := range []string{`\[admin center\](https://evil.example/login)`, `\*urgent\* \_now\_`,
					"https://learn.microsoft.com/a_b/c*d?x=%5B1%5D", "- fine", `\# Not a heading`, `\> not a quote`} {
					if !strings.Contains(all, want) {
						t.Errorf("card lacks %q:\n%s", want, all)
					}
				}
			}
			if len(c.Actions) != 1 || !strings.HasPrefix(c.Actions[0].URL, "https://admin.microsoft.com/") {
				t.Errorf("the card's own link changed: %+v", c.Actions)
			}
		})
	}
}

// slackMention finds what Slack reads as a mention, a special command or
// a link in mrkdwn or in the top-level text.
var slackMention = regexp.MustCompile(`<[!@#]|<https?://`)

// TestSlackEscapesItemText checks that no item text reaches Slack's
// top-level text or a mrkdwn text as a mention (<!channel>, <!here>,
// <@U123>) or a link (<https://evil|label>); only the message's own
// continuation link may use < and >.
func TestSlackEscapesItemText(t *testing.T) {
	for name, ev := range spoofEvents(t) {
		t.Run(name, func(t *testing.T) {
			b, err := SlackBlocks(ev, Options{})
			if err != nil {
				t.Fatal(err)
			}
			m, _ := checkSlack(t, b)
			texts := []string{m.Text}
			for _, bl := range m.Blocks {
				if bl.Text != nil && bl.Text.Type == "mrkdwn" {
					texts = append(texts, bl.Text.Text)
				}
				for _, f := range bl.Fields {
					texts = append(texts, f.Text)
				}
				for _, e := range bl.Elements {
					var o struct{ Type, Text string }
					if e.Type == "mrkdwn" {
						_ = json.Unmarshal(e.Text, &o.Text)
						texts = append(texts, o.Text)
					}
				}
			}
			for _, x := range texts {
				rest := strings.ReplaceAll(x, "<"+Compose(ev, Options{}).ItemLink().URL+"|", "")
				if loc := slackMention.FindStringIndex(rest); loc != nil {
					t.Errorf("Slack text reads as a mention or link at %q: %q", rest[loc[0]:], x)
				}
			}
			if !strings.Contains(m.Text, "&lt;!channel&gt;") {
				t.Errorf("top-level text = %q, want <!channel> escaped", m.Text)
			}
		})
	}
}

func TestCardText(t *testing.T) {
	tests := []struct{ in, text, para string }{
		{"plain (Updated) text", "plain (Updated) text", "plain (Updated) text"},
		{"[a](https://evil.example)", `\[a\](https://evil.example)`, `\[a\](https://evil.example)`},
		{"![i](https://evil.example/i.png)", `!\[i\](https://evil.example/i.png)`, `!\[i\](https://evil.example/i.png)`},
		{`back\slash *b* _i_ ~~s~~ ` + "`c`", `back\\slash \*b\* \_i\_ \~\~s\~\~ \` + "`c\\`", `back\\slash \*b\* \_i\_ \~\~s\~\~ \` + "`c\\`"},
		{"# heading", `\# heading`, `\# heading`},
		{"> quote", `\> quote`, `\> quote`},
		{"1. first\n  2) second", `1\. first` + "\n" + `  2\) second`, "1. first\n" + `  2\) second`},
		{"- item\n+ plus\n---", `\- item` + "\n" + `\+ plus` + "\n" + `\---`, "- item\n" + `\+ plus` + "\n" + `\---`},
		{"see https://x.example/a_b*c[1](d) now_", `see https://x.example/a_b*c%5B1%5D(d) now\_`, `see https://x.example/a_b*c%5B1%5D(d) now\_`},
	}
	for _, tt := range tests {
		if got := cardText(tt.in); got != tt.text {
			t.Errorf("cardText(%q) = %q, want %q", tt.in, got, tt.text)
		}
		if got := cardParagraph(tt.in); got != tt.para {
			t.Errorf("cardParagraph(%q) = %q, want %q", tt.in, got, tt.para)
		}
	}
}
