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
	"strings"
	"time"

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
