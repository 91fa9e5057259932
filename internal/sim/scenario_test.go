package sim

import (
	"encoding/json"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

type wIssue struct {
	ID                   string          `json:"id"`
	Title                string          `json:"title"`
	Status               string          `json:"status"`
	IsResolved           bool            `json:"isResolved"`
	Feature              *string         `json:"feature"`
	StartDateTime        string          `json:"startDateTime"`
	EndDateTime          *string         `json:"endDateTime"`
	LastModifiedDateTime string          `json:"lastModifiedDateTime"`
	HighImpact           json.RawMessage `json:"highImpact"`
	Details              []wireKV        `json:"details"`
	Posts                []wirePost      `json:"posts"`
}

func TestScenarioTimeline(t *testing.T) {
	sc, err := LoadScenarioFile("testdata/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Steps) != 5 || sc.Steps[1].At != 90*time.Minute || !sc.Steps[3].Time.Equal(sc.Start.Add(26*time.Hour+30*time.Minute)) {
		t.Fatalf("steps %+v", sc.Steps)
	}
	f := start(t, Options{})
	if err := f.s.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	const t2 = "6f1e3c2a-0000-4000-8000-000000000002"
	issue := func(tenant, id string) (int, wIssue) {
		resp, b := f.get(t, tenant, "/v1.0/admin/serviceAnnouncement/issues/"+id)
		if resp.StatusCode != 200 {
			return resp.StatusCode, wIssue{}
		}
		return 200, decode[wIssue](t, b)
	}
	f.clock.Set(sc.Start.Add(-time.Minute))
	if ids, _ := f.listAll(t, tTenant, "/v1.0/admin/serviceAnnouncement/issues"); len(ids) != 0 {
		t.Errorf("before start: %v", ids)
	}

	f.clock.Set(sc.Start)
	st, is := issue(tTenant, "EX559755")
	if st != 200 || is.Status != "investigating" || len(is.Posts) != 1 || is.StartDateTime != "2023-05-14T20:00:00Z" ||
		is.EndDateTime != nil || string(is.HighImpact) != "null" || len(is.Details) != 1 || *is.Feature != "E-Mail and calendar access" {
		t.Fatalf("step 0: %d %+v", st, is)
	}
	if !regexp.MustCompile(`^2023-05-14T19:45:00\.\d{7}Z$`).MatchString(is.LastModifiedDateTime) {
		t.Errorf("lastModifiedDateTime %q", is.LastModifiedDateTime)
	}
	if p := is.Posts[0]; p.PostType != "regular" || p.Description.ContentType != "html" ||
		!strings.HasPrefix(p.Description.Content, "Title: Users may") || strings.HasSuffix(p.Description.Content, "\n") {
		t.Errorf("post %+v", p)
	}
	resp, b := f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/messages/MC123456")
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("message %d %s", resp.StatusCode, b)
	}
	if m["viewPoint"] != nil || m["hasAttachments"] != true || m["actionRequiredByDateTime"] != "2023-07-01T00:00:00Z" ||
		m["body"].(map[string]any)["content"] != "<p>We are retiring a feature &amp; you need to act.</p>" ||
		!strings.HasSuffix(m["@odata.context"].(string), "#admin/serviceAnnouncement/messages/$entity") {
		t.Errorf("message %s", b)
	}
	if _, has := m["viewPoint"]; !has {
		t.Error("viewPoint absent, want null")
	}
	resp, b = f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/messages/MC123456/attachments")
	atts := decode[listPage](t, b).Value
	if resp.StatusCode != 200 || len(atts) != 1 || !strings.Contains(string(atts[0]), `"size":1234`) {
		t.Errorf("attachments %d %s", resp.StatusCode, b)
	}
	if st, _ := issue(tTenant, "EX559755/incidentReport"); st != 404 {
		t.Errorf("incidentReport before PIR: %d", st)
	}

	f.clock.Set(sc.Start.Add(100 * time.Minute))
	_, is = issue(tTenant, "EX559755")
	if is.Status != "restoringService" || len(is.Posts) != 2 || is.Title != "Users may be unable to access their mailbox" {
		t.Errorf("90m merge: %+v", is)
	}
	if resp, b := f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/issues('EX559755')"); resp.StatusCode != 200 || decode[wIssue](t, b).ID != "EX559755" {
		t.Errorf("key syntax issues('id'): %d", resp.StatusCode)
	}

	f.clock.Set(sc.Start.Add(3 * time.Hour))
	if st, _ := issue(t2, "SP111111"); st != 200 {
		t.Errorf("tenant 2 step: %d", st)
	}
	if st, _ := issue(tTenant, "SP111111"); st != 404 {
		t.Errorf("tenant 1 sees tenant 2's step: %d", st)
	}
	if _, is := issue(t2, "EX559755"); len(is.Posts) != 2 {
		t.Errorf("tenant 2 lost shared steps: %+v", is)
	}

	f.clock.Set(sc.Start.Add(26*time.Hour + 31*time.Minute))
	resp, b = f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/issues/EX559755")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("step fault: %d %s", resp.StatusCode, b)
	}
	_, is = issue(tTenant, "EX559755")
	if !is.IsResolved || is.Status != "serviceRestored" || is.Feature != nil || is.EndDateTime == nil || *is.EndDateTime != "2023-05-15T21:00:00Z" || len(is.Posts) != 3 {
		t.Errorf("resolved: %+v", is)
	}
	if ids, _ := f.listAll(t, tTenant, "/v1.0/admin/serviceAnnouncement/messages"); len(ids) != 0 {
		t.Errorf("removed message still listed: %v", ids)
	}
	resp, b = f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/healthOverviews/"+url.PathEscape("Exchange Online")+"?$expand=issues")
	var svc struct {
		ID, Service, Status string
		Issues              []wIssue
	}
	if err := json.Unmarshal(b, &svc); err != nil || resp.StatusCode != 200 || svc.ID != "Exchange" || svc.Status != "serviceOperational" || len(svc.Issues) != 1 {
		t.Errorf("healthOverview: %d %s", resp.StatusCode, b)
	}
	if resp, _ := f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/healthOverviews/Exchange"); resp.StatusCode != 404 {
		t.Errorf("healthOverviews keyed by id, want by name: %d", resp.StatusCode)
	}

	f.clock.Set(sc.Start.Add(27 * time.Hour))
	resp, b = f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/issues/EX559755/incidentReport")
	if resp.StatusCode != 200 || !strings.Contains(string(b), "EX559755") {
		t.Errorf("incidentReport: %d %s", resp.StatusCode, b)
	}
	if ids, _ := f.listAll(t, tTenant, "/v1.0/admin/serviceAnnouncement/healthOverviews"); strings.Join(ids, ",") != "Exchange,SharePoint" {
		t.Errorf("healthOverviews %v", ids)
	}
	// State is a function of the clock: going back shows the old state again.
	f.clock.Set(sc.Start.Add(time.Minute))
	if _, is := issue(tTenant, "EX559755"); len(is.Posts) != 1 {
		t.Errorf("stepping back: %+v", is)
	}
}

func TestParseScenarioErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "name: x\nstart: 2023-01-01T00:00:00Z\nsteps:\n  - at: 0s\n    colour: red\n", "field colour not found"},
		{"bad at", "start: 2023-01-01T00:00:00Z\nsteps:\n  - at: soon\n", "at:"},
		{"bad offset", "start: 2023-01-01T00:00:00Z\nsteps:\n  - at: 0s\n    issues:\n      - {id: X, startDateTime: '+soon'}\n", "offset"},
		{"missing start", "name: x\n", "start is required"},
		{"bad fault kind", "start: 2023-01-01T00:00:00Z\nsteps:\n  - at: 0s\n    faults: [{kind: explode}]\n", "unknown fault kind"},
		{"unknown fault key", "start: 2023-01-01T00:00:00Z\nsteps:\n  - at: 0s\n    faults: [{kind: status, sttus: 500}]\n", "sttus"},
		{"redirect without location", "start: 2023-01-01T00:00:00Z\nsteps:\n  - at: 0s\n    faults: [{kind: redirect, path_prefix: token}]\n", "location"},
		{"negative size", "start: 2023-01-01T00:00:00Z\nsteps:\n  - at: 0s\n    faults: [{kind: oversize, size: -1}]\n", "negative"},
		{"issue without id", "start: 2023-01-01T00:00:00Z\nsteps:\n  - at: 0s\n    issues: [{title: x}]\n", "id is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScenario([]byte(tt.yaml), "t.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "t.yaml") {
				t.Errorf("err %v, want it to mention %q and the file", err, tt.want)
			}
		})
	}
}

