package serve

import (
	"context"
	"html/template"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// incidentCard is one active incident or advisory across every tenant
// that has it: the key facts of its most recent version pulled out, the
// latest post in full and the older ones collapsed, and a chip per tenant
// that says where a tenant's copy differs.
type incidentCard struct {
	ID             string
	Title          string // in the reader's language when the memory has it
	TitleOrig      string // the English title when Title is a translation
	Level          string // levelNames
	LevelWord      string
	Classification string
	Status         string
	Service        string
	ServiceLink    string
	Link           string // the item page of the representative tenant
	Anchor         string // "issue-TENANT-ID" of the representative tenant
	Tenants        []tenantChip
	Same           string // "Same in all 2 tenants" when every copy is equal
	Facts          issueFacts
	Posts          []postView // newest first; the first is shown open
	// OwnForm acknowledges or assigns the incident for one of its
	// tenants (ownCards); nil on the static site.
	OwnForm *ownForm
}

// tenantChip is one tenant's copy of an issue.
type tenantChip struct {
	ID, Name string
	Link     string
	Anchor   string // "issue-TENANT-ID" for the tenants other than the representative
	Status   string // its status, when it differs from the card's
	Note     string // how its copy differs ("1 post behind; …")
	Level    string
	Differs  bool
	// Own is the tenant's handling of the issue, when someone acted on
	// it (ownCards).
	Own *ownView
}

// issueFacts are the facts of an issue a reader needs first, as
// Microsoft's own emails put them at the top.
type issueFacts struct {
	Start, LastUpdated  string
	Impact, ImpactOrig  string
	Current             string // the latest post's "Current status" (or "Final status")
	CurrentLabel        string
	NextUpdate          string // the latest post's "Next update by", in the reader's zone
	NextUpdateAt        string // RFC 3339
	NextUpdateRel       string // "in 1 h 20 min", "overdue by 5 min"
	NextOverdue         bool
	Changed             []string // what the latest change was
	ChangedAt           string
	Translated          bool
	NextUpdateLabel     string
	CurrentIsTranslated bool
}

// postView is one post of an issue.
type postView struct {
	Time     string
	At       string // RFC 3339
	Type     string
	HTML     template.HTML
	Trans    []string // the post in the reader's language, by paragraph; nil for English
	HasTrans bool     // whether any prose of it was in the translation memory
	Excerpt  string   // one line: its current status, else its start
}

// maxCards bounds the cards of the dashboard; the rest are counted and
// listed under Incidents and advisories.
const maxCards = 30

// incidentCards groups the active issues by ID (one incident, however
// many tenants have it), worst level first, then the most recently
// modified, and builds the cards of the first maxCards; it returns how
// many more there are.
func (s *Server) incidentCards(ctx context.Context, v view, sn *snapshot) ([]incidentCard, int) {
	groups := map[string][]activeIssue{}
	var order []string
	for _, a := range sn.Active {
		if _, ok := groups[a.Issue.ID]; !ok {
			order = append(order, a.Issue.ID)
		}
		groups[a.Issue.ID] = append(groups[a.Issue.ID], a)
	}
	tenantPos := map[string]int{}
	for i, t := range sn.Tenants {
		tenantPos[t.ID] = i
	}
	type group struct {
		copies []activeIssue
		lv     level
		mod    time.Time
	}
	gs := make([]group, 0, len(order))
	for _, id := range order {
		g := groups[id]
		sort.SliceStable(g, func(i, j int) bool { return tenantPos[g[i].Item.Key.Tenant] < tenantPos[g[j].Item.Key.Tenant] })
		gs = append(gs, group{copies: g, lv: cardLevel(sn, g), mod: representative(g).Issue.LastModified})
	}
	sort.SliceStable(gs, func(a, b int) bool {
		if gs[a].lv != gs[b].lv {
			return gs[a].lv > gs[b].lv
		}
		return gs[a].mod.After(gs[b].mod)
	})
	var out []incidentCard
	for _, g := range gs[:min(len(gs), maxCards)] {
		out = append(out, s.incidentCard(ctx, v, sn, g.copies, g.lv))
	}
	return out, max(len(gs)-maxCards, 0)
}

// cardLevel is the level of an issue's card: its own level, an
// interruption when the health overview of its service says so in a
// tenant that has it.
func cardLevel(sn *snapshot, g []activeIssue) level {
	rep := representative(g)
	is := &rep.Issue
	lv := issueLevel(is)
	for _, a := range g {
		if m := sn.Services[a.Item.Key.Tenant]; m != nil {
			if st := m[is.Service]; st != nil && st.Health == model.StatusServiceInterruption && lv >= levelDegradation {
				lv = levelInterruption
			}
		}
	}
	return lv
}

// representative is the most recent copy of an issue among tenants: the
// latest modification, then the most posts, then the first tenant.
func representative(g []activeIssue) activeIssue {
	best := g[0]
	for _, a := range g[1:] {
		switch {
		case a.Issue.LastModified.After(best.Issue.LastModified):
			best = a
		case a.Issue.LastModified.Equal(best.Issue.LastModified) && len(a.Issue.Posts) > len(best.Issue.Posts):
			best = a
		}
	}
	return best
}

// incidentCard builds the card of one issue from its copies in g.
func (s *Server) incidentCard(ctx context.Context, v view, sn *snapshot, g []activeIssue, lv level) incidentCard {
	rep := representative(g)
	is := &rep.Issue
	c := incidentCard{
		ID: is.ID, Level: lv.String(), LevelWord: v.T("level." + lv.String()),
		Classification: v.Enum("classification", string(is.Classification)), Status: v.Enum("status", string(is.Status)),
		Service: v.Enum("service", is.Service), ServiceLink: v.Link("/issues", "service", is.Service, "tab", "active"),
		Link: v.Link(itemPath(rep.Item.Key)), Anchor: "issue-" + rep.Item.Key.Tenant + "-" + is.ID,
	}
	c.Title, c.TitleOrig = s.titleIn(ctx, v, is.Title)
	c.Facts = s.issueFacts(ctx, v, rep.Item, is)
	c.Posts = s.postViews(ctx, v, is)
	same := true
	for _, a := range g {
		if a.Item.Hash != rep.Item.Hash {
			same = false
		}
	}
	if same && len(g) > 1 {
		c.Same = v.N("card.same", len(g))
	}
	names := map[string]string{}
	for _, t := range sn.Tenants {
		names[t.ID] = t.Name
	}
	for _, a := range g {
		chip := tenantChip{ID: a.Item.Key.Tenant, Name: names[a.Item.Key.Tenant], Link: v.Link(itemPath(a.Item.Key)),
			Level: issueLevel(&a.Issue).String()}
		if a.Item.Key != rep.Item.Key {
			chip.Anchor = "issue-" + a.Item.Key.Tenant + "-" + is.ID
		}
		if a.Issue.Status != is.Status {
			chip.Status, chip.Differs = v.Enum("status", string(a.Issue.Status)), true
		}
		if behind := len(is.Posts) - len(a.Issue.Posts); behind > 0 {
			last := ""
			if p, ok := a.Issue.LatestPost(); ok {
				last = v.Time(p.Created)
			}
			chip.Note, chip.Differs = v.N("card.behind", behind, "time", last), true
		} else if a.Item.Hash != rep.Item.Hash && !chip.Differs {
			chip.Note, chip.Differs = v.F("card.ahead", "time", v.Time(a.Issue.LastModified)), true
		}
		c.Tenants = append(c.Tenants, chip)
	}
	return c
}

// titleIn is a title in the reader's language and, when it is a
// translation, the original.
func (s *Server) titleIn(ctx context.Context, v view, title string) (string, string) {
	if tr, ok := s.translateLine(ctx, v.Lang, title); ok {
		return tr, title
	}
	return title, ""
}

// issueFacts pulls the key facts out of an issue and its latest post.
func (s *Server) issueFacts(ctx context.Context, v view, it store.Item, is *model.Issue) issueFacts {
	now := s.now()
	f := issueFacts{Start: v.Time(is.Start), LastUpdated: v.Time(is.LastModified),
		CurrentLabel: v.T("post.currentStatus"), NextUpdateLabel: v.T("post.nextUpdateBy")}
	f.Impact, f.ImpactOrig = s.titleIn(ctx, v, is.ImpactDescription)
	if p, ok := is.LatestPost(); ok {
		for _, sec := range render.ParsePost(htmltext.Text(p.Content)) {
			switch sec.Label {
			case "currentStatus", "finalStatus":
				if f.Current == "" {
					f.CurrentLabel = v.T("post." + sec.Label)
					f.Current, f.CurrentIsTranslated = s.localizeText(ctx, v, sec.Text)
				}
			case "nextUpdateBy":
				if !sec.Time.IsZero() {
					f.NextUpdate, f.NextUpdateAt = v.Time(sec.Time), v.ISO(sec.Time)
					if d := sec.Time.Sub(now); d >= 0 {
						f.NextUpdateRel = v.F("next.in", "d", v.Dur(d))
					} else {
						f.NextUpdateRel, f.NextOverdue = v.F("next.over", "d", v.Dur(d)), true
					}
				} else if f.NextUpdate == "" {
					f.NextUpdate, _ = s.localizeText(ctx, v, sec.Text)
				}
			case "userImpact":
				if f.Impact == "" {
					f.Impact, _ = s.localizeText(ctx, v, sec.Text)
				}
			}
		}
	}
	evs, err := s.st.Events(ctx, store.EventQuery{Tenant: it.Key.Tenant, ItemID: it.Key.ID})
	if err == nil {
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Source == it.Key.Source && !evs[i].Type.IsOwnership() {
				f.Changed, f.ChangedAt = whatChanged(v, evs[i], nil), v.Time(evs[i].DetectedAt)
				break
			}
		}
	}
	return f
}

