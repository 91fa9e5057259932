package serve_test

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// icsEvents unfolds an iCalendar text and returns its VEVENTs as maps of
// property name (without parameters) to value.
func icsEvents(t *testing.T, ics string) []map[string]string {
	t.Helper()
	var out []map[string]string
	var cur map[string]string
	for _, l := range strings.Split(strings.ReplaceAll(ics, "\r\n ", ""), "\r\n") {
		switch {
		case l == "BEGIN:VEVENT":
			cur = map[string]string{}
		case l == "END:VEVENT":
			out = append(out, cur)
			cur = nil
		case cur != nil:
			k, v, _ := strings.Cut(l, ":")
			k, _, _ = strings.Cut(k, ";")
			cur[k] = v
		}
	}
	return out
}

// TestCalendarMilestones: the calendar has one all-day event per rollout
// milestone of a post and tenant, over its range of days, besides the
// action-required and publication dates; its description names the
// milestone's phrase and links the post's roadmap IDs; its UID stays when
// Microsoft moves the dates.
func TestCalendarMilestones(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "cal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	body := `<p>Teams will add a waiting room.</p><p>This message is associated with Microsoft 365 Roadmap ID 382645.</p>` +
		`<p><strong>When this will happen:</strong></p>` +
		`<p>Targeted Release: We will begin rolling out early June 2024 and expect to complete by mid-June 2024.</p>` +
		`<p>General Availability (GCC, DoD): We will begin rolling out late June 2024 and expect to complete by early July 2024.</p>`
	m := model.Message{ID: "MC800101", Title: "Waiting room", Category: model.CategoryPlanForChange, Severity: model.SeverityNormal,
		Start: time.Date(2024, 5, 2, 17, 0, 0, 0, time.UTC), ActionRequiredBy: time.Date(2024, 6, 30, 7, 0, 0, 0, time.UTC),
		LastModified: time.Date(2024, 5, 2, 17, 0, 0, 0, time.UTC), BodyType: "html", Body: body,
		Details: []model.KeyValue{{Name: "RoadmapIds", Value: "382645, 400001"},
			{Name: "FeatureStatusJson", Value: `{"382645":[{"RoadmapId":"382645","Platform":"Web","Status":"InRollout"}]}`}}}
	put := func(tenant string, rev int, m model.Message) {
		data, _ := json.Marshal(m)
		if _, err := st.Commit(ctx, store.Batch{Tenant: tenant, Source: model.SourceMC, Items: []store.Item{{
			Key: model.ItemKey{Tenant: tenant, Source: model.SourceMC, ID: m.ID}, Revision: rev, Hash: m.ID + string(rune('0'+rev)),
			LastModified: m.LastModified, Data: data}}}); err != nil {
			t.Fatal(err)
		}
	}
	put("contoso", 1, m)
	put("fabrikam", 1, m)
	ts := newServer(t, st, serve.Options{})
	calendar := func() []map[string]string {
		code, _, ics := get(t, ts.URL+"/feeds/calendar.ics?tz=Asia/Tokyo")
		if code != 200 {
			t.Fatalf("calendar = %d", code)
		}
		return icsEvents(t, ics)
	}
	evs := calendar()
	// Per tenant: action, and 2 Targeted Release + 4 GA (two clouds ×
	// begin and complete) milestones.
	if len(evs) != 2*7 {
		t.Fatalf("%d events, want 14", len(evs))
	}
	byUID := map[string]map[string]string{}
	for _, e := range evs {
		byUID[e["UID"]] = e
	}
	uid := `contoso-MC800101-rollout-end@shdmc` // the first completion keeps the plain kind
	e := byUID[uid]
	if e == nil {
		t.Fatalf("no event %s in %v", uid, slices.Collect(maps.Keys(byUID)))
	}
	if e["DTSTART"] != "20240611" || e["DTEND"] != "20240621" {
		t.Errorf("mid-June 2024 = %s – %s, want 20240611 – 20240621 (DTEND exclusive)", e["DTSTART"], e["DTEND"])
	}
	if e["SUMMARY"] != `Rollout completes (mid-June 2024): MC800101 Waiting room · Targeted Release` {
		t.Errorf("SUMMARY %q", e["SUMMARY"])
	}
	for _, want := range []string{`Targeted Release: mid-June 2024`, `Microsoft 365 Roadmap 382645: https://www.microsoft.com/microsoft-365/roadmap?filters=&searchterms=382645 · Web: InRollout`,
		`searchterms=400001`} {
		if !strings.Contains(e["DESCRIPTION"], want) {
			t.Errorf("DESCRIPTION lacks %q: %s", want, e["DESCRIPTION"])
		}
	}
	if a := byUID["fabrikam-MC800101-action@shdmc"]; a == nil || !strings.Contains(a["DESCRIPTION"], "searchterms=382645") {
		t.Errorf("the action-required event lacks the roadmap link: %v", a)
	}
	for _, cloud := range []string{"gcc", "dod"} {
		if byUID["fabrikam-MC800101-rollout-start-general-availability-"+cloud+"@shdmc"] == nil {
			t.Errorf("no General Availability (%s) event", cloud)
		}
	}

	// Microsoft moves the completion: the same event, later days.
	m.Body = strings.Replace(m.Body, "complete by mid-June 2024.", "complete by late July 2024 (previously mid-June).", 1)
	m.LastModified = m.LastModified.Add(time.Hour)
	put("contoso", 2, m)
	evs = calendar()
	if len(evs) != 14 {
		t.Fatalf("%d events after the move, want 14", len(evs))
	}
	for _, e := range evs {
		if e["UID"] == uid {
			if e["DTSTART"] != "20240721" || e["DTEND"] != "20240801" || !strings.Contains(e["DESCRIPTION"], `late July 2024 (previously mid-June)`) {
				t.Errorf("moved milestone %v", e)
			}
			return
		}
	}
	t.Errorf("the moved milestone lost its UID %s", uid)
}

