package translate

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shdmc/shdmc/internal/demo/scenario"
	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
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
