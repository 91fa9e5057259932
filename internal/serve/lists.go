package serve

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// msgRow is one row of a list (and of a feed).
type msgRow struct {
	Tenant, ID, Title, Category, Severity, Services, Tags, ActionBy, Modified, Link, Status, Kind string
	Major, Removed                                                                                bool
	// TitleOrig is the English title when Title is a translation.
	TitleOrig string
	// ActionRel counts down to the action-required date ("in 12 days",
	// "overdue by 3 days"); ActionClass is "overdue", "soon" or "".
	ActionRel, ActionClass string
	// ActionAt and ModifiedAt are RFC 3339, for sorting.
	ActionAt, ModifiedAt string
	// Level is an active issue's level (levelNames), "" otherwise.
	Level, LevelWord string
	// RemovedWord marks an item gone from the source: "Withdrawn" for
	// Message Center posts.
	RemovedWord string
	statusRaw   string
	// Own is the item's handling when someone acted on it.
	Own *ownView
	// Extra is the row's relevance, tickets and comparison across
	// tenants (msp.go).
	Extra rowExtras
	// P is what every row of the page shares (set by handleList).
	P *rowPage
}

// rowPage is what the rows of a list share: looked up once per page
// rather than once per cell (a page of 50 rows made 600 translation
// calls through the template engine for its cells' labels).
type rowPage struct {
	Source string
	Multi  bool
	// The cells' labels (data-label, shown above each cell on a phone).
	ID, Title, Major, Tenant, Category, Severity, Services, ActionBy, Status, Service, Modified, Rel, Across string
}

// listCol is a column header of a list: a link that sorts by it.
type listCol struct {
	Key, Label, Link string
	Dir              string // "asc" or "desc" when the list is sorted by it
}

// tabLink is one tab of a list (Active, History, All).
type tabLink struct {
	Key, Label, Link string
	Current          bool
}

// facet is a filter whose choices are the values present in the list.
type facet struct {
	Name, Label string
	Options     []facetOpt
	// Body is the options written out, with their counts (rows.go).
	Body template.HTML
}

type facetOpt struct {
	Value, Label string
	N            int
	Selected     bool
}

// elsewhere is an item whose ID was searched for in the other list.
type elsewhere struct {
	Where, ID, Tenant, Link string
}

type listData struct {
	Source string
	Rows   []msgRow
	// Body is the rows written out (rows.go).
	Body           template.HTML
	Total          string
	From, To       int
	Prev, Next     string
	RSS, Atom, ICS string
	Tabs           []tabLink
	Cols           []listCol
	Facets         []facet
	Scanned        string
	Elsewhere      []elsewhere
	ElsewhereLabel string
	// Sorted is true when the columns are links that sort.
	Sorted bool
	// Results is the word after Total ("results", "result").
	Results string
	// TenantOptions and HandlingOptions are the choices of the tenant and
	// handling filters written out (rows.go): a thousand tenants made three
	// thousand template actions on every page.
	TenantOptions, HandlingOptions template.HTML
	// Multi is true when the store has several tenants: the rows compare
	// their items across tenants (msp.go).
	Multi bool
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	s.handleList(w, r, model.SourceMC, "nav.messages", "messages")
}

func (s *Server) handleIssues(w http.ResponseWriter, r *http.Request) {
	s.handleList(w, r, model.SourceSHD, "nav.issues", "issues")
}

// listSort is the sort order of a list: a column key and a direction.
type listSort struct {
	Key  string
	Desc bool
}

