package route

import (
	"slices"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// Escalation is a route's escalate setting, compiled: an item the route
// announced (an incident, a Message Center post with an action-required
// date) that nobody acknowledged within After of the route's first notice
// of it goes to Channels, once (store.KindEscalation deliveries of the
// route, which keep its language, time zone and template but never wait
// for its digest).
type Escalation struct {
	Route    string
	After    time.Duration
	Channels []string
}

// Escalations returns the escalations of the routes that have one, in
// config order.
func (r *Router) Escalations() []Escalation {
	if r == nil {
		return nil
	}
	var out []Escalation
	for _, c := range r.routes {
		if c.escalation != nil {
			out = append(out, *c.escalation)
		}
	}
	return out
}

// Escalates reports whether an item is of the kind escalation concerns,
// at now: an active incident (not an advisory) of the Service Health
// Dashboard, or a Message Center post whose action-required date has not
// passed. Removed items are never escalated (the caller knows them).
func Escalates(ev *model.Event, now time.Time) bool {
	switch {
	case ev.Source == model.SourceSHD && ev.Issue != nil:
		is := ev.Issue
		return is.Classification == model.ClassificationIncident && is.Status.Active() && !is.IsResolved
	case ev.Source == model.SourceMC && ev.Message != nil:
		return !ev.Message.ActionRequiredBy.IsZero() && ev.Message.ActionRequiredBy.After(now)
	}
	return false
}

// ownershipOnly reports whether a route takes an ownership event: only
// when its match.events names the event's type, so that acknowledgements
// are not announced by every route that announces their items.
func (c *compiled) ownershipOnly(ev *model.Event) bool {
	return ev.Type.IsOwnership() && !c.set("events")
}

// escalationOf compiles the escalate setting of a route (nil: none).
func escalationOf(name string, after time.Duration, to []string) *Escalation {
	if after <= 0 || len(to) == 0 {
		return nil
	}
	return &Escalation{Route: name, After: after, Channels: slices.Clone(to)}
}
