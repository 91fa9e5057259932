package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

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
