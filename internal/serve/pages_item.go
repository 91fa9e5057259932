package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

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
