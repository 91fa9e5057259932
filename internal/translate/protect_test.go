package translate

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokens(t *testing.T) {
	g := DefaultGlossary()
	tests := []struct {
		name, text string
		want       []string
	}{
		{"item ids", "See EX559755 and MC123456, not E1234567 or EXO12.", []string{"EX559755", "MC123456"}},
		{"url trailing dot", "Learn more at https://learn.microsoft.com/exchange/a-b?x=1.", []string{"https://learn.microsoft.com/exchange/a-b?x=1"}},
		{"url in parens", "(see https://aka.ms/omev2)", []string{"https://aka.ms/omev2"}},
		{"url with id inside", "https://admin.microsoft.com/#/servicehealth/:/alerts/EX559755", []string{"https://admin.microsoft.com/#/servicehealth/:/alerts/EX559755"}},
		{"email", "Write to it-support@contoso.co.jp today.", []string{"it-support@contoso.co.jp"}},
		{"cmdlet", "Run Set-MailboxRegionalConfiguration then Get-Mailbox.", []string{"Set-MailboxRegionalConfiguration", "Get-Mailbox"}},
		{"not a cmdlet", "Cross-Tenant access and Read-only mode", nil},
		{"code span", "Use `Set-OrganizationConfig -X $true` now", []string{"`Set-OrganizationConfig -X $true`"}},
		// "classic Outlook for Windows" became a [ja] term (従来の Outlook
		// for Windows); "new Outlook for Windows" is still a name.
		{"glossary longest first", "Microsoft Teams and Teams, new Outlook for Windows, Outlook on the web", []string{"Microsoft Teams", "Teams", "new Outlook for Windows", "Outlook on the web"}},
		{"terms and dates are not tokens", "Current Channel in the Exchange admin center by June 30, 2024", []string{"Exchange"}},
		{"glossary word boundary", "OMEv2 is not OME; Teamsters are not Teams", []string{"OMEv2", "OME", "Teams"}},
		{"japanese neighbours", "Exchange OnlineでEX559755の問題はTeamsに", []string{"Exchange Online", "EX559755", "Teams"}},
		{"plain prose", "We're investigating the issue.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, g.Tokens(tt.text)); diff != "" {
				t.Errorf("Tokens(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestGlossaryVersion(t *testing.T) {
	a := DefaultGlossary()
	b := DefaultGlossary()
	if a.Version() != b.Version() || len(a.Version()) != 12 {
		t.Fatalf("versions %q, %q: want the same 12-digit hash", a.Version(), b.Version())
	}
	c, err := ParseGlossary([]byte("# mine\nContoso Widget\n\n  Fabrikam  Portal \n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() == a.Version() {
		t.Errorf("custom glossary has the default version %q", c.Version())
	}
	if diff := cmp.Diff([]string{"Contoso Widget", "Fabrikam Portal"}, c.Terms()); diff != "" {
		t.Errorf("terms (-want +got):\n%s", diff)
	}
	if got := c.Tokens("The Contoso Widget in Fabrikam Portal, not Microsoft Teams."); !cmp.Equal(got, []string{"Contoso Widget", "Fabrikam Portal"}) {
		t.Errorf("custom glossary tokens = %q", got)
	}
	if _, err := ParseGlossary([]byte("ok\n\xff\xfe\n")); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

// fakeTranslate mimics a translator that honours the markup: it rewrites
// the text outside markup and keeps the markup as it is.
func fakeTranslate(s string) string { return "訳:" + s }

func TestProtectRestore(t *testing.T) {
	g := DefaultGlossary()
	text := `EX559755: Users' OME mail in Exchange Online fails; see https://aka.ms/x?a=1&b=2 or mail a@b.example, run Get-Mailbox & "wait" <soon>.`
	for _, m := range []Markup{MarkupPlaceholder, MarkupXML, MarkupHTML, MarkupNone} {
		p := g.protect(text, m, termsReplaced, "ja")
		for _, tok := range p.keep {
			if m != MarkupNone && m != MarkupPlaceholder && !strings.Contains(p.sent, tok) && !strings.Contains(p.sent, "&amp;") {
				t.Errorf("markup %d: token %q missing from %q", m, tok, p.sent)
			}
		}
		switch m {
		case MarkupXML:
			if !strings.Contains(p.sent, "<x>EX559755</x>") || !strings.Contains(p.sent, "&lt;soon&gt;") {
				t.Errorf("xml markup = %q", p.sent)
			}
		case MarkupHTML:
			if !strings.Contains(p.sent, `<span class="notranslate">Exchange Online</span>`) {
				t.Errorf("html markup = %q", p.sent)
			}
		case MarkupPlaceholder:
			if strings.Contains(p.sent, "EX559755") || !strings.Contains(p.sent, "⟦0⟧") {
				t.Errorf("placeholder markup = %q", p.sent)
			}
		}
		got, err := g.restore(fakeTranslate(p.sent), p, m)
		if err != nil {
			t.Fatalf("markup %d: restore: %v", m, err)
		}
		if want := "訳:" + text; got != want {
			t.Errorf("markup %d: restore = %q, want %q", m, got, want)
		}
	}
}

func TestRestoreRejectsMangledTokens(t *testing.T) {
	g := DefaultGlossary()
	text := "EX559755 affects Exchange Online; see EX559755 and https://aka.ms/x."
	tests := []struct {
		name   string
		m      Markup
		mangle func(string) string
	}{
		{"placeholder dropped", MarkupPlaceholder, func(s string) string { return strings.Replace(s, "⟦1⟧", "", 1) }},
		{"placeholder doubled", MarkupPlaceholder, func(s string) string { return s + " ⟦0⟧" }},
		{"placeholder unknown", MarkupPlaceholder, func(s string) string { return s + " ⟦9⟧" }},
		{"xml token changed", MarkupXML, func(s string) string { return strings.Replace(s, "<x>EX559755</x>", "<x>EX 559755</x>", 1) }},
		{"html token translated", MarkupHTML, func(s string) string {
			return strings.Replace(s, "Exchange Online", "エクスチェンジ オンライン", 1)
		}},
		{"none token dropped", MarkupNone, func(s string) string { return strings.Replace(s, "EX559755 and ", "", 1) }},
		{"url changed", MarkupXML, func(s string) string { return strings.Replace(s, "aka.ms/x", "aka.ms/y", 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := g.protect(text, tt.m, termsReplaced, "ja")
			_, err := g.restore(tt.mangle(fakeTranslate(p.sent)), p, tt.m)
			if !errors.Is(err, ErrProtectedToken) {
				t.Fatalf("restore of mangled text: err = %v, want ErrProtectedToken", err)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ a, b string }{
		{"  Users  can't\n\topen mail. ", "Users can't open mail."},
		{"Cafe\u0301", "Café"}, // NFD → NFC
	}
	for _, tt := range tests {
		if TextHash(tt.a) != TextHash(tt.b) {
			t.Errorf("TextHash(%q) != TextHash(%q)", tt.a, tt.b)
		}
	}
	// Full-width and half-width forms stay different (no NFKC).
	if TextHash("ＯＭＥ") == TextHash("OME") {
		t.Error("full-width text hashes like half-width text")
	}
}
