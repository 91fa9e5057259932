package render

import (
	"strings"
	"sync"
	"testing"

	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
)

// unbalancedBodies are fragments that leave elements open or close ones
// they never opened.
var unbalancedBodies = map[string]string{
	"unclosed a":        `<p>Read <a href="https://learn.microsoft.com/x">the guide`,
	"unclosed table":    `<table><tr><td>cell<td>other`,
	"unclosed div":      `<div><div><p>nested`,
	"unclosed ul":       `<ul><li>one<li>two`,
	"stray end tags":    `<p>text</p></div></div></td></tr></table></body></html><p>after`,
	"mixed":             `<b><i>bold <a href="https://x.example/">link <table><tr><td><ul><li>deep`,
	"stray end then a":  `</div></div><a href="https://x.example/">open`,
	"unclosed in table": `<table><tr><td><div><a href="https://x.example/">x</td></tr>`,
}

// childrenOf finds the first element below n matching ok.
func findElement(n *nethtml.Node, ok func(*nethtml.Node) bool) *nethtml.Node {
	if n.Type == nethtml.ElementNode && ok(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, ok); f != nil {
			return f
		}
	}
	return nil
}

func textOf(n *nethtml.Node) string {
	var b strings.Builder
	var walk func(*nethtml.Node)
	walk = func(n *nethtml.Node) {
		if n.Type == nethtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func attrOf(n *nethtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestSanitizeHTMLBalancesFragments renders emails whose Microsoft HTML is
// unbalanced and checks, by parsing the whole document as a browser would,
// that the email's own markup after the fragment (the button, the footer)
// is still where the template put it: a child of the sheet <div>, never
// inside the fragment's elements.
func TestSanitizeHTMLBalancesFragments(t *testing.T) {
	for name, body := range unbalancedBodies {
		t.Run(name, func(t *testing.T) {
			m := &model.Message{ID: "MC100001", Title: "Unbalanced", Category: model.CategoryPlanForChange,
				Severity: model.SeverityNormal, Services: []string{"Exchange Online"}, BodyType: "html", Body: body,
				Start: at("2024-04-02T18:22:10Z"), LastModified: at("2024-04-02T18:22:10Z")}
			ev, ok := detect.Message("contoso", nil, 0, m, detect.Options{Now: at("2024-04-02T18:30:00Z")})
			if !ok {
				t.Fatal("no event")
			}
			_, doc, _ := HTML(&ev, Options{})
			root, err := nethtml.Parse(strings.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			button := findElement(root, func(n *nethtml.Node) bool {
				return n.DataAtom == atom.A && textOf(n) == Phrase("en", "link.adminCenter")
			})
			if button == nil {
				t.Fatalf("no button in\n%s", doc)
			}
			var chain []string
			for p := button.Parent; p != nil && p.Type == nethtml.ElementNode; p = p.Parent {
				chain = append(chain, p.Data)
			}
			if got := strings.Join(chain, ">"); got != "p>div>body>html" {
				t.Errorf("button's ancestors = %s, want p>div>body>html; document:\n%s", got, doc)
			}
			if sheet := button.Parent.Parent; !strings.HasPrefix(attrOf(sheet, "style"), "max-width:760px") {
				t.Errorf("button is not in the sheet <div> but in <div style=%q>", attrOf(sheet, "style"))
			}
			footer := findElement(root, func(n *nethtml.Node) bool {
				return n.DataAtom == atom.P && strings.Contains(attrOf(n, "style"), "border-top:1px solid #e0e0e0")
			})
			if footer == nil || footer.Parent != button.Parent.Parent {
				t.Errorf("footer is not a child of the sheet <div>")
			}
		})
	}
}

// TestSanitizeHTMLBalanced checks the fragment itself: parsed on its own,
// then written again, it is the same text (nothing left open, nothing
// stray).
func TestSanitizeHTMLBalanced(t *testing.T) {
	for name, body := range unbalancedBodies {
		got := SanitizeHTML(body)
		for _, stray := range []string{"</body>", "</html>"} {
			if strings.Contains(got, stray) {
				t.Errorf("%s: SanitizeHTML kept %s: %q", name, stray, got)
			}
		}
		if again := SanitizeHTML(got); again != got {
			t.Errorf("%s: not stable: %q, then %q", name, got, again)
		}
		opened := strings.Count(got, "<a ") + strings.Count(got, "<table") + strings.Count(got, "<div") + strings.Count(got, "<ul")
		closed := strings.Count(got, "</a>") + strings.Count(got, "</table>") + strings.Count(got, "</div>") + strings.Count(got, "</ul>")
		if opened != closed {
			t.Errorf("%s: %d opened, %d closed: %q", name, opened, closed, got)
		}
	}
}

// TestSanitizeConcurrent: one sanitizer serves every goroutine (notices are
// composed in parallel); each gets what a call alone gets. Run with -race.
func TestSanitizeConcurrent(t *testing.T) {
	in := []string{
		`<p>Users may be <b>unable</b> to <a href="https://example.com/x" onclick="x()">sign in</a>.</p><script>alert(1)</script>`,
		`<div lang="ja-JP" dir="ltr">影響を受けるユーザー<br>次回の更新</div><img src="javascript:x">`,
		"Title: plain text\nwith line breaks\n\nand a second paragraph",
	}
	want := make([]string, len(in))
	for i, s := range in {
		want[i] = SanitizeHTML(s)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*50)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 50 {
				i := (g + k) % len(in)
				if got := SanitizeHTML(in[i]); got != want[i] {
					errs <- got
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent SanitizeHTML gave %q", got)
	}
}