// sortKeys are the sortable columns of each list, in display order.
var sortKeys = map[model.Source][]string{
	model.SourceSHD: {"id", "title", "tenant", "status", "service", "modified"},
	model.SourceMC:  {"id", "title", "tenant", "category", "severity", "services", "action", "modified"},
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, src model.Source, titleKey, nav string) {
	ctx := r.Context()
	v := s.viewOf(r)
	q := r.URL.Query()
	iq, err := queryOf(q)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.resolveMine(r, &iq)
	iq.Source = src
	if iq.Limit == 0 {
		iq.Limit = 50
	}
	iq.Limit = min(iq.Limit, 200)
	srt := listSort{Key: "modified", Desc: true}
	if k := q.Get("sort"); k != "" {
		for _, c := range sortKeys[src] {
			if c == k {
				srt = listSort{Key: k, Desc: q.Get("dir") == "desc"}
			}
		}
	}
	// Tabs: Active (the default), History (resolved or withdrawn) and All
	// (the default of a search). An explicit ?active= wins.
	tab := q.Get("tab")
	if tab != "active" && tab != "history" && tab != "all" {
		tab = "active"
		if iq.Text != "" {
			tab = "all"
		}
	}
	if v.Static {
		iq.IncludeRemoved, iq.NoCount = true, true
		tab = ""
	} else if q.Get("active") == "" {
		yes, no := true, false
		switch tab {
		case "active":
			iq.Active = &yes
		case "history":
			iq.Active, iq.IncludeRemoved = &no, true
		case "all":
			iq.IncludeRemoved = true
		}
	} else {
		tab = ""
	}
	tenants, err := s.st.Tenants(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now()
	d := listData{Source: string(src), Sorted: !v.Static}
	pageLink := func(off int) string {
		c := url.Values{}
		for k, vs := range q {
			c[k] = vs
		}
		c.Set("offset", strconv.Itoa(off))
		return r.URL.Path + "?" + c.Encode()
	}
	var rows []msgRow
	if v.Static || srt == (listSort{Key: "modified", Desc: true}) {
		// The store pages the list itself, newest first, searched or not.
		res, err := s.rd.SearchItems(ctx, iq)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Total = totalText(res)
		for _, it := range res.Items {
			rows = append(rows, rowOf(v, it))
		}
		if len(res.Items) > 0 {
			d.From, d.To = iq.Offset+1, iq.Offset+len(res.Items)
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
	} else {
		// Sorted by another column: the newest maxScan items, in memory.
		items, truncated, err := s.findItems(ctx, iq)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		all := make([]msgRow, len(items))
		for i, it := range items {
			all[i] = rowOf(v, it)
		}
		sortRows(all, srt)
		d.Total = strconv.Itoa(len(all))
		if truncated {
			d.Total += "+"
			d.Scanned = v.F("results.scanned", "n", maxScan)
		}
		lo, hi := min(iq.Offset, len(all)), min(iq.Offset+iq.Limit, len(all))
		rows = all[lo:hi]
		if hi > lo {
			d.From, d.To = lo+1, hi
		}
		if lo > 0 {
			d.Prev = pageLink(max(lo-iq.Limit, 0))
		}
		if hi < len(all) {
			d.Next = pageLink(hi)
		}
	}
	if !v.Static {
		d.Elsewhere, d.ElsewhereLabel = s.elsewhere(r, v, src, iq.Text)
	}
	keys := make([]model.ItemKey, len(rows))
	for i := range rows {
		s.dress(r, v, &rows[i], now)
		keys[i] = model.ItemKey{Tenant: rows[i].Tenant, Source: src, ID: rows[i].ID}
	}
	if len(keys) > 0 {
		hs, err := s.st.Handlings(ctx, keys)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for i, k := range keys {
			if h, ok := hs[k]; ok {
				rows[i].Own = ownOf(v, h)
			}
		}
	}
	s.decorate(ctx, v, src, rows, len(tenants))
	d.Multi = len(tenants) > 1
	rp := &rowPage{Source: d.Source, Multi: d.Multi,
		ID: v.T("col.id"), Title: v.T("col.title"), Major: v.T("label.majorChange"), Tenant: v.T("label.tenant"),
		Category: v.T("label.category"), Severity: v.T("label.severity"), Services: v.T("label.services"),
		ActionBy: v.T("label.actionRequiredBy"), Status: v.T("label.status"), Service: v.T("label.service"),
		Modified: v.T("label.lastUpdated"), Rel: v.T("rel.label"), Across: v.T("across.col")}
	for i := range rows {
		rows[i].P = rp
	}
	d.Body = rowsHTML(rows)
	d.Results = v.T("results")
	if d.Total == "1" {
		d.Results = v.T("results.one")
	}

	// Tabs and column headers keep the other parameters.
	link := func(set map[string]string, drop ...string) string {
		c := url.Values{}
		for k, vs := range q {
			c[k] = vs
		}
		for _, k := range append(drop, "offset", "after") {
			c.Del(k)
		}
		for k, val := range set {
			c.Set(k, val)
		}
		if len(c) == 0 {
			return r.URL.Path
		}
		return r.URL.Path + "?" + c.Encode()
	}
	if !v.Static {
		activeKey := "tab.active"
		if src == model.SourceMC {
			activeKey = "tab.current"
		}
		for _, t := range []struct{ key, label string }{{"active", activeKey}, {"history", "tab.history"}, {"all", "tab.all"}} {
			d.Tabs = append(d.Tabs, tabLink{Key: t.key, Label: v.T(t.label), Current: tab == t.key,
				Link: link(map[string]string{"tab": t.key}, "active")})
		}
	}
	labels := map[string]string{"id": v.T("col.id"), "title": v.T("col.title"), "tenant": v.T("label.tenant"),
		"status": v.T("label.status"), "service": v.T("label.service"), "modified": v.T("label.lastUpdated"),
		"category": v.T("label.category"), "severity": v.T("label.severity"), "services": v.T("label.services"),
		"action": v.T("label.actionRequiredBy")}
	for _, k := range sortKeys[src] {
		c := listCol{Key: k, Label: labels[k]}
		if !v.Static {
			dir := "asc"
			if k == "modified" {
				dir = "desc" // newest first is what a reader wants first
			}
			if srt.Key == k {
				c.Dir, dir = "asc", "desc"
				if srt.Desc {
					c.Dir, dir = "desc", "asc"
				}
			}
			c.Link = link(map[string]string{"sort": k, "dir": dir})
		}
		d.Cols = append(d.Cols, c)
	}
	if !v.Static {
		d.Facets = s.facets(r, v, src, q)
		for i := range d.Facets {
			d.Facets[i].Body = optionsHTML(d.Facets[i].Options, true)
		}
		var hs []facetOpt
		for _, h := range []string{"open", "acknowledged", "done", "not_applicable", "mine"} {
			label := v.Enum("handling", h)
			if h == "mine" {
				label = v.T("filter.mine")
			}
			hs = append(hs, facetOpt{Value: h, Label: label, Selected: q.Get("handling") == h})
		}
		d.HandlingOptions = optionsHTML(hs, false)
		ts := make([]facetOpt, len(tenants))
		for i, tn := range tenants {
			ts[i] = facetOpt{Value: tn.ID, Label: tn.ID, Selected: tn.ID == q.Get("tenant")}
		}
		d.TenantOptions = optionsHTML(ts, false)
	}

	// Feeds of the same filter (the tab's included).
	fq := url.Values{}
	for k, vs := range q {
		if k != "offset" && k != "limit" && k != "tab" && k != "sort" && k != "dir" {
			fq[k] = vs
		}
	}
	if tab == "active" {
		fq.Set("active", "true")
	} else if tab == "history" {
		fq.Set("active", "false")
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

// sortRows sorts rows by a column; ties keep the newest first.
func sortRows(rows []msgRow, srt listSort) {
	key := func(m msgRow) string {
		switch srt.Key {
		case "id":
			return m.ID
		case "title":
			return strings.ToLower(m.Title)
		case "tenant":
			return m.Tenant
		case "status":
			return strconv.Itoa(9-levelRank(m.Level)) + m.Status
		case "service", "services":
			return strings.ToLower(m.Services)
		case "category":
			return m.Category
		case "severity":
			return map[string]string{"critical": "0", "high": "1", "normal": "2"}[m.Severity] + m.Severity
		case "action":
			if m.ActionAt == "" {
				if srt.Desc {
					return ""
				}
				return "\uffff"
			}
			return m.ActionAt
		}
		return m.ModifiedAt
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].ModifiedAt > rows[j].ModifiedAt })
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := key(rows[i]), key(rows[j])
		if srt.Desc {
			return a > b
		}
		return a < b
	})
}