// postViews are an issue's posts, newest first, each with its
// translation when the reader does not read English.
func (s *Server) postViews(ctx context.Context, v view, is *model.Issue) []postView {
	posts := append([]model.Post(nil), is.Posts...)
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].Created.After(posts[j].Created) })
	var out []postView
	for _, p := range posts {
		pv := postView{Time: v.Time(p.Created), At: v.ISO(p.Created), Type: v.Enum("postType", string(p.Type)),
			HTML: template.HTML(render.SanitizeHTML(p.Content))}
		text := htmltext.Text(p.Content)
		excerpt := text
		for _, sec := range render.ParsePost(text) {
			if sec.Label == "currentStatus" || sec.Label == "finalStatus" {
				excerpt = sec.Text
				break
			}
		}
		if v.Lang != "en" {
			pv.Trans, pv.HasTrans = s.localizePost(ctx, v, p)
			if len(out) > 0 { // the summary line of a collapsed post
				excerpt, _ = s.localizeText(ctx, v, excerpt)
			}
		}
		pv.Excerpt = htmltext.Excerpt(excerpt, 160)
		out = append(out, pv)
	}
	return out
}

// whatChanged describes the changes of one event in a few short lines;
// tr, when not nil, translates a Message Center section heading.
func whatChanged(v view, ev model.Event, tr func(string) string) []string {
	var out []string
	tm := func(s string) string {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return v.Time(t)
		}
		return s
	}
	field := func(label, from, to string) string {
		switch {
		case from == "":
			return v.F("what.set", "label", label, "to", to)
		case to == "":
			return v.F("what.changed", "label", label)
		}
		return v.F("what.field", "label", label, "from", from, "to", to)
	}
	for _, c := range ev.Changes {
		switch c.Kind {
		case model.ChangeNew:
			out = append(out, v.F("what.new", "time", v.Time(ev.DetectedAt)))
		case model.ChangePostAdded:
			out = append(out, v.F("what.post", "time", tm(c.To)))
		case model.ChangeStatus:
			out = append(out, v.F("what.status", "from", v.Enum("status", c.From), "to", v.Enum("status", c.To)))
		case model.ChangeClassification:
			out = append(out, field(v.T("label.classification"), v.Enum("classification", c.From), v.Enum("classification", c.To)))
		case model.ChangeResolved:
			out = append(out, v.T("what.resolved"))
		case model.ChangeReopened:
			out = append(out, v.T("what.reopened"))
		case model.ChangeStart:
			out = append(out, field(v.T("label.startTime"), tm(c.From), tm(c.To)))
		case model.ChangeEnd:
			out = append(out, field(v.T("label.endTime"), tm(c.From), tm(c.To)))
		case model.ChangeActionDate:
			date := func(s string) string {
				if t, err := time.Parse(time.RFC3339, s); err == nil {
					return v.Date(t)
				}
				return s
			}
			out = append(out, field(v.T("label.actionRequiredBy"), date(c.From), date(c.To)))
		case model.ChangeService:
			out = append(out, field(v.T("label.service"), v.Enum("service", c.From), v.Enum("service", c.To)))
		case model.ChangeSeverity:
			out = append(out, field(v.T("label.severity"), v.Enum("severity", c.From), v.Enum("severity", c.To)))
		case model.ChangeCategory:
			out = append(out, field(v.T("label.category"), v.Enum("category", c.From), v.Enum("category", c.To)))
		case model.ChangeBodySection:
			name := c.Field
			if name == "" {
				name = v.T("label.introduction")
			} else if tr != nil {
				name = tr(name)
			}
			out = append(out, v.F("what.changed", "label", v.T("ck.body_section")+" "+quoted(v, name)))
		case model.ChangeRemoved:
			out = append(out, v.T("value.removed"))
		default:
			out = append(out, v.F("what.changed", "label", v.T("ck."+string(c.Kind))))
		}
	}
	for i, l := range out {
		if r, n := utf8.DecodeRuneInString(l); unicode.IsLower(r) {
			out[i] = string(unicode.ToUpper(r)) + l[n:]
		}
	}
	return out
}

// quoted puts s in the reader's quotation marks.
func quoted(v view, s string) string {
	if s == "" {
		return ""
	}
	return strings.ReplaceAll(v.T("punct.quote"), "{text}", s)
}
