package serve

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// The views for managed-service providers (issue 16): whether a Message
// Center post concerns its tenant and why, the tickets the ticket channels
// opened for an item, and how an item's copies compare across tenants.
// A list reads them for its page in three statements, whatever the number
// of rows or tenants; an item page in three more.

// relMark is a Message Center post's relevance for its tenant as a page
// shows it.
type relMark struct {
	Class string // "relevant", "notrelevant" or "unknown"
	Word  string
	Why   string
}

// basisUnknown is the basis of a verdict made before the tenant's
// services were known (relevance.BasisUnknown: serve reads the stored
// verdict and does not judge, so it does not import the package).
const basisUnknown = "unknown"

// relMarkOf marks a verdict; nil (never judged) and the verdicts made
// before the tenant's services were known are "unknown", which filters
// and routes treat as relevant.
func relMarkOf(v view, r *model.Relevance) *relMark {
	switch {
	case r == nil:
		return &relMark{Class: "unknown", Word: v.T("rel.unknown"), Why: v.T("rel.notKnown")}
	case r.Basis == basisUnknown:
		return &relMark{Class: "unknown", Word: v.T("rel.unknown"), Why: relWhy(v, *r)}
	case r.Relevant:
		return &relMark{Class: "relevant", Word: v.T("rel.relevant"), Why: relWhy(v, *r)}
	}
	return &relMark{Class: "notrelevant", Word: v.T("rel.notRelevant"), Why: relWhy(v, *r)}
}

// relWhy is the reason of a verdict in the reader's language: relevance.Of
// writes it in English from a few sentences, each with a list of services
// (product names, which stay as they are); another reason is shown as
// written.
func relWhy(v view, r model.Relevance) string {
	reason := r.Reason
	for _, p := range []struct{ prefix, suffix, key string }{
		{"licensed: ", "", "rel.licensed"},
		{"no licence for ", "", "rel.noLicence"},
		{"not in the tenant's service health: ", "", "rel.notListed"},
		{"in the tenant's service health: ", "", "rel.listed"},
		{"", " is part of every tenant", "rel.everyone"},
	} {
		if rest, ok := strings.CutPrefix(reason, p.prefix); ok {
			if list, ok := strings.CutSuffix(rest, p.suffix); ok && list != "" {
				return v.F(p.key, "list", list)
			}
		}
	}
	switch reason {
	case "names no service":
		return v.T("rel.noService")
	case "the tenant's services are not known yet":
		return v.T("rel.notKnown")
	}
	return reason
}

// ticketLink is a ticket of an item, linked.
type ticketLink struct {
	Label  string // "GitHub #42", "Jira OPS-12"
	Target string // the repository or project: "contoso/m365"
	URL    string // "" when the stored one is not a web address
}

// ticketLinks are the links of an item's tickets, in the store's order.
func ticketLinks(v view, ts []store.Ticket) []ticketLink {
	out := make([]ticketLink, 0, len(ts))
	for _, t := range ts {
		kind, target, _ := strings.Cut(strings.TrimPrefix(t.Channel, store.TicketChannelPrefix), ":")
		name := t.Name
		if name == "" {
			name = t.ID
		}
		word := kind
		switch kind {
		case "github":
			word = v.T("ticket.github")
		case "jira":
			word = v.T("ticket.jira")
		case "servicenow":
			word = v.T("ticket.snow")
		}
		l := ticketLink{Label: strings.TrimSpace(word + " " + name), Target: target}
		if u, err := url.Parse(t.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			l.URL = u.String()
		}
		out = append(out, l)
	}
	return out
}

// copiesMark is a list row's comparison of its item across tenants.
type copiesMark struct {
	Text  string   // "In 3 of 5 tenants"
	Notes []string // "2 versions", "2 action dates", "relevant in 2 of 3"
	Only  bool     // no other tenant has it
	Link  string   // the item page's comparison
}

// rowExtras are what a list row shows of relevance, tickets and other
// tenants.
type rowExtras struct {
	Rel     *relMark
	Copies  *copiesMark
	Tickets []ticketLink
}

