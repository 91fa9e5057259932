package translate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/store"
)

func newStore(t testing.TB) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "shdmc.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var testNow = time.Date(2023, 5, 26, 0, 12, 21, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// fakeProvider is an in-process translator: it records each request and
// "translates" by prefixing, keeping the placeholders; mangle, when set,
// rewrites its output; fail, when set, is returned instead.
type fakeProvider struct {
	mu       sync.Mutex
	name     string
	limits   Limits
	calls    [][]string
	chars    int
	mangle   func(string) string
	fail     error
	failOnce bool
}

func (f *fakeProvider) Name() string {
	if f.name == "" {
		return "fake"
	}
	return f.name
}
func (f *fakeProvider) Limits() Limits { return f.limits }

func (f *fakeProvider) Translate(_ context.Context, texts []string, _, _ string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, append([]string(nil), texts...))
	for _, t := range texts {
		f.chars += len([]rune(t))
	}
	if f.fail != nil {
		err := f.fail
		if f.failOnce {
			f.fail = nil
		}
		return nil, err
	}
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = fakeTranslate(t)
		if f.mangle != nil {
			out[i] = f.mangle(out[i])
		}
	}
	return out, nil
}

func usageOf(t *testing.T, st store.Store, provider string) store.TranslationUsage {
	t.Helper()
	us, err := st.TranslationUsages(context.Background(), "2023-05")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Provider == provider {
			return u
		}
	}
	return store.TranslationUsage{}
}

func TestTranslateAllMemoryAcrossTenants(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	p := &fakeProvider{}
	s := New(Config{}, p, st, WithNow(fixedNow))
	post := "Current status: We've confirmed that EX559755 is fixed in Exchange Online."
	section := "Rollout will begin in late May 2023."
	// 300 tenants see the same MC post and incident post; each tenant's
	// notice asks for its own translation.
	for tenant := range 300 {
		got, rep, err := s.TranslateAll(ctx, []string{post, section, " " + section + "\n"}, "en", "ja")
		if err != nil {
			t.Fatalf("tenant %d: %v", tenant, err)
		}
		if got[post] != "訳:"+post || got[section] != "訳:"+section || got[" "+section+"\n"] != "訳:"+section {
			t.Fatalf("tenant %d: translations %q", tenant, got)
		}
		wantHits := 2
		if tenant == 0 {
			wantHits = 0
		}
		if rep.Hits != wantHits || rep.Texts != 2 {
			t.Fatalf("tenant %d: report %+v, want %d hits of 2 texts", tenant, rep, wantHits)
		}
	}
	if len(p.calls) != 1 || len(p.calls[0]) != 2 {
		t.Fatalf("provider calls = %d %q, want one call with 2 texts", len(p.calls), p.calls)
	}
	if strings.Contains(p.calls[0][0], "EX559755") || strings.Contains(p.calls[0][0], "Exchange Online") {
		t.Errorf("protected tokens sent to the provider: %q", p.calls[0][0])
	}
	u := usageOf(t, st, "fake")
	if u.Requests != 1 || u.Hits != 2*299 || u.Misses != 2 || u.Chars != int64(p.chars) || u.Failures != 0 {
		t.Errorf("usage = %+v (provider saw %d chars)", u, p.chars)
	}
}

func TestTranslateAllBatchesWithinLimits(t *testing.T) {
	ctx := context.Background()
	p := &fakeProvider{limits: Limits{MaxTextsPerRequest: 3, MaxCharsPerRequest: 40}}
	s := New(Config{}, p, newStore(t), WithNow(fixedNow))
	var texts []string
	for i := range 10 {
		texts = append(texts, fmt.Sprintf("Paragraph number %d is here.", i)) // 28 chars
	}
	texts = append(texts, strings.Repeat("long ", 20)) // 100 chars, alone
	got, rep, err := s.TranslateAll(ctx, texts, "en", "ja")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(texts) || rep.Translated != len(texts) {
		t.Fatalf("translated %d of %d (%+v)", len(got), len(texts), rep)
	}
	for i, c := range p.calls {
		n := 0
		for _, x := range c {
			n += len([]rune(x))
		}
		if len(c) > 3 || (len(c) > 1 && n > 40) {
			t.Errorf("request %d has %d texts, %d chars: over the limits", i, len(c), n)
		}
	}
	if rep.Requests != len(p.calls) || len(p.calls) != 11 {
		t.Errorf("requests = %d, calls = %d, want 11 (two 28-char texts exceed 40)", rep.Requests, len(p.calls))
	}
}

