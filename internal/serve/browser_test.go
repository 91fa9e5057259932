package serve_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shdmc/shdmc/internal/browsertest"

	"github.com/shdmc/shdmc/internal/serve"
)

// TestBrowser loads the dashboard in headless Chromium against the demo
// scenario's store: the health grid, an incident timeline, a Japanese
// Message Center search typed into the form, a revision diff, and a
// hostile Message Center body whose scripts must not run.
func TestBrowser(t *testing.T) {
	st := fixture(t)
	ts := newServer(t, st, serve.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	browser := browsertest.New(ctx, t, chromedp.WindowSize(1280, 1000))
	// probe navigates to path, runs steps (form input), then evaluates js
	// (an expression returning a JSON string) once wait is true.
	probe := func(t *testing.T, path string, steps []chromedp.Action[chromedp.Void], wait, js string, v any) {
		t.Helper()
		all := append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(ts.URL + path)}, steps...)
		if err := chromedp.Do(browser, all...); err != nil {
			t.Fatalf("load %s: %v", path, err)
		}
		// A submitted form navigates: the poll may start in the page that
		// is going away, so it is retried (bounded) in the new one.
		var err error
		for try := 0; try < 5; try++ {
			if _, err = chromedp.Run(browser, chromedp.Poll[bool](wait, chromedp.WithPollingTimeout(15*time.Second))); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("wait for %s on %s: %v", wait, path, err)
		}
		raw, err := chromedp.Run(browser, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("probe %s: %v", path, err)
		}
		if err := json.Unmarshal([]byte(raw), v); err != nil {
			t.Fatalf("probe %s: %v: %s", path, err, raw)
		}
	}

	t.Run("grid and timeline", func(t *testing.T) {
		var got struct {
			Cells, OK, Posts int
			Timeline         string
		}
		probe(t, "/", nil, `!!document.querySelector("#grid")`, `JSON.stringify({
			Cells: document.querySelectorAll("#grid .svc").length,
			OK: document.querySelectorAll("#grid .svc.ok").length,
			Posts: document.querySelectorAll("#issue-demo-1-EX900003 ol.timeline li").length,
			Timeline: document.querySelector("#issue-demo-1-EX900003 ol.timeline").innerText})`, &got)
		if got.Cells == 0 || got.OK == 0 {
			t.Errorf("health grid shows %d services (%d ok)", got.Cells, got.OK)
		}
		tl := got.Timeline
		if got.Posts != 2 || !strings.Contains(tl, "We are reviewing logs.") || strings.Index(tl, "reviewing") > strings.Index(tl, "Mailbox access") {
			t.Errorf("timeline of EX900003 (%d posts, newest first expected): %q", got.Posts, tl)
		}
		if *screenshot {
			png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "dashboard.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("japanese search", func(t *testing.T) {
		var got struct{ Total, Rows string }
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.WaitVisible(chromedp.CSS("#q")),
			chromedp.SendKeys(chromedp.CSS("#q"), "録画"),
			chromedp.Submit(chromedp.CSS("#q")),
		}
		probe(t, "/messages?lang=ja", steps, `location.search.includes("q=") && !!document.querySelector("#total")`,
			`JSON.stringify({Total: document.querySelector("#total").innerText, Rows: document.querySelector("#results tbody").innerText})`, &got)
		if got.Total != "1" || !strings.Contains(got.Rows, "MC900002") {
			t.Errorf("search 録画: total %q, rows %q", got.Total, got.Rows)
		}
	})

	t.Run("revision diff", func(t *testing.T) {
		var got struct{ Added int }
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.WaitVisible(chromedp.CSS("#revisions")),
			chromedp.Click(chromedp.CSS(`input[name="from"][value="1"]`)),
			chromedp.Click(chromedp.CSS(`input[name="to"][value="2"]`)),
			chromedp.Submit(chromedp.CSS("form.compare")),
		}
		probe(t, "/items/demo-1/shd/EX559755", steps, `location.search.includes("from=1") && !!document.querySelector("#diff")`,
			`JSON.stringify({Added: document.querySelectorAll("#diff .dadd").length})`, &got)
		if got.Added == 0 {
			t.Error("the diff of revisions 1 and 2 shows no added line")
		}
	})

	t.Run("hostile html", func(t *testing.T) {
		var got struct {
			Pwned, Scripts, Handlers, JSLinks, Iframes int
			Text                                       string
		}
		steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(".mcbody")), chromedp.Sleep(300 * time.Millisecond)}
		probe(t, "/items/demo-1/mc/MC900001", steps, `document.readyState === "complete"`, `(() => {
			document.querySelectorAll("#jslink, .mcbody a, .mcbody p").forEach(a => a.click());
			const body = document.querySelector(".mcbody");
			return JSON.stringify({
				Pwned: window.__pwned === undefined ? 0 : window.__pwned,
				Scripts: document.querySelectorAll(".mcbody script").length,
				Handlers: [...body.querySelectorAll("*")].filter(e => [...e.attributes].some(a => a.name.startsWith("on"))).length,
				JSLinks: [...body.querySelectorAll("[href], [src]")].filter(e => /javascript:/i.test(e.getAttribute("href") || e.getAttribute("src"))).length,
				Iframes: body.querySelectorAll("iframe").length,
				Text: body.innerText});
		})()`, &got)
		if got.Pwned != 0 || got.Scripts != 0 || got.Handlers != 0 || got.JSLinks != 0 || got.Iframes != 0 {
			t.Errorf("hostile HTML survived: %+v", got)
		}
		if !strings.Contains(got.Text, "Safe text before.") || !strings.Contains(got.Text, "Safe text after.") {
			t.Errorf("the safe text is gone: %q", got.Text)
		}
	})
}