// decorate adds relevance (Message Center), tickets and, when the store
// has several tenants, the comparison across tenants to a page of rows. A
// failure leaves them out and is logged: the list itself stands.
func (s *Server) decorate(ctx context.Context, v view, src model.Source, rows []msgRow, tenants int) {
	if len(rows) == 0 {
		return
	}
	keys := make([]model.ItemKey, len(rows))
	var ids []string
	for i, r := range rows {
		keys[i] = model.ItemKey{Tenant: r.Tenant, Source: src, ID: r.ID}
		if !slices.Contains(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	if src == model.SourceMC {
		rel, err := s.rd.Relevance(ctx, keys)
		if err != nil {
			s.log.Warn("read_relevance_failed", "err", err)
		} else {
			for i := range rows {
				var r *model.Relevance
				if x, ok := rel[keys[i]]; ok {
					r = &x
				}
				rows[i].Extra.Rel = relMarkOf(v, r)
			}
		}
	}
	if tickets, err := s.rd.TicketsOf(ctx, keys); err != nil {
		s.log.Warn("read_tickets_failed", "err", err)
	} else {
		for i := range rows {
			rows[i].Extra.Tickets = ticketLinks(v, tickets[keys[i]])
		}
	}
	if tenants < 2 {
		return
	}
	sums, err := s.rd.CopySummaries(ctx, src, ids)
	if err != nil {
		s.log.Warn("compare_copies_failed", "err", err)
		return
	}
	for i := range rows {
		c, ok := sums[rows[i].ID]
		if !ok { // withdrawn everywhere
			continue
		}
		m := &copiesMark{Link: rows[i].Link + "#across"}
		total := max(tenants, c.Tenants)
		if c.Tenants <= 1 && !rows[i].Removed {
			m.Only, m.Text = true, v.T("across.onlyShort")
		} else {
			m.Text = v.N("across.in", c.Tenants, "total", total)
		}
		if c.Versions > 1 {
			m.Notes = append(m.Notes, v.N("across.versions", c.Versions))
		}
		if src == model.SourceMC && c.ActionDates > 1 {
			m.Notes = append(m.Notes, v.N("across.dates", c.ActionDates))
		}
		if c.Relevant > 0 && c.NotRelevant > 0 {
			m.Notes = append(m.Notes, v.F("across.relMixed", "n", c.Relevant, "total", c.Relevant+c.NotRelevant))
		}
		rows[i].Extra.Copies = m
	}
}

// itemExtras are what an item page shows of relevance, tickets and other
// tenants.
type itemExtras struct {
	Rel     *relMark
	Tickets []ticketLink
	Across  *acrossView
}

// acrossView compares the copies of an item across tenants, grouped by
// version (content as of a modification time, store.ItemCopy.Version):
// tenants with the same version and verdict share a group.
type acrossView struct {
	Summary string
	Only    bool
	Same    string // "Same in all 3 tenants"
	Differs string // "2 versions", when not Same
	Groups  []copyGroup
}

// copyGroup is one version of an item and the tenants that have it.
type copyGroup struct {
	This      bool // the version of the page's tenant
	Heading   string
	Tenants   []tenantRef // the first few, shown
	More      []tenantRef // the rest, folded
	MoreLabel string
	Diffs     []string // how this version differs from the page's
	Rel       *relMark
	Removed   bool
}

// tenantRef links a tenant's copy of the item.
type tenantRef struct {
	ID, Name, Link string
	Current        bool
}

// groupShown is how many tenants a group names before folding the rest.
const groupShown = 12

// itemExtras reads what an item page shows of relevance, tickets and other
// tenants. A failure leaves a part out and is logged.
func (s *Server) itemExtras(ctx context.Context, v view, key model.ItemKey) *itemExtras {
	x := &itemExtras{}
	if ts, err := s.st.Tickets(ctx, key); err != nil {
		s.log.Warn("read_tickets_failed", "err", err)
	} else {
		x.Tickets = ticketLinks(v, ts)
	}
	if key.Source != model.SourceMC && key.Source != model.SourceSHD {
		return x
	}
	cp, err := s.rd.ItemCopies(ctx, key.Source, key.ID)
	if err != nil {
		s.log.Warn("read_copies_failed", "err", err)
		return x
	}
	var me *store.ItemCopy
	for i := range cp.Items {
		if cp.Items[i].Tenant == key.Tenant {
			me = &cp.Items[i]
		}
	}
	if me == nil {
		return x
	}
	if key.Source == model.SourceMC {
		x.Rel = relMarkOf(v, me.Relevance)
	}
	tenants, err := s.st.Tenants(ctx)
	if err != nil {
		s.log.Warn("read_tenants_failed", "err", err)
	}
	if len(tenants) < 2 && len(cp.Items) < 2 {
		return x // one tenant: nothing to compare
	}
	x.Across = s.across(v, key, cp, me, tenants)
	return x
}

// across groups the copies of an item by version and says how each group
// differs from the page's tenant's copy me.
func (s *Server) across(v view, key model.ItemKey, cp store.Copies, me *store.ItemCopy, tenants []model.Tenant) *acrossView {
	names := map[string]string{}
	for _, t := range tenants {
		names[t.ID] = t.Name
	}
	present := 0
	for _, c := range cp.Items {
		if !c.Removed {
			present++
		}
	}
	total := max(len(tenants), len(cp.Items))
	a := &acrossView{}
	if len(cp.Items) == 1 || present <= 1 && !me.Removed {
		a.Only, a.Summary = true, v.T("across.only")
	} else {
		a.Summary = v.N("across.in", present, "total", total)
	}
	relClass := func(c *store.ItemCopy) string {
		if key.Source != model.SourceMC {
			return ""
		}
		return relMarkOf(v, c.Relevance).Class
	}
	type gkey struct {
		version int64
		rel     string
		removed bool
	}
	index := map[gkey]int{}
	var groups []copyGroup
	var firsts []*store.ItemCopy
	for i := range cp.Items {
		c := &cp.Items[i]
		k := gkey{c.Version, relClass(c), c.Removed}
		gi, ok := index[k]
		if !ok {
			gi = len(groups)
			index[k] = gi
			groups = append(groups, copyGroup{Removed: c.Removed})
			firsts = append(firsts, c)
			if key.Source == model.SourceMC {
				groups[gi].Rel = relMarkOf(v, c.Relevance)
			}
		}
		ref := tenantRef{ID: c.Tenant, Name: names[c.Tenant], Current: c.Tenant == key.Tenant,
			Link: v.Link(itemPath(model.ItemKey{Tenant: c.Tenant, Source: key.Source, ID: key.ID}))}
		g := &groups[gi]
		if ref.Current {
			g.This = true
		}
		if len(g.Tenants) < groupShown || ref.Current {
			g.Tenants = append(g.Tenants, ref)
		} else {
			g.More = append(g.More, ref)
		}
	}
	mine := decodeVersion(key.Source, cp.Data[me.DataHash])
	for gi := range groups {
		g := &groups[gi]
		if n := len(g.More); n > 0 {
			g.MoreLabel = v.F("across.more", "n", n)
		}
		switch {
		case g.This:
			g.Heading = v.T("across.thisVersion")
		case firsts[gi].Version == me.Version:
			g.Heading = v.T("across.sameAsThis")
		default:
			g.Heading = v.T("across.otherVer")
		}
		if !g.This {
			g.Diffs = differences(v, key.Source, me, firsts[gi], mine, decodeVersion(key.Source, cp.Data[firsts[gi].DataHash]))
		}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].This != groups[j].This {
			return groups[i].This
		}
		return len(groups[i].Tenants)+len(groups[i].More) > len(groups[j].Tenants)+len(groups[j].More)
	})
	same := true
	for _, c := range cp.Items {
		same = same && c.Version == me.Version && !c.Removed
	}
	if same && len(cp.Items) > 1 {
		a.Same = v.N("card.same", len(cp.Items))
	}
	versions := map[int64]bool{}
	for _, c := range cp.Items {
		if !c.Removed {
			versions[c.Version] = true
		}
	}
	if len(versions) > 1 {
		a.Differs = v.N("across.versions", len(versions))
	}
	a.Groups = groups
	return a
}