// rowOf is the row of an item in the reader's language (but for its
// title: dress translates it).
func rowOf(v view, it store.Item) msgRow {
	row := msgRow{Tenant: it.Key.Tenant, ID: it.Key.ID, Link: v.Link(itemPath(it.Key)), Modified: v.Time(it.LastModified),
		ModifiedAt: v.ISO(it.LastModified), Removed: it.Removed}
	if it.Removed {
		row.RemovedWord = v.T("value.removed")
	}
	switch it.Key.Source {
	case model.SourceMC:
		var m model.Message
		if json.Unmarshal(it.Data, &m) == nil {
			svcs := make([]string, len(m.Services))
			for i, sv := range m.Services {
				svcs[i] = v.Enum("service", sv)
			}
			row.Title, row.Category, row.Severity = m.Title, v.Enum("category", string(m.Category)), v.Enum("severity", string(m.Severity))
			tags := make([]string, len(m.Tags))
			for i, t := range m.Tags {
				tags[i] = v.Enum("tag", t)
			}
			row.Services, row.Tags, row.Major = strings.Join(svcs, ", "), strings.Join(tags, ", "), m.IsMajorChange
			if !m.ActionRequiredBy.IsZero() {
				row.ActionBy, row.ActionAt = v.Date(m.ActionRequiredBy), v.ISO(m.ActionRequiredBy)
			}
		}
		if it.Removed {
			row.RemovedWord = v.T("value.withdrawn")
		}
	case model.SourceSHD:
		var is model.Issue
		if json.Unmarshal(it.Data, &is) == nil {
			row.Title, row.Services = is.Title, v.Enum("service", is.Service)
			row.Status, row.Kind, row.statusRaw = v.Enum("status", string(is.Status)), v.Enum("classification", string(is.Classification)), string(is.Status)
			lv := issueLevel(&is)
			if it.Removed {
				lv = levelOperational
			}
			row.Level, row.LevelWord = lv.String(), v.T("level."+lv.String())
		}
	}
	return row
}

