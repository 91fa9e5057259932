package serve_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shdmc/shdmc/internal/browsertest"
	"github.com/shdmc/shdmc/internal/serve"
)

// TestBrowserMSP loads the views for managed-service providers in
// headless Chromium, in English and Japanese at 1400 and 390 pixels: the
// Message Center of three tenants with relevance, tickets and the
// comparison across tenants, its relevance filter, a post and an incident
// compared across tenants. Nothing is wider than the window or narrower
// than a word, no catalog key shows, and the relevance marks and ticket
// links are there. With -screenshot it writes each page to
// docs/screenshots/msp-*.png.
func TestBrowserMSP(t *testing.T) {
	ts := newServer(t, mspFixture(t), serve.Options{Now: fixedClock(mspNow)})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	browser := browsertest.New(ctx, t, chromedp.WindowSize(1400, 900))
	pages := []struct {
		name, path, probe string
	}{
		{"messages", "/messages", `document.querySelectorAll("td.c-relevance .rel").length + "|" + document.querySelectorAll("td.c-across").length + "|" + document.querySelectorAll("td.c-id a.ticket").length`},
		{"messages-not-relevant", "/messages?relevant=false", `document.querySelectorAll("#results tbody tr").length + "|" + document.querySelectorAll("td.c-relevance .rel.notrelevant").length + "|0"`},
		{"message-across", "/items/contoso/mc/MC800002", `document.querySelectorAll("#relevance .rel").length + "|" + document.querySelectorAll("#across tbody tr").length + "|" + document.querySelectorAll("#tickets a").length`},
		{"message-tickets", "/items/contoso/mc/MC800001", `document.querySelectorAll("#relevance .rel").length + "|" + document.querySelectorAll("#across tbody tr").length + "|" + document.querySelectorAll("#tickets a").length`},
		{"issue-across", "/items/fabrikam/shd/EX800010", `document.querySelectorAll("#relevance").length + "|" + document.querySelectorAll("#across tbody tr").length + "|" + document.querySelectorAll("#tickets a").length`},
	}
	want := map[string]string{"messages": "7|7|2", "messages-not-relevant": "2|2|0", "message-across": "1|2|0",
		"message-tickets": "1|2|1", "issue-across": "0|2|0"}
	if *screenshot {
		if err := os.MkdirAll(shotDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range pages {
		for _, lang := range []string{"en", "ja"} {
			for _, w := range widths {
				name := fmt.Sprintf("msp-%s-%s-%d", p.name, lang, w)
				t.Run(name, func(t *testing.T) {
					sep := "?"
					if strings.Contains(p.path, "?") {
						sep = "&"
					}
					browse(t, browser, w, ts.URL+p.path+sep+"lang="+lang)
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
					var counts string
					evalJSON(t, browser, `JSON.stringify(`+p.probe+`)`, &counts)
					if counts != want[p.name] {
						t.Errorf("marks, comparisons and tickets: %s, want %s", counts, want[p.name])
					}
					var keys []string
					evalJSON(t, browser, `JSON.stringify(document.body.innerText.match(/\b(?:rel|ticket|across)\.[a-z][A-Za-z_.]*\b/g) || [])`, &keys)
					if len(keys) > 0 {
						t.Errorf("catalog keys on the page: %v", keys)
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
