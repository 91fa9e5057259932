package servicenow_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	username = "shdmc.integration"
	password = "Sn0w-SECRET-passWORD!"
)

// fakeIncident is one record of the fake incident table; fields as the
// Table API keeps them, strings.
type fakeIncident struct {
	Fields    map[string]string
	WorkNotes []string
	Comments  []string
	Deleted   bool
}

// fakeServiceNow implements the documented contract of the Table API for
// the incident table: basic authentication, POST (201, {"result": {…}}),
// GET of a record and of a list with sysparm_query (correlation_id=…,
// ^ORDERBY…), sysparm_fields and sysparm_limit, PATCH (200), journal
// fields (work_notes, comments) that are appended to rather than stored,
// unknown fields ignored on write, and the error bodies ({"error":
// {"message", "detail"}, "status": "failure"}).
type fakeServiceNow struct {
	t           *testing.T
	mu          sync.Mutex
	records     []*fakeIncident
	requests    []string
	createDelay time.Duration
	// columns are the incident's columns; a write ignores others, as the
	// Table API does.
	columns []string
	fault   func(w http.ResponseWriter, r *http.Request) bool
	url     string
}

func newFake(t *testing.T) *fakeServiceNow {
	f := &fakeServiceNow{t: t, columns: []string{"short_description", "description", "correlation_id", "correlation_display",
		"state", "close_code", "close_notes", "assignment_group", "category", "impact", "urgency", "caller_id"}}
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

func snError(w http.ResponseWriter, status int, msg, detail string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "detail": detail}, "status": "failure"})
}

func (f *fakeServiceNow) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if f.fault != nil && f.fault(w, r) {
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != username || p != password {
		snError(w, 401, "User Not Authenticated", "Required to provide Auth information")
		return
	}
	if r.Header.Get("Accept") != "application/json" {
		f.t.Errorf("%s %s: Accept %q", r.Method, r.URL, r.Header.Get("Accept"))
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/now/table/")
	if !ok {
		snError(w, 400, "Requested URI does not represent any resource", "")
		return
	}
	tbl, sysID, _ := strings.Cut(rest, "/")
	if tbl != "incident" {
		snError(w, 400, "Invalid table "+tbl, "")
		return
	}
	var in map[string]any
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &in); err != nil {
			snError(w, 400, "Exception while reading request", "The payload is not valid JSON.")
			return
		}
	}
	q := r.URL.Query()
	switch {
	case sysID == "" && r.Method == http.MethodPost:
		f.create(w, in, q.Get("sysparm_fields"))
	case sysID == "" && r.Method == http.MethodGet:
		f.list(w, q)
	case sysID != "" && r.Method == http.MethodGet:
		f.withRecord(w, sysID, func(rec *fakeIncident) {
			writeJSON(w, 200, map[string]any{"result": project(rec, q.Get("sysparm_fields"))})
		})
	case sysID != "" && (r.Method == http.MethodPatch || r.Method == http.MethodPut):
		f.withRecord(w, sysID, func(rec *fakeIncident) {
			f.write(rec, in)
			writeJSON(w, 200, map[string]any{"result": project(rec, q.Get("sysparm_fields"))})
		})
	default:
		snError(w, 405, "Method not Supported", "")
	}
}

// project returns the fields of a record that sysparm_fields names (all
// when empty).
func project(rec *fakeIncident, fields string) map[string]string {
	out := map[string]string{}
	for k, v := range rec.Fields {
		if fields == "" || slices.Contains(strings.Split(fields, ","), k) {
			out[k] = v
		}
	}
	return out
}

// write applies a request body: columns are set, journal fields
// appended, the rest ignored.
func (f *fakeServiceNow) write(rec *fakeIncident, in map[string]any) {
	for k, v := range in {
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		switch {
		case k == "work_notes":
			rec.WorkNotes = append(rec.WorkNotes, s)
		case k == "comments":
			rec.Comments = append(rec.Comments, s)
		case slices.Contains(f.columns, k):
			rec.Fields[k] = s
		}
	}
}

func (f *fakeServiceNow) create(w http.ResponseWriter, in map[string]any, fields string) {
	time.Sleep(f.createDelay)
	f.mu.Lock()
	n := len(f.records) + 1
	sum := sha256.Sum256(fmt.Appendf(nil, "incident-%d", n))
	rec := &fakeIncident{Fields: map[string]string{"sys_id": hex.EncodeToString(sum[:16]), "number": fmt.Sprintf("INC%07d", 10000+n),
		"state": "1", "sys_created_on": fmt.Sprintf("2023-05-25 20:%02d:00", n)}}
	f.write(rec, in)
	f.records = append(f.records, rec)
	out := project(rec, fields)
	f.mu.Unlock()
	w.Header().Set("Location", f.url+"/api/now/table/incident/"+rec.Fields["sys_id"])
	writeJSON(w, 201, map[string]any{"result": out})
}

// list answers a GET of the table: the fake understands the encoded
// queries "<field>=<value>" joined by "^", and "^ORDERBY<field>".
func (f *fakeServiceNow) list(w http.ResponseWriter, q map[string][]string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var conds [][2]string
	for part := range strings.SplitSeq(get("sysparm_query"), "^") {
		if part == "" || strings.HasPrefix(part, "ORDERBY") {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			snError(w, 400, "the fake does not understand the query part "+part, "")
			return
		}
		conds = append(conds, [2]string{k, v})
	}
	if !strings.Contains(get("sysparm_query"), "ORDERBYsys_created_on") {
		f.t.Errorf("query %q is not ordered by creation: the oldest incident must win", get("sysparm_query"))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]string{}
	for _, rec := range f.records {
		match := !rec.Deleted
		for _, c := range conds {
			match = match && rec.Fields[c[0]] == c[1]
		}
		if match {
			out = append(out, project(rec, get("sysparm_fields")))
		}
	}
	if get("sysparm_limit") == "1" && len(out) > 1 {
		out = out[:1]
	}
	writeJSON(w, 200, map[string]any{"result": out})
}

func (f *fakeServiceNow) withRecord(w http.ResponseWriter, sysID string, fn func(*fakeIncident)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rec := range f.records {
		if rec.Fields["sys_id"] == sysID && !rec.Deleted {
			fn(rec)
			return
		}
	}
	snError(w, 404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
}

func (f *fakeServiceNow) snapshot() []fakeIncident {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeIncident
	for _, rec := range f.records {
		c := *rec
		c.Fields = map[string]string{}
		for k, v := range rec.Fields {
			c.Fields[k] = v
		}
		out = append(out, c)
	}
	return out
}
