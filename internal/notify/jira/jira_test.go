package jira_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/channeltest"
	"github.com/shdmc/shdmc/internal/notify/jira"
	"github.com/shdmc/shdmc/internal/store"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func config1(f *fakeJira) jira.Config {
	return jira.Config{Site: f.url, Email: email, APIToken: apiToken, Project: project, Labels: []string{"m365"}, Timeout: 2 * time.Second}
}

func newChannel(t *testing.T, cfg jira.Config, threads notify.ThreadStore) *jira.Jira {
	t.Helper()
	j, err := jira.New(cfg, nil, threads, func() time.Time { return channeltest.T0 })
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func resolved(rev int) *notify.Notice {
	n := channeltest.Notice(rev)
	n.Event.Type = model.EventIssueResolved
	n.Event.Changes = []model.Change{{Kind: model.ChangeResolved}}
	n.Event.Issue.IsResolved, n.Event.Issue.Status = true, model.StatusServiceRestored
	return n
}

func reopened(rev int) *notify.Notice {
	n := channeltest.Notice(rev)
	n.Event.Type = model.EventIssueReopened
	n.Event.Changes = []model.Change{{Kind: model.ChangeReopened}}
	return n
}

func mustNotify(t *testing.T, j *jira.Jira, n *notify.Notice) notify.Receipt {
	t.Helper()
	rc, err := j.Notify(context.Background(), n)
	channeltest.NoLeakResult(t, rc, err, apiToken)
	if err != nil {
		t.Fatalf("notify %s revision %d: %v", n.Event.Type, n.Event.Revision, err)
	}
	return rc
}

func TestADF(t *testing.T) {
	got := jira.ADF("Subject line\n\nStatus:  degraded\nEnd:     ongoing\n\n\n\nLast\r\n")
	text := func(s string) jira.Node { return jira.Node{Type: "text", Text: s} }
	want := jira.Node{Type: "doc", Version: 1, Content: []jira.Node{
		{Type: "paragraph", Content: []jira.Node{text("Subject line")}},
		{Type: "paragraph", Content: []jira.Node{text("Status:  degraded"), {Type: "hardBreak"}, text("End:     ongoing")}},
		{Type: "paragraph", Content: []jira.Node{text("Last")}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ADF (-want +got):\n%s", diff)
	}
	b, _ := json.Marshal(jira.ADF(" \n\n"))
	if string(b) != `{"type":"doc","version":1,"content":[{"type":"paragraph"}]}` {
		t.Errorf("empty text: %s", b)
	}
}

func TestLifecycle(t *testing.T) {
	f := newFake(t)
	st := openStore(t)
	j := newChannel(t, config1(f), st)
	browse := f.url + "/browse/OPS-1"
	for _, s := range []struct {
		n      *notify.Notice
		status string
	}{
		{channeltest.Notice(1), "opened"},
		{channeltest.Notice(2), "commented"},
		{resolved(3), "closed"},
		{channeltest.Notice(4), "commented"},
		{reopened(5), "reopened"},
		{resolved(6), "closed"},
	} {
		rc := mustNotify(t, j, s.n)
		if want := (notify.Receipt{Status: s.status, Detail: "Jira issue OPS-1 " + browse}); rc != want {
			t.Errorf("revision %d: receipt %+v, want %+v", s.n.Event.Revision, rc, want)
		}
	}
	issues := f.snapshot()
	if len(issues) != 1 {
		t.Fatalf("%d issues", len(issues))
	}
	is := issues[0]
	if is.Summary != "[contoso] EX559755: Users’ OME email may be unable to be accessed" {
		t.Errorf("summary %q", is.Summary)
	}
	if diff := cmp.Diff([]string{"shdmc:contoso:EX559755", "m365"}, is.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	desc := texts(is.Description)
	for _, want := range []string{"[serviceDegradation] EX559755 | Exchange Online", "Status:          Service degradation\nService:", "We're investigating."} {
		if !strings.Contains(desc, want) {
			t.Errorf("description lacks %q:\n%s", want, desc)
		}
	}
	if len(is.Comments) != 5 || !strings.Contains(texts(is.Comments[1]), "serviceRestored") {
		t.Errorf("%d comments, want 5", len(is.Comments))
	}
	if is.Status.Name != "Done" {
		t.Errorf("status %s, want Done", is.Status.Name)
	}
	if n := f.count("POST", "/search/jql"); n != 1 {
		t.Errorf("%d searches, want 1", n)
	}
	tickets, err := st.Tickets(context.Background(), model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX559755"})
	want := []store.Ticket{{Channel: j.ThreadChannel(), ID: "OPS-1", URL: browse}}
	if diff := cmp.Diff(want, tickets); err != nil || diff != "" {
		t.Errorf("store.Tickets (-want +got):\n%s%v", diff, err)
	}
	if !strings.HasPrefix(j.ThreadChannel(), "ticket:jira:127.0.0.1:") || !strings.HasSuffix(j.ThreadChannel(), "/OPS") {
		t.Errorf("thread channel %q", j.ThreadChannel())
	}
}

// TestRestart: a new channel with an empty store finds the issue through
// JQL and comments on it.
func TestRestart(t *testing.T) {
	f := newFake(t)
	mustNotify(t, newChannel(t, config1(f), openStore(t)), channeltest.Notice(1))
	for _, threads := range []notify.ThreadStore{openStore(t), nil} {
		rc := mustNotify(t, newChannel(t, config1(f), threads), channeltest.Notice(2))
		if rc.Status != "commented" || !strings.HasSuffix(rc.Detail, "/browse/OPS-1") {
			t.Errorf("after a restart: %+v", rc)
		}
	}
	if n := len(f.snapshot()); n != 1 {
		t.Errorf("%d issues, want 1", n)
	}
}

// TestConcurrent: notices about one item at once open one issue, even
// though Jira's search does not see a new issue for a while.
func TestConcurrent(t *testing.T) {
	for _, withStore := range []bool{true, false} {
		t.Run(fmt.Sprintf("store=%v", withStore), func(t *testing.T) {
			f := newFake(t)
			f.indexLag = time.Hour // the search never sees new issues
			f.createDelay = 30 * time.Millisecond
			var threads notify.ThreadStore
			if withStore {
				threads = openStore(t)
			}
			j := newChannel(t, config1(f), threads)
			var wg sync.WaitGroup
			for rev := 1; rev <= 6; rev++ {
				wg.Go(func() {
					if _, err := j.Notify(context.Background(), channeltest.Notice(rev)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			issues := f.snapshot()
			if len(issues) != 1 || len(issues[0].Comments) != 5 {
				t.Fatalf("%d issues (want 1), %d comments (want 5)", len(issues), len(issues[0].Comments))
			}
		})
	}
}

// TestTwoProcesses: two processes sharing a store open an issue each
// while the search lags; the one recorded second is closed as a duplicate.
func TestTwoProcesses(t *testing.T) {
	f := newFake(t)
	f.indexLag = time.Hour
	f.createDelay = 30 * time.Millisecond
	st := openStore(t)
	a, b := newChannel(t, config1(f), st), newChannel(t, config1(f), st)
	var wg sync.WaitGroup
	for i, j := range []*jira.Jira{a, b} {
		wg.Go(func() {
			if _, err := j.Notify(context.Background(), channeltest.Notice(1+i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	issues := f.snapshot()
	ref, err := st.ThreadRef(context.Background(), a.ThreadChannel(), "contoso/shd/EX559755")
	if err != nil {
		t.Fatal(err)
	}
	var open, dups int
	for _, is := range issues {
		switch {
		case strings.HasPrefix(ref, is.Key+" "):
			open++
			if is.Status.Name != "To Do" {
				t.Errorf("recorded issue %s is %s", is.Key, is.Status.Name)
			}
		default:
			dups++
			if is.Status.Name != "Done" || len(is.Comments) != 1 || !strings.HasPrefix(texts(is.Comments[0]), "Duplicate of OPS-") {
				t.Errorf("duplicate %s: %s, comments %v", is.Key, is.Status.Name, is.Comments)
			}
		}
	}
	if open != 1 || dups != len(issues)-1 {
		t.Errorf("%d recorded, %d duplicates of %d issues", open, dups, len(issues))
	}
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		name        string
		statuses    []fakeStatus
		transitions map[string]string
		close       string
		wantStatus  string
		wantErr     string
	}{
		{name: "by transition name", statuses: []fakeStatus{{"Open", "new"}, {"Resolved", "done"}, {"Closed", "done"}},
			transitions: map[string]string{"Resolved": "Resolve Issue", "Closed": "Close Issue"}, close: "Close Issue", wantStatus: "Closed"},
		{name: "by status name", statuses: []fakeStatus{{"Open", "new"}, {"Resolved", "done"}, {"Closed", "done"}},
			transitions: map[string]string{"Resolved": "Resolve Issue", "Closed": "Close Issue"}, close: "resolved", wantStatus: "Resolved"},
		{name: "by category", statuses: []fakeStatus{{"Backlog", "new"}, {"Shipped", "done"}}, close: "Done", wantStatus: "Shipped"},
		{name: "none", statuses: []fakeStatus{{"Backlog", "new"}, {"Doing", "indeterminate"}}, close: "Done",
			wantErr: `move Jira issue OPS-1 through "Done": the issue has no such transition (available: "Doing"); set close_transition`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.statuses, f.transitions = tt.statuses, tt.transitions
			cfg := config1(f)
			cfg.CloseTransition = tt.close
			j := newChannel(t, cfg, openStore(t))
			mustNotify(t, j, channeltest.Notice(1))
			rc, err := j.Notify(context.Background(), resolved(2))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !notify.IsPermanent(err) {
					t.Fatalf("error %v (permanent %v), want %q", err, notify.IsPermanent(err), tt.wantErr)
				}
				return
			}
			if err != nil || rc.Status != "closed" {
				t.Fatalf("%+v, %v", rc, err)
			}
			if got := f.snapshot()[0].Status.Name; got != tt.wantStatus {
				t.Errorf("status %s, want %s", got, tt.wantStatus)
			}
		})
	}
}

func TestAnswers(t *testing.T) {
	answer := func(status int, hdr map[string]string, body string) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			for k, v := range hdr {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return true
		}
	}
	reset := channeltest.T0.Add(5 * time.Minute).UTC().Format("2006-01-02T15:04Z")
	tests := []struct {
		name     string
		cfg      func(*jira.Config)
		fault    func(w http.ResponseWriter, r *http.Request) bool
		refused  bool
		contains string
		delay    time.Duration // 0: backoff; -1: dead letter
	}{
		{name: "wrong token", cfg: func(c *jira.Config) { c.APIToken = "ATATT3xWRONGtokenVALUE" },
			contains: "401 Unauthorized: Client must be authenticated to access this resource. (Jira refused the email and API token", delay: -1},
		{name: "no permission", fault: answer(403, nil, `{"errorMessages":["You do not have permission to create issues in this project."],"errors":{}}`),
			contains: "403 Forbidden: You do not have permission to create issues in this project. (the account lacks a permission in project OPS", delay: -1},
		{name: "unknown project", cfg: func(c *jira.Config) { c.Project = "NOPE" },
			contains: "400 Bad Request: The value 'NOPE' does not exist for the field 'project'.", delay: -1},
		{name: "unknown issue type", cfg: func(c *jira.Config) { c.IssueType = "Incident" },
			contains: "400 Bad Request: issuetype: Specify an issue type", delay: -1},
		{name: "429 Retry-After", fault: answer(429, map[string]string{"Retry-After": "42", "X-RateLimit-Reset": reset, "RateLimit-Reason": "jira-burst-based"}, ``),
			contains: "429 Too Many Requests", delay: 42 * time.Second},
		{name: "429 reset only", fault: answer(429, map[string]string{"X-RateLimit-Reset": reset}, `{"errorMessages":["Rate limit exceeded."]}`),
			contains: "Rate limit exceeded.", delay: 5 * time.Minute},
		{name: "503 Retry-After", fault: answer(503, map[string]string{"Retry-After": "20"}, ``), contains: "503 Service Unavailable", delay: 20 * time.Second},
		{name: "500", fault: answer(500, nil, `{"errorMessages":["Internal server error"]}`), contains: "500 Internal Server Error: Internal server error"},
		{name: "echoed token", fault: answer(400, nil, `{"errorMessages":["bad header Basic `+basic()+` for `+apiToken+`"]}`),
			contains: "bad header Basic <redacted> for <redacted>", delay: -1},
		{name: "connection refused", refused: true, contains: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.fault = tt.fault
			cfg := config1(f)
			if tt.refused {
				cfg.Site = "http://" + channeltest.RefusedAddr(t)
			}
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			j := newChannel(t, cfg, openStore(t))
			rc, err := j.Notify(context.Background(), channeltest.Notice(1))
			channeltest.NoLeakResult(t, rc, err, apiToken, cfg.APIToken, basic())
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("error %v, want %q", err, tt.contains)
			}
			delay, dead := channeltest.RetryDelay(t, err)
			switch {
			case tt.delay == -1:
				if !dead {
					t.Errorf("retry after %s; want a dead letter", delay)
				}
			case tt.delay == 0:
				if dead || delay > time.Second {
					t.Errorf("dead %v, retry after %s; want a retry with backoff", dead, delay)
				}
			default:
				if dead || delay != tt.delay {
					t.Errorf("dead %v, retry after %s; want %s", dead, delay, tt.delay)
				}
			}
		})
	}
}

func basic() string {
	return base64.StdEncoding.EncodeToString([]byte(email + ":" + apiToken))
}

func TestSettings(t *testing.T) {
	ok := jira.Settings{Site: "https://contoso.atlassian.net", Email: "a@contoso.com", APIToken: "t", Project: "OPS"}
	tests := []struct {
		name string
		edit func(*jira.Settings)
		want string
	}{
		{"valid", func(*jira.Settings) {}, ""},
		{"no site", func(s *jira.Settings) { s.Site = "" }, "site: is required, e.g. https://contoso.atlassian.net"},
		{"http site", func(s *jira.Settings) { s.Site = "http://contoso.atlassian.net" }, "site: must use https"},
		{"site with credentials", func(s *jira.Settings) { s.Site = "https://a:b@contoso.atlassian.net" }, "site: must not hold credentials"},
		{"no email", func(s *jira.Settings) { s.Email = "" }, "email: is required"},
		{"no token", func(s *jira.Settings) { s.APIToken = "" }, "api_token: a jira channel needs api_token (or api_token_file)"},
		{"project name", func(s *jira.Settings) { s.Project = "Operations" }, `project: "Operations" is not a project key`},
		{"label with space", func(s *jira.Settings) { s.Labels = []string{"service health"} }, "labels[0]: must be 1 to 255 characters without spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.edit(&s)
			err := s.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	def := jira.Type().NewSettings().(*jira.Settings)
	if def.IssueType != "Task" || def.CloseTransition != "Done" || def.ReopenTransition != "To Do" {
		t.Errorf("defaults %+v", def)
	}
	n, err := jira.Type().New(config.Channel{Name: "j", Type: "jira", Settings: &ok}, notify.Env{})
	if _, isJira := n.(*jira.Jira); err != nil || !isJira {
		t.Errorf("Type().New = %T, %v", n, err)
	}
}

func TestJQL(t *testing.T) {
	if got, want := jira.JQL("OPS", `shdmc:a"b\c:EX1`), `project = "OPS" AND labels = "shdmc:a\"b\\c:EX1" ORDER BY created ASC`; got != want {
		t.Errorf("JQL = %s, want %s", got, want)
	}
}
