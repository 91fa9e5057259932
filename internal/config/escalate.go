package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// minEscalation is the shortest escalate.unacknowledged_after: the poller
// looks for items to escalate after each poll, so a shorter time would not
// be kept anyway, and nobody acknowledges within seconds.
const minEscalation = Duration(5 * time.Minute)

// escalate checks the escalation of route p: a time of at least
// minEscalation, channels that exist and are not already the route's, and
// a route that can announce what is escalated (incidents, Message Center
// posts).
func (v *validator) escalate(p string, r *Route) {
	e := r.Escalate
	if e == nil {
		return
	}
	p += ".escalate"
	switch {
	case e.UnacknowledgedAfter == 0:
		v.errf(p+".unacknowledged_after", "escalate needs unacknowledged_after, e.g. 4h")
	case e.UnacknowledgedAfter < minEscalation:
		v.errf(p+".unacknowledged_after", "%s is shorter than %s", e.UnacknowledgedAfter, minEscalation)
	}
	if len(e.To) == 0 {
		v.errf(p+".to", "escalate needs the channels to escalate to, e.g. to: [oncall-mail]")
	}
	channels := map[string]bool{}
	for _, c := range v.c.Channels {
		channels[c.Name] = true
	}
	for j, c := range e.To {
		k := fmt.Sprintf("%s.to[%d]", p, j)
		switch {
		case !channels[c]:
			v.errf(k, "no channel named %q", c)
		case slices.Contains(r.Channels, c):
			v.warnf(k, "%q already gets every notice of this route; escalate to another channel", c)
		}
	}
	if !escalates(r.Match) {
		v.warnf(p, "nothing is escalated: only incidents and Message Center posts with an action-required date are, "+
			"and this route matches neither (match.sources or match.events)")
	}
}

// escalates reports whether a route's match can select the incidents or
// Message Center posts that escalation concerns: its sources (if any)
// include shd or mc, and its events (if any) one of theirs.
func escalates(m Match) bool {
	if len(m.Sources) > 0 && !slices.ContainsFunc(m.Sources, func(s string) bool {
		return strings.EqualFold(s, "shd") || strings.EqualFold(s, "mc")
	}) {
		return false
	}
	if len(m.Events) > 0 && !slices.ContainsFunc(m.Events, func(e string) bool {
		e = strings.ToLower(e)
		return strings.HasPrefix(e, "issue.") || strings.HasPrefix(e, "mc.")
	}) {
		return false
	}
	return true
}
