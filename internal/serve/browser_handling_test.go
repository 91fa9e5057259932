package serve_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shdmc/shdmc/internal/browsertest"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
)

// TestBrowserHandling acknowledges an incident in headless Chromium on a
// phone-sized window, as a person would: the form is typed into and a
// button pressed, the browser sends its own Origin, cookie and token, and
// comes back to the item with its new handling, what was typed escaped
// and shown, and no part of the page wider than the window. Then the
// dashboard's card acknowledges it for the other tenant.
func TestBrowserHandling(t *testing.T) {
	st := ownFixture(t)
	ts := newServer(t, st, serve.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	browser := browsertest.New(ctx, t, chromedp.WindowSize(390, 844))
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, actions...); err != nil {
			t.Fatal(err)
		}
	}
	// waitFor polls cond, again in the new page when a form's submission
	// navigated away under the first poll.
	waitFor := func(cond string) {
		t.Helper()
		var err error
		for try := 0; try < 5; try++ {
			if _, err = chromedp.Run(browser, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(3*time.Second))); err == nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		page, _ := chromedp.Run(browser, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 600)`))
		t.Fatalf("wait for %s: %v\n%s", cond, err, page)
	}
	eval := func(js string, v any) {
		t.Helper()
		var raw string
		var err error
		for try := 0; try < 5; try++ { // the page may still be navigating
			if raw, err = chromedp.Run(browser, chromedp.Evaluate[string](js)); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), v); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
	}
	run(chromedp.Navigate(ts.URL+"/items/contoso/shd/EX1"),
		chromedp.WaitVisible(chromedp.CSS("#own-form")),
		chromedp.SendKeys(chromedp.CSS(`#own-form input[name="owner"]`), "<b>bob</b>"),
		chromedp.SendKeys(chromedp.CSS(`#own-form textarea[name="note"]`), "Paged the mail team"),
		chromedp.Click(chromedp.CSS(`#own-form button[value="acknowledge"]`)))
	waitFor(`location.hash === "#handling" && !!document.querySelector(".hs.h-acknowledged")`)
	var got struct {
		Status, Owner, Note, History string
		Bold, ScrollWidth, Width     int
	}
	eval(`JSON.stringify({Status: document.querySelector("#handling .hs").innerText,
		Owner: document.querySelector("#handling strong.owner").innerText,
		Note: document.querySelector("#handling .hnote").innerText,
		History: document.querySelector("#events").innerText,
		Bold: document.querySelectorAll("#handling b").length,
		ScrollWidth: document.documentElement.scrollWidth, Width: window.innerWidth})`, &got)
	if got.Status != "Acknowledged" || got.Owner != "<b>bob</b>" || got.Bold != 0 || got.Note != "Paged the mail team" ||
		!strings.Contains(got.History, "Acknowledged by local") {
		t.Errorf("item page after the acknowledgement: %+v", got)
	}
	if got.ScrollWidth > got.Width {
		t.Errorf("the item page is %d px wide in a %d px window", got.ScrollWidth, got.Width)
	}

	// The dashboard's card, for fabrikam.
	run(chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#incident-EX1 details.own-card")),
		chromedp.Click(chromedp.CSS("#incident-EX1 details.own-card > summary")),
		chromedp.SetValue(chromedp.CSS(`#incident-EX1 select[name="tenant"]`), "fabrikam"),
		chromedp.Click(chromedp.CSS(`#incident-EX1 button[value="acknowledge"]`)))
	waitFor(`location.hash === "#incident-EX1" && document.querySelectorAll("#incident-EX1 .chips .hs").length === 2`)
	var dash struct{ ScrollWidth, Width int }
	eval(`JSON.stringify({ScrollWidth: document.documentElement.scrollWidth, Width: window.innerWidth})`, &dash)
	if dash.ScrollWidth > dash.Width {
		t.Errorf("the dashboard is %d px wide in a %d px window", dash.ScrollWidth, dash.Width)
	}
	h, err := st.Handling(context.Background(), model.ItemKey{Tenant: "fabrikam", Source: model.SourceSHD, ID: "EX1"})
	if err != nil || h.Status != model.HandlingAcknowledged || h.By != "local" {
		t.Errorf("fabrikam's EX1 = %+v, %v", h, err)
	}
}
