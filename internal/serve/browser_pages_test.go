package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shdmc/shdmc/internal/browsertest"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// shotDir is where -screenshot writes the pages' screenshots.
var shotDir = filepath.Join("..", "..", "docs", "screenshots")

// widths are the window widths every page is checked at: a desktop and a
// phone (iPhone 12–15, 390 CSS pixels).
var widths = []int64{1400, 390}

// smallPNG re-encodes a screenshot with a palette of its 256 most
// frequent colours (a page is mostly flat colours and the anti-aliasing
// between them), each other colour mapped to the nearest: a third of the
// size of the full-colour PNG, with the page's own colours kept exactly.
func smallPNG(t *testing.T, raw []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	counts := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	cols := make([]color.RGBA, 0, len(counts))
	for c := range counts {
		cols = append(cols, c)
	}
	sort.Slice(cols, func(i, j int) bool {
		if counts[cols[i]] != counts[cols[j]] {
			return counts[cols[i]] > counts[cols[j]]
		}
		return fmt.Sprint(cols[i]) < fmt.Sprint(cols[j])
	})
	pal := color.Palette{}
	for _, c := range cols[:min(256, len(cols))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	index := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := index[c]
			if !ok {
				i = uint8(pal.Index(c))
				index[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixedClock returns a clock stopped at t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// browserPage is one page of the sweep.
type browserPage struct {
	name string
	srv  *httptest.Server
	path string
}

// pageProbe is what the sweep measures on every page.
type pageProbe struct {
	ScrollWidth, Height int
	Narrow              []string // text cells narrower than their longest word or than 3 characters
	Keys                []string // catalog keys in the visible text
}

// probeJS measures a page: its width beyond the window, its height, the
// cells and boxes of text that are narrower than a word (the longest
// unbreakable run of their text, or three characters of Japanese), and
// catalog keys ("label.tenant", "change.post_added") in its visible text.
const probeJS = `(() => {
	const narrow = [];
	const measure = document.createElement("span");
	measure.style.cssText = "position:absolute;visibility:hidden;white-space:nowrap";
	document.body.appendChild(measure);
	for (const el of document.querySelectorAll("main td, main th, main dd, main dt, main li, main p, main .tile, main .chip, main .badge, main .tag, main h1, main h2, main h3, header.top a")) {
		const text = el.innerText.trim();
		if (!text || el.offsetParent === null) continue;
		const cs = getComputedStyle(el);
		const box = el.getBoundingClientRect().width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
		measure.style.font = cs.font;
		let need = 0;
		for (const w of text.split(/\s+/)) {
			// A Japanese run breaks anywhere: three characters are its "word".
			const word = /[\u3040-\u30ff\u3400-\u9fff]/.test(w) ? w.slice(0, 3) : w;
			measure.textContent = word.slice(0, 40);
			need = Math.max(need, measure.getBoundingClientRect().width);
		}
		if (box + 1 < Math.min(need, 260)) narrow.push(el.tagName + "." + el.className + ": " + Math.round(box) + " < " + Math.round(need) + " " + JSON.stringify(text.slice(0, 40)));
	}
	measure.remove();
	const keys = document.body.innerText.match(/\b(?:label|change|status|value|post|nav|filter|item|deliv|col|grid|stale|active|level|sl|ago|due|card|tab|event|ck|what|state|cal|feed|sort|results|svc|dur|next)\.[a-z][A-Za-z_.]*\b/g) || [];
	return JSON.stringify({ScrollWidth: document.documentElement.scrollWidth, Height: document.documentElement.scrollHeight,
		Narrow: narrow.slice(0, 10), Keys: keys.slice(0, 10)});
})()`

// browse navigates to url at a width and waits until the page is loaded.
func browse(t *testing.T, browser context.Context, width int64, url string) {
	t.Helper()
	if err := chromedp.Do(browser, chromedp.EmulateViewport(width, 900), chromedp.Navigate(url),
		chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
		t.Fatalf("load %s at %d px: %v", url, width, err)
	}
}

// evalJSON evaluates js (returning a JSON string) into v.
func evalJSON(t *testing.T, browser context.Context, js string, v any) {
	t.Helper()
	raw, err := chromedp.Run(browser, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		t.Fatalf("evaluate: %v: %s", err, raw)
	}
}

// dashboardServers serves the incident fixture and the whole demo, each
// on the clock of its scenario.
func dashboardServers(t *testing.T) (inc, dm *httptest.Server, incStore store.Store) {
	t.Helper()
	incStore = incidentFixture(t)
	inc = newServer(t, incStore, serve.Options{Now: fixedClock(incidentNow), Refresh: 500 * time.Millisecond})
	dm = newServer(t, demoFixture(t), serve.Options{Now: fixedClock(demoNow)})
	return inc, dm, incStore
}

// TestBrowserPages loads every page in English and Japanese at 1400 and
// 390 pixels in headless Chromium: nothing is wider than the window,
// no text is squeezed narrower than a word, no catalog key shows, and the
// dashboard of three incidents in two tenants stays short. With
// -screenshot it writes each page to docs/screenshots/.
func TestBrowserPages(t *testing.T) {
	inc, dm, _ := dashboardServers(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	browser := browsertest.New(ctx, t, chromedp.WindowSize(1400, 900))
	pages := []browserPage{
		{"dashboard", inc, "/"},
		{"issues", inc, "/issues"},
		{"issue", inc, "/items/demo-1/shd/MO560384"},
		{"dashboard-advisories", dm, "/"},
		{"messages", dm, "/messages"},
		{"search", dm, "/messages?q=%E5%BB%83%E6%AD%A2"}, // 廃止
		{"message", dm, "/items/demo-1/mc/MC599001"},
		{"history", dm, "/messages?tab=history"},
		{"deliveries", dm, "/deliveries"},
	}
	if *screenshot {
		if err := os.MkdirAll(shotDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range pages {
		for _, lang := range []string{"en", "ja"} {
			for _, w := range widths {
				name := fmt.Sprintf("%s-%s-%d", p.name, lang, w)
				t.Run(name, func(t *testing.T) {
					sep := "?"
					if strings.Contains(p.path, "?") {
						sep = "&"
					}
					browse(t, browser, w, p.srv.URL+p.path+sep+"lang="+lang)
					var got pageProbe
					evalJSON(t, browser, probeJS, &got)
					if got.ScrollWidth > int(w)+1 {
						t.Errorf("the page is %d px wide in a %d px window", got.ScrollWidth, w)
					}
					if len(got.Narrow) > 0 {
						t.Errorf("text narrower than a word:\n%s", strings.Join(got.Narrow, "\n"))
					}
					if len(got.Keys) > 0 {
						t.Errorf("catalog keys on the page: %v", got.Keys)
					}
					if p.name == "dashboard" && lang == "en" && w == 1400 && got.Height > 3600 {
						t.Errorf("the dashboard of 3 incidents in 2 tenants is %d px high", got.Height)
					}
					t.Logf("%s: %d × %d px", name, w, got.Height)
					if *screenshot {
						raw, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
						if err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(filepath.Join(shotDir, name+".png"), smallPNG(t, raw), 0o644); err != nil {
							t.Fatal(err)
						}
					}
				})
			}
		}
	}
}
