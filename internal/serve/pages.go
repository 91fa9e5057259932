package serve

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/store"
)

//go:embed templates/*.html static/style.css static/live.js
var assets embed.FS

func (s *Server) parseTemplates() (*template.Template, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"join":  strings.Join,
		"dict2": func(v view, posts []postView) map[string]any { return map[string]any{"V": v, "Posts": posts} },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"fill": func(tmpl string, kv ...any) string {
			for i := 0; i+1 < len(kv); i += 2 {
				tmpl = strings.ReplaceAll(tmpl, "{"+fmt.Sprint(kv[i])+"}", fmt.Sprint(kv[i+1]))
			}
			return tmpl
		},
	}).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	return t, nil
}

func (s *Server) handleCSS(w http.ResponseWriter, _ *http.Request) {
	b, err := assets.ReadFile("static/style.css")
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(b)
}

func (s *Server) handleJS(w http.ResponseWriter, _ *http.Request) {
	b, err := assets.ReadFile("static/live.js")
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(b)
}

// page is the data every template gets.
type page struct {
	V     view
	Title string
	Nav   string
	Stale []staleRow
	// StaleMore counts the stale sources the banner does not name.
	StaleMore string
	Query     url.Values
	Data      any
	// Version, set on the dashboard, is the snapshot's version: the
	// page's script reloads the page's content when /api/v1/status
	// reports another one.
	Version string
	// Live is set on every page the server renders (not the static
	// site): the page loads static/live.js, which keeps "polled … ago"
	// current and greys the page out when its data is stale.
	Live *liveInfo
	// PageStale is true when no source was polled successfully for three
	// intervals: the page is greyed out.
	PageStale bool
}

// liveInfo is what the page's script needs: the server's clock, the
// newest poll, and how often to ask whether anything changed.
type liveInfo struct {
	Now, LastPoll string // RFC 3339
	RefreshMS     int64
	StaleAfterS   int64
}

// staleShown is how many stale sources the banner names.
const staleShown = 10

