package serve

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

type revRow struct {
	N                int
	Seen, Modified   string
	Removed, Current bool
}

// issueDetail is what an issue's page shows above its revisions.
type issueDetail struct {
	Level, LevelWord string
	Facts            issueFacts
	Posts            []postView
}

type itemData struct {
	Key         model.ItemKey
	Title       string
	TitleOrig   string
	Fields      [][2]string
	Body        template.HTML
	Issue       *issueDetail
	Removed     bool
	RemovedText string
	// ActionBy, ActionRel and ActionClass are a Message Center post's
	// action-required date and its countdown.
	ActionBy, ActionRel, ActionClass string
	Revisions                        []revRow
	From, To                         int
	Diff                             []diffBlock
	DiffHeading                      string
	// KeyChanges are the changes between From and To a reader needs
	// first (an action date moved, a status changed).
	KeyChanges  []string
	Events      []eventRow
	Self        string
	TenantParam string
	SourceParam string
	// Trans is a Message Center body in the reader's language, section by
	// section; HasTranslation reports whether the memory had any of it.
	Trans          []transBlock
	HasTranslation bool
	// History is every revision as the diff from the one before (the
	// first from nothing): the static site's item pages.
	History []revDiff
	// Own is the item's handling with its form (incidents, advisories
	// and Message Center posts only).
	Own *ownView
	// Extra is the item's relevance, tickets and comparison across
	// tenants (msp.go).
	Extra *itemExtras
}

// revDiff is one revision as the change from its predecessor.
type revDiff struct {
	N       int
	Heading string
	Blocks  []diffBlock
}

type eventRow struct {
	Type, Detected, Changes string
	Revision                int
}

