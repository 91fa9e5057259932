package translate

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
)

// countingProvider counts the characters it is sent; it sends the text as
// it is (MarkupNone) so that its count compares with plain text.
type countingProvider struct {
	chars, requests int
}

func (c *countingProvider) Name() string   { return "counting" }
func (c *countingProvider) Limits() Limits { return Limits{MaxTextsPerRequest: 50} }
func (c *countingProvider) Markup() Markup { return MarkupNone }
func (c *countingProvider) Translate(_ context.Context, texts []string, _, _ string) ([]string, error) {
	c.requests++
	out := make([]string, len(texts))
	for i, t := range texts {
		c.chars += utf8.RuneCountInString(t)
		out[i] = t // identity keeps every token
	}
	return out, nil
}

// mcEdits generates n Message Center updates that each change one section
// of one of the demo's messages (in its final state), as "(Updated)" posts
// do: a sentence is added to the section.
func mcEdits(t testing.TB, base []demoEvent, n int) []demoEvent {
	t.Helper()
	latest := map[string]*model.Message{}
	var ids []string
	for _, de := range base {
		if m := de.ev.Message; m != nil {
			if _, ok := latest[m.ID]; !ok {
				ids = append(ids, m.ID)
			}
			c := *m
			latest[m.ID] = &c
		}
	}
	revs := map[string]int{}
	var out []demoEvent
	now := time.Date(2023, 6, 3, 0, 0, 0, 0, time.UTC)
	for i := range n {
		id := ids[i%len(ids)]
		prev := latest[id]
		secs := htmltext.Sections(prev.Body)
		k := (i / len(ids)) % len(secs)
		cur := *prev
		// Change section k by appending a sentence to its first paragraph.
		marker := "</p>"
		start := 0
		for j := 0; j <= k; j++ {
			at := strings.Index(cur.Body[start:], marker)
			if at < 0 {
				break
			}
			if j == k {
				add := fmt.Sprintf(" Update %d: we have revised this section after customer feedback, and the change applies to every tenant.", i+1)
				cur.Body = cur.Body[:start+at] + add + cur.Body[start+at:]
			}
			start += at + len(marker)
		}
		now = now.Add(time.Hour)
		cur.LastModified = now
		ev, ok := detect.Message("demo", prev, 10+revs[id], &cur, detect.Options{Now: now})
		if !ok {
			t.Fatalf("edit %d of %s: no event", i, id)
		}
		revs[id]++
		latest[id] = &cur
		out = append(out, demoEvent{-1, ev})
	}
	return out
}

// wholeBody is what a tool that re-translates the whole item at every
// update sends: the title and every post (issues) or the title and the
// whole body (messages), as plain text.
func wholeBody(ev *model.Event) string {
	switch {
	case ev.Issue != nil:
		parts := []string{ev.Issue.Title}
		for _, p := range ev.Issue.Posts {
			parts = append(parts, htmltext.Text(p.Content))
		}
		return strings.Join(parts, "\n\n")
	case ev.Message != nil:
		return ev.Message.Title + "\n\n" + htmltext.Text(ev.Message.Body)
	}
	return ""
}

// newText is the text that is new in an event, by the event's own terms:
// the new or edited posts, the added or changed Message Center sections
// and a new or changed title — labels and dates included.
func newText(ev *model.Event) []string {
	var out []string
	if ev.Has(model.ChangeNew) {
		return []string{wholeBody(ev)}
	}
	if ev.Has(model.ChangeTitle) {
		if ev.Issue != nil {
			out = append(out, ev.Issue.Title)
		} else if ev.Message != nil {
			out = append(out, ev.Message.Title)
		}
	}
	for _, c := range ev.Changes {
		switch c.Kind {
		case model.ChangePostAdded, model.ChangePostEdited:
			for _, p := range ev.Issue.Posts {
				if p.Created.Format(time.RFC3339) == c.To {
					out = append(out, htmltext.Text(p.Content))
				}
			}
		case model.ChangeBodySection:
			for _, s := range htmltext.Sections(ev.Message.Body) {
				if s.Heading == c.Field && c.To != "" {
					out = append(out, s.Heading+"\n"+s.Text)
				}
			}
		}
	}
	return out
}

type benchFigures struct {
	events                   int
	sent, whole, uniqueNew   int
	uniqueProse, requests    int
	sentTwoTenants, hitsOnly int
}

func runBenchmark(t testing.TB) benchFigures {
	ctx := context.Background()
	evs := demoEvents(t)
	evs = append(evs, mcEdits(t, evs, 100)...)
	st := newStore(t)
	p := &countingProvider{}
	s := New(Config{}, p, st, WithNow(fixedNow))
	var f benchFigures
	f.events = len(evs)
	seenNew := map[string]bool{}
	seenProse := map[string]bool{}
	for _, de := range evs {
		segs := render.Segments(&de.ev)
		if _, _, err := s.TranslateAll(ctx, segs, "en", "ja"); err != nil {
			t.Fatalf("translate %s: %v", de.ev.ItemID, err)
		}
		f.whole += utf8.RuneCountInString(wholeBody(&de.ev))
		for _, x := range newText(&de.ev) {
			if h := TextHash(x); !seenNew[h] {
				seenNew[h] = true
				f.uniqueNew += utf8.RuneCountInString(Normalize(x))
			}
		}
		for _, x := range segs {
			if h := TextHash(x); !seenProse[h] {
				seenProse[h] = true
				f.uniqueProse += utf8.RuneCountInString(x)
			}
		}
	}
	f.sent, f.requests = p.chars, p.requests
	// A second tenant seeing the same events sends nothing more.
	for _, de := range evs {
		if _, _, err := s.TranslateAll(ctx, render.Segments(&de.ev), "en", "ja"); err != nil {
			t.Fatal(err)
		}
	}
	f.sentTwoTenants = p.chars
	return f
}

// TestTranslationVolume is issue 3's benchmark: over the demo scenario and
// 100 Message Center edits, the characters sent to the translator against
// a whole-body-at-every-update tool and against the unique new text.
func TestTranslationVolume(t *testing.T) {
	f := runBenchmark(t)
	ratio := float64(f.sent) / float64(f.uniqueNew)
	t.Logf("events %d: sent %d chars in %d requests; whole body every update %d; unique new text %d (unique prose units %d); sent/unique-new %.3f, whole/sent %.1fx; two tenants sent %d",
		f.events, f.sent, f.requests, f.whole, f.uniqueNew, f.uniqueProse, ratio, float64(f.whole)/float64(f.sent), f.sentTwoTenants)
	if ratio > 1.1 {
		t.Errorf("sent/unique new = %.3f, want ≤ 1.1", ratio)
	}
	if f.sent != f.uniqueProse {
		t.Errorf("sent %d chars, want exactly the unique prose %d (every unit once)", f.sent, f.uniqueProse)
	}
	if f.sentTwoTenants != f.sent {
		t.Errorf("a second tenant sent %d more chars", f.sentTwoTenants-f.sent)
	}
	if f.whole < 3*f.sent {
		t.Errorf("whole-body volume %d not far above sent %d: the benchmark does not measure what it claims", f.whole, f.sent)
	}
}

func BenchmarkTranslationVolume(b *testing.B) {
	var f benchFigures
	for b.Loop() {
		f = runBenchmark(b)
	}
	b.ReportMetric(float64(f.sent), "chars_sent")
	b.ReportMetric(float64(f.whole), "chars_whole_body")
	b.ReportMetric(float64(f.uniqueNew), "chars_unique_new")
	b.ReportMetric(float64(f.sent)/float64(f.uniqueNew), "sent/unique_new")
}
