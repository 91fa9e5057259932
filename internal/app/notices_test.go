package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/demo/scenario"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/translate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// demoNotices plays the demo scenario and returns the events that got a
// notice, in order.
func demoNotices(t *testing.T) []model.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e := newEnv(t)
	a := e.newApp(t, ctx)
	defer a.Close()
	for i, st := range e.sc.Steps {
		e.clock.Set(st.Time)
		if _, err := a.Check(ctx); err != nil {
			t.Fatalf("step %d (%s): %v", i, st.Note, err)
		}
	}
	dels, err := a.Store().Deliveries(ctx, nil, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []model.Event
	for _, d := range dels {
		out = append(out, d.Event)
	}
	slices.SortStableFunc(out, func(a, b model.Event) int { return int(a.ID - b.ID) })
	if len(out) < 30 {
		t.Fatalf("only %d notices in the demo", len(out))
	}
	return out
}

// noticeFormats renders one notice in every format a channel sends: the
// text of the stdout and file channels, Markdown, the email (HTML and its
// text part), the Teams card, the Slack blocks and the document the
// webhook and file channels carry as JSON.
func noticeFormats(t *testing.T, ev *model.Event, o render.Options) map[string]string {
	t.Helper()
	d := render.Compose(ev, o)
	html, alt := render.HTMLOf(d)
	card, err := render.CardOf(d)
	if err != nil {
		t.Fatal(err)
	}
	slack, err := render.SlackOf(d)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	indent := func(b []byte) string {
		var buf bytes.Buffer
		if err := json.Indent(&buf, b, "", "  "); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	return map[string]string{
		"text":     d.Subject + "\n\n" + render.Text(d),
		"markdown": render.Markdown(d),
		"html":     html,
		"mail.txt": alt,
		"card":     indent(card),
		"slack":    indent(slack),
		"json":     indent(doc),
	}
}

var formatOrder = []string{"text", "markdown", "html", "mail.txt", "card", "slack", "json"}

// demoOptions are the render options of a reader: English in UTC, or
// Japanese in Tokyo with the demo's shipped translations (as `shdmc demo
// --language ja --mode translated` renders them).
func demoOptions(t *testing.T, lang, template string) render.Options {
	t.Helper()
	o := render.Options{Language: lang, Template: template, TenantName: "Demo tenant", Location: time.UTC}
	if lang == "ja" {
		mp, err := translate.LoadMemoryFile(scenario.TranslationsJA)
		if err != nil {
			t.Fatal(err)
		}
		tokyo, err := time.LoadLocation("Asia/Tokyo")
		if err != nil {
			t.Fatal(err)
		}
		o.Location, o.Mode, o.Prose, o.NoteKey = tokyo, render.ModeTranslated, mp.Lookup, "note.demoTranslation"
	}
	return o
}

// TestDemoNoticeGolden writes the notices of the demo's incidents and
// Message Center posts in every format, in English and Japanese, in the
// full and the short template, one golden file per notice, language and
// template (testdata/notices/, rewritten with -update). They are the
// product: read them.
func TestDemoNoticeGolden(t *testing.T) {
	evs := demoNotices(t)
	pick := []struct{ name, item string }{
		{"ex559755_new", "EX559755"},          // the first post of the seed incident
		{"mo560384_new", "MO560384"},          // the ECS incident and the flips it caused
		{"mo560384_resolved", "MO560384"},     // its recovery, five services with it
		{"ex559755_final", "EX559755"},        // the seed's final post
		{"mc599001_action_date", "MC599001"},  // an action-required date moved
		{"mc599010_new_critical", "MC599010"}, // a new critical post
	}
	find := func(name, item string) *model.Event {
		var hits []*model.Event
		for i := range evs {
			if evs[i].ItemID == item {
				hits = append(hits, &evs[i])
			}
		}
		if len(hits) == 0 {
			t.Fatalf("no notice of %s in the demo", item)
		}
		switch {
		case strings.HasSuffix(name, "_resolved"):
			for _, h := range hits {
				if h.Type == model.EventIssueResolved {
					return h
				}
			}
		case strings.HasSuffix(name, "_final"):
			for _, h := range hits {
				if h.Issue != nil && h.Issue.Status == model.StatusServiceRestored && h.Has(model.ChangeStatus) {
					return h
				}
			}
		case strings.HasSuffix(name, "_action_date"):
			for _, h := range hits {
				if h.Type == model.EventMessageActionDate {
					return h
				}
			}
		default:
			return hits[0]
		}
		t.Fatalf("no %s notice in the demo", name)
		return nil
	}
	for _, p := range pick {
		ev := find(p.name, p.item)
		for _, lang := range []string{"en", "ja"} {
			for _, tmpl := range []string{render.TemplateFull, render.TemplateShort} {
				name := p.name + "." + lang + "." + tmpl + ".golden"
				t.Run(name, func(t *testing.T) {
					noticeGolden(t, name, noticeFormats(t, ev, demoOptions(t, lang, tmpl)))
				})
			}
		}
		// The bilingual layout (a route's mode: bilingual, the default):
		// the Japanese notice first, then the English original under 原文.
		switch p.name {
		case "ex559755_final", "mc599001_action_date":
			name := p.name + ".ja.bilingual.golden"
			t.Run(name, func(t *testing.T) {
				o := demoOptions(t, "ja", render.TemplateFull)
				o.Mode = render.ModeBilingual
				noticeGolden(t, name, noticeFormats(t, ev, o))
			})
		}
	}
}

// noticeGolden compares one notice in every format with its golden file
// in testdata/notices (rewritten with -update).
func noticeGolden(t *testing.T, name string, out map[string]string) {
	t.Helper()
	var b strings.Builder
	for _, f := range formatOrder {
		fmt.Fprintf(&b, "════════════════ %s ════════════════\n%s\n", f, strings.TrimRight(out[f], "\n"))
	}
	path := filepath.Join("testdata", "notices", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// wireEnums are enum values as Graph spells them, which an English notice
// shows only in the brackets of an issue's subject (the seed's layout).
var wireEnums = regexp.MustCompile(`\b(serviceOperational|serviceRestored|restoringService|verifyingService|extendedRecovery|` +
	`serviceDegradation|serviceInterruption|postIncidentReviewPublished|falsePositive|investigationSuspended|` +
	`planForChange|preventOrFixIssue|stayInformed|thirdParty)\b`)

// TestDemoNoticesSpeakTheirLanguage renders every notice of the demo in
// every format, in English and Japanese, full and short: none contains a
// catalog key, none in Japanese an English label of the catalog, none in
// English a wire enum outside an issue subject's brackets, and the
// Japanese ones mark no text as untranslated.
func TestDemoNoticesSpeakTheirLanguage(t *testing.T) {
	evs := demoNotices(t)
	var en map[string]string
	if err := json.Unmarshal(mustRead(t, "../render/catalog/en.json"), &en); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var labels []*regexp.Regexp
	word := func(s string) *regexp.Regexp { return regexp.MustCompile(`\b` + regexp.QuoteMeta(s) + `\b`) }
	for k, v := range en {
		if strings.Contains(k, ".") { // "footer" is a word too
			keys = append(keys, k)
		}
		switch {
		case v == "Service" || v == "Services":
			// also a word of product names ("Enterprise Configuration Service")
		case strings.HasPrefix(k, "service."), strings.HasPrefix(k, "tag."), strings.HasPrefix(k, "origin.microsoft"),
			strings.HasPrefix(k, "sentence."), strings.HasPrefix(k, "format."), strings.HasPrefix(k, "weekday."),
			strings.HasPrefix(k, "punct."), strings.HasPrefix(k, "health."), k == "language.name",
			strings.HasPrefix(k, "platform."), strings.HasPrefix(k, "cloud."): // Windows, GCC: names too
			// names, dates and punctuation Japanese shares with English
		case strings.Contains(v, "{"):
			for _, part := range regexp.MustCompile(`\{[a-zA-Z]+\}`).Split(v, -1) {
				if part = strings.TrimSpace(part); len(part) >= 12 {
					labels = append(labels, word(part))
				}
			}
		case len(v) >= 4:
			labels = append(labels, word(v))
		}
	}
	checked := 0
	for i := range evs {
		ev := &evs[i]
		for _, lang := range []string{"en", "ja"} {
			for _, tmpl := range []string{render.TemplateFull, render.TemplateShort} {
				for f, out := range noticeFormats(t, ev, demoOptions(t, lang, tmpl)) {
					checked++
					where := fmt.Sprintf("%s rev %d (%s, %s, %s)", ev.ItemID, ev.Revision, lang, tmpl, f)
					for _, k := range keys {
						if strings.Contains(out, k) {
							t.Errorf("%s shows the catalog key %q", where, k)
						}
					}
					if lang == "ja" {
						if strings.Contains(out, "（原文）") {
							t.Errorf("%s marks text as untranslated", where)
						}
						for _, l := range labels {
							if l.MatchString(out) {
								t.Errorf("%s shows the English %q", where, l)
							}
						}
						continue
					}
					if f != "text" && f != "markdown" && f != "mail.txt" {
						continue
					}
					for _, line := range strings.Split(out, "\n") {
						if strings.HasPrefix(line, "[") || strings.HasPrefix(line, `**\[`) {
							continue // the subject: the seed's bracketed status
						}
						if m := wireEnums.FindString(line); m != "" {
							t.Errorf("%s shows the wire value %q: %q", where, m, line)
						}
					}
				}
			}
		}
	}
	t.Logf("%d notices, %d renderings checked", len(evs), checked)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
