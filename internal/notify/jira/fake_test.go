package jira_test

import (
	"encoding/base64"
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
	email    = "shdmc@contoso.com"
	apiToken = "ATATT3xFfGF0SECRETjiraTOKENvalue"
	project  = "OPS"
)

// fakeStatus is a status of the fake workflow.
type fakeStatus struct{ Name, Category string }

// fakeIssue is one issue of the fake project.
type fakeIssue struct {
	ID, Key     string
	Summary     string
	Description map[string]any
	Labels      []string
	Status      fakeStatus
	Comments    []map[string]any
	Created     time.Time
	Deleted     bool
}

// fakeJira implements the documented contract of the Jira Cloud REST API
// v3 endpoints the channel uses: basic authentication with an API token,
// create issue (fields validated, description in ADF), enhanced JQL
// search (POST /rest/api/3/search/jql; the old /search is gone), get
// issue, add comment, get and do transitions, and the error bodies
// ({"errorMessages": [], "errors": {}}). Its search index lags behind new
// issues by indexLag, as Jira's may.
type fakeJira struct {
	t        *testing.T
	mu       sync.Mutex
	issues   []*fakeIssue
	requests []string
	// statuses is the workflow: every status can be reached from every
	// other through a transition named after it (Jira's simplified
	// workflow), unless transitions overrides the names.
	statuses    []fakeStatus
	transitions map[string]string // status name → transition name
	indexLag    time.Duration
	createDelay time.Duration
	fault       func(w http.ResponseWriter, r *http.Request) bool
	url         string
}

func newFake(t *testing.T) *fakeJira {
	f := &fakeJira{t: t, statuses: []fakeStatus{{"To Do", "new"}, {"In Progress", "indeterminate"}, {"Done", "done"}}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func jiraError(w http.ResponseWriter, status int, msgs []string, errs map[string]string) {
	if msgs == nil {
		msgs = []string{}
	}
	if errs == nil {
		errs = map[string]string{}
	}
	writeJSON(w, status, map[string]any{"errorMessages": msgs, "errors": errs})
}

var (
	issuePath = regexp.MustCompile(`^/rest/api/3/issue/([A-Z][A-Z0-9_]*-\d+)(/comment|/transitions)?$`)
	jqlQuery  = regexp.MustCompile(`^project = "((?:[^"\\]|\\.)*)" AND labels = "((?:[^"\\]|\\.)*)" ORDER BY created ASC$`)
)

func (f *fakeJira) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if f.fault != nil && f.fault(w, r) {
		return
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+apiToken))
	if r.Header.Get("Authorization") != want {
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(401)
		io.WriteString(w, "Client must be authenticated to access this resource.")
		return
	}
	if r.Header.Get("Accept") != "application/json" {
		f.t.Errorf("%s %s: Accept %q", r.Method, r.URL, r.Header.Get("Accept"))
	}
	var in map[string]any
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if r.Header.Get("Content-Type") != "application/json" {
			jiraError(w, 415, []string{"Unsupported Media Type"}, nil)
			return
		}
		if err := json.Unmarshal(b, &in); err != nil {
			jiraError(w, 400, []string{"Unexpected character in JSON"}, nil)
			return
		}
	}
	switch m := issuePath.FindStringSubmatch(r.URL.Path); {
	case r.URL.Path == "/rest/api/3/issue" && r.Method == http.MethodPost:
		f.create(w, in)
	case r.URL.Path == "/rest/api/3/search/jql" && r.Method == http.MethodPost:
		f.search(w, in)
	case r.URL.Path == "/rest/api/3/search":
		jiraError(w, 410, []string{"The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."}, nil)
	case m != nil && m[2] == "" && r.Method == http.MethodGet:
		f.withIssue(w, m[1], func(i *fakeIssue) { writeJSON(w, 200, f.json(i)) })
	case m != nil && m[2] == "/comment" && r.Method == http.MethodPost:
		f.comment(w, m[1], in)
	case m != nil && m[2] == "/transitions" && r.Method == http.MethodGet:
		f.withIssue(w, m[1], func(i *fakeIssue) { writeJSON(w, 200, map[string]any{"transitions": f.available(i)}) })
	case m != nil && m[2] == "/transitions" && r.Method == http.MethodPost:
		f.transition(w, m[1], in)
	default:
		jiraError(w, 404, []string{"Not found"}, nil)
	}
}

func (f *fakeJira) json(i *fakeIssue) map[string]any {
	return map[string]any{"id": i.ID, "key": i.Key, "self": f.url + "/rest/api/3/issue/" + i.ID,
		"fields": map[string]any{"status": map[string]any{"name": i.Status.Name,
			"statusCategory": map[string]any{"key": i.Status.Category}}}}
}

// validADF reports whether v is an ADF doc of the nodes the channel may
// write, with no empty text.
func validADF(v any) bool {
	doc, ok := v.(map[string]any)
	if !ok || doc["type"] != "doc" || doc["version"] != float64(1) {
		return false
	}
	content, ok := doc["content"].([]any)
	if !ok || len(content) == 0 {
		return false
	}
	for _, p := range content {
		pm, ok := p.(map[string]any)
		if !ok || pm["type"] != "paragraph" {
			return false
		}
		inline, _ := pm["content"].([]any)
		for _, n := range inline {
			nm, _ := n.(map[string]any)
			switch nm["type"] {
			case "text":
				if s, _ := nm["text"].(string); s == "" {
					return false
				}
			case "hardBreak":
			default:
				return false
			}
		}
	}
	return true
}

