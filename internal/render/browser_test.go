package render

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shdmc/shdmc/internal/browsertest"
	"github.com/shdmc/shdmc/internal/model"
)

var screenshot = flag.Bool("screenshot", false, "write the EX559755 Teams card as ../../docs/teams-card.png and the Japanese email and card as ../../docs/notice-ja-*.png")

// cardPage renders the card of ?name= with the official renderer: parse
// with a 1.5 SerializationContext, validateProperties, render, and publish
// every validation event and the rendered text in window.result.
const cardPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>card</title>
<style>body{margin:0;background:#f5f5f5;font-family:'Segoe UI',sans-serif}#root{width:640px;padding:12px;background:#fff}</style>
<script src="/adaptivecards.min.js"></script></head>
<body><div id="root"></div>
<script>
(async () => {
  const result = {events: [], failures: [], text: "", error: ""};
  try {
    const env = await (await fetch("/card/" + new URLSearchParams(location.search).get("name"))).json();
    const content = env.attachments[0].content;
    const ctx = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_5);
    const card = new AdaptiveCards.AdaptiveCard();
    card.parse(content, ctx);
    for (let i = 0; i < ctx.eventCount; i++) {
      const e = ctx.getEventAt(i);
      result.events.push(AdaptiveCards.ValidationEvent[e.event] + ": " + e.message);
    }
    for (const e of card.validateProperties().validationEvents) {
      result.failures.push(AdaptiveCards.ValidationEvent[e.event] + ": " + e.message);
    }
    const el = card.render();
    document.getElementById("root").appendChild(el);
    result.text = el.innerText;
  } catch (e) {
    result.error = String(e && e.stack || e);
  }
  window.result = result;
})();
</script></body></html>`

// pageServer serves the card page, the renderer, the cards and the mail
// bodies on 127.0.0.1.
type pageServer struct {
	mu    sync.Mutex
	files map[string][]byte // path → body
}

func (p *pageServer) put(path string, b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files[path] = b
}

func (p *pageServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	b, ok := p.files[r.URL.Path]
	p.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, ".js"):
		w.Header().Set("Content-Type", "text/javascript")
	case strings.HasPrefix(r.URL.Path, "/card/"):
		w.Header().Set("Content-Type", "application/json")
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.Write(b)
}

// TestBrowser renders the Teams cards with the adaptivecards renderer and
// the email bodies in headless Chromium.
func TestBrowser(t *testing.T) {
	acJS := browsertest.Env(t, "SHDMC_CHROMIUM", "SHDMC_ADAPTIVECARDS_JS")[1]
	js, err := os.ReadFile(acJS)
	if err != nil {
		t.Fatal(err)
	}
	srv := &pageServer{files: map[string][]byte{"/adaptivecards.min.js": js, "/card.html": []byte(cardPage)}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	if !strings.HasPrefix(ts.URL, "http://127.0.0.1:") {
		t.Fatalf("test server not on loopback: %s", ts.URL)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	browser := browsertest.New(ctx, t, chromedp.WindowSize(700, 900))
	t.Logf("chromium started in %v", time.Since(start).Round(time.Millisecond))

	cases := wireCases(t)
	renderCard := func(t *testing.T, name string, card []byte) (res struct {
		Events, Failures []string
		Text, Error      string
	}, tab context.Context) {
		t.Helper()
		srv.put("/card/"+name, card)
		tab, cancelTab := chromedp.NewContext(browser)
		t.Cleanup(cancelTab)
		if err := chromedp.Do(tab, chromedp.Navigate(ts.URL+"/card.html?name="+name)); err != nil {
			t.Fatalf("load card page: %v", err)
		}
		raw, err := chromedp.Run(tab, chromedp.Poll[string](`window.result && JSON.stringify(window.result)`, chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			t.Fatalf("render card: %v", err)
		}
		if err := json.Unmarshal([]byte(raw), &res); err != nil {
			t.Fatalf("result %q: %v", raw, err)
		}
		if res.Error != "" {
			t.Fatalf("renderer threw: %s", res.Error)
		}
		return res, tab
	}
	t.Run("cards", func(t *testing.T) {
		// The control: a card with a 1.6 element, an unknown action and a
		// bad enum value is reported, so an empty report means something.
		bad := `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{` +
			`"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"x","size":"Enormous"},{"type":"Carousel","pages":[]}],` +
			`"actions":[{"type":"Action.Launch","title":"x"}]}}]}`
		if res, _ := renderCard(t, "control", []byte(bad)); len(res.Events)+len(res.Failures) < 3 {
			t.Fatalf("control: the renderer did not report a bad card (events %q, failures %q); its silence proves nothing", res.Events, res.Failures)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b, err := AdaptiveCard(tc.ev, tc.o)
				if err != nil {
					t.Fatal(err)
				}
				res, tab := renderCard(t, tc.name, b)
				if len(res.Events) > 0 || len(res.Failures) > 0 {
					t.Errorf("adaptivecards reported parse events %q and validation failures %q", res.Events, res.Failures)
				}
				h := Compose(tc.ev, tc.o).Headline
				for _, want := range []string{h.Title, h.Badge, h.ID} {
					if !strings.Contains(res.Text, want) {
						t.Errorf("rendered card lacks %q:\n%s", want, res.Text)
					}
				}
				if tc.name == "ex559755_final" {
					for _, want := range []string{"serviceRestored", "This is the final update for the event."} {
						if !strings.Contains(res.Text, want) {
							t.Errorf("rendered card lacks %q", want)
						}
					}
					if *screenshot {
						png, err := chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS("#root"), chromedp.NodeVisible))
						if err != nil {
							t.Fatalf("screenshot: %v", err)
						}
						path := filepath.Join("..", "..", "docs", "teams-card.png")
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(path, png, 0o644); err != nil {
							t.Fatal(err)
						}
						t.Logf("wrote %s (%d bytes)", path, len(png))
					}
				}
			})
		}
	})

	// mailProbe reads what a script would have changed, after the page has
	// loaded and the failed images have fired their error events.
	const mailProbe = `new Promise(done => setTimeout(() => done(JSON.stringify({
  title: document.title,
  pwned: window.pwned === undefined ? "" : String(window.pwned),
  scripts: document.scripts.length,
  frames: document.querySelectorAll("iframe,frame,object,embed,form,svg,style,link,base,meta[http-equiv]").length,
  jsLinks: [...document.querySelectorAll("[href],[src],[action]")].map(e => e.getAttribute("href") || e.getAttribute("src") || e.getAttribute("action"))
    .filter(u => /^\s*(javascript|data|vbscript):/i.test(u)),
  handlers: [...document.querySelectorAll("*")].flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith("on")),
  text: document.body.innerText
})), 400))`
	type probe struct {
		Title, Pwned    string
		Scripts, Frames int
		JSLinks         []string
		Handlers        []string
		Text            string
	}
	loadMail := func(t *testing.T, path string, body []byte) probe {
		t.Helper()
		srv.put(path, body)
		tab, cancelTab := chromedp.NewContext(browser)
		defer cancelTab()
		if err := chromedp.Do(tab, chromedp.Navigate(ts.URL+path)); err != nil {
			t.Fatalf("load %s: %v", path, err)
		}
		raw, err := chromedp.Run(tab, chromedp.Evaluate[string](mailProbe, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("probe %s: %v", path, err)
		}
		var p probe
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatalf("probe %q: %v", raw, err)
		}
		return p
	}

	t.Run("mail", func(t *testing.T) {
		// The control: Microsoft's body as it came, unsanitized, does run
		// its scripts in this browser, so the probe can see an attack.
		hostile := fixture(t, "mc_hostile.html")
		raw := loadMail(t, "/raw.html", []byte("<!DOCTYPE html><html><head><title>raw</title></head><body>"+hostile+"</body></html>"))
		if raw.Pwned == "" || !strings.HasPrefix(raw.Title, "pwned") {
			t.Fatalf("control: the hostile body did not run in the browser (title %q, pwned %q); the probe proves nothing", raw.Title, raw.Pwned)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				subject, html, _ := HTML(tc.ev, tc.o)
				p := loadMail(t, "/mail/"+tc.name+".html", []byte(html))
				if p.Title != subject {
					t.Errorf("document title %q, want the subject %q (a script changed it?)", p.Title, subject)
				}
				if p.Pwned != "" || p.Scripts != 0 || p.Frames != 0 || len(p.JSLinks) != 0 || len(p.Handlers) != 0 {
					t.Errorf("active content survived: pwned %q, %d scripts, %d frames/forms/styles, links %q, handlers %q",
						p.Pwned, p.Scripts, p.Frames, p.JSLinks, p.Handlers)
				}
				h := Compose(tc.ev, tc.o).Headline
				for _, want := range []string{h.Title, h.Badge, h.ID} {
					if !strings.Contains(p.Text, want) {
						t.Errorf("rendered mail lacks %q", want)
					}
				}
				if tc.name == "mc_hostile_new" {
					for _, want := range []string{"Microsoft 365 reports in the admin center", "Retirement begins June 1, 2024.", "Usage (classic)"} {
						if !strings.Contains(p.Text, want) {
							t.Errorf("rendered mail lacks Microsoft's text %q:\n%s", want, p.Text)
						}
					}
				}
			})
		}
	})
	// A Japanese notice: the post shown is the translated one, in the
	// email and in the card, with the Japanese headline and headings.
	t.Run("japanese", func(t *testing.T) {
		issueDone, _, _ := events(t)
		o := Options{Language: "ja", Mode: ModeTranslated, Prose: jaFixture(t), Location: loadLoc(t, "Asia/Tokyo"), TenantName: "Contoso"}
		want := []string{
			"Exchange Online から送信されたユーザーの Office Message Encrypted (OME) メールに、一部の受信者がアクセスできない可能性がある", // the title
			"最終状況：最近の展開に問題があり、OME の動作に必要なスクリプトが CDN から配信されていなかったことが判明しました。",                          // the post
			"根本原因：最近の展開に問題があり", "このイベントに関する更新はこれが最後です。",
			"変更内容", "サービスが復元されました", "Microsoft 365 管理センターで開く",
		}
		english := []string{"Final status: We determined", "Root cause: A recent deployment", "What changed", "Open in the Microsoft 365 admin center"}
		check := func(t *testing.T, text string) {
			t.Helper()
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("rendered notice lacks the Japanese %q:\n%s", w, text)
				}
			}
			for _, e := range english {
				if strings.Contains(text, e) {
					t.Errorf("rendered notice shows the English %q", e)
				}
			}
		}
		shoot := func(t *testing.T, tab context.Context, sel, name string) {
			t.Helper()
			if !*screenshot {
				return
			}
			png, err := chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS(sel), chromedp.NodeVisible))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			path := filepath.Join("..", "..", "docs", name)
			if err := os.WriteFile(path, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s (%d bytes)", path, len(png))
		}
		t.Run("email", func(t *testing.T) {
			_, html, _ := HTML(issueDone, o)
			p := loadMail(t, "/mail/ja.html", []byte(html))
			check(t, p.Text)
			if *screenshot {
				srv.put("/mail/ja.html", []byte(html))
				tab, cancelTab := chromedp.NewContext(browser)
				defer cancelTab()
				if err := chromedp.Do(tab, chromedp.Navigate(ts.URL+"/mail/ja.html")); err != nil {
					t.Fatal(err)
				}
				shoot(t, tab, "body > div", "notice-ja-email.png")
			}
		})
		t.Run("card", func(t *testing.T) {
			b, err := AdaptiveCard(issueDone, o)
			if err != nil {
				t.Fatal(err)
			}
			res, tab := renderCard(t, "ja", b)
			if len(res.Events) > 0 || len(res.Failures) > 0 {
				t.Errorf("adaptivecards reported parse events %q and validation failures %q", res.Events, res.Failures)
			}
			check(t, res.Text)
			shoot(t, tab, "#root", "notice-ja-teams-card.png")
		})
	})
	// A bilingual Japanese email as a reader sees it: the Japanese post,
	// then the heading 原文 and Microsoft's English; and a Message Center
	// card whose action-required date is a Japanese date without a time.
	t.Run("japanese bilingual and dates", func(t *testing.T) {
		issueDone, mcUpd, _ := events(t)
		o := Options{Language: "ja", Prose: jaFixture(t), Location: loadLoc(t, "Asia/Tokyo"), TenantName: "Contoso"}
		_, html, _ := HTML(issueDone, o)
		p := loadMail(t, "/mail/ja-bilingual.html", []byte(html))
		i, j := strings.Index(p.Text, "最終状況：最近の展開に問題があり"), strings.Index(p.Text, "原文（英語）")
		k := strings.Index(p.Text, "Final status: We determined")
		if i < 0 || j < i || k < j {
			t.Errorf("rendered bilingual email: Japanese at %d, 原文 at %d, English at %d:\n%s", i, j, k, p.Text)
		}
		o.Mode = ModeTranslated
		b, err := AdaptiveCard(mcUpd, o)
		if err != nil {
			t.Fatal(err)
		}
		res, _ := renderCard(t, "ja-mc", b)
		if len(res.Events) > 0 || len(res.Failures) > 0 {
			t.Errorf("adaptivecards reported parse events %q and validation failures %q", res.Events, res.Failures)
		}
		for _, want := range []string{"対応期限", "2024年7月31日(水)", "対象指定リリース：ロールアウト開始：2024年5月中旬 → 2024年7月上旬", "2024年7月上旬"} {
			if !strings.Contains(res.Text, want) {
				t.Errorf("rendered Japanese card lacks %q:\n%s", want, res.Text)
			}
		}
		for _, bad := range []string{"16:00 JST", "Targeted Release", "early July 2024"} {
			if strings.Contains(res.Text, bad) {
				t.Errorf("rendered Japanese card shows %q:\n%s", bad, res.Text)
			}
		}
	})
	// A Japanese digest email: every line's title in Japanese (the titles
	// went untranslated before digests gave them to the translator).
	t.Run("japanese digest", func(t *testing.T) {
		issueDone, mcUpd, _ := events(t)
		digest := &model.Event{Type: model.EventDigest, ItemID: "digest", DetectedAt: mcUpd.DetectedAt, Items: []model.Event{*mcUpd, *issueDone}}
		prose := jaFixture(t)
		for _, seg := range Segments(digest) {
			if _, ok := prose(seg); !ok {
				t.Fatalf("the fixture has no translation of the digest's %q", seg)
			}
		}
		o := Options{Language: "ja", Mode: ModeTranslated, Prose: prose, Location: loadLoc(t, "Asia/Tokyo"), TenantName: "Contoso"}
		_, html, _ := HTML(digest, o)
		p := loadMail(t, "/mail/ja-digest.html", []byte(html))
		for _, want := range []string{"（更新）SharePoint Online と OneDrive for Business の新しい共有エクスペリエンス",
			"Exchange Online から送信されたユーザーの Office Message Encrypted (OME) メール"} {
			if !strings.Contains(p.Text, want) {
				t.Errorf("rendered Japanese digest lacks the title %q:\n%s", want, p.Text)
			}
		}
		for _, bad := range []string{"New sharing experience", "may be unable to be accessed"} {
			if strings.Contains(p.Text, bad) {
				t.Errorf("rendered Japanese digest shows the English %q:\n%s", bad, p.Text)
			}
		}
		if *screenshot {
			for _, width := range []int64{700, 390} {
				tab, cancelTab := chromedp.NewContext(browser)
				if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ts.URL+"/mail/ja-digest.html")); err != nil {
					t.Fatal(err)
				}
				png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
				cancelTab()
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), fmt.Sprintf("digest-ja-%d.png", width))
				if dir := os.Getenv("SHDMC_SCREENSHOT_DIR"); dir != "" {
					path = filepath.Join(dir, fmt.Sprintf("digest-ja-%d.png", width))
				}
				if err := os.WriteFile(path, png, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", path)
			}
		}
	})
	t.Logf("browser tests took %v", time.Since(start).Round(time.Millisecond))
}
