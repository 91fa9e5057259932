// Package route decides who gets what: it matches each detected event
// against the configured routes and returns the (route, channel) pairs to
// deliver it to. It knows nothing of channels' wire formats.
package route

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
)

// DefaultRoute is the name of the implicit route used when the config has
// none: every event to every channel.
const DefaultRoute = "default"

// Target is one delivery to make.
type Target struct {
	Route   string
	Channel string
}

// Router matches events against routes. It is immutable and safe for
// concurrent use.
type Router struct {
	routes []*compiled
}

type compiled struct {
	policy     *Policy
	sets       map[string]map[string]bool // match key → folded values
	titleRE    *regexp.Regexp
	bodyRE     *regexp.Regexp
	keywords   []string
	majorSet   bool
	major      bool
	relSet     bool
	relevant   bool
	actionSpan time.Duration
	// reminders are the mc.reminder days the route delivers; nil: all.
	reminders []int
	// escalation is the route's escalate setting; nil: none.
	escalation *Escalation
}

// New compiles routes. With no routes, every event goes to every channel
// through DefaultRoute. The routes are assumed validated by config.
func New(routes []config.Route, channels []string) (*Router, error) {
	if len(routes) == 0 {
		routes = []config.Route{{Name: DefaultRoute, Channels: channels}}
	}
	r := &Router{}
	for _, rc := range routes {
		pol, err := compilePolicy(rc)
		if err != nil {
			return nil, err
		}
		c := &compiled{policy: pol, sets: map[string]map[string]bool{}}
		m := rc.Match
		for key, vals := range map[string][]string{
			"tenants": m.Tenants, "sources": m.Sources, "events": m.Events, "services": m.Services,
			"features": m.Features, "classifications": m.Classifications, "status_to": m.StatusTo,
			"status_from": m.StatusFrom, "origins": m.Origins, "categories": m.Categories,
			"severities": m.Severities, "tags": m.Tags,
		} {
			if len(vals) == 0 {
				continue
			}
			set := make(map[string]bool, len(vals))
			for _, v := range vals {
				set[fold(v)] = true
			}
			c.sets[key] = set
		}
		if m.TitleRegex != "" {
			if c.titleRE, err = regexp.Compile(m.TitleRegex); err != nil {
				return nil, fmt.Errorf("route %s: title_regex: %w", rc.Name, err)
			}
		}
		if m.BodyRegex != "" {
			if c.bodyRE, err = regexp.Compile(m.BodyRegex); err != nil {
				return nil, fmt.Errorf("route %s: body_regex: %w", rc.Name, err)
			}
		}
		for _, k := range m.Keywords {
			c.keywords = append(c.keywords, strings.ToLower(k))
		}
		if m.MajorChange != nil {
			c.majorSet, c.major = true, *m.MajorChange
		}
		if m.Relevant != nil {
			c.relSet, c.relevant = true, *m.Relevant
		}
		c.actionSpan = time.Duration(m.ActionRequiredWithin)
		c.reminders = rc.Reminders
		if e := rc.Escalate; e != nil {
			c.escalation = escalationOf(rc.Name, time.Duration(e.UnacknowledgedAfter), e.To)
		}
		r.routes = append(r.routes, c)
	}
	return r, nil
}

// Match returns the deliveries for ev: every channel of every matching
// route, in config order.
func (r *Router) Match(ev *model.Event) []Target {
	var out []Target
	for _, c := range r.routes {
		if !c.matches(ev) {
			continue
		}
		for _, ch := range c.policy.Channels {
			out = append(out, Target{Route: c.policy.Name, Channel: ch})
		}
	}
	return out
}

