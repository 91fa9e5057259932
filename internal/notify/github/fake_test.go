package github_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	token = "github_pat_11AAAAAAA0SECRETtokenVALUE"
	owner = "contoso"
	repo  = "m365-incidents"
)

// fakeIssue is one issue (or pull request) of the fake repository.
type fakeIssue struct {
	Number      int
	Title, Body string
	Labels      []string
	State       string // open, closed
	StateReason string
	Comments    []string
	PR          bool
	Gone        int // 404 or 410 once deleted
}

// fakeGitHub implements the documented contract of the REST API
// endpoints the channel uses, for one repository: authentication,
// headers, listing by label, create, comment, update, read, and the error
// bodies ({"message", "documentation_url"}).
type fakeGitHub struct {
	t           *testing.T
	mu          sync.Mutex
	issues      []*fakeIssue
	requests    []string // "METHOD path"
	createDelay time.Duration
	// listBarrier, when set, holds each listing until as many have
	// arrived as it counts: two processes that look at once see the same.
	listBarrier *sync.WaitGroup
	// fault, when it returns true, has answered the request itself.
	fault func(w http.ResponseWriter, r *http.Request) bool
	url   string
}

func newFake(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func ghError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}

func (f *fakeGitHub) json(i *fakeIssue) map[string]any {
	labels := []map[string]string{}
	for _, l := range i.Labels {
		labels = append(labels, map[string]string{"name": l})
	}
	m := map[string]any{"id": 1000 + i.Number, "number": i.Number, "title": i.Title, "body": i.Body, "state": i.State,
		"state_reason": i.StateReason, "labels": labels,
		"html_url": fmt.Sprintf("https://github.com/%s/%s/issues/%d", owner, repo, i.Number)}
	if i.PR {
		m["pull_request"] = map[string]string{"url": "https://api.github.com/repos/x/y/pulls/1"}
		m["html_url"] = fmt.Sprintf("https://github.com/%s/%s/pull/%d", owner, repo, i.Number)
	}
	return m
}

