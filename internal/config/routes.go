package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// publicTenant is the tenant the public status pages' items are stored
// under (source.PublicTenant, which config cannot import).
const publicTenant = "public"

// publicSources are the public status pages: their items are issues of
// publicTenant, with the pages' own status words.
var publicSources = []string{string(model.SourceM365Status), string(model.SourceAzureStatus)}

// match checks the match keys of route p. Values of shdmc's own lists
// (sources, events) must be known: anything else is an error. Values of
// Microsoft's lists (statuses, classifications, origins, categories,
// severities) that Graph never sends, or spells differently, are warnings,
// since Microsoft may add members. Finally a route whose keys no event can
// satisfy together is a warning.
func (v *validator) match(p string, m Match) {
	mp := p + ".match"
	sources := v.ownValues(mp+".sources", "source", m.Sources, strs(model.Sources()))
	events := v.ownValues(mp+".events", "event type", m.Events, strs(model.EventTypes()))

	// Public status entries carry their pages' own words; a route that
	// takes them may match those.
	seesPublic := len(sources) == 0 || slices.ContainsFunc(sources, func(s string) bool { return containsFold(publicSources, s) })
	toGraph, toAny := v.statuses(mp+".status_to", m.StatusTo, seesPublic)
	fromGraph, fromAny := v.statuses(mp+".status_from", m.StatusFrom, seesPublic)
	classes := v.graphValues(mp+".classifications", "classification", m.Classifications, strs(model.Classifications()),
		func(s string) string { return string(model.ParseClassification(s)) })
	origins := v.graphValues(mp+".origins", "origin", m.Origins, strs(model.Origins()),
		func(s string) string { return string(model.ParseOrigin(s)) })
	categories := v.graphValues(mp+".categories", "category", m.Categories, strs(model.Categories()),
		func(s string) string { return string(model.ParseCategory(s)) })
	severities := v.graphValues(mp+".severities", "severity", m.Severities, strs(model.Severities()),
		func(s string) string { return string(model.ParseSeverity(s)) })

	// The conditions the keys set on an event, each with what it allows.
	var conds []condition
	if len(m.Tenants) > 0 {
		public := containsFold(m.Tenants, publicTenant)
		other := slices.ContainsFunc(m.Tenants, func(t string) bool { return !strings.EqualFold(strings.TrimSpace(t), publicTenant) })
		conds = append(conds, condition{"match.tenants " + list(m.Tenants), func(k eventKind) bool {
			if k.public() {
				return public
			}
			return other
		}})
	}
	if len(sources) > 0 {
		conds = append(conds, condition{"match.sources " + list(sources), func(k eventKind) bool { return containsFold(sources, k.source) }})
	}
	if len(events) > 0 {
		conds = append(conds, condition{"match.events " + list(events), func(k eventKind) bool { return containsFold(events, k.event) }})
	}
	issueOnly := func(key string, set bool) {
		if set {
			conds = append(conds, condition{"match." + key + " (only Service Health issues and public status entries have one)",
				func(k eventKind) bool { return k.item == itemIssue }})
		}
	}
	issueOnly("features", len(m.Features) > 0)
	issueOnly("classifications", len(m.Classifications) > 0)
	issueOnly("origins", len(m.Origins) > 0)
	mcOnly := func(key string, set bool) {
		if set {
			conds = append(conds, condition{"match." + key + " (only Message Center posts have one)",
				func(k eventKind) bool { return k.item == itemMessage }})
		}
	}
	mcOnly("categories", len(m.Categories) > 0)
	mcOnly("severities", len(m.Severities) > 0)
	mcOnly("tags", len(m.Tags) > 0)
	mcOnly("major_change", m.MajorChange != nil)
	mcOnly("action_required_within", m.ActionRequiredWithin > 0)
	if len(m.Services) > 0 {
		conds = append(conds, condition{"match.services (source.down and source.restored name no service)",
			func(k eventKind) bool { return k.item != "" }})
	}
	for _, st := range []struct {
		key                   string
		vals, graph, anywhere []string
	}{{"status_to", m.StatusTo, toGraph, toAny}, {"status_from", m.StatusFrom, fromGraph, fromAny}} {
		switch {
		case len(st.vals) == 0:
			continue
		case len(st.anywhere) == 0:
			conds = append(conds, condition{"match." + st.key + " " + list(st.vals) + " (no status any source sends)",
				func(eventKind) bool { return false }})
		case len(st.graph) == 0:
			conds = append(conds, condition{"match." + st.key + " " + list(st.vals) + " (only public status pages use these words)",
				func(k eventKind) bool { return k.public() }})
		}
		conds = append(conds, condition{"match." + st.key + " (only issues and service health change status)",
			func(k eventKind) bool { return k.item == itemIssue || k.item == itemService }})
	}
	for _, g := range []struct {
		key         string
		vals, known []string
	}{{"classifications", m.Classifications, classes}, {"origins", m.Origins, origins},
		{"categories", m.Categories, categories}, {"severities", m.Severities, severities}} {
		if len(g.vals) > 0 && len(g.known) == 0 {
			conds = append(conds, condition{"match." + g.key + " " + list(g.vals) + " (no value Microsoft Graph sends)",
				func(eventKind) bool { return false }})
		}
	}
	if why := unmatchable(conds); why != "" {
		v.warnf(mp, "no event can match this route: %s", why)
	}
}

