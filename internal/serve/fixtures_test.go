package serve_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shdmc/shdmc/internal/demo"
	"github.com/shdmc/shdmc/internal/demo/scenario"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// scenarioStart is the start of the built-in demo scenario (demo.yaml).
var scenarioStart = time.Date(2023, 5, 14, 19, 45, 0, 0, time.UTC)

// incidentCut is when the incident fixture stops: the ECS outage
// (MO560384) has spread from Teams to Exchange Online, Windows 365 and
// Office for the web, with the EX559755 and EX557913 advisories open.
const incidentCut = 42*time.Hour + 40*time.Minute

// incidentNow is the dashboard's clock in the incident fixture: a few
// minutes after the last step.
var incidentNow = scenarioStart.Add(incidentCut + 15*time.Minute)

// demoNow is the dashboard's clock in the demo fixture: after the last
// step of the scenario.
var demoNow = scenarioStart.Add(453 * time.Hour)

// incidentFixture plays the demo scenario up to the ECS outage for two
// tenants, demo-1 and demo-2: demo-2 does not get the last step, so its
// copy of MO560384 is one post behind and its services have not all
// degraded yet (a per-tenant difference). The demo's Japanese translation
// memory is seeded.
func incidentFixture(t *testing.T) store.Store {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(scenario.Demo, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	field := func(n *yaml.Node, key string) *yaml.Node {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
		t.Fatalf("scenario has no %q", key)
		return nil
	}
	tenants := field(root, "tenants")
	first := field(tenants.Content[0], "id").Value
	var second yaml.Node
	if err := yaml.Unmarshal([]byte("id: 6f1e3c2a-0000-4000-8000-000000000002\nclient_id: 5d7c0000-0000-4000-8000-0000000000ab\nclient_secret: demo-secret-2\n"), &second); err != nil {
		t.Fatal(err)
	}
	tenants.Content = append(tenants.Content, second.Content[0])
	steps := field(root, "steps")
	var kept []*yaml.Node
	for _, st := range steps.Content {
		at, err := time.ParseDuration(field(st, "at").Value)
		if err != nil {
			t.Fatal(err)
		}
		if at > incidentCut {
			break
		}
		if at == incidentCut {
			st.Content = append(st.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "tenants"},
				&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: first}}})
		}
		kept = append(kept, st)
	}
	steps.Content = kept
	b, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "incident.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return playDemo(t, dir, path)
}

// demoFixture plays the whole demo scenario, without the test items of
// fixture: what `shdmc demo` leaves behind.
func demoFixture(t *testing.T) store.Store {
	t.Helper()
	return playDemo(t, t.TempDir(), "")
}

// playDemo runs the demo with a scenario file ("" = built in) into dir
// and opens its store with the Japanese translation memory seeded.
func playDemo(t *testing.T, dir, scenarioFile string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if err := demo.Run(ctx, demo.Options{Stdout: io.Discard, Dir: dir, Scenario: scenarioFile}); err != nil {
		t.Fatalf("demo: %v", err)
	}
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "shdmc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mem, err := translate.LoadMemoryFile(scenario.TranslationsJA)
	if err != nil {
		t.Fatal(err)
	}
	if err := mem.Seed(ctx, st, translate.DefaultGlossary().Version(), time.Now()); err != nil {
		t.Fatal(err)
	}
	// The lists find items by the translations recorded for search.
	if _, err := translate.IndexSearch(ctx, st, translate.MemoryProviderName, translate.DefaultGlossary().Version(), []string{"ja"}, true); err != nil {
		t.Fatal(err)
	}
	return st
}
