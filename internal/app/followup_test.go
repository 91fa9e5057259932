package app_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// flaky is a translation provider that is down until up is set, then
// "translates" by prefixing 訳:.
type flaky struct {
	mu    sync.Mutex
	up    bool
	calls int
}

func (f *flaky) Name() string             { return "flaky" }
func (f *flaky) Limits() translate.Limits { return translate.Limits{} }
func (f *flaky) Markup() translate.Markup { return translate.MarkupNone }
func (f *flaky) setUp()                   { f.mu.Lock(); f.up = true; f.mu.Unlock() }
func (f *flaky) Translate(_ context.Context, texts []string, _, _ string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if !f.up {
		return nil, errors.New("HTTP 503 Service Unavailable")
	}
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = "訳:" + t
	}
	return out, nil
}

// TestTranslationFollowsLater: the translator is down when EX559755 opens;
// the notice goes out at once with the English prose marked, and the
// translation follows as its own update once the translator is back.
func TestTranslationFollowsLater(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	e := newEnv(t)
	e.cfg.Routes = []config.Route{{Name: "ja", Channels: []string{"mailbox"}, Language: "ja", TimeZone: "Asia/Tokyo",
		Match: config.Match{Events: []string{"issue.new"}}}}
	if err := e.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p := &flaky{}
	a, st := e.translatingApp(ctx, t, p)
	// Baseline (EX557913 is active and announced), then EX559755 opens.
	for _, step := range e.sc.Steps[:2] {
		e.clock.Set(step.Time)
		if _, err := a.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := readNotices(t, e.notices)
	if len(got) != 2 {
		t.Fatalf("%d notices before the translator is back, want 2", len(got))
	}
	if !strings.Contains(got[1].Text, "（原文）") || strings.Contains(got[1].Text, "訳:") {
		t.Errorf("the first notice should carry the marked English prose:\n%s", got[1].Text)
	}
	// EX557913's follow-up was due at step 2 already (10 minutes after the
	// baseline) and failed there: the translator was still down.
	ds, err := st.Deliveries(ctx, []store.DeliveryState{store.DeliveryRetrying}, 10)
	if err != nil || len(ds) != 1 || !strings.HasSuffix(ds[0].Key, "/translation") || ds[0].Event.ItemID != "EX557913" ||
		!strings.Contains(ds[0].LastError, "translation still unavailable") {
		t.Fatalf("retrying deliveries = %+v, %v; want EX557913's follow-up", ds, err)
	}
	p.setUp()
	e.clock.Set(e.sc.Steps[1].Time.Add(9 * time.Minute))
	if _, err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	got = readNotices(t, e.notices)
	if len(got) != 3 || got[2].Event.ItemID != "EX557913" {
		t.Fatalf("after the translator is back: %d notices (want EX557913's translation third; EX559755's is not due yet)", len(got))
	}
	e.clock.Set(e.sc.Steps[1].Time.Add(11 * time.Minute))
	if _, err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	got = readNotices(t, e.notices)
	if len(got) != 4 || got[3].Event.ItemID != "EX559755" {
		t.Fatalf("%d notices, want EX559755's translation fourth", len(got))
	}
	for _, r := range got[2:] {
		if !strings.Contains(r.Text, "訳:") || !strings.Contains(r.Text, "先にお送りした通知の翻訳です") || strings.Contains(r.Text, "（原文）") {
			t.Errorf("follow-up of %s is not the translation:\n%s", r.Event.ItemID, r.Text)
		}
	}
	// Once translated, nothing more follows.
	e.clock.Set(e.sc.Steps[1].Time.Add(time.Hour))
	if _, err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(readNotices(t, e.notices)); n != 4 {
		t.Errorf("%d notices an hour later, want still 4", n)
	}
}

// translatingApp opens e's store and an app that translates with p; both
// are closed when the test ends.
func (e *env) translatingApp(ctx context.Context, t *testing.T, p translate.Provider) (*app.App, store.Store) {
	t.Helper()
	st, err := store.Open(ctx, e.dsn, store.WithNow(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tr := translate.New(translate.Config{}, p, st, translate.WithNow(e.clock.Now))
	a, err := app.New(ctx, e.cfg, app.Options{Now: e.clock.Now, Store: st, Translator: tr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, st
}
