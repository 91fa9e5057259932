package github_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/github"
	"github.com/shdmc/shdmc/internal/notify/internal/channeltest"
	"github.com/shdmc/shdmc/internal/store"
)

var _ notify.ThreadStore = store.Store(nil)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newChannel(t *testing.T, f *fakeGitHub, threads notify.ThreadStore) *github.GitHub {
	t.Helper()
	g, err := github.New(github.Config{Repo: owner + "/" + repo, Token: token, Labels: []string{"m365"}, APIURL: f.url,
		Timeout: 2 * time.Second}, nil, threads, func() time.Time { return channeltest.T0 })
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// resolved is the event of EX559755 resolved at revision rev.
func resolved(rev int) *notify.Notice {
	n := channeltest.Notice(rev)
	n.Event.Type = model.EventIssueResolved
	n.Event.Changes = []model.Change{{Kind: model.ChangeResolved}, {Kind: model.ChangeStatus, From: "serviceDegradation", To: "serviceRestored"}}
	n.Event.Issue.IsResolved, n.Event.Issue.Status = true, model.StatusServiceRestored
	return n
}

// reopened is the event of EX559755 reopened at revision rev.
func reopened(rev int) *notify.Notice {
	n := channeltest.Notice(rev)
	n.Event.Type = model.EventIssueReopened
	n.Event.Changes = []model.Change{{Kind: model.ChangeReopened}}
	return n
}

func mustNotify(t *testing.T, g *github.GitHub, n *notify.Notice) notify.Receipt {
	t.Helper()
	rc, err := g.Notify(context.Background(), n)
	channeltest.NoLeakResult(t, rc, err, token)
	if err != nil {
		t.Fatalf("notify %s revision %d: %v", n.Event.Type, n.Event.Revision, err)
	}
	return rc
}

const issueURL = "https://github.com/" + owner + "/" + repo + "/issues/"

func TestLifecycle(t *testing.T) {
	f := newFake(t)
	st := openStore(t)
	g := newChannel(t, f, st)
	type step struct {
		n      *notify.Notice
		status string
	}
	for _, s := range []step{
		{channeltest.Notice(1), "opened"},
		{channeltest.Notice(2), "commented"},
		{channeltest.Notice(3), "commented"},
		{resolved(4), "closed"},
		{channeltest.Notice(5), "commented"}, // a post after the end: a comment, still closed
		{reopened(6), "reopened"},
		{resolved(7), "closed"},
	} {
		rc := mustNotify(t, g, s.n)
		if want := (notify.Receipt{Status: s.status, Detail: "GitHub issue #1 " + issueURL + "1"}); rc != want {
			t.Errorf("revision %d: receipt %+v, want %+v", s.n.Event.Revision, rc, want)
		}
	}
	issues := f.real()
	if len(issues) != 1 {
		t.Fatalf("%d issues, want 1", len(issues))
	}
	is := issues[0]
	if want := "[contoso] EX559755: Users’ OME email may be unable to be accessed"; is.Title != want {
		t.Errorf("title %q, want %q", is.Title, want)
	}
	if diff := cmp.Diff([]string{"shdmc:contoso:EX559755", "m365"}, is.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	for _, want := range []string{"**\\[serviceDegradation\\] EX559755", "We're investigating.", "<!-- shdmc:contoso:EX559755 -->"} {
		if !strings.Contains(is.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, is.Body)
		}
	}
	if strings.Contains(is.Body, "<script>") {
		t.Errorf("body holds the post's script: %s", is.Body)
	}
	if len(is.Comments) != 6 || !strings.Contains(is.Comments[2], "serviceRestored") {
		t.Errorf("%d comments, want 6; the close comment: %q", len(is.Comments), is.Comments[min(2, len(is.Comments)-1)])
	}
	if is.State != "closed" || is.StateReason != "completed" {
		t.Errorf("state %s (%s), want closed (completed)", is.State, is.StateReason)
	}
	if n := f.count("PATCH", "/issues/1"); n != 3 {
		t.Errorf("%d state changes, want 3 (close, reopen, close)", n)
	}
	if n := f.count("GET", "/issues"); n != 1 {
		t.Errorf("%d searches, want 1: the store's reference serves later notices", n)
	}
	tickets, err := st.Tickets(context.Background(), model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX559755"})
	want := []store.Ticket{{Channel: g.ThreadChannel(), ID: "1", URL: issueURL + "1", Name: "#1"}}
	if diff := cmp.Diff(want, tickets); err != nil || diff != "" {
		t.Errorf("store.Tickets (-want +got):\n%s%v", diff, err)
	}
}

// TestRestart: a new channel with an empty store finds the issue by its
// label and comments on it; no second issue is opened.
func TestRestart(t *testing.T) {
	f := newFake(t)
	mustNotify(t, newChannel(t, f, openStore(t)), channeltest.Notice(1))
	// A pull request with the item's label, older than nothing but listed
	// too, is not the item's issue.
	f.mu.Lock()
	f.issues = append(f.issues, &fakeIssue{Number: 2, Title: "fix", Labels: []string{"shdmc:contoso:EX559755"}, State: "open", PR: true})
	f.mu.Unlock()
	for _, threads := range []notify.ThreadStore{openStore(t), nil} {
		st := threads
		g := newChannel(t, f, st)
		rc := mustNotify(t, g, channeltest.Notice(2))
		if rc.Status != "commented" || !strings.HasSuffix(rc.Detail, "/issues/1") {
			t.Errorf("after a restart: %+v", rc)
		}
		if s, ok := st.(store.Store); ok {
			ref, err := s.ThreadRef(context.Background(), g.ThreadChannel(), "contoso/shd/EX559755")
			if err != nil || ref != "1 "+issueURL+"1 #1" {
				t.Errorf("the issue found is recorded as %q, %v", ref, err)
			}
		}
	}
	if n := len(f.real()); n != 1 {
		t.Errorf("%d issues, want 1", n)
	}
	if n := f.count("POST", "/issues"); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
}

// TestConcurrent: notices about one item at once open one issue; with
// and without a store.
func TestConcurrent(t *testing.T) {
	for _, withStore := range []bool{true, false} {
		t.Run(fmt.Sprintf("store=%v", withStore), func(t *testing.T) {
			f := newFake(t)
			f.createDelay = 50 * time.Millisecond
			var threads notify.ThreadStore
			if withStore {
				threads = openStore(t)
			}
			g := newChannel(t, f, threads)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for rev := 1; rev <= 8; rev++ {
				wg.Go(func() {
					_, err := g.Notify(context.Background(), channeltest.Notice(rev))
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			issues := f.real()
			if len(issues) != 1 || len(issues[0].Comments) != 7 {
				t.Fatalf("%d issues (want 1), comments %d (want 7)", len(issues), len(issues[0].Comments))
			}
		})
	}
}

// TestTwoProcesses: two processes (two channels sharing one store) file
// the same item at the same moment and both open an issue; the one
// recorded second closes its own as a duplicate and comments on the
// first.
func TestTwoProcesses(t *testing.T) {
	f := newFake(t)
	f.listBarrier = &sync.WaitGroup{}
	f.listBarrier.Add(2)
	st := openStore(t)
	a, b := newChannel(t, f, st), newChannel(t, f, st)
	var wg sync.WaitGroup
	rcs := make([]notify.Receipt, 2)
	for i, g := range []*github.GitHub{a, b} {
		wg.Go(func() {
			var err error
			rcs[i], err = g.Notify(context.Background(), channeltest.Notice(1+i))
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	issues := f.real()
	if len(issues) != 2 {
		t.Fatalf("%d issues; the test wants both processes to open one", len(issues))
	}
	ref, err := st.ThreadRef(context.Background(), a.ThreadChannel(), "contoso/shd/EX559755")
	if err != nil {
		t.Fatal(err)
	}
	win, _ := strconv.Atoi(strings.Fields(ref)[0])
	winner, loser := issues[win-1], issues[2-win]
	if winner.State != "open" || len(winner.Comments) != 1 {
		t.Errorf("recorded issue: %+v; want open with the other notice as a comment", winner)
	}
	if loser.State != "closed" || loser.StateReason != "not_planned" || len(loser.Comments) != 1 ||
		!strings.HasPrefix(loser.Comments[0], fmt.Sprintf("Duplicate of #%d %s%d", win, issueURL, win)) {
		t.Errorf("duplicate: %+v", loser)
	}
	for _, rc := range rcs {
		if rc.Status == "commented" && !strings.Contains(rc.Detail, fmt.Sprintf("(closed duplicate #%d)", loser.Number)) {
			t.Errorf("receipt %+v does not tell the duplicate", rc)
		}
	}
}

// TestDeletedIssue: the store names an issue that was deleted; a new one
// is opened.
func TestDeletedIssue(t *testing.T) {
	f := newFake(t)
	st := openStore(t)
	g := newChannel(t, f, st)
	mustNotify(t, g, channeltest.Notice(1))
	f.mu.Lock()
	f.issues[0].Gone = 410
	f.mu.Unlock()
	rc := mustNotify(t, g, channeltest.Notice(2))
	if rc.Status != "opened" || rc.Detail != "GitHub issue #2 "+issueURL+"2" {
		t.Errorf("receipt %+v", rc)
	}
	// The next notice finds #2 by its label (the store keeps the first
	// reference, which is gone).
	rc = mustNotify(t, g, channeltest.Notice(3))
	if rc.Status != "commented" || !strings.HasSuffix(rc.Detail, "/issues/2") {
		t.Errorf("receipt %+v", rc)
	}
}

// TestDeletedIssueLink: the dashboard's link follows a deleted issue's
// replacement at once, and a withdrawn post whose issue was deleted keeps
// no link to it; a channel without a store behaves the same.
func TestDeletedIssueLink(t *testing.T) {
	ctx := context.Background()
	key := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX559755"}
	t.Run("replaced", func(t *testing.T) {
		f := newFake(t)
		st := openStore(t)
		g := newChannel(t, f, st)
		mustNotify(t, g, channeltest.Notice(1))
		f.mu.Lock()
		f.issues[0].Gone = 404
		f.mu.Unlock()
		mustNotify(t, g, channeltest.Notice(2))
		tickets, err := st.Tickets(ctx, key)
		want := []store.Ticket{{Channel: g.ThreadChannel(), ID: "2", URL: issueURL + "2", Name: "#2"}}
		if diff := cmp.Diff(want, tickets); err != nil || diff != "" {
			t.Errorf("store.Tickets after the deleted issue (-want +got):\n%s%v", diff, err)
		}
		// Later notices go to #2 straight from the store: no search.
		searches := f.count("GET", "/issues")
		if rc := mustNotify(t, g, channeltest.Notice(3)); rc.Status != "commented" || !strings.HasSuffix(rc.Detail, "/issues/2") {
			t.Errorf("receipt %+v", rc)
		}
		if n := f.count("GET", "/issues"); n != searches {
			t.Errorf("%d searches after #2 was recorded, want %d", n, searches)
		}
	})
	for _, withStore := range []bool{true, false} {
		t.Run(fmt.Sprintf("withdrawn, store %v", withStore), func(t *testing.T) {
			f := newFake(t)
			var threads notify.ThreadStore
			var st store.Store
			if withStore {
				st = openStore(t)
				threads = st
			}
			g := newChannel(t, f, threads)
			ev := model.Event{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC599013", Type: model.EventMessageNew, Revision: 1,
				Changes: []model.Change{{Kind: model.ChangeNew}}, DetectedAt: channeltest.T0,
				Message: &model.Message{ID: "MC599013", Title: "Microsoft Teams: new meeting options", Category: "planForChange"}}
			mustNotify(t, g, &notify.Notice{Event: &ev})
			f.mu.Lock()
			f.issues[0].Gone = 410
			f.mu.Unlock()
			rm := ev
			rm.Type, rm.Revision, rm.Changes = model.EventMessageRemoved, 2, []model.Change{{Kind: model.ChangeRemoved}}
			if rc := mustNotify(t, g, &notify.Notice{Event: &rm}); rc.Status != "skipped" {
				t.Errorf("withdrawn post whose issue was deleted: %+v", rc)
			}
			if st != nil {
				tickets, err := st.Tickets(ctx, ev.Key())
				if err != nil || len(tickets) != 0 {
					t.Errorf("store.Tickets = %+v, %v; want no link to the deleted issue", tickets, err)
				}
			}
			// Back again: a new issue, not the deleted one.
			back := ev
			back.Revision, back.Changes = 3, []model.Change{{Kind: model.ChangeNew, Field: model.FieldReappeared}}
			if rc := mustNotify(t, g, &notify.Notice{Event: &back}); rc.Status != "opened" || !strings.HasSuffix(rc.Detail, "/issues/2") {
				t.Errorf("post back: %+v", rc)
			}
		})
	}
}

func TestWithdrawnAndDigest(t *testing.T) {
	f := newFake(t)
	g := newChannel(t, f, openStore(t))
	msg := func(typ model.EventType, ch model.ChangeKind) model.Event {
		return model.Event{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC599013", Type: typ, Revision: 1,
			Changes: []model.Change{{Kind: ch}}, DetectedAt: channeltest.T0,
			Message: &model.Message{ID: "MC599013", Title: "(Updated) Microsoft Teams: new meeting options", Category: "planForChange"}}
	}
	// Withdrawn before anyone filed it: nothing to open.
	rm := msg(model.EventMessageRemoved, model.ChangeRemoved)
	rc := mustNotify(t, g, &notify.Notice{Event: &rm})
	if rc.Status != "skipped" || len(f.real()) != 0 {
		t.Errorf("withdrawn post without an issue: %+v, %d issues", rc, len(f.real()))
	}
	// A digest files each item.
	dg := model.Event{Tenant: "contoso", Type: model.EventDigest, Items: []model.Event{
		msg(model.EventMessageNew, model.ChangeNew), *channeltest.Event(1), msg(model.EventMessageUpdated, model.ChangeBodySection)}}
	rc = mustNotify(t, g, &notify.Notice{Event: &dg})
	want := "GitHub issue #1 " + issueURL + "1; GitHub issue #2 " + issueURL + "2; GitHub issue #1 " + issueURL + "1"
	if rc.Status != "3 items" || rc.Detail != want {
		t.Errorf("digest receipt %+v, want detail %q", rc, want)
	}
	// Withdrawn now: closed as not planned.
	rc = mustNotify(t, g, &notify.Notice{Event: &rm})
	issues := f.real()
	if rc.Status != "closed" || issues[0].State != "closed" || issues[0].StateReason != "not_planned" || issues[0].Title != "[contoso] MC599013: (Updated) Microsoft Teams: new meeting options" {
		t.Errorf("withdrawn: %+v; issue %+v", rc, issues[0])
	}
	if issues[1].State != "open" {
		t.Errorf("EX559755 is %s", issues[1].State)
	}
}

func TestResolvedAtFirstSight(t *testing.T) {
	f := newFake(t)
	g := newChannel(t, f, openStore(t))
	rc := mustNotify(t, g, resolved(1))
	is := f.real()
	if rc.Status != "opened and closed" || len(is) != 1 || is[0].State != "closed" || len(is[0].Comments) != 1 {
		t.Errorf("receipt %+v, issues %+v", rc, is)
	}
}

func TestLongMarker(t *testing.T) {
	f := newFake(t)
	g := newChannel(t, f, nil)
	n := channeltest.Notice(1)
	n.Event.Tenant = strings.Repeat("t", 60)
	mustNotify(t, g, n)
	mustNotify(t, g, channeltest.Notice(1)) // another tenant: its own issue
	n2 := channeltest.Notice(2)
	n2.Event.Tenant = n.Event.Tenant
	if rc := mustNotify(t, g, n2); rc.Status != "commented" || !strings.HasSuffix(rc.Detail, "/1") {
		t.Errorf("long tenant's update: %+v", rc)
	}
	is := f.real()
	if len(is) != 2 || len(is[0].Labels[0]) > 50 || !strings.HasPrefix(is[0].Labels[0], "shdmc:") {
		t.Errorf("issues %+v", is)
	}
	if !strings.Contains(is[0].Body, "<!-- shdmc:"+n.Event.Tenant+":EX559755 -->") {
		t.Errorf("the body does not carry the full marker")
	}
}

func TestAnswers(t *testing.T) {
	reset := strconv.FormatInt(channeltest.T0.Add(17*time.Minute).Unix(), 10)
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
	tests := []struct {
		name     string
		token    string
		fault    func(w http.ResponseWriter, r *http.Request) bool
		refused  bool
		contains string
		delay    time.Duration // 0: backoff (≤ 1s); -1: dead letter
	}{
		{name: "bad credentials", token: "ghp_wrongTOKENvalue123",
			contains: "401 Unauthorized: Bad credentials (GitHub refused the token", delay: -1},
		{name: "no permission", fault: answer(403, nil, `{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest/issues/issues#create-an-issue","status":"403"}`),
			contains: "403 Forbidden: Resource not accessible by personal access token (the token may not write issues in contoso/m365-incidents: a fine-grained token needs Issues: Read and write", delay: -1},
		{name: "echoed token", fault: answer(401, nil, `{"message":"Bad credentials for `+token+`"}`), contains: "Bad credentials for <redacted>", delay: -1},
		{name: "primary rate limit 403", fault: answer(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset, "X-RateLimit-Limit": "5000"},
			`{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`),
			contains: "403 Forbidden: API rate limit exceeded", delay: 17 * time.Minute},
		{name: "primary rate limit 429", fault: answer(429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, `{"message":"API rate limit exceeded"}`),
			contains: "429 Too Many Requests", delay: 17 * time.Minute},
		{name: "secondary with retry-after", fault: answer(403, map[string]string{"Retry-After": "90", "X-RateLimit-Remaining": "4000", "X-RateLimit-Reset": reset},
			`{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`),
			contains: "secondary rate limit", delay: 90 * time.Second},
		{name: "secondary without headers", fault: answer(403, map[string]string{"X-RateLimit-Remaining": "4000", "X-RateLimit-Reset": reset},
			`{"message":"You have exceeded a secondary rate limit and have been temporarily blocked from content creation."}`),
			contains: "secondary rate limit", delay: time.Minute},
		{name: "issues disabled", fault: answer(410, nil, `{"message":"Issues are disabled for this repo"}`), contains: "410 Gone: Issues are disabled", delay: -1},
		{name: "validation", fault: answer(422, nil, `{"message":"Validation Failed","errors":[{"resource":"Issue","code":"missing_field","field":"title"}]}`),
			contains: "422 Unprocessable Entity: Validation Failed; Issue title missing_field", delay: -1},
		{name: "server error", fault: answer(502, nil, `<html>Bad gateway</html>`), contains: "502 Bad Gateway"},
		{name: "not JSON", fault: answer(200, nil, `<html>sign in</html>`), contains: "not the JSON expected"},
		{name: "connection refused", refused: true, contains: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.fault = tt.fault
			base := f.url
			if tt.refused {
				base = "http://" + channeltest.RefusedAddr(t)
			}
			tok := token
			if tt.token != "" {
				tok = tt.token
			}
			g, err := github.New(github.Config{Repo: owner + "/" + repo, Token: tok, APIURL: base, Timeout: time.Second},
				nil, openStore(t), func() time.Time { return channeltest.T0 })
			if err != nil {
				t.Fatal(err)
			}
			rc, err := g.Notify(context.Background(), channeltest.Notice(1))
			channeltest.NoLeakResult(t, rc, err, token, tok)
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("error %v, want %q", err, tt.contains)
			}
			delay, dead := channeltest.RetryDelay(t, err)
			switch {
			case tt.delay == -1:
				if !dead || !notify.IsPermanent(err) {
					t.Errorf("dead %v, permanent %v; want a dead letter", dead, notify.IsPermanent(err))
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
	tests := []struct {
		name string
		s    github.Settings
		want string // "" = valid
	}{
		{"valid", github.Settings{Repo: "contoso/m365-incidents", Token: "t", Labels: []string{"m365", "service health"}}, ""},
		{"enterprise", github.Settings{Repo: "contoso/x", Token: "t", APIURL: "https://ghe.contoso.com/api/v3"}, ""},
		{"no repo", github.Settings{Token: "t"}, `repo: "" is not a repository`},
		{"repo without owner", github.Settings{Repo: "m365", Token: "t"}, "want owner/name"},
		{"repo URL", github.Settings{Repo: "https://github.com/contoso/x", Token: "t"}, "want owner/name"},
		{"no token", github.Settings{Repo: "contoso/x"}, "token: a github channel needs token (or token_file)"},
		{"label with comma", github.Settings{Repo: "contoso/x", Token: "t", Labels: []string{"a,b"}}, "labels[0]: must not hold a comma"},
		{"long label", github.Settings{Repo: "contoso/x", Token: "t", Labels: []string{strings.Repeat("l", 51)}}, "labels[0]: is longer than 50"},
		{"http API", github.Settings{Repo: "contoso/x", Token: "t", APIURL: "http://ghe.contoso.com/api/v3"}, "api_url: must use https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
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
	// The factory reads the settings through the registry's Type.
	n, err := github.Type().New(config.Channel{Name: "gh", Type: "github", Settings: &github.Settings{Repo: "contoso/x", Token: "t"}}, notify.Env{})
	if _, ok := n.(*github.GitHub); err != nil || !ok {
		t.Errorf("Type().New = %T, %v", n, err)
	}
}