func TestTranslateAllMangledTokenFallsBack(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	var logs bytes.Buffer
	p := &fakeProvider{mangle: func(s string) string {
		// The translator "translates" the product name inside the markup.
		return strings.Replace(s, "⟦0⟧", "エクスチェンジ", 1)
	}}
	s := New(Config{}, p, st, WithNow(fixedNow), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	bad := "Exchange Online users can't open mail."
	good := "Users can't open mail."
	got, rep, err := s.TranslateAll(ctx, []string{bad, good}, "en", "ja")
	if !errors.Is(err, ErrProtectedToken) {
		t.Fatalf("err = %v, want ErrProtectedToken", err)
	}
	if _, ok := got[bad]; ok {
		t.Errorf("mangled translation returned: %q", got[bad])
	}
	if got[good] != "訳:"+good {
		t.Errorf("good text: %q", got[good])
	}
	if rep.Failures != 1 || rep.ProtectedTokenFailures != 1 || len(rep.Untranslated) != 1 || rep.Untranslated[0] != bad {
		t.Errorf("report = %+v", rep)
	}
	if u := usageOf(t, st, "fake"); u.Failures != 1 {
		t.Errorf("usage failures = %d, want 1", u.Failures)
	}
	if !strings.Contains(logs.String(), "translation_protected_token_lost") {
		t.Errorf("no log line for the lost token: %s", logs.String())
	}
	// The failure is not remembered: the next call asks again.
	p.mangle = nil
	got, _, err = s.TranslateAll(ctx, []string{bad}, "en", "ja")
	if err != nil || got[bad] != "訳:"+bad {
		t.Errorf("retry: %q, %v", got[bad], err)
	}
}

func TestTranslateAllBudget(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	var logs bytes.Buffer
	p := &fakeProvider{limits: Limits{MaxTextsPerRequest: 1}}
	s := New(Config{MonthlyCharBudget: 50}, p, st, WithNow(fixedNow), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	a := strings.Repeat("a", 30) // 30 chars
	b := strings.Repeat("b", 30) // would make 60 > 50
	got, rep, err := s.TranslateAll(ctx, []string{a, b}, "en", "ja")
	if !errors.Is(err, ErrBudget) || !rep.BudgetExceeded {
		t.Fatalf("err = %v, BudgetExceeded = %v; want ErrBudget", err, rep.BudgetExceeded)
	}
	if got[a] != "訳:"+a || len(got) != 1 || len(p.calls) != 1 {
		t.Errorf("got %q after %d calls; want only the first text translated", got, len(p.calls))
	}
	if !strings.Contains(logs.String(), "translation_budget_exceeded") {
		t.Errorf("no warning logged: %s", logs.String())
	}
	// The stored usage counts in the next call too (same month): 30 used,
	// nothing of 30 more fits; a memory hit still works.
	got, rep, err = s.TranslateAll(ctx, []string{a, b}, "en", "ja")
	if !errors.Is(err, ErrBudget) || got[a] == "" || got[b] != "" || len(p.calls) != 1 || rep.Hits != 1 {
		t.Errorf("second call: %q, %+v, %v, calls %d", got, rep, err, len(p.calls))
	}
	// A new month has a fresh budget.
	next := func() time.Time { return testNow.AddDate(0, 1, 0) }
	s2 := New(Config{MonthlyCharBudget: 50}, p, st, WithNow(next))
	if _, rep, err := s2.TranslateAll(ctx, []string{b}, "en", "ja"); err != nil || rep.BudgetExceeded {
		t.Errorf("next month: %+v, %v", rep, err)
	}
}

func TestTranslateAllProviderFailureIsPartial(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	// First batch fails with a transient error, the second succeeds.
	p := &fakeProvider{limits: Limits{MaxTextsPerRequest: 1}, fail: errors.New("HTTP 500"), failOnce: true}
	s := New(Config{}, p, st, WithNow(fixedNow))
	got, rep, err := s.TranslateAll(ctx, []string{"one", "two"}, "en", "ja")
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("err = %v", err)
	}
	if got["two"] != "訳:two" || got["one"] != "" || rep.Failures != 1 || rep.Translated != 1 {
		t.Errorf("got %q, report %+v", got, rep)
	}
	// A permanent error stops further requests in the call.
	p2 := &fakeProvider{name: "fake2", limits: Limits{MaxTextsPerRequest: 1}, fail: fmt.Errorf("deepl translate: HTTP 456: %w", ErrQuota)}
	s2 := New(Config{}, p2, st, WithNow(fixedNow))
	got, rep, err = s2.TranslateAll(ctx, []string{"one", "two", "three"}, "en", "ja")
	if !errors.Is(err, ErrQuota) || len(p2.calls) != 1 || len(got) != 0 || len(rep.Untranslated) != 3 {
		t.Errorf("quota: calls %d, got %q, report %+v, err %v", len(p2.calls), got, rep, err)
	}
}

func TestTranslateAllSameLanguageAndBlank(t *testing.T) {
	p := &fakeProvider{}
	s := New(Config{}, p, newStore(t), WithNow(fixedNow))
	got, _, err := s.TranslateAll(context.Background(), []string{"x"}, "en", "en")
	if err != nil || len(got) != 0 || len(p.calls) != 0 {
		t.Errorf("same language: %q %v calls %d", got, err, len(p.calls))
	}
	got, rep, err := s.TranslateAll(context.Background(), []string{"", "  \n"}, "en", "ja")
	if err != nil || len(got) != 0 || len(p.calls) != 0 || rep.Texts != 0 {
		t.Errorf("blank: %q %+v %v", got, rep, err)
	}
}

func TestUsage(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	s := New(Config{}, &fakeProvider{}, st, WithNow(fixedNow))
	for range 3 {
		if _, _, err := s.TranslateAll(ctx, []string{"Hello there."}, "en", "ja"); err != nil {
			t.Fatal(err)
		}
	}
	lines, err := Usage(ctx, st, "2023-05", map[string]int64{"fake": 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 {
		t.Fatalf("lines = %+v", lines)
	}
	l := lines[0]
	if l.Hits != 2 || l.Misses != 1 || l.HitRate() < 0.66 || l.HitRate() > 0.67 || l.Remaining() != 1000-l.Chars || l.Chars != int64(len("Hello there.")) {
		t.Errorf("line = %+v, hit rate %.2f, remaining %d", l, l.HitRate(), l.Remaining())
	}
}
