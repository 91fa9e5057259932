package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/cli"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/demo/scenario"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/sim"
	"github.com/shdmc/shdmc/internal/store"
)

// demoSteps is what the test reads from the demo scenario itself, so that
// the expectations follow the data.
type demoSteps struct {
	Steps []struct {
		At     string `yaml:"at"`
		Note   string `yaml:"note"`
		Issues []struct {
			ID     string  `yaml:"id"`
			Status string  `yaml:"status"`
			Post   *string `yaml:"post"`
		} `yaml:"issues"`
		Messages []struct {
			ID string `yaml:"id"`
		} `yaml:"messages"`
		RemoveMessages []string `yaml:"remove_messages"`
	} `yaml:"steps"`
}

type env struct {
	srv     *sim.Server
	clock   *sim.SteppedClock
	sc      *sim.Scenario
	cfg     *config.Config
	notices string
	dsn     string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	sc, err := sim.ParseScenario(scenario.Demo, "demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sc: sc, clock: sim.NewSteppedClock(sc.Start)}
	e.srv, err = sim.New(sim.Options{Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.srv.Close() })
	dir := t.TempDir()
	caFile := filepath.Join(dir, "sim-ca.pem")
	if err := e.srv.WriteCAFile(caFile); err != nil {
		t.Fatal(err)
	}
	e.notices = filepath.Join(dir, "notices.jsonl")
	e.dsn = "sqlite://" + filepath.Join(dir, "shdmc.db")
	cfg := config.Default()
	cfg.Store = e.dsn
	cfg.Baseline.AnnounceActive = true
	cfg.Channels = []config.Channel{{Name: "mailbox", Type: "file", Settings: &file.Settings{Format: "json", Path: e.notices}}}
	st := sc.Tenants[0]
	cfg.Tenants = []config.Tenant{{
		ID: "demo", Name: "Demo tenant", TenantID: st.ID, ClientID: st.ClientID, Auth: "client_secret",
		ClientSecret: config.Secret(st.ClientSecret), GraphRoot: e.srv.URL(), AuthorityHost: e.srv.URL(), CAFile: caFile,
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e.cfg = cfg
	return e
}

func (e *env) newApp(t *testing.T, ctx context.Context) *app.App {
	t.Helper()
	a, err := app.New(ctx, e.cfg, app.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func readNotices(t *testing.T, path string) []file.Record {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []file.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var r file.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d of %s is not a file.Record: %v", len(out)+1, path, err)
		}
		if r.Event == nil || r.Subject == "" || r.Text == "" {
			t.Fatalf("line %d is incomplete: %+v", len(out)+1, r)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func graphRequests(srv *sim.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/v1.0/") {
			n++
		}
	}
	return n
}

func TestDemoScenarioEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	e := newEnv(t)
	var ds demoSteps
	if err := yaml.Unmarshal(scenario.Demo, &ds); err != nil {
		t.Fatal(err)
	}
	if len(ds.Steps) != len(e.sc.Steps) {
		t.Fatalf("yaml has %d steps, the parsed scenario %d", len(ds.Steps), len(e.sc.Steps))
	}
	a := e.newApp(t, ctx)
	defer a.Close()

	// Play every step; remember which notices each step produced.
	perStep := make([][]file.Record, len(e.sc.Steps))
	seen := 0
	for i, st := range e.sc.Steps {
		e.clock.Set(st.Time)
		res, err := a.Check(ctx)
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, st.Note, err)
		}
		all := readNotices(t, e.notices)
		perStep[i] = all[seen:]
		seen = len(all)
		if res.Events != len(perStep[i]) || res.Sent != res.Events || res.SendFailed != 0 {
			t.Errorf("step %d (%s): result %+v, %d notices written", i, st.Note, res, len(perStep[i]))
		}
	}
	all := readNotices(t, e.notices)
	t.Logf("%d steps, %d notices", len(e.sc.Steps), len(all))

	t.Run("baseline announces only the active issue", func(t *testing.T) {
		var got []string
		for _, r := range perStep[0] {
			got = append(got, string(r.Event.Type)+" "+r.Event.ItemID)
			if r.Event.Source != model.SourceSHD {
				t.Errorf("baseline announced %s %s", r.Event.Source, r.Event.ItemID)
			}
		}
		if want := []string{"issue.new EX557913"}; !slices.Equal(got, want) {
			t.Errorf("baseline notices %v, want %v", got, want)
		}
	})

	t.Run("EX559755 one event per change", func(t *testing.T) {
		var wantSteps []int
		var wantStatus []string
		status := ""
		for i, st := range ds.Steps {
			for _, is := range st.Issues {
				if is.ID == "EX559755" {
					if is.Status != "" {
						status = is.Status
					}
					wantSteps = append(wantSteps, i)
					wantStatus = append(wantStatus, status)
				}
			}
		}
		var gotSteps []int
		var gotStatus []string
		var restored *file.Record
		for i, recs := range perStep {
			for k, r := range recs {
				if r.Event.ItemID != "EX559755" {
					continue
				}
				gotSteps = append(gotSteps, i)
				gotStatus = append(gotStatus, string(r.Event.Issue.Status))
				if r.Event.Issue.Status == model.StatusServiceRestored && r.Event.Has(model.ChangeStatus) {
					restored = &recs[k]
				}
			}
		}
		if !slices.Equal(gotSteps, wantSteps) {
			t.Errorf("EX559755 events at steps %v, want %v", gotSteps, wantSteps)
		}
		if !slices.Equal(gotStatus, wantStatus) {
			t.Errorf("EX559755 statuses %v, want %v", gotStatus, wantStatus)
		}
		t.Logf("EX559755 statuses %v at steps %v", gotStatus, gotSteps)
		n := len(gotStatus)
		if n < 3 || gotStatus[0] != "investigating" || gotStatus[n-2] != "serviceRestored" || gotStatus[n-1] != "postIncidentReviewPublished" {
			t.Errorf("status sequence %v: want investigating … serviceRestored, postIncidentReviewPublished", gotStatus)
		}
		if restored == nil {
			t.Fatal("no serviceRestored event")
		}
		for _, k := range []model.ChangeKind{model.ChangeStatus, model.ChangeResolved, model.ChangePostAdded, model.ChangeEnd} {
			if !restored.Event.Has(k) {
				t.Errorf("serviceRestored event lacks a %s change: %+v", k, restored.Event.Changes)
			}
		}
		if restored.Event.Type != model.EventIssueResolved {
			t.Errorf("serviceRestored event type %s", restored.Event.Type)
		}
		if !strings.Contains(restored.Text, "This is the final update for the event.") {
			t.Errorf("final notice text lacks the final sentence:\n%s", restored.Text)
		}
		if !strings.Contains(restored.Subject, "EX559755") {
			t.Errorf("subject %q", restored.Subject)
		}
	})

	t.Run("MC599013 removal", func(t *testing.T) {
		removeStep := -1
		for i, st := range ds.Steps {
			if slices.Contains(st.RemoveMessages, "MC599013") {
				removeStep = i
			}
		}
		found := 0
		for i, recs := range perStep {
			for _, r := range recs {
				if r.Event.ItemID == "MC599013" && r.Event.Type == model.EventMessageRemoved {
					found++
					if i != removeStep {
						t.Errorf("removal announced at step %d, removed at step %d", i, removeStep)
					}
					if r.Event.Message == nil || !strings.Contains(r.Subject, "MC599013") {
						t.Errorf("removal notice without the message: %q", r.Subject)
					}
				}
			}
		}
		if found != 1 {
			t.Errorf("%d removal notices for MC599013, want 1", found)
		}
	})

	t.Run("one notice per incident and poll", func(t *testing.T) {
		// The ECS incident (MO560384, seed 002) spreads from Teams to four
		// services and recovers: four polls, four notices, each listing
		// the services that changed with it (15 notices before grouping).
		var got []string
		for i, st := range ds.Steps {
			if !strings.HasPrefix(st.Note, "MO560384") {
				continue
			}
			var line []string
			for _, r := range perStep[i] {
				var svcs []string
				for _, it := range r.Event.Items {
					svcs = append(svcs, it.ItemID)
				}
				slices.Sort(svcs)
				line = append(line, string(r.Event.Type)+" "+r.Event.ItemID+" ["+strings.Join(svcs, " ")+"]")
			}
			got = append(got, strings.Join(line, "; "))
		}
		want := []string{
			"issue.new MO560384 [MicrosoftTeams OSDPPlatform]",
			"issue.post MO560384 [Exchange Windows365 officeonline]",
			"issue.status MO560384 [MicrosoftTeams]",
			"issue.resolved MO560384 [Exchange MicrosoftTeams OSDPPlatform Windows365 officeonline]",
		}
		if !slices.Equal(got, want) {
			t.Errorf("MO560384 notices per poll:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, r := range all {
			if r.Event.Source == model.SourceHealth {
				t.Errorf("service status notice %s at %s: every flip of the demo belongs to an incident", r.Event.ItemID, r.Event.DetectedAt)
			}
		}
	})

	t.Run("updated MC post moves the action date", func(t *testing.T) {
		var hits []string
		for _, r := range all {
			if r.Event.Type == model.EventMessageActionDate {
				hits = append(hits, r.Event.ItemID)
				if !strings.HasPrefix(r.Event.Message.Title, "(Updated)") || !r.Event.Has(model.ChangeActionDate) {
					t.Errorf("action date event %s: title %q changes %+v", r.Event.ItemID, r.Event.Message.Title, r.Event.Changes)
				}
			}
		}
		if !slices.Contains(hits, "MC599001") {
			t.Errorf("mc.action_date events %v, want MC599001", hits)
		}
	})

	t.Run("every message change is announced once", func(t *testing.T) {
		for i, st := range ds.Steps {
			if i == 0 {
				continue
			}
			for _, m := range st.Messages {
				n := 0
				for _, r := range perStep[i] {
					if r.Event.ItemID == m.ID {
						n++
					}
				}
				if n != 1 {
					t.Errorf("step %d (%s): %d notices for %s, want 1", i, st.Note, n, m.ID)
				}
			}
		}
	})

	t.Run("no duplicate deliveries", func(t *testing.T) {
		st := a.Store()
		dels, err := st.Deliveries(ctx, nil, 100000)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := st.Events(ctx, store.EventQuery{})
		if err != nil {
			t.Fatal(err)
		}
		// A service flip that an incident explains is stored as its own
		// event and announced in the incident's notice (poll's group).
		folded := 0
		for _, r := range all {
			if r.Event.Source == model.SourceSHD {
				folded += len(r.Event.Items)
			}
		}
		if len(dels) != len(all) || len(evs)-folded != len(all) {
			t.Errorf("%d deliveries, %d events (%d folded into an incident's notice), %d notices written", len(dels), len(evs), folded, len(all))
		}
		keys := map[string]bool{}
		for _, d := range dels {
			if keys[d.Key] {
				t.Errorf("idempotency key %s twice", d.Key)
			}
			keys[d.Key] = true
			if d.State != store.DeliveryDone || d.Attempts != 1 {
				t.Errorf("delivery %s: state %s, attempts %d", d.Key, d.State, d.Attempts)
			}
		}
		sent := map[string]bool{}
		for _, r := range all {
			k := fmt.Sprintf("%s/%s/%d", r.Event.Source, r.Event.ItemID, r.Event.Revision)
			if sent[k] {
				t.Errorf("event %s delivered twice", k)
			}
			sent[k] = true
		}
	})

	t.Run("history lists every revision and post", func(t *testing.T) {
		revs, err := a.Store().History(ctx, "", "EX559755")
		if err != nil {
			t.Fatal(err)
		}
		posts := 0
		changes := 0
		for _, st := range ds.Steps {
			for _, is := range st.Issues {
				if is.ID == "EX559755" {
					changes++
					if is.Post != nil {
						posts++
					}
				}
			}
		}
		if len(revs) != changes {
			t.Errorf("%d revisions, want %d", len(revs), changes)
		}
		var b bytes.Buffer
		if err := cli.WriteHistory(&b, revs, time.UTC); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for i := 1; i <= len(revs); i++ {
			if !strings.Contains(out, fmt.Sprintf("  rev %-3d seen", i)) {
				t.Errorf("history lacks revision %d", i)
			}
		}
		if !strings.Contains(out, fmt.Sprintf("Posts (%d):", posts)) || strings.Count(out, "\n── ") != posts {
			t.Errorf("history should list %d posts:\n%s", posts, out)
		}
		for _, want := range []string{"postIncidentReviewPublished", "This is the final update for the event.", "tenant demo"} {
			if !strings.Contains(out, want) {
				t.Errorf("history lacks %q", want)
			}
		}
	})

	t.Run("quiet check", func(t *testing.T) {
		before := graphRequests(e.srv)
		res, err := a.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cost := graphRequests(e.srv) - before
		if res.Events != 0 || len(readNotices(t, e.notices)) != len(all) {
			t.Errorf("a check without a clock change raised %d events", res.Events)
		}
		if cost > 3 {
			t.Errorf("a quiet check cost %d Graph requests, want ≤ 3", cost)
		}
	})

	t.Run("restart announces nothing again", func(t *testing.T) {
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		b := e.newApp(t, ctx)
		defer b.Close()
		res, err := b.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Events != 0 || res.Sent != 0 || len(readNotices(t, e.notices)) != len(all) {
			t.Errorf("after restart: %+v, %d notices (had %d)", res, len(readNotices(t, e.notices)), len(all))
		}
	})
}
