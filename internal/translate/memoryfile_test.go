package translate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

const demoMemoryPath = "../demo/scenario/translations.ja.json"

func loadDemoMemory(t testing.TB) *MemoryProvider {
	t.Helper()
	data, err := os.ReadFile(demoMemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadMemoryFile(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoadMemoryFile(t *testing.T) {
	tests := []struct {
		name, data, wantErr string
	}{
		{"ok", `{"_comment":"c","source":"en","target":"ja","entries":[{"en":"A  b","ja":"あ"},{"en":"A b","ja":"あ"}]}`, ""},
		{"unknown key", `{"source":"en","target":"ja","entries":[],"extra":1}`, "unknown field"},
		{"no languages", `{"entries":[]}`, "languages"},
		{"empty text", `{"source":"en","target":"ja","entries":[{"en":"x","ja":" "}]}`, "empty"},
		{"conflict", `{"source":"en","target":"ja","entries":[{"en":"x","ja":"a"},{"en":" x","ja":"b"}]}`, "differently"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := LoadMemoryFile([]byte(tt.data))
			if tt.wantErr == "" {
				if err != nil || m.Len() != 1 {
					t.Fatalf("m = %v, err = %v", m, err)
				}
				if got, ok := m.Lookup("A\nb"); !ok || got != "あ" {
					t.Errorf("Lookup = %q, %v", got, ok)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestDemoMemoryFile checks the shipped Japanese: labelled as ours, every
// protected token kept, and covering the demo's EX559755 and Message
// Center prose as render.Segments cuts it.
func TestDemoMemoryFile(t *testing.T) {
	m := loadDemoMemory(t)
	if !strings.HasPrefix(m.Comment(), "Japanese written for the shdmc demo scenario by the shdmc developers; not a Microsoft translation") {
		t.Errorf("comment = %q", m.Comment())
	}
	if src, dst := m.Languages(); src != "en" || dst != "ja" {
		t.Errorf("languages %s→%s", src, dst)
	}
	g := DefaultGlossary()
	data, _ := os.ReadFile(demoMemoryPath)
	var f MemoryFile
	if err := jsonUnmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, e := range f.Entries {
		if err := g.check(g.Tokens(e.Source), e.Target); err != nil {
			t.Errorf("entry %.50q: %v", e.Source, err)
		}
	}

	covered, total := 0, 0
	seen := map[string]bool{}
	var finalEX []string
	for _, de := range demoEvents(t) {
		segs := render.Segments(&de.ev)
		if de.ev.ItemID == "EX559755" {
			finalEX = segs
		}
		for _, s := range segs {
			if seen[s] {
				continue
			}
			seen[s] = true
			total++
			if _, ok := m.Lookup(s); ok {
				covered++
			} else if de.ev.ItemID == "EX559755" || strings.HasPrefix(de.ev.ItemID, "MC") {
				t.Errorf("%s: not in the demo memory: %q", de.ev.ItemID, s)
			}
		}
	}
	if len(finalEX) == 0 {
		t.Fatal("no EX559755 event in the demo")
	}
	t.Logf("demo memory: %d entries; covers %d of %d distinct prose units of the demo scenario", m.Len(), covered, total)
}

// TestDemoMemoryThroughService serves the shipped Japanese through the
// production path: Service, store lookups, token checks.
func TestDemoMemoryThroughService(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	m := loadDemoMemory(t)
	s := New(Config{}, m, st, WithNow(fixedNow))
	evs := demoEvents(t)
	var last []string
	for _, de := range evs {
		if de.ev.ItemID == "EX559755" {
			last = render.Segments(&de.ev)
		}
	}
	got, rep, err := s.TranslateAll(ctx, last, "en", "ja")
	if err != nil {
		t.Fatalf("final EX559755 post: %v (%+v)", err, rep)
	}
	if len(got) != len(last) || rep.Misses != len(last) || rep.Translated != len(last) {
		t.Errorf("report %+v for %d segments", rep, len(last))
	}
	for _, s := range last {
		if !strings.ContainsAny(got[s], "あいうえおかきくけこさしすせそたちつてとなにのはまやらをん") {
			t.Errorf("not Japanese: %q → %q", s, got[s])
		}
	}
	// Second time: all from the store.
	_, rep, err = s.TranslateAll(ctx, last, "en", "ja")
	if err != nil || rep.Hits != len(last) || rep.Requests != 0 {
		t.Errorf("second lookup: %+v, %v", rep, err)
	}
	// A text the file lacks stays untranslated, reported, not invented.
	got, rep, err = s.TranslateAll(ctx, []string{"A sentence nobody translated."}, "en", "ja")
	if err == nil || len(got) != 0 || rep.Failures != 1 {
		t.Errorf("unknown text: %q %+v %v", got, rep, err)
	}
	// Seed writes the same entries under the memory provider's key.
	st2 := newStore(t)
	if err := m.Seed(ctx, st2, DefaultGlossary().Version(), testNow); err != nil {
		t.Fatal(err)
	}
	_, rep, err = New(Config{}, m, st2, WithNow(fixedNow)).TranslateAll(ctx, last, "en", "ja")
	if err != nil || rep.Hits != len(last) {
		t.Errorf("after Seed: %+v, %v", rep, err)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestSeedGlossary(t *testing.T) {
	ctx := context.Background()
	m := loadDemoMemory(t)
	g := DefaultGlossary()
	st := newStore(t)
	if err := m.SeedGlossary(ctx, st, g, testNow); err != nil {
		t.Fatal(err)
	}
	src := "Use the SMTP AUTH Clients report in the Exchange admin center to find the accounts still using Basic authentication."
	k := store.TranslationKey{Hash: TextHash(src), Source: "en", Target: "ja", Provider: MemoryProviderName, GlossaryVersion: g.Version()}
	got, err := st.Translation(ctx, k)
	if want := "Exchange 管理センターの SMTP AUTH Clients レポートを使って、まだ基本認証を使用しているアカウントを見つけてください。"; err != nil || got != want {
		t.Errorf("seeded %q, %v; want %q", got, err, want)
	}
	// A Service over the seeded memory answers without the provider.
	p := &fakeProvider{name: MemoryProviderName}
	out, rep, err := New(Config{Glossary: g}, p, st, WithNow(fixedNow)).TranslateAll(ctx, []string{src}, "en", "ja")
	if err != nil || out[src] != got || rep.Hits != 1 || len(p.calls) != 0 {
		t.Errorf("lookup %q, %+v, %v", out[src], rep, err)
	}
	// An entry that lost a product name is refused.
	bad, _ := LoadMemoryFile([]byte(`{"source":"en","target":"ja","entries":[{"en":"Exchange Online is slow.","ja":"エクスチェンジが遅いです。"}]}`))
	if err := bad.SeedGlossary(ctx, newStore(t), g, testNow); !errors.Is(err, ErrProtectedToken) {
		t.Errorf("err = %v, want ErrProtectedToken", err)
	}
}