// TestCalendarJapanese: a Japanese reader's calendar names the milestones
// with Microsoft's Japanese terms (対象指定リリース, 一般提供) and their days
// as Japanese dates (2024年6月中旬), the moved ones with the days they had
// before; the action-required date is an all-day event on the UTC day
// Microsoft gave, whatever the reader's zone.
func TestCalendarJapanese(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "cal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	body := `<p>Teams will add a waiting room.</p><p><strong>When this will happen:</strong></p>` +
		`<p>Targeted Release: We will begin rolling out early June 2024 and expect to complete by late July 2024 (previously mid-June).</p>` +
		`<p>General Availability (GCC High): We will begin rolling out late June 2024 and expect to complete by early July 2024.</p>`
	m := model.Message{ID: "MC800102", Title: "Waiting room", Category: model.CategoryPlanForChange, Severity: model.SeverityNormal,
		Start: time.Date(2024, 5, 2, 17, 0, 0, 0, time.UTC), ActionRequiredBy: time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC),
		LastModified: time.Date(2024, 5, 2, 17, 0, 0, 0, time.UTC), BodyType: "html", Body: body}
	data, _ := json.Marshal(m)
	if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{{
		Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: m.ID}, Revision: 1, Hash: "h1",
		LastModified: m.LastModified, Data: data}}}); err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, st, serve.Options{})
	for _, tz := range []string{"Asia/Tokyo", "America/Los_Angeles"} {
		code, _, ics := get(t, ts.URL+"/feeds/calendar.ics?lang=ja&tz="+tz)
		if code != 200 {
			t.Fatalf("calendar = %d", code)
		}
		byUID := map[string]map[string]string{}
		for _, e := range icsEvents(t, ics) {
			byUID[e["UID"]] = e
		}
		action := byUID["contoso-MC800102-action@shdmc"]
		if action == nil || action["DTSTART"] != "20240630" || action["DTEND"] != "20240701" {
			t.Errorf("%s: action-required event %v, want the day 2024-06-30", tz, action)
		}
		end := byUID["contoso-MC800102-rollout-end@shdmc"]
		if end == nil {
			t.Fatalf("%s: no rollout-end event in %v", tz, slices.Collect(maps.Keys(byUID)))
		}
		if want := `ロールアウト完了（2024年7月下旬）：MC800102 Waiting room · 対象指定リリース`; end["SUMMARY"] != want {
			t.Errorf("%s: SUMMARY %q, want %q", tz, end["SUMMARY"], want)
		}
		if want := `対象指定リリース：2024年7月下旬（以前の予定：2024年6月中旬）`; !strings.Contains(end["DESCRIPTION"], want) {
			t.Errorf("%s: DESCRIPTION lacks %q: %s", tz, want, end["DESCRIPTION"])
		}
		var ga map[string]string
		for uid, e := range byUID {
			if strings.Contains(uid, "rollout-start-general-availability") {
				ga = e
			}
		}
		if ga == nil || !strings.Contains(ga["SUMMARY"], "ロールアウト開始（2024年6月下旬）") || !strings.HasSuffix(ga["SUMMARY"], "· 一般提供（GCC High）") {
			t.Errorf("%s: General Availability event %v", tz, ga)
		}
		for uid, e := range byUID {
			if strings.HasSuffix(uid, "-action@shdmc") {
				continue // its description is the post's text after the tenant
			}
			for _, en := range []string{"Targeted Release", "General Availability", "June", "July", "previously"} {
				if strings.Contains(e["SUMMARY"], en) || strings.Contains(strings.SplitN(e["DESCRIPTION"], `\n`, 2)[0], en) {
					t.Errorf("%s: event %s shows the English %q: %s / %s", tz, e["UID"], en, e["SUMMARY"], e["DESCRIPTION"])
				}
			}
		}
	}
}
