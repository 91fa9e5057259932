package app_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/store"
)

// TestRoutesDigestAndQuietHours plays the demo scenario with three routes
// into three file channels: Service Health outages instantly, everything
// else held overnight in Tokyo, and a daily Message Center digest at 08:00
// Tokyo. It checks what each channel received and when.
func TestRoutesDigestAndQuietHours(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	e := newEnv(t)
	dir := filepath.Dir(e.notices)
	path := func(n string) string { return filepath.Join(dir, n+".jsonl") }
	e.cfg.Channels = []config.Channel{
		{Name: "oncall", Type: "file", Settings: &file.Settings{Format: "json", Path: path("oncall")}},
		{Name: "night", Type: "file", Settings: &file.Settings{Format: "json", Path: path("night")}},
		{Name: "digest", Type: "file", Settings: &file.Settings{Format: "json", Path: path("digest")}},
	}
	e.cfg.Routes = []config.Route{
		{Name: "outages", Match: config.Match{Sources: []string{"shd"}, StatusTo: []string{"serviceRestored"}}, Channels: []string{"oncall"}},
		{Name: "quiet", Match: config.Match{Sources: []string{"shd", "health"}}, Channels: []string{"night"},
			TimeZone: "Asia/Tokyo", QuietHours: config.QuietHours{From: "22:00", To: "07:00"}},
		{Name: "mc", Match: config.Match{Sources: []string{"mc"}}, Channels: []string{"digest"},
			TimeZone: "Asia/Tokyo", Delivery: "digest", Digest: config.Digest{At: "08:00"}},
	}
	if err := e.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := e.newApp(t, ctx)
	defer a.Close()
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	for _, st := range e.sc.Steps {
		e.clock.Set(st.Time)
		if _, err := a.Check(ctx); err != nil {
			t.Fatalf("step %s: %v", st.Note, err)
		}
	}
	// Play on to the last digest time after the scenario.
	// Two days on, at 08:30 Tokyo: after the last digest and out of quiet hours.
	last := e.sc.Steps[len(e.sc.Steps)-1].Time.In(tokyo)
	e.clock.Set(time.Date(last.Year(), last.Month(), last.Day()+2, 8, 30, 0, 0, tokyo))
	if _, err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}

	oncall := readNotices(t, path("oncall"))
	if len(oncall) == 0 {
		t.Fatal("the outages route delivered nothing")
	}
	for _, r := range oncall {
		if r.Event.Issue == nil || r.Event.Issue.Status != model.StatusServiceRestored {
			t.Errorf("oncall got %s %s", r.Event.Type, r.Event.ItemID)
		}
	}
	digests := readNotices(t, path("digest"))
	if len(digests) == 0 {
		t.Fatal("no digest delivered")
	}
	items := 0
	for _, r := range digests {
		if r.Event.Type != model.EventDigest || len(r.Event.Items) == 0 {
			t.Fatalf("digest channel got %s with %d items", r.Event.Type, len(r.Event.Items))
		}
		items += len(r.Event.Items)
		if !strings.HasPrefix(r.Subject, "Digest: ") {
			t.Errorf("digest subject %q", r.Subject)
		}
		// Every item of a digest was detected before the digest time, and
		// the digest went out at 08:00 Tokyo after the earliest of them.
		for _, it := range r.Event.Items {
			if it.Source != model.SourceMC {
				t.Errorf("digest holds a %s event", it.Source)
			}
			if it.DetectedAt.After(r.Event.DetectedAt) {
				t.Errorf("%s detected %s after its digest %s", it.ItemID, it.DetectedAt, r.Event.DetectedAt)
			}
		}
	}
	// Every MC event went into exactly one digest.
	st, err := store.Open(ctx, e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, err := st.Deliveries(ctx, nil, 10000)
	if err != nil {
		t.Fatal(err)
	}
	mcDeliveries, pending := 0, 0
	for _, d := range ds {
		if d.Route == "mc" {
			mcDeliveries++
		}
		if d.State != store.DeliveryDone {
			pending++
			t.Logf("not done: %d %s %s %s/%s next %s err %q", d.ID, d.State, d.Route, d.Event.Type, d.Event.ItemID, d.NextAttempt, d.LastError)
		}
	}
	if items != mcDeliveries || pending != 0 {
		t.Errorf("digests hold %d items for %d MC deliveries; %d deliveries not done", items, mcDeliveries, pending)
	}
	// Quiet hours: the events of the quiet route detected between 22:00
	// and 07:00 Tokyo were delivered at 07:00 or later, unless urgent.
	held := 0
	for _, d := range ds {
		if d.Route != "quiet" {
			continue
		}
		det := d.Event.DetectedAt.In(tokyo)
		m := det.Hour()*60 + det.Minute()
		urgent := (d.Event.Issue != nil && d.Event.Issue.Status == model.StatusServiceInterruption) ||
			(d.Event.Service != nil && d.Event.Service.Status == model.StatusServiceInterruption)
		if (m >= 22*60 || m < 7*60) && !urgent {
			held++
			done := d.DoneAt.In(tokyo)
			if done.Hour() < 7 && done.Sub(det) < 10*time.Hour {
				t.Errorf("%s %s detected %s was sent at %s, inside quiet hours", d.Event.Type, d.Event.ItemID, det, done)
			}
		}
	}
	if held == 0 {
		t.Error("the scenario had no event in quiet hours: the test proves nothing")
	}
	t.Logf("oncall %d notices, %d digests with %d items, %d quiet-hour deliveries held", len(oncall), len(digests), items, held)
}

// TestJapaneseDigestTitles: a Japanese digest route shows each post's
// title in Japanese (it showed them in English: the digest's titles were
// never sent to the translator).
func TestJapaneseDigestTitles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	e := newEnv(t)
	e.cfg.Routes = []config.Route{{Name: "mc-ja", Match: config.Match{Sources: []string{"mc"}}, Channels: []string{"mailbox"},
		Language: "ja", TimeZone: "Asia/Tokyo", Delivery: "digest", Digest: config.Digest{At: "08:00"}}}
	if err := e.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p := &flaky{up: true}
	a, _ := e.translatingApp(ctx, t, p)
	for _, step := range e.sc.Steps {
		e.clock.Set(step.Time)
		if _, err := a.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	last := e.sc.Steps[len(e.sc.Steps)-1].Time.In(tokyo)
	e.clock.Set(time.Date(last.Year(), last.Month(), last.Day()+2, 8, 30, 0, 0, tokyo))
	if _, err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	digests := readNotices(t, e.notices)
	lines := 0
	for _, r := range digests {
		if r.Event.Type != model.EventDigest {
			t.Fatalf("the route sent a %s notice", r.Event.Type)
		}
		for _, it := range r.Event.Items {
			if it.Message == nil {
				continue
			}
			lines++
			// The first line of the item is in the Japanese part: its title
			// as translated (the glossary then fixes Microsoft's terms).
			i := strings.Index(r.Text, "- "+it.ItemID+" ")
			if i < 0 {
				t.Fatalf("the digest has no line of %s:\n%s", it.ItemID, r.Text)
			}
			line, _, _ := strings.Cut(r.Text[i:], "\n")
			if !strings.Contains(line, "訳:") || strings.Contains(line, "（原文）") {
				t.Errorf("the Japanese line of %s has an untranslated title or section: %s", it.ItemID, line)
			}
		}
	}
	if lines == 0 {
		t.Fatal("no digest line to check")
	}
}