func (f *fakeJira) create(w http.ResponseWriter, in map[string]any) {
	fields, _ := in["fields"].(map[string]any)
	errs := map[string]string{}
	if p, _ := fields["project"].(map[string]any); p["key"] != project {
		errs["project"] = "valid project is required"
	}
	if it, _ := fields["issuetype"].(map[string]any); it["name"] != "Task" {
		errs["issuetype"] = "Specify an issue type"
	}
	summary, _ := fields["summary"].(string)
	switch {
	case summary == "":
		errs["summary"] = "You must specify a summary of the issue."
	case len([]rune(summary)) > 255:
		errs["summary"] = "Summary must be less than 255 characters."
	}
	if d, ok := fields["description"]; ok && !validADF(d) {
		errs["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
	}
	var labels []string
	ls, _ := fields["labels"].([]any)
	for _, l := range ls {
		s, _ := l.(string)
		if strings.ContainsAny(s, " \t") {
			errs["labels"] = fmt.Sprintf("The label '%s' contains spaces which is invalid.", s)
		}
		labels = append(labels, s)
	}
	if len(errs) > 0 {
		jiraError(w, 400, nil, errs)
		return
	}
	time.Sleep(f.createDelay)
	desc, _ := fields["description"].(map[string]any)
	f.mu.Lock()
	n := len(f.issues) + 1
	i := &fakeIssue{ID: strconv.Itoa(10000 + n), Key: project + "-" + strconv.Itoa(n), Summary: summary, Description: desc,
		Labels: labels, Status: f.statuses[0], Created: time.Now()}
	f.issues = append(f.issues, i)
	f.mu.Unlock()
	writeJSON(w, 201, map[string]any{"id": i.ID, "key": i.Key, "self": f.url + "/rest/api/3/issue/" + i.ID})
}

func unquote(s string) string { return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s) }

func (f *fakeJira) search(w http.ResponseWriter, in map[string]any) {
	jql, _ := in["jql"].(string)
	m := jqlQuery.FindStringSubmatch(jql)
	if m == nil {
		jiraError(w, 400, []string{"Error in the JQL Query: the fake understands one query shape, not " + strconv.Quote(jql)}, nil)
		return
	}
	if fs, _ := in["fields"].([]any); !slices.Contains(fs, any("status")) {
		f.t.Errorf("search asks for fields %v; without status the answer has no fields", in["fields"])
	}
	proj, label := unquote(m[1]), unquote(m[2])
	if proj != project {
		jiraError(w, 400, []string{fmt.Sprintf("The value '%s' does not exist for the field 'project'.", proj)}, nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	for _, i := range f.issues {
		if i.Deleted || !strings.HasPrefix(i.Key, proj+"-") || !slices.Contains(i.Labels, label) || time.Since(i.Created) < f.indexLag {
			continue
		}
		out = append(out, f.json(i))
	}
	if max, ok := in["maxResults"].(float64); ok && len(out) > int(max) {
		out = out[:int(max)]
	}
	writeJSON(w, 200, map[string]any{"issues": out, "isLast": true})
}

func (f *fakeJira) withIssue(w http.ResponseWriter, key string, fn func(*fakeIssue)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, i := range f.issues {
		if i.Key == key && !i.Deleted {
			fn(i)
			return
		}
	}
	jiraError(w, 404, []string{"Issue does not exist or you do not have permission to see it."}, nil)
}

func (f *fakeJira) comment(w http.ResponseWriter, key string, in map[string]any) {
	if !validADF(in["body"]) {
		jiraError(w, 400, nil, map[string]string{"comment": "Comment body is not valid!"})
		return
	}
	f.withIssue(w, key, func(i *fakeIssue) {
		i.Comments = append(i.Comments, in["body"].(map[string]any))
		writeJSON(w, 201, map[string]any{"id": strconv.Itoa(20000 + len(i.Comments)), "body": in["body"]})
	})
}

// available lists the transitions from an issue's status.
func (f *fakeJira) available(i *fakeIssue) []map[string]any {
	var out []map[string]any
	for k, s := range f.statuses {
		if s == i.Status {
			continue
		}
		name := s.Name
		if n, ok := f.transitions[s.Name]; ok {
			name = n
		}
		out = append(out, map[string]any{"id": strconv.Itoa(11 + 10*k), "name": name, "hasScreen": false,
			"to": map[string]any{"name": s.Name, "statusCategory": map[string]any{"key": s.Category}}})
	}
	return out
}

func (f *fakeJira) transition(w http.ResponseWriter, key string, in map[string]any) {
	tr, _ := in["transition"].(map[string]any)
	id, _ := tr["id"].(string)
	f.withIssue(w, key, func(i *fakeIssue) {
		for _, a := range f.available(i) {
			if a["id"] == id {
				to := a["to"].(map[string]any)
				i.Status = fakeStatus{to["name"].(string), to["statusCategory"].(map[string]any)["key"].(string)}
				w.WriteHeader(204)
				return
			}
		}
		jiraError(w, 400, []string{"Transition id '" + id + "' is not valid for this issue."}, nil)
	})
}

// texts returns the text of an ADF doc, paragraphs separated by blank
// lines and hard breaks as line breaks.
func texts(doc map[string]any) string {
	var b strings.Builder
	content, _ := doc["content"].([]any)
	for k, p := range content {
		if k > 0 {
			b.WriteString("\n\n")
		}
		inline, _ := p.(map[string]any)["content"].([]any)
		for _, n := range inline {
			nm := n.(map[string]any)
			if nm["type"] == "hardBreak" {
				b.WriteString("\n")
			} else {
				b.WriteString(nm["text"].(string))
			}
		}
	}
	return b.String()
}

func (f *fakeJira) count(method, suffix string) int {
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

func (f *fakeJira) snapshot() []fakeIssue {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeIssue
	for _, i := range f.issues {
		out = append(out, *i)
	}
	return out
}
