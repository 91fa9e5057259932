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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

//go:embed templates/*.html static/style.css
var assets embed.FS

func (s *Server) parseTemplates() (*template.Template, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"join":  strings.Join,
		"dict2": func(v view, posts []postView) map[string]any { return map[string]any{"V": v, "Posts": posts} },
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

// page is the data every template gets.
type page struct {
	V     view
	Title string
	Nav   string
	Stale []staleRow
	Query url.Values
	Data  any
}

type staleRow struct {
	Tenant, Source, Last string
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p page) {
	var states []store.SourceState
	if !p.V.Static { // an archive outlives the staleness of its day
		var err error
		if states, err = s.rd.SourceStates(r.Context()); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	now := s.now()
	for _, st := range states {
		if s.isStale(st, now) {
			last := p.V.T("stale.never")
			if !st.UpdatedAt.IsZero() {
				last = p.V.Time(st.UpdatedAt)
			}
			p.Stale = append(p.Stale, staleRow{st.Tenant, string(st.Source), last})
		}
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
	return st.UpdatedAt.IsZero() || now.Sub(st.UpdatedAt) > 3*s.o.Interval
}

// ---- the dashboard ----

type tenantRow struct {
	ID, Name string
	Services []svcCell
}

type svcCell struct {
	Name, Status, Label string
	OK                  bool
}

type issueView struct {
	Tenant, ID, Title, Service, Status, Classification, Impact string
	Start, End, Modified                                       string
	Link                                                       string
	Resolved                                                   bool
	Posts                                                      []postView
}

type postView struct {
	Time     string
	Type     string
	HTML     template.HTML
	Trans    []string
	HasTrans bool
}

type dashData struct {
	Tenants   []tenantRow
	Incidents []issueView
}

func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := s.viewOf(r)
	tenants, err := s.st.Tenants(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	health, err := s.allItems(ctx, store.ItemQuery{Source: model.SourceHealth})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byTenant := map[string][]svcCell{}
	for _, it := range health {
		var sh model.ServiceHealth
		if json.Unmarshal(it.Data, &sh) != nil {
			continue
		}
		name := sh.Service
		if name == "" {
			name = sh.ID
		}
		byTenant[it.Key.Tenant] = append(byTenant[it.Key.Tenant], svcCell{
			Name: v.Enum("service", name), Status: string(sh.Status), Label: v.Enum("status", string(sh.Status)),
			OK: sh.Status == model.StatusServiceOperational,
		})
	}
	var d dashData
	seen := map[string]bool{}
	for _, t := range tenants {
		seen[t.ID] = true
		cells := byTenant[t.ID]
		sort.Slice(cells, func(i, j int) bool { return cells[i].Name < cells[j].Name })
		d.Tenants = append(d.Tenants, tenantRow{ID: t.ID, Name: t.Name, Services: cells})
	}
	for id, cells := range byTenant {
		if !seen[id] {
			sort.Slice(cells, func(i, j int) bool { return cells[i].Name < cells[j].Name })
			d.Tenants = append(d.Tenants, tenantRow{ID: id, Services: cells})
		}
	}
	yes := true
	page, err := s.rd.SearchItems(ctx, store.ItemQuery{Source: model.SourceSHD, Active: &yes, Limit: 200})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, it := range page.Items {
		iv, err := s.issueView(ctx, v, it, true)
		if err != nil {
			continue
		}
		d.Incidents = append(d.Incidents, iv)
	}
	s.render(w, r, "dashboard.html", page0(v, v.T("nav.dashboard"), "dashboard", d))
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

// issueView decodes an issue with its posts (newest first), each with
// its translation from the memory when the reader's language is not
// English.
func (s *Server) issueView(ctx context.Context, v view, it store.Item, translate bool) (issueView, error) {
	var is model.Issue
	if err := json.Unmarshal(it.Data, &is); err != nil {
		return issueView{}, fmt.Errorf("decode issue %s: %w", it.Key.ID, err)
	}
	iv := issueView{
		Tenant: it.Key.Tenant, ID: is.ID, Title: is.Title, Service: v.Enum("service", is.Service),
		Status: v.Enum("status", string(is.Status)), Classification: v.Enum("classification", string(is.Classification)),
		Impact: is.ImpactDescription, Start: v.Time(is.Start), End: v.Time(is.End), Modified: v.Time(is.LastModified),
		Link: v.Link(itemPath(it.Key)), Resolved: is.IsResolved,
	}
	posts := append([]model.Post(nil), is.Posts...)
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].Created.After(posts[j].Created) })
	for _, p := range posts {
		pv := postView{Time: v.Time(p.Created), Type: string(p.Type), HTML: template.HTML(render.SanitizeHTML(p.Content))}
		if translate && v.Lang != "en" {
			pv.Trans, pv.HasTrans = s.translatePost(ctx, v.Lang, p)
		}
		iv.Posts = append(iv.Posts, pv)
	}
	return iv, nil
}

// translatePost looks up the prose of one post in the translation memory;
// it reports whether any of it was found (the rest shows the original).
func (s *Server) translatePost(ctx context.Context, lang string, p model.Post) ([]string, bool) {
	ev := &model.Event{Source: model.SourceSHD, Issue: &model.Issue{Posts: []model.Post{p}}}
	return s.translateSegments(ctx, lang, ev)
}

// translateSegments looks up each prose segment of ev in the translation
// memory, keeping the original where there is none; it reports whether any
// translation was found.
func (s *Server) translateSegments(ctx context.Context, lang string, ev *model.Event) ([]string, bool) {
	var out []string
	found := false
	for _, seg := range render.Segments(ev) {
		tr, err := s.st.Translation(ctx, store.TranslationKey{Hash: translate.TextHash(seg), Source: "en", Target: lang,
			Provider: s.o.TranslationProvider, GlossaryVersion: s.o.GlossaryVersion})
		if err == nil {
			out = append(out, tr)
			found = true
			continue
		}
		out = append(out, seg)
	}
	return out, found
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
	for name, dst := range map[string]**bool{"active": &iq.Active, "major": &iq.Major} {
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

type msgRow struct {
	Tenant, ID, Title, Category, Severity, Services, Tags, ActionBy, Modified, Link, Status, Kind string
	Major, Removed                                                                                bool
}

type listData struct {
	Source                string
	Rows                  []msgRow
	Total                 string
	From, To              int
	Prev, Next            string
	RSS, Atom, ICS        string
	Tenants               []model.Tenant
	Categories, Severites []string
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	s.handleList(w, r, model.SourceMC, "nav.messages", "messages")
}

func (s *Server) handleIssues(w http.ResponseWriter, r *http.Request) {
	s.handleList(w, r, model.SourceSHD, "nav.issues", "issues")
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, src model.Source, titleKey, nav string) {
	v := s.viewOf(r)
	q := r.URL.Query()
	iq, err := queryOf(q)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	iq.Source = src
	if iq.Limit == 0 {
		iq.Limit = 50
	}
	iq.Limit = min(iq.Limit, 200)
	if v.Static {
		iq.IncludeRemoved, iq.NoCount = true, true
	}
	res, err := s.rd.SearchItems(r.Context(), iq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tenants, err := s.st.Tenants(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := listData{Source: string(src), Total: totalText(res), Tenants: tenants,
		Categories: []string{"preventOrFixIssue", "planForChange", "stayInformed"},
		Severites:  []string{"normal", "high", "critical"}}
	for _, it := range res.Items {
		d.Rows = append(d.Rows, rowOf(v, it))
	}
	if len(res.Items) > 0 {
		d.From, d.To = iq.Offset+1, iq.Offset+len(res.Items)
	}
	pageLink := func(off int) string {
		c := url.Values{}
		for k, vs := range q {
			c[k] = vs
		}
		c.Set("offset", strconv.Itoa(off))
		return r.URL.Path + "?" + c.Encode()
	}
	switch {
	case v.site != nil:
		n := v.site.page
		d.Total = strconv.Itoa(v.site.total)
		if len(res.Items) > 0 {
			d.From, d.To = n*iq.Limit+1, n*iq.Limit+len(res.Items)
		}
		if n > 0 {
			d.Prev = v.Link(r.URL.Path, "page", strconv.Itoa(n-1))
		}
		if res.More {
			d.Next = v.Link(r.URL.Path, "page", strconv.Itoa(n+1))
		}
	default:
		if iq.Offset > 0 {
			d.Prev = pageLink(max(iq.Offset-iq.Limit, 0))
		}
		if res.More {
			d.Next = pageLink(iq.Offset + iq.Limit)
		}
	}
	fq := url.Values{}
	for k, vs := range q {
		if k != "offset" && k != "limit" {
			fq[k] = vs
		}
	}
	fq.Set("source", string(src))
	d.RSS = "/feeds/rss?" + fq.Encode()
	d.Atom = "/feeds/atom?" + fq.Encode()
	d.ICS = "/feeds/calendar.ics?" + fq.Encode()
	if v.Static {
		d.RSS, d.Atom, d.ICS = v.Link("/feeds/rss", "source", string(src)), v.Link("/feeds/atom", "source", string(src)), v.Link("/feeds/calendar.ics")
	}
	s.render(w, r, "list.html", page0(v, v.T(titleKey), nav, d))
}

// totalText is the number of matches, "1000+" when it was capped.
func totalText(p store.ItemPage) string {
	if p.Exact {
		return strconv.Itoa(p.Total)
	}
	return strconv.Itoa(p.Total) + "+"
}

func rowOf(v view, it store.Item) msgRow {
	row := msgRow{Tenant: it.Key.Tenant, ID: it.Key.ID, Link: v.Link(itemPath(it.Key)), Modified: v.Time(it.LastModified), Removed: it.Removed}
	switch it.Key.Source {
	case model.SourceMC:
		var m model.Message
		if json.Unmarshal(it.Data, &m) == nil {
			svcs := make([]string, len(m.Services))
			for i, sv := range m.Services {
				svcs[i] = v.Enum("service", sv)
			}
			row.Title, row.Category, row.Severity = m.Title, v.Enum("category", string(m.Category)), v.Enum("severity", string(m.Severity))
			row.Services, row.Tags, row.Major = strings.Join(svcs, ", "), strings.Join(m.Tags, ", "), m.IsMajorChange
			if !m.ActionRequiredBy.IsZero() {
				row.ActionBy = v.Time(m.ActionRequiredBy)
			}
		}
	case model.SourceSHD:
		var is model.Issue
		if json.Unmarshal(it.Data, &is) == nil {
			row.Title, row.Services = is.Title, v.Enum("service", is.Service)
			row.Status, row.Kind = v.Enum("status", string(is.Status)), v.Enum("classification", string(is.Classification))
		}
	}
	return row
}

// ---- the item page ----

type revRow struct {
	N                int
	Seen, Modified   string
	Removed, Current bool
}

type itemData struct {
	Key            model.ItemKey
	Title          string
	Fields         [][2]string
	Body           template.HTML
	Issue          *issueView
	Removed        bool
	Revisions      []revRow
	From, To       int
	Diff           []diffLine
	DiffHeading    string
	Events         []eventRow
	Self           string
	TenantParam    string
	SourceParam    string
	Translations   []string
	HasTranslation bool
	// History is every revision as the diff from the one before (the
	// first from nothing): the static site's item pages.
	History []revDiff
}

// revDiff is one revision as the change from its predecessor.
type revDiff struct {
	N       int
	Heading string
	Lines   []diffLine
}

type eventRow struct {
	Type, Detected, Changes string
	Revision                int
}

func (s *Server) handleItem(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := s.viewOf(r)
	key := model.ItemKey{Tenant: r.PathValue("tenant"), Source: model.Source(r.PathValue("source")), ID: r.PathValue("id")}
	revs, err := s.revisions(ctx, key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur := revs[len(revs)-1]
	d := itemData{Key: key, Removed: cur.Removed, Self: itemPath(key)}
	for i := len(revs) - 1; i >= 0; i-- {
		rv := revs[i]
		d.Revisions = append(d.Revisions, revRow{N: rv.Revision, Seen: v.Time(rv.SeenAt), Modified: v.Time(rv.LastModified),
			Removed: rv.Removed, Current: i == len(revs)-1})
	}
	switch key.Source {
	case model.SourceSHD:
		iv, err := s.issueView(ctx, v, store.Item(cur), true)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Title, d.Issue = iv.Title, &iv
		d.Fields = [][2]string{{v.T("label.status"), iv.Status}, {v.T("label.classification"), iv.Classification},
			{v.T("label.service"), iv.Service}, {v.T("label.startTime"), iv.Start}, {v.T("label.endTime"), iv.End},
			{v.T("label.lastUpdated"), iv.Modified}, {v.T("label.userImpact"), iv.Impact}}
	case model.SourceMC:
		var m model.Message
		if err := json.Unmarshal(cur.Data, &m); err != nil {
			s.fail(w, r, fmt.Errorf("decode message %s: %w", key.ID, err))
			return
		}
		row := rowOf(v, store.Item(cur))
		d.Title = m.Title
		d.Fields = [][2]string{{v.T("label.category"), row.Category}, {v.T("label.severity"), row.Severity},
			{v.T("label.services"), row.Services}, {v.T("label.tags"), row.Tags}, {v.T("label.actionRequiredBy"), row.ActionBy},
			{v.T("label.published"), v.Time(m.Start)}, {v.T("label.expires"), v.Time(m.End)}, {v.T("label.lastUpdated"), row.Modified}}
		if m.IsMajorChange {
			d.Fields = append(d.Fields, [2]string{v.T("label.majorChange"), v.T("value.yes")})
		}
		d.Body = template.HTML(render.SanitizeHTML(m.Body))
		if v.Lang != "en" {
			d.Translations, d.HasTranslation = s.translateMessage(ctx, v.Lang, &m)
		}
	default:
		var sh model.ServiceHealth
		_ = json.Unmarshal(cur.Data, &sh)
		d.Title = sh.Service
		d.Fields = [][2]string{{v.T("label.status"), v.Enum("status", string(sh.Status))}, {v.T("label.serviceID"), sh.ID}}
	}
	// The diff: ?from=&to= or the last two revisions.
	d.From, d.To = max(cur.Revision-1, revs[0].Revision), cur.Revision
	if f, err := strconv.Atoi(r.URL.Query().Get("from")); err == nil {
		d.From = f
	}
	if t, err := strconv.Atoi(r.URL.Query().Get("to")); err == nil {
		d.To = t
	}
	var a, b *store.Revision
	for i := range revs {
		if revs[i].Revision == d.From {
			a = &revs[i]
		}
		if revs[i].Revision == d.To {
			b = &revs[i]
		}
	}
	if a != nil && b != nil && d.From != d.To {
		d.Diff = diffLines(revisionLines(v, *a), revisionLines(v, *b))
		d.DiffHeading = strings.NewReplacer("{from}", strconv.Itoa(d.From), "{to}", strconv.Itoa(d.To)).Replace(v.T("item.diff"))
	}
	if v.Static {
		var prev []string
		for i, rv := range revs {
			lines := revisionLines(v, rv)
			h := v.T("item.revision") + " " + strconv.Itoa(rv.Revision)
			if i > 0 {
				h = strings.NewReplacer("{from}", strconv.Itoa(revs[i-1].Revision), "{to}", strconv.Itoa(rv.Revision)).Replace(v.T("item.diff"))
			}
			d.History = append(d.History, revDiff{N: rv.Revision, Heading: h, Lines: diffLines(prev, lines)})
			prev = lines
		}
	}
	evs, err := s.st.Events(ctx, store.EventQuery{Tenant: key.Tenant, ItemID: key.ID, Limit: 500})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := len(evs) - 1; i >= 0; i-- {
		ev := evs[i]
		if ev.Source != key.Source {
			continue
		}
		var kinds []string
		for _, c := range ev.Changes {
			kinds = append(kinds, v.T("change."+string(c.Kind)))
		}
		d.Events = append(d.Events, eventRow{Type: string(ev.Type), Detected: v.Time(ev.DetectedAt), Changes: strings.Join(kinds, ", "), Revision: ev.Revision})
	}
	d.TenantParam, d.SourceParam = key.Tenant, string(key.Source)
	s.render(w, r, "item.html", page0(v, key.ID+" · "+d.Title, "", d))
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

// translateMessage looks up the prose of a whole Message Center post.
func (s *Server) translateMessage(ctx context.Context, lang string, m *model.Message) ([]string, bool) {
	ev := &model.Event{Source: model.SourceMC, Type: model.EventMessageNew, Message: m, Changes: []model.Change{{Kind: model.ChangeNew}}}
	return s.translateSegments(ctx, lang, ev)
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
		add(v.T("label.category"), string(m.Category))
		add(v.T("label.severity"), string(m.Severity))
		add(v.T("label.services"), strings.Join(m.Services, ", "))
		add(v.T("label.tags"), strings.Join(m.Tags, ", "))
		if m.IsMajorChange {
			add(v.T("label.majorChange"), v.T("value.yes"))
		}
		add(v.T("label.actionRequiredBy"), tm(m.ActionRequiredBy))
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
		add(v.T("label.status"), string(is.Status))
		add(v.T("label.classification"), string(is.Classification))
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
		add(v.T("label.status"), string(sh.Status))
	}
	if r.Removed {
		out = append(out, v.T("item.removed"))
	}
	return out
}

// ---- deliveries ----

type delivRow struct {
	ID                                                              int64
	Channel, Route, State, Created, Next, Error, Item, Link, Tenant string
	Attempts                                                        int
}

func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	v := s.viewOf(r)
	var states []store.DeliveryState
	if st := r.URL.Query().Get("state"); st != "" {
		states = []store.DeliveryState{store.DeliveryState(st)}
	}
	ds, err := s.st.Deliveries(r.Context(), states, 500)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var rows []delivRow
	for _, d := range ds {
		rows = append(rows, delivRow{ID: d.ID, Channel: d.Channel, Route: d.Route, State: string(d.State), Attempts: d.Attempts,
			Created: v.Time(d.CreatedAt), Next: v.Time(d.NextAttempt), Error: d.LastError, Item: d.Event.ItemID,
			Tenant: d.Event.Tenant, Link: v.Link(itemPath(d.Event.Key()))})
	}
	s.render(w, r, "deliveries.html", page0(v, v.T("deliv.title"), "deliveries", rows))
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