// ownValues checks the values of a list key whose members shdmc defines:
// an unknown one is an error (with the closest known value). It returns
// the known values.
func (v *validator) ownValues(key, what string, vals, allowed []string) []string {
	var known []string
	for j, val := range vals {
		if containsFold(allowed, val) {
			known = append(known, val)
			continue
		}
		v.errf(fmt.Sprintf("%s[%d]", key, j), "%s", UnknownValue(what, val, allowed...))
	}
	return known
}

// graphValues checks the values of a list key that holds members of a
// Microsoft Graph enumeration: routes compare them, ignoring case, with
// what Graph sends, so a value Graph does not send, or another spelling
// of a member ("Service restored"), never matches a Graph item. Those
// are warnings. It returns the values that can match.
func (v *validator) graphValues(key, what string, vals, allowed []string, parse func(string) string) []string {
	var known []string
	for j, val := range vals {
		k := fmt.Sprintf("%s[%d]", key, j)
		switch canon := parse(val); {
		case containsFold(allowed, val):
			known = append(known, val)
		case containsFold(allowed, canon):
			v.warnf(k, "%q never matches: Microsoft Graph spells it %s", val, canon)
		default:
			msg := fmt.Sprintf("%q is not a %s Microsoft Graph sends", val, what)
			if s := Suggest(val, allowed); s != "" {
				msg += " (did you mean " + s + "?)"
			} else {
				msg += " (want " + orList(allowed) + ")"
			}
			v.warnf(k, "%s", msg)
		}
	}
	return known
}

// publicStatuses are the status words of the public status pages as far
// as they are known (internal/source/publicstatus passes them through;
// "active" and "resolved" are shdmc's for entries without one and for
// entries that left their feed).
var publicStatuses = []string{"Available", "Operational", "ServiceDegradation", "ServiceDisruption", "Disrupted",
	"Degraded", "Informational", "Investigating", "active", "resolved"}