func (s *Server) handleItem(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := s.viewOf(r)
	now := s.now()
	key := model.ItemKey{Tenant: r.PathValue("tenant"), Source: model.Source(r.PathValue("source")), ID: r.PathValue("id")}
	revs, err := s.revisions(ctx, key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur := revs[len(revs)-1]
	d := itemData{Key: key, Removed: cur.Removed, Self: itemPath(key)}
	if cur.Removed {
		d.RemovedText = v.T("item.removed")
		if key.Source == model.SourceMC {
			d.RemovedText = v.T("item.withdrawn")
		}
	}
	for i := len(revs) - 1; i >= 0; i-- {
		rv := revs[i]
		d.Revisions = append(d.Revisions, revRow{N: rv.Revision, Seen: v.Time(rv.SeenAt), Modified: v.Time(rv.LastModified),
			Removed: rv.Removed, Current: i == len(revs)-1})
	}
	title := ""
	switch key.Source {
	case model.SourceSHD:
		var is model.Issue
		if err := json.Unmarshal(cur.Data, &is); err != nil {
			s.fail(w, r, fmt.Errorf("decode issue %s: %w", key.ID, err))
			return
		}
		title = is.Title
		lv := issueLevel(&is)
		if cur.Removed {
			lv = levelOperational
		}
		d.Issue = &issueDetail{Level: lv.String(), LevelWord: v.T("level." + lv.String()),
			Facts: s.issueFacts(ctx, v, store.Item(cur), &is), Posts: s.postViews(ctx, v, &is)}
		end := v.Time(is.End)
		d.Fields = [][2]string{{v.T("label.status"), v.Enum("status", string(is.Status))},
			{v.T("label.classification"), v.Enum("classification", string(is.Classification))},
			{v.T("label.service"), v.Enum("service", is.Service)}, {v.T("label.feature"), is.Feature},
			{v.T("label.startTime"), v.Time(is.Start)}, {v.T("label.endTime"), end},
			{v.T("label.lastUpdated"), v.Time(is.LastModified)}}
	case model.SourceMC:
		var m model.Message
		if err := json.Unmarshal(cur.Data, &m); err != nil {
			s.fail(w, r, fmt.Errorf("decode message %s: %w", key.ID, err))
			return
		}
		row := rowOf(v, store.Item(cur))
		title = m.Title
		if !m.ActionRequiredBy.IsZero() {
			d.ActionBy = v.Date(m.ActionRequiredBy)
			if !cur.Removed {
				d.ActionRel, d.ActionClass = v.Due(m.ActionRequiredBy, now)
			}
		}
		d.Fields = [][2]string{{v.T("label.category"), row.Category}, {v.T("label.severity"), row.Severity},
			{v.T("label.services"), row.Services}, {v.T("label.tags"), row.Tags},
			{v.T("label.published"), v.Time(m.Start)}, {v.T("label.expires"), v.Time(m.End)}, {v.T("label.lastUpdated"), row.Modified}}
		if m.IsMajorChange {
			d.Fields = append(d.Fields, [2]string{v.T("label.majorChange"), v.T("value.yes")})
		}
		d.Body = template.HTML(render.SanitizeHTML(m.Body))
		if v.Lang != "en" {
			d.Trans, d.HasTranslation = s.localizeMessage(ctx, v, &m)
		}
	default:
		var sh model.ServiceHealth
		_ = json.Unmarshal(cur.Data, &sh)
		title = sh.Service
		d.Fields = [][2]string{{v.T("label.status"), v.Enum("status", string(sh.Status))}, {v.T("label.serviceID"), sh.ID}}
	}
	d.Title, d.TitleOrig = s.titleIn(ctx, v, title)
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
		d.Diff = foldDiff(v, diffLines(revisionLines(v, *a), revisionLines(v, *b)))
		d.DiffHeading = v.F("item.diff", "from", d.From, "to", d.To)
		d.KeyChanges = keyChanges(v, *a, *b, func(h string) string {
			t, _ := s.translateLine(ctx, v.Lang, h)
			return t
		})
		if d.Issue != nil && len(d.KeyChanges) > 0 {
			d.Issue.Facts.Changed = nil // the callout says it
		}
	}
	if v.Static {
		var prev []string
		for i, rv := range revs {
			lines := revisionLines(v, rv)
			h := v.T("item.revision") + " " + strconv.Itoa(rv.Revision)
			if i > 0 {
				h = v.F("item.diff", "from", revs[i-1].Revision, "to", rv.Revision)
			}
			// The archive shows each diff whole, one block per revision.
			dl := diffLines(prev, lines)
			markWords(dl)
			d.History = append(d.History, revDiff{N: rv.Revision, Heading: h, Blocks: []diffBlock{{Lines: dl}}})
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
			if k := v.T("ck." + string(c.Kind)); !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		changes := strings.Join(kinds, v.T("punct.listSep"))
		if ev.Type.IsOwnership() {
			changes = ownershipLines(v, ev)
		}
		d.Events = append(d.Events, eventRow{Type: v.T("event." + string(ev.Type)), Detected: v.Time(ev.DetectedAt),
			Changes: changes, Revision: ev.Revision})
	}
	if d.Own, err = s.itemOwn(w, r, v, key); err != nil {
		s.fail(w, r, err)
		return
	}
	d.TenantParam, d.SourceParam = key.Tenant, string(key.Source)
	d.Extra = s.itemExtras(ctx, v, key)
	s.render(w, r, "item.html", page0(v, key.ID+" · "+d.Title, "", d))
}

// keyChanges are the changes from revision a to b that a reader needs
// first, in the words of the "What changed" lines: status, dates, the
// action-required date, classification, new posts, changed sections.
func keyChanges(v view, a, b store.Revision, tr func(string) string) []string {
	var cs []model.Change
	add := func(kind model.ChangeKind, from, to string) {
		if from != to {
			cs = append(cs, model.Change{Kind: kind, From: from, To: to})
		}
	}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	switch b.Key.Source {
	case model.SourceSHD:
		var x, y model.Issue
		if json.Unmarshal(a.Data, &x) != nil || json.Unmarshal(b.Data, &y) != nil {
			return nil
		}
		add(model.ChangeStatus, string(x.Status), string(y.Status))
		add(model.ChangeClassification, string(x.Classification), string(y.Classification))
		if !x.IsResolved && y.IsResolved {
			cs = append(cs, model.Change{Kind: model.ChangeResolved})
		} else if x.IsResolved && !y.IsResolved {
			cs = append(cs, model.Change{Kind: model.ChangeReopened})
		}
		add(model.ChangeService, x.Service, y.Service)
		add(model.ChangeStart, tm(x.Start), tm(y.Start))
		add(model.ChangeEnd, tm(x.End), tm(y.End))
		seen := map[time.Time]bool{}
		for _, p := range x.Posts {
			seen[p.Created.UTC()] = true
		}
		for _, p := range y.Posts {
			if !seen[p.Created.UTC()] {
				cs = append(cs, model.Change{Kind: model.ChangePostAdded, To: tm(p.Created)})
			}
		}
		if x.Title != y.Title {
			cs = append(cs, model.Change{Kind: model.ChangeTitle})
		}
		if x.ImpactDescription != y.ImpactDescription {
			cs = append(cs, model.Change{Kind: model.ChangeImpact})
		}
	case model.SourceMC:
		var x, y model.Message
		if json.Unmarshal(a.Data, &x) != nil || json.Unmarshal(b.Data, &y) != nil {
			return nil
		}
		add(model.ChangeActionDate, tm(x.ActionRequiredBy), tm(y.ActionRequiredBy))
		add(model.ChangeCategory, string(x.Category), string(y.Category))
		add(model.ChangeSeverity, string(x.Severity), string(y.Severity))
		if x.IsMajorChange != y.IsMajorChange {
			cs = append(cs, model.Change{Kind: model.ChangeMajor})
		}
		if x.Title != y.Title {
			cs = append(cs, model.Change{Kind: model.ChangeTitle})
		}
		old := map[string]string{}
		for _, sec := range htmltext.Sections(x.Body) {
			old[sec.Heading] = sec.Text
		}
		for _, sec := range htmltext.Sections(y.Body) {
			if t, ok := old[sec.Heading]; !ok || t != sec.Text {
				cs = append(cs, model.Change{Kind: model.ChangeBodySection, Field: sec.Heading, To: "changed"})
			}
		}
	default:
		var x, y model.ServiceHealth
		if json.Unmarshal(a.Data, &x) != nil || json.Unmarshal(b.Data, &y) != nil {
			return nil
		}
		add(model.ChangeStatus, string(x.Status), string(y.Status))
	}
	if a.Removed != b.Removed {
		cs = append(cs, model.Change{Kind: model.ChangeRemoved})
	}
	if len(cs) > 5 {
		cs = cs[:5]
	}
	return whatChanged(v, model.Event{Source: b.Key.Source, Changes: cs}, tr)
}
