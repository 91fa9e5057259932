package translate

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/render"
)

func TestParseGlossarySections(t *testing.T) {
	g, err := ParseGlossary([]byte(`# mine
Contoso Widget

[ja]
widget center = ウィジェット センター
fix ~ 修正プログラム

[keep]
Fabrikam Portal
[JA-jp]
Fabrikam Release = ファブリカム リリース
`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Contoso Widget", "Fabrikam Portal"}, g.Terms()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	want := []Term{
		{Source: "widget center", Target: "ウィジェット センター"},
		{Source: "fix", Target: "修正プログラム", Preferred: true},
		{Source: "Fabrikam Release", Target: "ファブリカム リリース"},
	}
	if diff := cmp.Diff(want, g.Translations("ja-JP")); diff != "" {
		t.Errorf("ja terms (-want +got):\n%s", diff)
	}
	if got := g.Translations("de"); len(got) != 0 {
		t.Errorf("de terms = %v, want none", got)
	}
	in := g.TermsIn([]string{"Open the widget center to fix it.", "Nothing here."}, "ja")
	if diff := cmp.Diff(want[:2], in); diff != "" {
		t.Errorf("TermsIn (-want +got):\n%s", diff)
	}
	// Terms with a translation are not tokens; the names are.
	if got := g.Tokens("The Contoso Widget in the widget center"); !cmp.Equal(got, []string{"Contoso Widget"}) {
		t.Errorf("tokens = %q", got)
	}

	for _, tt := range []struct{ name, data, want string }{
		{"bad section", "[keep it]\nx\n", "line 1: section [keep it]"},
		{"no separator", "[ja]\nadmin center 管理センター\n", "line 2:"},
		{"empty side", "[ja]\nadmin center =\n", "line 2:"},
		{"two translations", "[ja]\na = b\na = c\n", `line 3: [ja] "a" is also on line 2`},
		{"name and term", "Teams\n[ja]\nTeams = チームズ\n", `"Teams" is a [keep] name (line 1) and a [ja] term`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGlossary([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestDefaultGlossaryJapanese holds the shipped glossary to
// japanese-terms.md: the names Microsoft keeps in English are names, the
// terms its Japanese translates have that translation.
func TestDefaultGlossaryJapanese(t *testing.T) {
	g := DefaultGlossary()
	ja := map[string]Term{}
	for _, tm := range g.Translations("ja") {
		ja[tm.Source] = tm
	}
	for src, want := range map[string]string{
		"admin center":                   "管理センター",
		"Current Channel":                "最新チャネル",
		"Monthly Enterprise Channel":     "月次エンタープライズ チャネル",
		"Semi-Annual Enterprise Channel": "半期エンタープライズ チャネル",
		"Standard Release":               "標準リリース",
		"Targeted Release":               "対象指定リリース",
		"classic Outlook for Windows":    "従来の Outlook for Windows",
		"mail-enabled objects":           "メールが有効なオブジェクト",
		"Message Center":                 "メッセージ センター",
		"Service health":                 "サービス正常性",
	} {
		if ja[src].Target != want || ja[src].Preferred {
			t.Errorf("[ja] %q = %+v, want %q, enforced", src, ja[src], want)
		}
	}
	for _, src := range []string{"fix", "deployment"} {
		if !ja[src].Preferred {
			t.Errorf("[ja] %q = %+v, want a preference (everyday word)", src, ja[src])
		}
	}
	names := map[string]bool{}
	for _, n := range g.Terms() {
		names[n] = true
	}
	for _, n := range []string{"Microsoft Teams", "Exchange Online", "SharePoint", "OneDrive", "Entra ID", "Microsoft Entra ID", "Outlook on the web", "Microsoft 365"} {
		if !names[n] {
			t.Errorf("%q is not a name never to translate", n)
		}
	}
	for _, n := range []string{"Microsoft 365 admin center", "Current Channel", "Message Center", "classic Outlook for Windows"} {
		if names[n] {
			t.Errorf("%q is still a name never to translate; Microsoft's Japanese translates it", n)
		}
	}
}

func TestDateSpans(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"We expect to complete by June 30, 2024.", []string{"June 30, 2024"}},
		{"Rollout begins in early June 2024 and ends by mid-July 2024.", []string{"early June 2024", "mid-July 2024"}},
		{"Late June 2023: Targeted Release.", []string{"Late June 2023"}},
		{"Monthly Enterprise Channel: August 2023.", []string{"August 2023"}},
		{"Starting Thursday, June 13, 2023, builds may be blocked.", []string{"Thursday, June 13, 2023"}},
		{"before Sept. 4th, 2024 or Jun 3, 2024", []string{"Sept. 4th, 2024", "Jun 3, 2024"}},
		{"Starts June 13, 2023 at 10:00 AM PDT.", nil},    // a time follows: not date-only
		{"Starts June 13, 2023, 8:00 PM.", nil},           // likewise
		{"February 30, 2024 is no date.", nil},            // no such day
		{"Users may 2024 see it; June 10-14, 2024.", nil}, // lower case "may"; a range
		{"In June, we'll share more. Version 2406.", nil}, // no year
		{"Deployment of the fix completed on `{date:0}`.", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, s := range dateSpans(tt.text) {
			got = append(got, tt.text[s[0]:s[1]])
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("dateSpans(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestDatesProtected(t *testing.T) {
	g := DefaultGlossary()
	text := "Update by June 30, 2024; rollout starts in early June 2024."
	for _, m := range []Markup{MarkupPlaceholder, MarkupXML, MarkupHTML} {
		p := g.protect(text, m, termsReplaced, "ja")
		if strings.Contains(p.sent, "June 30, 2024") && m == MarkupPlaceholder || !cmp.Equal(p.keep, []string{"June 30, 2024", "early June 2024"}) {
			t.Errorf("markup %d: sent %q, keep %q", m, p.sent, p.keep)
		}
		got, err := g.restore("訳:"+p.sent, p, m)
		if err != nil || got != "訳:"+text {
			t.Errorf("markup %d: restore = %q, %v", m, got, err)
		}
		// A translator that rewrites a date inside the markup is caught.
		bad := strings.Replace(strings.Replace("訳:"+p.sent, "June 30", "June 3", 1), "⟦0⟧", "2024年6月3日", 1)
		if _, err := g.restore(bad, p, m); !errors.Is(err, ErrProtectedToken) {
			t.Errorf("markup %d: rewritten date: err = %v, want ErrProtectedToken", m, err)
		}
	}
	// The shipped memory (MarkupNone) writes its own Japanese dates.
	p := g.protect(text, MarkupNone, termsAsText, "ja")
	if got, err := g.restore("2024年6月30日までに更新してください。ロールアウトは 2024年6月上旬に始まります。", p, MarkupNone); err != nil {
		t.Errorf("memory translation with Japanese dates: %q, %v", got, err)
	}
}

func TestPlaceholderVariants(t *testing.T) {
	g := DefaultGlossary()
	text := "EX559755 affects Exchange Online users; see https://aka.ms/x and MC123456."
	p := g.protect(text, MarkupPlaceholder, termsReplaced, "ja")
	if p.sent != "⟦0⟧ affects ⟦1⟧ users; see ⟦2⟧ and ⟦3⟧." {
		t.Fatalf("sent = %q", p.sent)
	}
	want := "EX559755 は Exchange Online のユーザーに影響します。https://aka.ms/x と MC123456 を参照してください。"
	for _, tt := range []struct{ name, out string }{
		{"as sent", "⟦0⟧ は ⟦1⟧ のユーザーに影響します。⟦2⟧ と ⟦3⟧ を参照してください。"},
		{"lenticular brackets", "【0】 は 【1】 のユーザーに影響します。【2】 と 【3】 を参照してください。"},
		{"full-width digits", "⟦０⟧ は ⟦１⟧ のユーザーに影響します。⟦２⟧ と ⟦３⟧ を参照してください。"},
		{"mixed and spaced", "〚0〛 は [[1]] のユーザーに影響します。［２］ と 〖 3 〗 を参照してください。"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := g.restore(tt.out, p, MarkupPlaceholder)
			if err != nil || got != want {
				t.Errorf("restore = %q, %v; want %q", got, err, want)
			}
		})
	}
	// A text that has such brackets itself only accepts ⟦n⟧.
	own := "Step 【1】: EX559755 is fixed."
	p = g.protect(own, MarkupPlaceholder, termsReplaced, "ja")
	got, err := g.restore("手順 【1】: ⟦0⟧ は修正されました。", p, MarkupPlaceholder)
	if err != nil || got != "手順 【1】: EX559755 は修正されました。" {
		t.Errorf("own brackets: %q, %v", got, err)
	}
}

// termProvider is a TermTranslator fake: it records the glossary it was
// given and answers with answer(text).
type termProvider struct {
	fakeProvider
	g      *Glossary
	answer func(string) string
}

func (p *termProvider) TranslateTerms(_ context.Context, texts []string, _, _ string, g *Glossary) ([]string, error) {
	p.g = g
	p.calls = append(p.calls, texts)
	out := make([]string, len(texts))
	for i, s := range texts {
		out[i] = p.answer(s)
	}
	return out, nil
}

func TestTermsByProvider(t *testing.T) {
	ctx := context.Background()
	text := "Check the Exchange admin center, then move devices to Current Channel."
	t.Run("replaced before sending", func(t *testing.T) {
		p := &fakeProvider{}
		got, _, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(ctx, []string{text}, "en", "ja")
		if err != nil {
			t.Fatal(err)
		}
		if sent := p.calls[0][0]; sent != "Check the ⟦0⟧ ⟦1⟧, then move devices to ⟦2⟧." {
			t.Errorf("sent %q", sent)
		}
		if want := "訳:Check the Exchange 管理センター, then move devices to 最新チャネル."; got[text] != want {
			t.Errorf("got %q, want %q", got[text], want)
		}
	})
	t.Run("as text to a term translator", func(t *testing.T) {
		p := &termProvider{answer: func(s string) string {
			s = strings.NewReplacer("Check the ⟦0⟧ admin center", "⟦0⟧ 管理センターを確認し", ", then move devices to Current Channel.", "、デバイスを最新チャネルに移行します。").Replace(s)
			return s
		}}
		g := DefaultGlossary()
		got, rep, err := New(Config{Glossary: g}, p, newStore(t), WithNow(fixedNow)).TranslateAll(ctx, []string{text}, "en", "ja")
		if err != nil {
			t.Fatal(err)
		}
		if p.g != g || p.calls[0][0] != "Check the ⟦0⟧ admin center, then move devices to Current Channel." {
			t.Errorf("glossary %p (want %p), sent %q", p.g, g, p.calls[0][0])
		}
		if want := "Exchange 管理センターを確認し、デバイスを最新チャネルに移行します。"; got[text] != want || rep.GlossaryFailures != 0 {
			t.Errorf("got %q, want %q (%+v)", got[text], want, rep)
		}
	})
	t.Run("term left in English is translated", func(t *testing.T) {
		// A translator (or the shipped memory) that keeps the English term:
		// the glossary's Japanese goes in, without a space between two
		// Japanese characters.
		p := &termProvider{answer: func(s string) string {
			return "⟦0⟧ admin center を確認し、デバイスを Current Channel に移行します。"
		}}
		got, _, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(ctx, []string{text}, "en", "ja")
		if want := "Exchange 管理センターを確認し、デバイスを最新チャネルに移行します。"; err != nil || got[text] != want {
			t.Errorf("got %q, %v; want %q", got[text], err, want)
		}
	})
	t.Run("term translated otherwise falls back", func(t *testing.T) {
		p := &termProvider{answer: func(s string) string {
			return "⟦0⟧ 管理者センターを確認し、デバイスをカレント チャネルに移行します。"
		}}
		var logs strings.Builder
		s := New(Config{}, p, newStore(t), WithNow(fixedNow), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		got, rep, err := s.TranslateAll(ctx, []string{text}, "en", "ja")
		if !errors.Is(err, ErrGlossaryTerm) || len(got) != 0 || rep.GlossaryFailures != 1 || rep.Failures != 1 || len(rep.Untranslated) != 1 {
			t.Errorf("got %q, report %+v, err %v", got, rep, err)
		}
		if !strings.Contains(err.Error(), `"admin center" as "管理センター"`) || !strings.Contains(err.Error(), `"Current Channel" as "最新チャネル"`) {
			t.Errorf("err does not name the terms: %v", err)
		}
		if !strings.Contains(logs.String(), "translation_glossary_term_missing") {
			t.Errorf("no log line: %s", logs.String())
		}
	})
	t.Run("other target language", func(t *testing.T) {
		p := &fakeProvider{}
		got, _, err := New(Config{}, p, newStore(t), WithNow(fixedNow)).TranslateAll(ctx, []string{text}, "en", "de")
		if err != nil || got[text] != "訳:"+text || strings.Contains(p.calls[0][0], "管理") {
			t.Errorf("de: sent %q, got %q, %v", p.calls[0][0], got[text], err)
		}
	})
}

// TestDemoMemoryPassesGlossary sends every prose unit of the demo through a
// Service with the shipped memory as its provider (not seeded): the
// glossary's checks pass on the shipped Japanese, with the English terms it
// kept replaced by Microsoft's Japanese.
func TestDemoMemoryPassesGlossary(t *testing.T) {
	m := loadDemoMemory(t)
	var segs []string
	for _, de := range demoEvents(t) {
		segs = append(segs, render.Segments(&de.ev)...)
	}
	got, rep, err := New(Config{}, m, newStore(t), WithNow(fixedNow)).TranslateAll(context.Background(), segs, "en", "ja")
	if err != nil {
		t.Fatalf("%v (%+v)", err, rep)
	}
	found := 0
	for src, tr := range got {
		for _, w := range []string{"admin center", "Current Channel", "Standard Release", "classic Outlook"} {
			if strings.Contains(tr, w) {
				t.Errorf("translation of %.40q keeps %q: %q", src, w, tr)
			}
		}
		if strings.Contains(src, "Exchange admin center") {
			found++
			if !strings.Contains(tr, "Exchange 管理センター") {
				t.Errorf("translation of %.40q: %q, want Exchange 管理センター", src, tr)
			}
		}
	}
	if found == 0 {
		t.Error("the demo has no text with the Exchange admin center: the test checks nothing")
	}
}