// statuses checks the values of status_to or status_from. A value that
// Microsoft Graph does not send is a warning, unless the route takes
// public status entries and it is one of their words. It returns the
// values Graph sends and those any source sends.
func (v *validator) statuses(key string, vals []string, seesPublic bool) (graph, anywhere []string) {
	all := strs(model.Statuses())
	for j, val := range vals {
		k := fmt.Sprintf("%s[%d]", key, j)
		canon := string(model.ParseStatus(val))
		switch {
		case containsFold(all, val):
			graph = append(graph, val)
			anywhere = append(anywhere, val)
		case containsFold(publicStatuses, val) && seesPublic:
			anywhere = append(anywhere, val)
		case containsFold(all, canon):
			v.warnf(k, "%q never matches: Microsoft Graph spells it %s", val, canon)
		default:
			msg := fmt.Sprintf("%q is not a status Microsoft Graph sends", val)
			if s := Suggest(val, all); s != "" {
				msg += " (did you mean " + s + "?)"
			}
			v.warnf(k, "%s", msg)
		}
	}
	return graph, anywhere
}

// urgent checks the quiet hours' urgent list of route p: each value is an
// event type, an issue or service status or a Message Center severity.
func (v *validator) urgent(p string, vals []string) {
	allowed := slices.Concat(strs(model.EventTypes()), strs(model.Statuses()), strs(model.Severities()))
	for j, val := range vals {
		if containsFold(allowed, val) {
			continue
		}
		msg := fmt.Sprintf("%q is no event type, status or severity, so it never makes a notice urgent", val)
		if s := Suggest(val, allowed); s != "" {
			msg += " (did you mean " + s + "?)"
		}
		v.warnf(fmt.Sprintf("%s.quiet_hours.urgent[%d]", p, j), "%s", msg)
	}
}

// The kinds of item an event carries.
const (
	itemIssue   = "issue"
	itemMessage = "message"
	itemService = "service"
)

// eventKind is one kind of event a route may be offered: its source, its
// type and the item it carries ("" for source health events).
type eventKind struct {
	source, event, item string
}

func (k eventKind) public() bool { return slices.Contains(publicSources, k.source) }

// eventKinds lists every kind of event routes are offered.
func eventKinds() []eventKind {
	var out []eventKind
	for _, src := range append([]string{string(model.SourceSHD)}, publicSources...) {
		for _, e := range model.EventTypes() {
			if strings.HasPrefix(string(e), "issue.") {
				out = append(out, eventKind{src, string(e), itemIssue})
			}
		}
	}
	for _, e := range model.EventTypes() {
		switch {
		case e.IsOwnership():
			// What people do with an item, of an issue or a post.
			out = append(out, eventKind{string(model.SourceSHD), string(e), itemIssue},
				eventKind{string(model.SourceMC), string(e), itemMessage})
		case strings.HasPrefix(string(e), "mc."):
			out = append(out, eventKind{string(model.SourceMC), string(e), itemMessage})
		case e == model.EventServiceStatus:
			out = append(out, eventKind{string(model.SourceHealth), string(e), itemService})
		case e == model.EventSourceDown || e == model.EventSourceRestored:
			out = append(out, eventKind{string(model.SourceGraph), string(e), ""})
		}
	}
	return out
}

// condition is what one match key demands of an event.
type condition struct {
	desc  string
	holds func(eventKind) bool
}

// unmatchable explains why no kind of event satisfies every condition, or
// returns "" when some kind does: by the one condition no event meets,
// else by two that no event meets together, else by all of them.
func unmatchable(conds []condition) string {
	meets := func(cs ...condition) bool {
		for _, k := range eventKinds() {
			if !slices.ContainsFunc(cs, func(c condition) bool { return !c.holds(k) }) {
				return true
			}
		}
		return false
	}
	if meets(conds...) {
		return ""
	}
	for _, c := range conds {
		if !meets(c) {
			return c.desc
		}
	}
	for i, a := range conds {
		for _, b := range conds[i+1:] {
			if !meets(a, b) {
				return a.desc + " and " + b.desc + " never hold together"
			}
		}
	}
	descs := make([]string, len(conds))
	for i, c := range conds {
		descs[i] = c.desc
	}
	return "no event meets all of " + strings.Join(descs, "; ")
}

// list shows the values of a key as in YAML flow style: [a, b].
func list(vals []string) string {
	return "[" + strings.Join(vals, ", ") + "]"
}
