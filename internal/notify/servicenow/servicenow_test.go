package servicenow_test

import (
	"context"
	"encoding/base64"
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
	"github.com/shdmc/shdmc/internal/notify/servicenow"
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

func config1(f *fakeServiceNow) servicenow.Config {
	return servicenow.Config{Instance: f.url, Username: username, Password: password,
		Fields: []string{"assignment_group=287ebd7da9fe198100f92cc8d1d2154e", "category=software", "u_not_a_column=x"}, Timeout: 2 * time.Second}
}

func newChannel(t *testing.T, cfg servicenow.Config, threads notify.ThreadStore) *servicenow.ServiceNow {
	t.Helper()
	s, err := servicenow.New(cfg, nil, threads, func() time.Time { return channeltest.T0 })
	if err != nil {
		t.Fatal(err)
	}
	return s
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

func basic() string { return base64.StdEncoding.EncodeToString([]byte(username + ":" + password)) }

func mustNotify(t *testing.T, s *servicenow.ServiceNow, n *notify.Notice) notify.Receipt {
	t.Helper()
	rc, err := s.Notify(context.Background(), n)
	channeltest.NoLeakResult(t, rc, err, password, basic())
	if err != nil {
		t.Fatalf("notify %s revision %d: %v", n.Event.Type, n.Event.Revision, err)
	}
	return rc
}

func TestLifecycle(t *testing.T) {
	f := newFake(t)
	st := openStore(t)
	s := newChannel(t, config1(f), st)
	var link string
	for i, step := range []struct {
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
		rc := mustNotify(t, s, step.n)
		if rc.Status != step.status || !strings.HasPrefix(rc.Detail, "ServiceNow incident INC0010001 "+f.url+"/incident.do?sys_id=") {
			t.Errorf("step %d: receipt %+v, want status %s", i, rc, step.status)
		}
		if i == 0 {
			link = strings.Fields(rc.Detail)[3]
		}
	}
	recs := f.snapshot()
	if len(recs) != 1 {
		t.Fatalf("%d incidents", len(recs))
	}
	rec := recs[0]
	want := map[string]string{
		"short_description":   "[contoso] EX559755: Users’ OME email may be unable to be accessed",
		"correlation_id":      "shdmc:contoso:EX559755",
		"correlation_display": "shdmc",
		"assignment_group":    "287ebd7da9fe198100f92cc8d1d2154e",
		"category":            "software",
		"state":               "6",
		"close_code":          "Solution provided",
	}
	for k, v := range want {
		if rec.Fields[k] != v {
			t.Errorf("%s = %q, want %q", k, rec.Fields[k], v)
		}
	}
	if d := rec.Fields["description"]; !strings.HasPrefix(d, "[serviceDegradation] EX559755 | Exchange Online") || !strings.Contains(d, "We're investigating.") {
		t.Errorf("description %q", d)
	}
	if !strings.Contains(rec.Fields["close_notes"], "serviceRestored") {
		t.Errorf("close notes %q", rec.Fields["close_notes"])
	}
	if len(rec.WorkNotes) != 3 || len(rec.Comments) != 0 {
		t.Errorf("%d work notes (want 3: two updates and the reopening), %d comments", len(rec.WorkNotes), len(rec.Comments))
	}
	tickets, err := st.Tickets(context.Background(), model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX559755"})
	wantT := []store.Ticket{{Channel: s.ThreadChannel(), ID: rec.Fields["sys_id"], URL: link, Name: "INC0010001"}}
	if diff := cmp.Diff(wantT, tickets); err != nil || diff != "" {
		t.Errorf("store.Tickets (-want +got):\n%s%v", diff, err)
	}
	if link != f.url+"/incident.do?sys_id="+rec.Fields["sys_id"] {
		t.Errorf("link %s", link)
	}
}

func TestCommentsField(t *testing.T) {
	f := newFake(t)
	cfg := config1(f)
	cfg.CommentField, cfg.CloseCode = "comments", "Resolved by caller"
	s := newChannel(t, cfg, nil)
	mustNotify(t, s, channeltest.Notice(1))
	mustNotify(t, s, channeltest.Notice(2))
	mustNotify(t, s, resolved(3))
	rec := f.snapshot()[0]
	if len(rec.Comments) != 1 || len(rec.WorkNotes) != 0 || rec.Fields["close_code"] != "Resolved by caller" {
		t.Errorf("comments %d, work notes %d, close code %q", len(rec.Comments), len(rec.WorkNotes), rec.Fields["close_code"])
	}
}

// TestRestart: a new channel with an empty store finds the incident by
// its correlation ID.
func TestRestart(t *testing.T) {
	f := newFake(t)
	mustNotify(t, newChannel(t, config1(f), openStore(t)), channeltest.Notice(1))
	for _, threads := range []notify.ThreadStore{openStore(t), nil} {
		rc := mustNotify(t, newChannel(t, config1(f), threads), channeltest.Notice(2))
		if rc.Status != "commented" || !strings.Contains(rc.Detail, "INC0010001") {
			t.Errorf("after a restart: %+v", rc)
		}
	}
	if n := len(f.snapshot()); n != 1 {
		t.Errorf("%d incidents, want 1", n)
	}
}

func TestConcurrent(t *testing.T) {
	for _, withStore := range []bool{true, false} {
		t.Run(fmt.Sprintf("store=%v", withStore), func(t *testing.T) {
			f := newFake(t)
			f.createDelay = 40 * time.Millisecond
			var threads notify.ThreadStore
			if withStore {
				threads = openStore(t)
			}
			s := newChannel(t, config1(f), threads)
			var wg sync.WaitGroup
			for rev := 1; rev <= 6; rev++ {
				wg.Go(func() {
					if _, err := s.Notify(context.Background(), channeltest.Notice(rev)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			recs := f.snapshot()
			if len(recs) != 1 || len(recs[0].WorkNotes) != 5 {
				t.Fatalf("%d incidents (want 1), %d work notes (want 5)", len(recs), len(recs[0].WorkNotes))
			}
		})
	}
}

// TestDeletedIncident: the store names an incident that was deleted; a
// new one is opened and found later by its correlation ID.
func TestDeletedIncident(t *testing.T) {
	f := newFake(t)
	s := newChannel(t, config1(f), openStore(t))
	mustNotify(t, s, channeltest.Notice(1))
	f.mu.Lock()
	f.records[0].Deleted = true
	f.mu.Unlock()
	if rc := mustNotify(t, s, channeltest.Notice(2)); rc.Status != "opened" || !strings.Contains(rc.Detail, "INC0010002") {
		t.Errorf("receipt %+v", rc)
	}
	if rc := mustNotify(t, s, channeltest.Notice(3)); rc.Status != "commented" || !strings.Contains(rc.Detail, "INC0010002") {
		t.Errorf("receipt %+v", rc)
	}
}

func TestAnswers(t *testing.T) {
	answer := func(status int, hdr map[string]string, ctype, body string) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			for k, v := range hdr {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", ctype)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return true
		}
	}
	const js = "application/json"
	reset := fmt.Sprint(channeltest.T0.Add(40 * time.Minute).Unix())
	tests := []struct {
		name     string
		password string
		fault    func(w http.ResponseWriter, r *http.Request) bool
		refused  bool
		contains string
		delay    time.Duration // 0: backoff; -1: dead letter
	}{
		{name: "wrong password", password: "wrong-PASSWORD-123",
			contains: "401 Unauthorized: User Not Authenticated: Required to provide Auth information (ServiceNow refused the username and password)", delay: -1},
		{name: "ACL", fault: answer(403, nil, js, `{"error":{"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"},"status":"failure"}`),
			contains: "403 Forbidden: Operation Failed: ACL Exception Insert Failed due to security constraints (the user shdmc.integration may not write incidents", delay: -1},
		{name: "rate limit rule", fault: answer(429, map[string]string{"Retry-After": "300", "X-RateLimit-Limit": "100", "X-RateLimit-Reset": reset,
			"X-RateLimit-Rule": "a0b1c2"}, js, `{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 100 requests per hour exceeded"},"status":"failure"}`),
			contains: "429 Too Many Requests: Rate limit exceeded: Rate limit of 100 requests per hour exceeded", delay: 5 * time.Minute},
		{name: "rate limit reset only", fault: answer(429, map[string]string{"X-RateLimit-Reset": reset}, js, `{"error":{"message":"Rate limit exceeded"}}`),
			contains: "Rate limit exceeded", delay: 40 * time.Minute},
		{name: "hibernating instance", fault: answer(200, nil, "text/html", `<html><title>Instance Hibernating page</title></html>`),
			contains: "not the JSON expected"},
		{name: "503", fault: answer(503, nil, "text/html", `<html>unavailable</html>`), contains: "503 Service Unavailable"},
		{name: "echoed password", fault: answer(400, nil, js, `{"error":{"message":"bad auth","detail":"`+password+` / `+basic()+`"}}`),
			contains: "bad auth: <redacted> / <redacted>", delay: -1},
		{name: "connection refused", refused: true, contains: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.fault = tt.fault
			cfg := config1(f)
			if tt.refused {
				cfg.Instance = "http://" + channeltest.RefusedAddr(t)
			}
			if tt.password != "" {
				cfg.Password = tt.password
			}
			s := newChannel(t, cfg, openStore(t))
			rc, err := s.Notify(context.Background(), channeltest.Notice(1))
			channeltest.NoLeakResult(t, rc, err, password, cfg.Password, basic())
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

func TestSettings(t *testing.T) {
	ok := servicenow.Settings{Instance: "https://contoso.service-now.com", Username: "u", Password: "p"}
	tests := []struct {
		name string
		edit func(*servicenow.Settings)
		want string
	}{
		{"valid", func(s *servicenow.Settings) { s.Fields = []string{"assignment_group=abc", "impact=2"} }, ""},
		{"no instance", func(s *servicenow.Settings) { s.Instance = "" }, "instance: is required, e.g. https://contoso.service-now.com"},
		{"no user", func(s *servicenow.Settings) { s.Username = "" }, "username: is required"},
		{"no password", func(s *servicenow.Settings) { s.Password = "" }, "password: a servicenow channel needs password (or password_file)"},
		{"bad field", func(s *servicenow.Settings) { s.Fields = []string{"Assignment Group: x"} }, "fields[0]: want name=value"},
		{"reserved field", func(s *servicenow.Settings) { s.Fields = []string{"state=1"} }, "fields[0]: state is set by shdmc"},
		{"comment field", func(s *servicenow.Settings) { s.CommentField = "notes" }, `comment_field: "notes": want work_notes or comments`},
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
	n, err := servicenow.Type().New(config.Channel{Name: "sn", Type: "servicenow", Settings: &ok}, notify.Env{})
	if _, isSN := n.(*servicenow.ServiceNow); err != nil || !isSN {
		t.Errorf("Type().New = %T, %v", n, err)
	}
	if got := servicenow.Query("shdmc:contoso:EX1"); got != "correlation_id=shdmc:contoso:EX1^ORDERBYsys_created_on" {
		t.Errorf("Query = %s", got)
	}
}
