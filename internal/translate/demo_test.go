package translate

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shdmc/shdmc/internal/demo/scenario"
	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
)

// The demo scenario read loosely: only what changes the prose.
type demoScenario struct {
	Start time.Time `yaml:"start"`
	Steps []struct {
		At     string `yaml:"at"`
		Issues []struct {
			ID       string  `yaml:"id"`
			Title    *string `yaml:"title"`
			Service  *string `yaml:"service"`
			Class    *string `yaml:"classification"`
			Status   *string `yaml:"status"`
			Impact   *string `yaml:"impactDescription"`
			Resolved *bool   `yaml:"isResolved"`
			Post     *string `yaml:"post"`
			PostType string  `yaml:"postType"`
		} `yaml:"issues"`
		Messages []struct {
			ID       string  `yaml:"id"`
			Title    *string `yaml:"title"`
			Category *string `yaml:"category"`
			Severity *string `yaml:"severity"`
			Body     *string `yaml:"body"`
		} `yaml:"messages"`
	} `yaml:"steps"`
}

// demoEvent is one event of the demo with the step it happened at.
type demoEvent struct {
	step int
	ev   model.Event
}

// demoEvents replays the demo scenario's issues and messages through
// detect, as one tenant would see them; the baseline step announces its
// items as new so that their prose counts too.
func demoEvents(t testing.TB) []demoEvent {
	t.Helper()
	var sc demoScenario
	if err := yaml.Unmarshal(scenario.Demo, &sc); err != nil {
		t.Fatalf("parse demo scenario: %v", err)
	}
	issues := map[string]*model.Issue{}
	msgs := map[string]*model.Message{}
	revs := map[string]int{}
	var out []demoEvent
	for k, st := range sc.Steps {
		d, err := time.ParseDuration(st.At)
		if err != nil {
			t.Fatalf("step %d: at %q: %v", k, st.At, err)
		}
		now := sc.Start.Add(d)
		for _, y := range st.Issues {
			prev := issues[y.ID]
			cur := &model.Issue{ID: y.ID}
			if prev != nil {
				c := *prev
				c.Posts = append([]model.Post(nil), prev.Posts...)
				cur = &c
			}
			set := func(dst *string, v *string) {
				if v != nil {
					*dst = *v
				}
			}
			set(&cur.Title, y.Title)
			set(&cur.Service, y.Service)
			set(&cur.ImpactDescription, y.Impact)
			if y.Class != nil {
				cur.Classification = model.Classification(*y.Class)
			}
			if y.Status != nil {
				cur.Status = model.Status(*y.Status)
			}
			if y.Resolved != nil {
				cur.IsResolved = *y.Resolved
			}
			if y.Post != nil {
				cur.Posts = append(cur.Posts, model.Post{Created: now, Type: model.PostType(y.PostType), ContentType: "html", Content: *y.Post})
			}
			cur.LastModified = now
			ev, ok := detect.Issue("demo", prev, revs[y.ID], cur, detect.Options{Now: now})
			if ok {
				out = append(out, demoEvent{k, ev})
			}
			revs[y.ID]++
			issues[y.ID] = cur
		}
		for _, y := range st.Messages {
			prev := msgs[y.ID]
			cur := &model.Message{ID: y.ID, BodyType: "html"}
			if prev != nil {
				c := *prev
				cur = &c
			}
			if y.Title != nil {
				cur.Title = *y.Title
			}
			if y.Body != nil {
				cur.Body = *y.Body
			}
			if y.Category != nil {
				cur.Category = model.Category(*y.Category)
			}
			if y.Severity != nil {
				cur.Severity = model.Severity(*y.Severity)
			}
			cur.LastModified = now
			ev, ok := detect.Message("demo", prev, revs["m"+y.ID], cur, detect.Options{Now: now})
			if ok {
				out = append(out, demoEvent{k, ev})
			}
			revs["m"+y.ID]++
			msgs[y.ID] = cur
		}
	}
	return out
}