func TestClocks(t *testing.T) {
	base := time.Date(2023, 5, 14, 0, 0, 0, 0, time.UTC)
	real := base
	c := NewAcceleratedClock(base, 60, func() time.Time { return real })
	real = real.Add(2 * time.Second)
	if got := c.Now(); !got.Equal(base.Add(2 * time.Minute)) {
		t.Errorf("accelerated %v", got)
	}
	s := NewSteppedClock(base)
	s.Advance(time.Hour)
	if !s.Now().Equal(base.Add(time.Hour)) {
		t.Error("stepped")
	}
}

func TestReplayChaining(t *testing.T) {
	f := start(t, Options{})
	if err := f.s.LoadReplay("testdata/replay"); err != nil {
		t.Fatal(err)
	}
	ids, pages := f.listAll(t, "6f1e3c2a-0000-4000-8000-000000000001", "/v1.0/admin/serviceAnnouncement/issues")
	if strings.Join(ids, ",") != "EX559755,SP555001,TM500001" || pages != 2 {
		t.Errorf("issues %v in %d pages", ids, pages)
	}
	resp, b := f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/issues")
	want := `"@odata.nextLink": "` + f.s.URL() + `/v1.0/admin/serviceAnnouncement/issues?$skip=2"`
	if resp.StatusCode != 200 || !strings.Contains(string(b), want) || !strings.Contains(string(b), `"lastModifiedDateTime": "2023-05-11T09:00:00.9720778Z"`) {
		t.Errorf("page 1 not verbatim with rewritten host:\n%s", b)
	}
	if ids, _ := f.listAll(t, tTenant, "/v1.0/admin/serviceAnnouncement/messages"); len(ids) != 1 {
		t.Errorf("messages %v", ids)
	}
	if ids, _ := f.listAll(t, tTenant, "/v1.0/admin/serviceAnnouncement/healthOverviews"); len(ids) != 2 {
		t.Errorf("healthOverviews %v", ids)
	}
	if resp, _ := f.get(t, tTenant, "/v1.0/admin/serviceAnnouncement/issues/TM500001/incidentReport"); resp.StatusCode != 200 {
		t.Errorf("replay incidentReport %d", resp.StatusCode)
	}
	dir := t.TempDir()
	if err := f.s.LoadReplay(dir); err != nil {
		t.Fatal(err)
	}
	if ids, _ := f.listAll(t, tTenant, "/v1.0/admin/serviceAnnouncement/issues"); len(ids) != 0 {
		t.Errorf("empty replay dir: %v", ids)
	}
}

func TestManyTenants(t *testing.T) {
	f := start(t, Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 5000
	ids := f.s.AddTenants(n, Tenant{ClientID: tClient, ClientSecret: tSecret})
	if err := f.s.LoadScenario(GenerateScenario(f.clock.Now(), 200, 100)); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perTenant := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	if perTenant > 4096 {
		t.Errorf("%d bytes per tenant", perTenant)
	}
	cs := f.s.content.Load()
	if cs.snapshotFor(ids[0], f.clock.Now()) != cs.snapshotFor(ids[n-1], f.clock.Now()) {
		t.Error("tenants do not share content")
	}
	for _, id := range []string{ids[0], ids[n-1]} {
		if got, _ := f.listAll(t, id, "/v1.0/admin/serviceAnnouncement/messages"); len(got) != 100 {
			t.Errorf("tenant %s: %d messages", id, len(got))
		}
	}
	if c := f.s.Counters(); c.Tenants[ids[0]].Requests != 2 || c.Total.Tokens != 2 {
		t.Errorf("counters %+v", c.Tenants[ids[0]])
	}
}
