package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// calendarScenario: two tenants get a post with a rollout schedule and an
// action-required date eight days ahead; ten minutes later Microsoft moves
// its completion by the "(previously …)" rewording.
const calendarScenario = `name: calendar
start: 2024-11-25T09:00:00Z
tenants:
  - {id: 6f1e3c2a-0000-4000-8000-00000000001a, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: s1}
  - {id: 6f1e3c2a-0000-4000-8000-00000000001b, client_id: 5d7c0000-0000-4000-8000-0000000000aa, client_secret: s1}
steps:
  - at: 0s
    messages:
      - {id: MC100001, title: Old post, category: stayInformed, severity: normal, services: [Exchange Online], body: "<p>Old.</p>"}
  - at: 10m
    messages:
      - id: MC500001
        title: Waiting room for external participants
        category: planForChange
        severity: normal
        services: [Microsoft Teams]
        actionRequiredByDateTime: +192h
        body: "<p>Roadmap ID 382645.</p><p><strong>When this will happen:</strong></p><p>Targeted Release: We will begin rolling out early December 2024 and expect to complete by mid-December 2024.</p>"
  - at: 20m
    messages:
      - id: MC500001
        title: (Updated) Waiting room for external participants
        body: "<p>Roadmap ID 382645.</p><p><strong>When this will happen:</strong></p><p>Targeted Release: We will begin rolling out early December 2024 and expect to complete by late December 2024 (previously mid-December).</p>"
`

// TestCalendar runs the change calendar end to end on the simulator with
// two tenants: the moved milestone is an mc.schedule_changed event per
// tenant; reminders come 7 and 1 days before the action-required date,
// once each, and a route with reminders: [1] gets the last one only; the
// calendar feed has the milestone per tenant at its new days.
func TestCalendar(t *testing.T) {
	dir := t.TempDir()
	env := startScenario(t, calendarScenario, "calendar.yaml", dir, nil)
	sc, clock, srv, caFile := env.sc, env.clock, env.srv, env.caFile
	all, last := filepath.Join(dir, "all.jsonl"), filepath.Join(dir, "last.jsonl")
	cfg := config.Default()
	cfg.Store = "sqlite://" + filepath.Join(dir, "shdmc.db")
	cfg.Outage.PublicStatus.Poll = config.PublicStatusNever
	cfg.Channels = []config.Channel{
		{Name: "all", Type: "file", Settings: &file.Settings{Format: "json", Path: all}},
		{Name: "last", Type: "file", Settings: &file.Settings{Format: "json", Path: last}},
	}
	cfg.Reminders = []int{7, 1}
	cfg.Routes = []config.Route{
		{Name: "everything", Channels: []string{"all"}},
		{Name: "last-call", Match: config.Match{Events: []string{"mc.reminder"}}, Channels: []string{"last"}, Reminders: []int{1}},
	}
	for i, reg := range sc.Tenants {
		cfg.Tenants = append(cfg.Tenants, config.Tenant{ID: fmt.Sprintf("t%d", i+1), TenantID: reg.ID, ClientID: reg.ClientID,
			Auth: "client_secret", ClientSecret: config.Secret(reg.ClientSecret), GraphRoot: srv.URL(), AuthorityHost: srv.URL(), CAFile: caFile})
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ap, err := app.New(context.Background(), cfg, app.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer ap.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	check := func(advance time.Duration) {
		t.Helper()
		clock.Advance(advance)
		if _, err := ap.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check(0)                  // baseline
	check(15 * time.Minute)   // the post arrives
	check(10 * time.Minute)   // its completion moves
	check(24 * time.Hour)     // 6 days 23:35 before the date: the 7-day reminder
	check(time.Hour)          // nothing new
	check(6 * 24 * time.Hour) // 22:35 before: the 1-day reminder
	check(2 * 24 * time.Hour) // past: nothing

	read := func(path string) []string {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var out []string
		s := bufio.NewScanner(f)
		s.Buffer(nil, 1<<20)
		for s.Scan() {
			var r struct {
				Event model.Event `json:"event"`
			}
			if err := json.Unmarshal(s.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			e := r.Event
			if e.ItemID != "MC500001" {
				continue
			}
			line := e.Tenant + " " + string(e.Type)
			for _, c := range e.Changes {
				if c.Kind == model.ChangeSchedule || c.Kind == model.ChangeReminder {
					line += " " + c.Field + " " + c.From + "→" + c.To
				}
			}
			out = append(out, line)
		}
		slices.Sort(out)
		return out
	}
	moved := " Targeted Release: rollout complete 2024-12-11/2024-12-20→2024-12-21/2024-12-31"
	date := "2024-12-03T09:00:00Z"
	want := []string{
		"t1 mc.new", "t1 mc.reminder 1 →" + date, "t1 mc.reminder 7 →" + date, "t1 mc.schedule_changed" + moved,
		"t2 mc.new", "t2 mc.reminder 1 →" + date, "t2 mc.reminder 7 →" + date, "t2 mc.schedule_changed" + moved,
	}
	if got := read(all); !slices.Equal(got, want) {
		t.Errorf("notices of everything:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := read(last), []string{"t1 mc.reminder 1 →" + date, "t2 mc.reminder 1 →" + date}; !slices.Equal(got, want) {
		t.Errorf("notices of last-call: %q, want %q", got, want)
	}

	// The calendar: the moved milestone per tenant, at its new days.
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := serve.New(serve.Options{Store: st, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/feeds/calendar.ics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	ics := strings.ReplaceAll(string(body), "\r\n ", "")
	for _, tenant := range []string{"t1", "t2"} {
		uid := "UID:" + tenant + "-MC500001-rollout-end@shdmc"
		i := strings.Index(ics, uid)
		if i < 0 {
			t.Fatalf("calendar lacks %s:\n%s", uid, ics)
		}
		ev := ics[i:]
		ev = ev[:strings.Index(ev, "END:VEVENT")]
		for _, want := range []string{"DTSTART;VALUE=DATE:20241221", "DTEND;VALUE=DATE:20250101", "late December 2024 (previously mid-December)",
			"searchterms=382645"} {
			if !strings.Contains(ev, want) {
				t.Errorf("%s lacks %q:\n%s", uid, want, ev)
			}
		}
	}
}