// TestDemoMemoryCoversDemo requires the shipped Japanese to cover every
// prose unit that render.Segments cuts from the demo's events, so that
// `shdmc demo --language ja` shows no text marked as untranslated. Each
// translation must be Japanese (contain kana or kanji) and keep the protected
// tokens of its source.
func TestDemoMemoryCoversDemo(t *testing.T) {
	m := loadDemoMemory(t)
	g := DefaultGlossary()
	seen := map[string]bool{}
	used := map[string]bool{}
	perItem := map[string]int{}
	for _, de := range demoEvents(t) {
		for _, s := range render.Segments(&de.ev) {
			if seen[s] {
				continue
			}
			seen[s] = true
			perItem[de.ev.ItemID]++
			got, ok := m.Lookup(s)
			if !ok {
				t.Errorf("%s (step %d): not in the demo memory: %q", de.ev.ItemID, de.step, s)
				continue
			}
			used[TextHash(s)] = true
			if !hasJapanese(got) {
				t.Errorf("%s: translation of %.50q is not Japanese: %q", de.ev.ItemID, s, got)
			}
			if err := g.check(g.Tokens(s), got); err != nil {
				t.Errorf("%s: translation of %.50q: %v", de.ev.ItemID, s, err)
			}
		}
	}
	// The demo's issues that must be present, so that an empty replay
	// cannot pass.
	for _, id := range []string{"EX559755", "EX557913", "MO560384", "ID560721", "MO561502", "TM560112", "SP561811", "SP558402", "TM557266"} {
		if perItem[id] == 0 {
			t.Errorf("%s: no prose units in the demo replay", id)
		}
	}
	if unused := m.Len() - len(used); unused > 0 {
		t.Logf("%d entries of the demo memory are not used by the current demo", unused)
	}
	t.Logf("demo memory covers all %d distinct prose units of the demo", len(seen))
}

// hasJapanese reports whether s contains hiragana, katakana or kanji.
func hasJapanese(s string) bool {
	for _, r := range s {
		if (r >= 0x3041 && r <= 0x30FF) || (r >= 0x4E00 && r <= 0x9FFF) {
			return true
		}
	}
	return false
}

// untranslatedMark is the ja catalog's "note.untranslated": what a notice
// shows before a text it has no translation for.
const untranslatedMark = "（原文）"

// TestDemoMemoryRendersJapanese renders every demo event as a Japanese
// notice with the shipped memory as its prose lookup and requires that no
// text is shown untranslated: besides the units of render.Segments this
// covers what a notice quotes from earlier revisions (the former title or
// user impact of a "wording changed" line) and the user impact field.
func TestDemoMemoryRendersJapanese(t *testing.T) {
	m := loadDemoMemory(t)
	evs := demoEvents(t)
	onlySegments := 0
	for _, de := range evs {
		o := render.Options{Language: "ja", Mode: render.ModeTranslated, Location: time.UTC, Prose: m.Lookup}
		subject, body := render.Notice(&de.ev, o)
		if n := strings.Count(subject+body, untranslatedMark); n > 0 {
			t.Errorf("%s rev %d (step %d): %d untranslated texts:\n%s\n%s", de.ev.ItemID, de.ev.Revision, de.step, n, subject, body)
		}
		// The app asks its translator for render.Segments(ev) only: that
		// must cover every text the notice shows.
		segs := map[string]bool{}
		for _, s := range render.Segments(&de.ev) {
			segs[s] = true
		}
		o.Prose = func(s string) (string, bool) {
			if !segs[s] {
				return "", false
			}
			return m.Lookup(s)
		}
		subject, body = render.Notice(&de.ev, o)
		onlySegments += strings.Count(subject+body, untranslatedMark)
	}
	if len(evs) < 30 {
		t.Errorf("only %d demo events", len(evs))
	}
	if onlySegments != 0 {
		t.Errorf("with only render.Segments(ev) looked up, %d texts stay untranslated: Segments misses text that Compose shows", onlySegments)
	}
}