// Policy returns the delivery policy of a route by name (DefaultRoute
// when no routes are configured); nil for a name no route has (test
// notices, source health notices to the independent channels), which
// delivers at once, in English, without failover. A nil Policy is valid.
func (r *Router) Policy(name string) *Policy {
	if r == nil {
		return nil
	}
	for _, c := range r.routes {
		if c.policy.Name == name {
			return c.policy
		}
	}
	return nil
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// any reports whether the set for key holds one of vals; a key that is
// not configured matches everything.
func (c *compiled) any(key string, vals ...string) bool {
	set, on := c.sets[key]
	if !on {
		return true
	}
	for _, v := range vals {
		if set[fold(v)] {
			return true
		}
	}
	return false
}

// set reports whether key is configured.
func (c *compiled) set(key string) bool { _, on := c.sets[key]; return on }

func (c *compiled) matches(ev *model.Event) bool {
	if !c.any("tenants", ev.Tenant) || !c.any("sources", string(ev.Source)) || !c.any("events", string(ev.Type)) ||
		c.ownershipOnly(ev) {
		return false
	}
	if ev.Type == model.EventMessageReminder && c.reminders != nil && !slices.Contains(c.reminders, reminderDays(ev)) {
		return false
	}
	is, m, sv := ev.Issue, ev.Message, ev.Service
	// Keys that only make sense for one source fail on the others.
	issueOnly := []string{"features", "classifications", "origins"}
	mcOnly := []string{"categories", "severities", "tags"}
	if is == nil && slices.ContainsFunc(issueOnly, c.set) {
		return false
	}
	if m == nil && (slices.ContainsFunc(mcOnly, c.set) || c.majorSet || c.relSet || c.actionSpan > 0) {
		return false
	}
	var services []string
	var title, body string
	switch {
	case is != nil:
		services = []string{is.Service}
		title = is.Title
		body = is.ImpactDescription
		for _, p := range is.Posts {
			body += "\n" + p.Content
		}
		if !c.any("features", is.Feature, is.FeatureGroup) || !c.any("classifications", string(is.Classification)) ||
			!c.any("origins", string(is.Origin)) {
			return false
		}
	case m != nil:
		services = m.Services
		title = m.Title
		body = m.Body
		if !c.any("categories", string(m.Category)) || !c.any("severities", string(m.Severity)) || !c.any("tags", m.Tags...) {
			return false
		}
		if c.majorSet && m.IsMajorChange != c.major {
			return false
		}
		// Unknown relevance (no service list yet) counts as relevant.
		if c.relSet && (ev.Relevance == nil || ev.Relevance.Relevant) != c.relevant {
			return false
		}
		if c.actionSpan > 0 && (m.ActionRequiredBy.IsZero() || m.ActionRequiredBy.Sub(ev.DetectedAt) > c.actionSpan) {
			return false
		}
	case sv != nil:
		services = []string{sv.Service}
		title = sv.Service
	}
	if !c.any("services", services...) {
		return false
	}
	if c.set("status_to") || c.set("status_from") {
		from, to, ok := transition(ev)
		if !ok || !c.any("status_to", to) || (c.set("status_from") && !c.any("status_from", from)) {
			return false
		}
	}
	if c.titleRE != nil && !c.titleRE.MatchString(title) {
		return false
	}
	if c.bodyRE != nil && !c.bodyRE.MatchString(body) {
		return false
	}
	if len(c.keywords) > 0 {
		text := strings.ToLower(title + "\n" + htmltext.Text(body))
		if !slices.ContainsFunc(c.keywords, func(k string) bool { return strings.Contains(text, k) }) {
			return false
		}
	}
	return true
}

// transition returns the status change of an event: the recorded change,
// or for a new item its current status (from "").
func transition(ev *model.Event) (from, to string, ok bool) {
	for _, ch := range ev.Changes {
		if ch.Kind == model.ChangeStatus {
			return ch.From, ch.To, true
		}
	}
	if ev.Has(model.ChangeNew) {
		switch {
		case ev.Issue != nil:
			return "", string(ev.Issue.Status), true
		case ev.Service != nil:
			return "", string(ev.Service.Status), true
		}
	}
	return "", "", false
}

// reminderDays is the number of days of an mc.reminder event (the Field
// of its ChangeReminder), 0 when it has none.
func reminderDays(ev *model.Event) int {
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeReminder {
			n, _ := strconv.Atoi(c.Field)
			return n
		}
	}
	return 0
}