// version is the decoded content of one copy.
type version struct {
	msg   *model.Message
	issue *model.Issue
}

func decodeVersion(src model.Source, data []byte) version {
	var out version
	switch src {
	case model.SourceMC:
		var m model.Message
		if json.Unmarshal(data, &m) == nil {
			out.msg = &m
		}
	case model.SourceSHD:
		var is model.Issue
		if json.Unmarshal(data, &is) == nil {
			out.issue = &is
		}
	}
	return out
}

// differences says how copy c (content b) differs from the page's copy me
// (content a): withdrawn, newer or older, and the fields a reader acts on.
func differences(v view, src model.Source, me, c *store.ItemCopy, a, b version) []string {
	var out []string
	if c.Removed && !me.Removed {
		if src == model.SourceMC {
			out = append(out, v.T("across.withdrawn"))
		} else {
			out = append(out, v.T("across.removed"))
		}
	}
	switch {
	case c.LastModified.After(me.LastModified):
		out = append(out, v.F("across.newer", "time", v.Time(c.LastModified)))
	case c.LastModified.Before(me.LastModified):
		out = append(out, v.F("across.older", "time", v.Time(c.LastModified)))
	}
	if c.Hash == me.Hash {
		return out
	}
	n := len(out)
	switch {
	case a.msg != nil && b.msg != nil:
		x, y := a.msg, b.msg
		if !x.ActionRequiredBy.Equal(y.ActionRequiredBy) {
			if y.ActionRequiredBy.IsZero() {
				out = append(out, v.T("across.noAction"))
			} else {
				out = append(out, v.F("across.action", "date", v.Date(y.ActionRequiredBy)))
			}
		}
		if !slices.Equal(x.Services, y.Services) {
			svcs := make([]string, len(y.Services))
			for i, sv := range y.Services {
				svcs[i] = v.Enum("service", sv)
			}
			out = append(out, v.F("across.services", "list", strings.Join(svcs, v.T("punct.listSep"))))
		}
		if x.Severity != y.Severity {
			out = append(out, v.F("across.severity", "value", v.Enum("severity", string(y.Severity))))
		}
		if x.Category != y.Category {
			out = append(out, v.F("across.category", "value", v.Enum("category", string(y.Category))))
		}
		if x.Title != y.Title {
			out = append(out, v.F("across.titleDiff", "title", y.Title))
		}
		if secs := changedSections(x.Body, y.Body); len(secs) > 0 {
			for i, h := range secs {
				if h == "" {
					h = v.T("label.introduction")
				}
				secs[i] = quoted(v, h)
			}
			out = append(out, v.F("across.sections", "list", strings.Join(secs, v.T("punct.listSep"))))
		}
	case a.issue != nil && b.issue != nil:
		x, y := a.issue, b.issue
		if x.Status != y.Status {
			out = append(out, v.F("across.status", "status", v.Enum("status", string(y.Status))))
		}
		switch d := len(y.Posts) - len(x.Posts); {
		case d > 0:
			out = append(out, v.N("across.posts", d))
		case d < 0:
			out = append(out, v.N("across.fewer", -d))
		}
		if !x.End.Equal(y.End) {
			out = append(out, v.F("across.end", "time", v.Time(y.End)))
		}
		if x.Title != y.Title {
			out = append(out, v.F("across.titleDiff", "title", y.Title))
		}
	}
	if len(out) == n && src == model.SourceMC {
		out = append(out, v.T("across.body"))
	}
	return out
}

// changedSections are the headings of the sections of body b that a does
// not have alike ("" for the introduction), in b's order, and of those
// only a has.
func changedSections(a, b string) []string {
	if a == b {
		return nil
	}
	old := map[string]string{}
	var order []string
	for _, sec := range htmltext.Sections(a) {
		old[sec.Heading] = sec.Text
		order = append(order, sec.Heading)
	}
	var out []string
	seen := map[string]bool{}
	for _, sec := range htmltext.Sections(b) {
		seen[sec.Heading] = true
		if t, ok := old[sec.Heading]; !ok || t != sec.Text {
			out = append(out, sec.Heading)
		}
	}
	for _, h := range order {
		if !seen[h] {
			out = append(out, h)
		}
	}
	return out
}
