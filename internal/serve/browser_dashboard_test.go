package serve_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/browsertest"
	"github.com/shdmc/shdmc/internal/serve"
)

// waitFor polls js (a boolean expression) in the page until it is true.
func waitFor(t *testing.T, browser context.Context, js string, timeout time.Duration) {
	t.Helper()
	var err error
	for try := 0; try < 5; try++ { // a navigating page may drop the poll: retry
		if _, err = chromedp.Run(browser, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(timeout))); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: %v", js, err)
}

// TestBrowserDashboard checks in headless Chromium what a reader sees
// during the ECS outage: the status line and one card per incident, the
// colour of each level, the translation beside (wide) or above (phone)
// the original, lists as cards on a phone, searches typed into the form,
// and a page that refreshes itself in place and greys out when shdmc is
// out of reach or its data is stale.
func TestBrowserDashboard(t *testing.T) {
	inc, dm, incStore := dashboardServers(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	browser := browsertest.New(ctx, t, chromedp.WindowSize(1400, 900))

	t.Run("incident summary", func(t *testing.T) {
		browse(t, browser, 1400, inc.URL+"/")
		var got struct {
			Line                 string
			Cards                []string
			OpenPosts, ShutPosts int
			MOFacts              string
			Chips                []string
		}
		evalJSON(t, browser, `JSON.stringify({
			Line: document.querySelector("#statusline").innerText,
			Cards: [...document.querySelectorAll("article.card")].map(c => c.id),
			OpenPosts: document.querySelectorAll("article.card li.latest").length,
			ShutPosts: [...document.querySelectorAll("article.card details.older")].filter(d => !d.open).length,
			MOFacts: document.querySelector("#incident-MO560384 dl.facts").innerText,
			Chips: [...document.querySelectorAll("#incident-MO560384 .chip")].map(c => c.innerText)})`, &got)
		for _, want := range []string{"1 active incident", "2 advisories", "5 of 9 services affected", "2 tenants", "since 2023-05-16 13:20 UTC", "polled"} {
			if !strings.Contains(got.Line, want) {
				t.Errorf("status line %q lacks %q", got.Line, want)
			}
		}
		if d := cmp.Diff([]string{"incident-MO560384", "incident-EX559755", "incident-EX557913"}, got.Cards); d != "" {
			t.Errorf("cards (-want +got):\n%s", d)
		}
		if got.OpenPosts != 3 || got.ShutPosts < 3 {
			t.Errorf("%d posts open and %d collapsed, want the latest of each card open and the older ones collapsed", got.OpenPosts, got.ShutPosts)
		}
		for _, want := range []string{"Current status", "Next update by", "2023-05-16 16:30 UTC", "in 1 h 50 min", "User Impact", "What changed"} {
			if !strings.Contains(got.MOFacts, want) {
				t.Errorf("MO560384's facts %q lack %q", got.MOFacts, want)
			}
		}
		if d := cmp.Diff([]string{"demo-1", "demo-2 · 1 post behind; last post 2023-05-16 13:35 UTC"}, got.Chips); d != "" {
			t.Errorf("MO560384's tenant chips (-want +got):\n%s", d)
		}
	})

	t.Run("colours by status", func(t *testing.T) {
		colours := map[string]map[string]bool{}
		words := map[string]string{}
		for _, u := range []string{inc.URL + "/", dm.URL + "/"} {
			browse(t, browser, 1400, u)
			var got []struct{ Level, Bg, Fg, Word string }
			evalJSON(t, browser, `JSON.stringify([...document.querySelectorAll(".tile[data-level], .svc[data-level]")].map(e => ({
				Level: e.dataset.level, Bg: getComputedStyle(e).backgroundColor, Fg: getComputedStyle(e).color,
				Word: e.classList.contains("tile") ? getComputedStyle(e.querySelector(".glyph"), "::before").content.replaceAll('"', "") + e.querySelector(".word").innerText : ""})))`, &got)
			for _, g := range got {
				if colours[g.Level] == nil {
					colours[g.Level] = map[string]bool{}
				}
				colours[g.Level][g.Bg] = true
				if g.Word != "" {
					words[g.Level] = strings.TrimSpace(g.Word)
				}
			}
		}
		want := map[string]map[string]bool{
			"interruption": {"rgb(197, 15, 31)": true},
			"degradation":  {"rgb(255, 226, 204)": true},
			"restoring":    {"rgb(222, 236, 249)": true},
			"advisory":     {"rgb(255, 244, 184)": true},
			"operational":  {"rgb(223, 246, 221)": true},
		}
		if d := cmp.Diff(want, colours); d != "" {
			t.Errorf("background colour by level (-want +got):\n%s", d)
		}
		for lvl, w := range map[string]string{"interruption": "✕Interruption", "degradation": "▲Degradation", "advisory": "ℹAdvisory", "operational": "✓Operational"} {
			if got := strings.ReplaceAll(words[lvl], " ", ""); got != w {
				t.Errorf("a %s tile says %q, want %q", lvl, got, w)
			}
		}
	})

	t.Run("stacking on mobile", func(t *testing.T) {
		type box struct{ Top, Bottom, Left, Width float64 }
		var wide, phone struct{ Orig, Trans box }
		const js = `(() => {
			const cols = document.querySelector("#incident-MO560384 li.latest .cols.two");
			const r = e => { const b = e.getBoundingClientRect(); return {Top: b.top, Bottom: b.bottom, Left: b.left, Width: b.width}; };
			return JSON.stringify({Orig: r(cols.querySelector(".original")), Trans: r(cols.querySelector(".translated"))});
		})()`
		browse(t, browser, 1400, inc.URL+"/?lang=ja")
		evalJSON(t, browser, js, &wide)
		browse(t, browser, 390, inc.URL+"/?lang=ja")
		evalJSON(t, browser, js, &phone)
		if wide.Orig.Top != wide.Trans.Top || wide.Trans.Left >= wide.Orig.Left {
			t.Errorf("at 1400 px the translation is not beside (left of) the original: %+v", wide)
		}
		if phone.Trans.Bottom > phone.Orig.Top || phone.Trans.Left != phone.Orig.Left || phone.Orig.Width < 300 {
			t.Errorf("at 390 px the translation and the original do not stack: %+v", phone)
		}
		for _, p := range []string{"/issues?lang=ja", "/deliveries?lang=ja"} {
			srv := inc
			if strings.HasPrefix(p, "/deliveries") {
				srv = dm
			}
			browse(t, browser, 390, srv.URL+p)
			var got struct {
				Row, Cell, Head string
				MinCell         float64
			}
			evalJSON(t, browser, `(() => {
				const table = document.querySelector("table.list.cards");
				const cells = [...table.querySelectorAll("tbody td")].filter(td => td.innerText.trim());
				return JSON.stringify({Row: getComputedStyle(table.querySelector("tbody tr")).display,
					Cell: getComputedStyle(cells[0]).display, Head: getComputedStyle(table.querySelector("thead")).display,
					MinCell: Math.min(...cells.map(td => td.getBoundingClientRect().width))});
			})()`, &got)
			if got.Row != "block" || got.Cell != "block" || got.MinCell < 300 {
				t.Errorf("%s at 390 px: rows %s, cells %s, narrowest cell %.0f px; want cards as wide as the screen", p, got.Row, got.Cell, got.MinCell)
			}
		}
	})

	t.Run("search results", func(t *testing.T) {
		for _, tt := range []struct {
			path, q string
			want    []string
		}{
			{"/messages?lang=ja", "暗号化", []string{"MC599006"}},
			{"/messages?lang=ja", "廃止", []string{"MC599001", "MC599007", "MC599010"}},
			{"/issues", "EX559755", []string{"EX559755"}},
			{"/issues", "暗号化", []string{"EX557913", "EX559755"}},
		} {
			browse(t, browser, 1400, dm.URL+tt.path)
			if err := chromedp.Do(browser, chromedp.SendKeys(chromedp.CSS("#q"), tt.q), chromedp.Submit(chromedp.CSS("#q"))); err != nil {
				t.Fatal(err)
			}
			waitFor(t, browser, `location.search.includes("q=") && !!document.querySelector("#results")`, 15*time.Second)
			var got []string
			evalJSON(t, browser, `JSON.stringify([...document.querySelectorAll("#results tbody td.c-id")].map(td => td.innerText).sort())`, &got)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("search %q on %s (-want +got):\n%s", tt.q, tt.path, d)
			}
		}
	})

	t.Run("refreshes in place", func(t *testing.T) {
		browse(t, browser, 1400, inc.URL+"/")
		var opened string
		evalJSON(t, browser, `(() => {
			window.__marker = 42;
			const d = document.querySelector("#issue-demo-1-EX559755 details.older");
			d.open = true;
			return JSON.stringify(d.querySelector("summary time").innerText);
		})()`, &opened)
		addPost(t, incStore, "demo-1", "EX559755", "Current status: A new update written by the refresh test.")
		waitFor(t, browser, `document.body.innerText.includes("A new update written by the refresh test.")`, 20*time.Second)
		var got struct {
			Marker    int
			StillOpen bool
		}
		evalJSON(t, browser, `JSON.stringify({Marker: window.__marker || 0,
			StillOpen: [...document.querySelectorAll("#issue-demo-1-EX559755 details.older")].some(d => d.open && d.querySelector("summary time").innerText === `+"`"+opened+"`"+`)})`, &got)
		if got.Marker != 42 {
			t.Error("the page navigated instead of refreshing its content")
		}
		if !got.StillOpen {
			t.Errorf("the post of %s opened before the refresh is closed after it", opened)
		}

		inc.Close() // shdmc goes away: the page greys out
		waitFor(t, browser, `document.body.classList.contains("offline")`, 20*time.Second)
		var grey struct{ Filter, Note string }
		evalJSON(t, browser, `JSON.stringify({Filter: getComputedStyle(document.querySelector("main")).filter,
			Note: getComputedStyle(document.querySelector(".offline-note")).display})`, &grey)
		if !strings.Contains(grey.Filter, "grayscale(1)") || grey.Note != "block" {
			t.Errorf("out of reach, the page shows filter %q and note %q", grey.Filter, grey.Note)
		}
	})

	t.Run("stale data greys out", func(t *testing.T) {
		later := newServer(t, incStore, serve.Options{Interval: time.Minute, Now: fixedClock(time.Now().Add(4 * time.Hour))})
		browse(t, browser, 1400, later.URL+"/")
		var got struct {
			Stale        bool
			Filter, Word string
		}
		evalJSON(t, browser, `JSON.stringify({Stale: document.body.classList.contains("stale"),
			Filter: getComputedStyle(document.querySelector("main")).filter,
			Word: document.querySelector("#statusline").innerText})`, &got)
		if !got.Stale || !strings.Contains(got.Filter, "grayscale(1)") || !strings.Contains(got.Word, "stale") {
			t.Errorf("a dashboard 4 hours after the last poll: %+v", got)
		}
	})
}