var issuePath = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues(?:/(\d+)(/comments)?)?$`)

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if f.fault != nil && f.fault(w, r) {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		ghError(w, 401, "Bad credentials")
		return
	}
	if r.Header.Get("User-Agent") == "" {
		ghError(w, 403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header")
		return
	}
	if r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" {
		f.t.Errorf("%s %s: Accept %q, X-GitHub-Api-Version %q", r.Method, r.URL, r.Header.Get("Accept"), r.Header.Get("X-GitHub-Api-Version"))
	}
	m := issuePath.FindStringSubmatch(r.URL.Path)
	if m == nil || m[1] != owner || m[2] != repo {
		ghError(w, 404, "Not Found")
		return
	}
	var in map[string]any
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		if len(b) > 0 {
			if r.Header.Get("Content-Type") != "application/json" {
				f.t.Errorf("%s %s: Content-Type %q", r.Method, r.URL, r.Header.Get("Content-Type"))
			}
			if err := json.Unmarshal(b, &in); err != nil {
				ghError(w, 400, "Problems parsing JSON")
				return
			}
		}
	}
	switch {
	case m[3] == "" && r.Method == http.MethodGet:
		f.list(w, r)
	case m[3] == "" && r.Method == http.MethodPost:
		f.create(w, in)
	case m[4] != "" && r.Method == http.MethodPost:
		f.comment(w, m[3], in)
	case m[3] != "" && m[4] == "" && r.Method == http.MethodGet:
		f.withIssue(w, m[3], func(i *fakeIssue) { writeJSON(w, 200, f.json(i)) })
	case m[3] != "" && m[4] == "" && r.Method == http.MethodPatch:
		f.update(w, m[3], in)
	default:
		ghError(w, 404, "Not Found")
	}
}

func (f *fakeGitHub) list(w http.ResponseWriter, r *http.Request) {
	if f.listBarrier != nil {
		f.listBarrier.Done()
		f.listBarrier.Wait()
	}
	q := r.URL.Query()
	if q.Get("state") != "all" {
		f.t.Errorf("list state %q; want all (a closed issue must be found too)", q.Get("state"))
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	for _, i := range f.issues { // oldest first, as direction=asc asks
		if i.Gone != 0 {
			continue
		}
		ok := true
		for _, l := range want {
			ok = ok && slices.Contains(i.Labels, l)
		}
		if ok {
			out = append(out, f.json(i))
		}
	}
	if q.Get("direction") == "desc" {
		slices.Reverse(out)
	}
	writeJSON(w, 200, out)
}

func (f *fakeGitHub) create(w http.ResponseWriter, in map[string]any) {
	title, _ := in["title"].(string)
	if title == "" {
		writeJSON(w, 422, map[string]any{"message": "Validation Failed",
			"errors": []map[string]string{{"resource": "Issue", "code": "missing_field", "field": "title"}}})
		return
	}
	time.Sleep(f.createDelay) // a slow GitHub widens any race
	body, _ := in["body"].(string)
	i := &fakeIssue{Title: title, Body: body, State: "open"}
	if ls, ok := in["labels"].([]any); ok {
		for _, l := range ls {
			s, _ := l.(string)
			if len(s) > 50 {
				writeJSON(w, 422, map[string]any{"message": "Validation Failed",
					"errors": []map[string]string{{"resource": "Label", "code": "invalid", "field": "name"}}})
				return
			}
			i.Labels = append(i.Labels, s)
		}
	}
	f.mu.Lock()
	i.Number = len(f.issues) + 1
	f.issues = append(f.issues, i)
	js := f.json(i)
	f.mu.Unlock()
	w.Header().Set("Location", js["html_url"].(string))
	writeJSON(w, 201, js)
}

func (f *fakeGitHub) withIssue(w http.ResponseWriter, num string, fn func(*fakeIssue)) {
	n, _ := strconv.Atoi(num)
	f.mu.Lock()
	defer f.mu.Unlock()
	if n < 1 || n > len(f.issues) {
		ghError(w, 404, "Not Found")
		return
	}
	i := f.issues[n-1]
	if i.Gone != 0 {
		ghError(w, i.Gone, "This issue was deleted")
		return
	}
	fn(i)
}

func (f *fakeGitHub) comment(w http.ResponseWriter, num string, in map[string]any) {
	body, _ := in["body"].(string)
	if body == "" {
		writeJSON(w, 422, map[string]any{"message": "Validation Failed",
			"errors": []map[string]string{{"resource": "IssueComment", "code": "missing_field", "field": "body"}}})
		return
	}
	f.withIssue(w, num, func(i *fakeIssue) {
		i.Comments = append(i.Comments, body)
		writeJSON(w, 201, map[string]any{"id": 5000 + len(i.Comments), "body": body,
			"html_url": fmt.Sprintf("https://github.com/%s/%s/issues/%d#issuecomment-%d", owner, repo, i.Number, 5000+len(i.Comments))})
	})
}

func (f *fakeGitHub) update(w http.ResponseWriter, num string, in map[string]any) {
	state, _ := in["state"].(string)
	reason, _ := in["state_reason"].(string)
	if (state != "" && state != "open" && state != "closed") ||
		(reason != "" && !slices.Contains([]string{"completed", "not_planned", "reopened"}, reason)) {
		writeJSON(w, 422, map[string]any{"message": "Validation Failed",
			"errors": []map[string]string{{"resource": "Issue", "code": "invalid", "field": "state_reason"}}})
		return
	}
	f.withIssue(w, num, func(i *fakeIssue) {
		if state != "" {
			i.State, i.StateReason = state, reason
		}
		writeJSON(w, 200, f.json(i))
	})
}

// count returns how many requests match method and a path suffix.
func (f *fakeGitHub) count(method, suffix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r, method+" ") && strings.HasSuffix(r, suffix) {
			n++
		}
	}
	return n
}

// real returns the issues that are not pull requests.
func (f *fakeGitHub) real() []fakeIssue {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeIssue
	for _, i := range f.issues {
		if !i.PR {
			out = append(out, *i)
		}
	}
	return out
}