type staleRow struct {
	Tenant, Source, Last string
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p page) {
	var states []store.SourceState
	if !p.V.Static { // an archive outlives the staleness of its day
		var err error
		if states, err = s.pageStates(r.Context()); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	now := s.now()
	var last time.Time
	for _, st := range states {
		if st.UpdatedAt.After(last) {
			last = st.UpdatedAt
		}
	}
	if !p.V.Static {
		p.Live = &liveInfo{Now: p.V.ISO(now), LastPoll: p.V.ISO(last), RefreshMS: s.o.Refresh.Milliseconds(),
			StaleAfterS: int64((3 * s.o.Interval).Seconds())}
		p.PageStale = s.pageStale(len(states), last)
	}
	var stale []store.SourceState
	for _, st := range states {
		if s.isStale(st, now) {
			stale = append(stale, st)
		}
	}
	// The longest without a poll first; a thousand tenants' outage names
	// staleShown of them and counts the others.
	slices.SortStableFunc(stale, func(a, b store.SourceState) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	for i, st := range stale {
		if i == staleShown {
			p.StaleMore = p.V.F("stale.more", "n", len(stale)-staleShown)
			break
		}
		last := p.V.T("stale.never")
		if !st.UpdatedAt.IsZero() {
			last = p.V.Time(st.UpdatedAt)
		}
		p.Stale = append(p.Stale, staleRow{st.Tenant, string(st.Source), last})
	}
	p.Query = r.URL.Query()
	var b strings.Builder
	if err := s.tmpl.ExecuteTemplate(&b, name, p); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// fail answers 500 without details (which could name internals) and logs.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	s.log.Warn("request_failed", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// isStale reports whether a source has not been polled successfully for
// three intervals.
func (s *Server) isStale(st store.SourceState, now time.Time) bool {
	every, polled := s.o.Interval, true
	if s.o.Polled != nil {
		var d time.Duration
		if d, polled = s.o.Polled(st.Tenant, st.Source); d > 0 {
			every = d
		}
	}
	return polled && (st.UpdatedAt.IsZero() || now.Sub(st.UpdatedAt) > 3*every)
}

// statesCache holds the source states pages were last rendered with.
type statesCache struct {
	mu     sync.Mutex
	states []store.SourceState
	read   time.Time // real time, not the server's clock (tests stop it)
}

// statesTTL is how long pages reuse the source states they read: the
// staleness banner and the time of the last poll need no more than a
// second's precision, and an MSP's 10,000 tenants are 20,000 rows.
const statesTTL = time.Second

// pageStates returns every source's state, read at most once per
// statesTTL for all pages together. The API, /healthz, /readyz and
// /metrics read it afresh.
func (s *Server) pageStates(ctx context.Context) ([]store.SourceState, error) {
	s.statesC.mu.Lock()
	if s.statesC.states != nil && time.Since(s.statesC.read) < statesTTL {
		states := s.statesC.states
		s.statesC.mu.Unlock()
		return states, nil
	}
	s.statesC.mu.Unlock()
	read := time.Now()
	states, err := s.rd.SourceStates(ctx)
	if err != nil {
		return nil, err
	}
	if states == nil {
		states = []store.SourceState{}
	}
	s.statesC.mu.Lock()
	if read.After(s.statesC.read) {
		s.statesC.states, s.statesC.read = states, read
	}
	s.statesC.mu.Unlock()
	return states, nil
}

func page0(v view, title, nav string, data any) page {
	return page{V: v, Title: title, Nav: nav, Data: data}
}

// allItems pages through SearchItems (bounded to 20,000 items).
func (s *Server) allItems(ctx context.Context, q store.ItemQuery) ([]store.Item, error) {
	var out []store.Item
	err := s.eachItem(ctx, q, 20, func(it store.Item) error {
		out = append(out, it)
		return nil
	})
	return out, err
}

// eachItem calls fn for every item matching q, walking keyset pages of
// 1,000, at most maxPages of them.
func (s *Server) eachItem(ctx context.Context, q store.ItemQuery, maxPages int, fn func(store.Item) error) error {
	q.Limit, q.Offset, q.NoCount = 1000, 0, true
	for i := 0; i < maxPages; i++ {
		p, err := s.rd.SearchItems(ctx, q)
		if err != nil {
			return err
		}
		for _, it := range p.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if !p.More {
			return nil
		}
		q.After = p.Next
	}
	return nil
}

func itemPath(k model.ItemKey) string {
	return "/items/" + url.PathEscape(k.Tenant) + "/" + url.PathEscape(string(k.Source)) + "/" + url.PathEscape(k.ID)
}

// ---- lists ----

// queryOf reads the list filters from query parameters (shared by the
// dashboard lists, the API and the feeds).
func queryOf(q url.Values) (store.ItemQuery, error) {
	iq := store.ItemQuery{
		Source: model.Source(q.Get("source")), Status: q.Get("status"), Classification: q.Get("classification"),
		Category: q.Get("category"), Severity: q.Get("severity"), Service: q.Get("service"), Tag: q.Get("tag"),
		Text: strings.TrimSpace(q.Get("q")),
	}
	if t := q["tenant"]; len(t) > 0 && t[0] != "" {
		iq.Tenants = t
	}
	for name, dst := range map[string]**bool{"active": &iq.Active, "major": &iq.Major, "relevant": &iq.Relevant} {
		switch q.Get(name) {
		case "":
		case "1", "true", "on", "yes":
			b := true
			*dst = &b
		case "0", "false", "off", "no":
			b := false
			*dst = &b
		default:
			return iq, fmt.Errorf("%s must be true or false", name)
		}
	}
	switch h := q.Get("handling"); {
	case h == "" || h == "mine": // mine: the caller knows the user (resolveMine)
	case model.Handling(h).Known():
		iq.Handling = model.Handling(h)
	default:
		return iq, errors.New("handling must be open, acknowledged, done, not_applicable or mine")
	}
	iq.Owner = strings.TrimSpace(q.Get("owner"))
	switch q.Get("only_tenant") {
	case "", "0", "false", "off", "no":
	case "1", "true", "on", "yes":
		iq.OnlyTenant = true
	default:
		return iq, errors.New("only_tenant must be true or false")
	}
	if a := q.Get("action_before"); a != "" {
		t, err := time.Parse("2006-01-02", a)
		if err != nil {
			return iq, fmt.Errorf("action_before must be a date (2006-01-02): %w", err)
		}
		iq.ActionBefore = t
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return iq, errors.New("limit must be a positive number")
		}
		iq.Limit = n
	}
	iq.After = q.Get("after")
	if o := q.Get("offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 {
			return iq, errors.New("offset must be a number >= 0")
		}
		iq.Offset = n
	}
	return iq, nil
}

// totalText is the number of matches, "1000+" when it was capped.
func totalText(p store.ItemPage) string {
	if p.Exact {
		return strconv.Itoa(p.Total)
	}
	return strconv.Itoa(p.Total) + "+"
}

// revisions returns the revisions of one item of one tenant and source.
func (s *Server) revisions(ctx context.Context, key model.ItemKey) ([]store.Revision, error) {
	all, err := s.st.History(ctx, key.Tenant, key.ID)
	if err != nil {
		return nil, err
	}
	var out []store.Revision
	for _, r := range all {
		if r.Key.Source == key.Source && r.Key.Tenant == key.Tenant {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, store.ErrNotFound
	}
	return out, nil
}

// revisionLines is the readable form of a revision that diffs compare:
// one line per field, then the body section by section (MC) or the posts
// (issues).
func revisionLines(v view, r store.Revision) []string {
	var out []string
	add := func(label, val string) {
		if val != "" {
			out = append(out, label+": "+val)
		}
	}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return v.Time(t)
	}
	switch r.Key.Source {
	case model.SourceMC:
		var m model.Message
		if json.Unmarshal(r.Data, &m) != nil {
			return []string{string(r.Data)}
		}
		add(v.T("col.title"), m.Title)
		add(v.T("label.category"), v.Enum("category", string(m.Category)))
		add(v.T("label.severity"), v.Enum("severity", string(m.Severity)))
		add(v.T("label.services"), strings.Join(m.Services, ", "))
		add(v.T("label.tags"), strings.Join(m.Tags, ", "))
		if m.IsMajorChange {
			add(v.T("label.majorChange"), v.T("value.yes"))
		}
		if !m.ActionRequiredBy.IsZero() {
			add(v.T("label.actionRequiredBy"), v.Date(m.ActionRequiredBy))
		}
		add(v.T("label.published"), tm(m.Start))
		add(v.T("label.expires"), tm(m.End))
		for _, sec := range htmltext.Sections(m.Body) {
			if sec.Heading != "" {
				out = append(out, "## "+sec.Heading)
			}
			for _, l := range strings.Split(sec.Text, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, l)
				}
			}
		}
	case model.SourceSHD:
		var is model.Issue
		if json.Unmarshal(r.Data, &is) != nil {
			return []string{string(r.Data)}
		}
		add(v.T("col.title"), is.Title)
		add(v.T("label.status"), v.Enum("status", string(is.Status)))
		add(v.T("label.classification"), v.Enum("classification", string(is.Classification)))
		add(v.T("label.service"), is.Service)
		add(v.T("label.userImpact"), is.ImpactDescription)
		add(v.T("label.startTime"), tm(is.Start))
		add(v.T("label.endTime"), tm(is.End))
		for _, p := range is.Posts {
			out = append(out, "## "+tm(p.Created))
			for _, l := range strings.Split(htmltext.Text(p.Content), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, l)
				}
			}
		}
	default:
		var sh model.ServiceHealth
		_ = json.Unmarshal(r.Data, &sh)
		add(v.T("label.service"), sh.Service)
		add(v.T("label.status"), v.Enum("status", string(sh.Status)))
	}
	if r.Removed {
		out = append(out, v.T("item.removed"))
	}
	return out
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	states, err := s.rd.SourceStates(r.Context())
	if err != nil {
		s.log.Warn("readiness_store_failed", "err", err)
		http.Error(w, "store unreachable", http.StatusServiceUnavailable)
		return
	}
	now := s.now()
	var stale []string
	for _, st := range states {
		if s.isStale(st, now) {
			stale = append(stale, st.Tenant+"/"+string(st.Source))
		}
	}
	if len(stale) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		if s.readyDetail(r) {
			fmt.Fprintf(w, "stale: %s\n", strings.Join(stale, " "))
		} else {
			fmt.Fprintf(w, "stale: %d of %d sources\n", len(stale), len(states))
		}
		return
	}
	fmt.Fprintln(w, "ready")
}

// readyDetail reports whether /readyz may name the stale tenants: /readyz
// answers without credentials (probes have none), so tenant names go only
// to an authenticated client, or, when there is no authentication, to one
// on loopback.
func (s *Server) readyDetail(r *http.Request) bool {
	if s.o.Auth.enabled() {
		return s.authorized(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	return err == nil && netsafe.IsLoopback(host)
}