// dress adds what a shown row needs beyond rowOf: the title in the
// reader's language and the countdown to the action-required date.
func (s *Server) dress(r *http.Request, v view, row *msgRow, now time.Time) {
	if t, ok := s.translateLine(r.Context(), v.Lang, row.Title); ok {
		row.Title, row.TitleOrig = t, row.Title
	}
	if row.ActionAt != "" && !row.Removed {
		if t, err := time.Parse(time.RFC3339, row.ActionAt); err == nil {
			row.ActionRel, row.ActionClass = v.Due(t, now)
		}
	}
}

// facets are the list's filters with the values present in its items
// (every item of the source, withdrawn ones too), each with its count.
func (s *Server) facets(r *http.Request, v view, src model.Source, q url.Values) []facet {
	vals, err := s.facetValues(r.Context(), src)
	if err != nil {
		s.log.Warn("facets_failed", "err", err)
		return nil
	}
	mk := func(name, label string, counts map[string]int, word func(string) string) facet {
		f := facet{Name: name, Label: label}
		for val, n := range counts {
			f.Options = append(f.Options, facetOpt{Value: val, Label: word(val), N: n, Selected: q.Get(name) == val})
		}
		sort.Slice(f.Options, func(i, j int) bool { return f.Options[i].Label < f.Options[j].Label })
		return f
	}
	enum := func(prefix string) func(string) string { return func(s string) string { return v.Enum(prefix, s) } }
	out := []facet{mk("service", v.T("label.service"), vals.services, enum("service"))}
	if src == model.SourceSHD {
		out = append(out, mk("classification", v.T("label.classification"), vals.classifications, enum("classification")),
			mk("status", v.T("label.status"), vals.statuses, enum("status")))
	} else {
		out = append(out, mk("category", v.T("label.category"), vals.categories, enum("category")),
			mk("severity", v.T("label.severity"), vals.severities, enum("severity")),
			mk("tag", v.T("label.tags"), vals.tags, enum("tag")))
	}
	return out
}

// elsewhere finds the IDs searched for in the other list: every
// tenant's item of that ID, through the index by ID.
func (s *Server) elsewhere(r *http.Request, v view, src model.Source, text string) ([]elsewhere, string) {
	other, label := model.SourceMC, "nav.messages"
	if src == model.SourceMC {
		other, label = model.SourceSHD, "nav.issues"
	}
	var out []elsewhere
	for _, w := range strings.Fields(text) {
		if !idLike(w) {
			continue
		}
		cp, err := s.rd.ItemCopies(r.Context(), other, strings.ToUpper(w))
		if err != nil {
			s.log.Warn("elsewhere_failed", "err", err)
			continue
		}
		for _, c := range cp.Items {
			key := model.ItemKey{Tenant: c.Tenant, Source: other, ID: strings.ToUpper(w)}
			out = append(out, elsewhere{ID: key.ID, Tenant: key.Tenant, Link: v.Link(itemPath(key))})
		}
	}
	if len(out) == 0 {
		return nil, ""
	}
	return out, v.F("results.elsewhere", "where", v.T(label))
}
