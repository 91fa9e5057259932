package outage

import (
	"math"
	"time"
)

// BudgetShare is the part of HourlyBudget a tenant's request plan may use;
// the rest is headroom for what no plan foresees (a burst of new posts,
// long throttling).
const BudgetShare = 0.8

// The request plan's cost model. Quiet polls cost one request per
// collection (Graph sends up to 1,000 items a page); the rest is reserved.
const (
	// retryShare is the share of requests that may be sent again after a
	// throttled or failed attempt.
	retryShare = 0.25
	// fullPages is the number of pages of one full listing of the issues
	// or the messages (a large tenant has a few thousand posts).
	fullPages = 3
	// extraPerHour reserves requests for the attachments of new and
	// changed Message Center posts and for post-incident reports.
	extraPerHour = 12
)

// Lane says when a tenant's Service Health issues are polled in the fast
// lane: on their own, every incident interval.
type Lane string

// The fast lane modes (config fast_lane).
const (
	LaneAuto   Lane = "auto"   // while the tenant has an active incident
	LaneAlways Lane = "always" // at every moment
	LaneOff    Lane = "off"    // never: the issues are polled with the rest
)

// PlanInput is what one tenant's request plan is made of.
type PlanInput struct {
	// Tenant names the tenant.
	Tenant string
	// Interval is the tenant's polling interval.
	Interval time.Duration
	// Lane is the tenant's fast lane mode; "" is LaneAuto.
	Lane Lane
	// IncidentInterval is the fast lane interval the config asks for.
	IncidentInterval time.Duration
	// Issues, Messages and Health say which collections are polled.
	Issues, Messages, Health bool
	// FullResync is how often the issues and messages are listed whole
	// (0: never after the baseline).
	FullResync time.Duration
}

// Plan is one tenant's request plan: how often each collection is polled,
// and what that costs at most.
type Plan struct {
	// Tenant names the tenant.
	Tenant string
	// Lane is the tenant's fast lane mode.
	Lane Lane
	// Interval is how often the messages and the health overview (and the
	// issues outside the fast lane) are polled while all is quiet.
	Interval time.Duration
	// BusyInterval is the same while an incident is active or Graph
	// fails (Interval of this package).
	BusyInterval time.Duration
	// Asked is the fast lane interval the config asked for.
	Asked time.Duration
	// IncidentInterval is the fast lane's interval: Asked, raised to
	// MinIncidentInterval when that is longer, and never longer than
	// BusyInterval. 0 when the lane is off (or the tenant polls no
	// issues).
	IncidentInterval time.Duration
	// MinIncidentInterval is the shortest fast lane interval that keeps
	// every tenant of the budget within BudgetShare of HourlyBudget, when
	// all their fast lanes run at once; 0 when the lane is off or the
	// other collections leave no room for one (the issues are then polled
	// with them).
	MinIncidentInterval time.Duration
	// Requests is the most the plan spends in an hour: with the fast lane
	// running, the other collections at BusyInterval, full listings,
	// attachments and retries.
	Requests float64
	// BudgetRequests is Requests summed over every tenant of the budget
	// (one app in one Entra tenant), which Graph's limit applies to.
	BudgetRequests float64
}

// Raised reports whether the fast lane interval was raised above what the
// config asked for.
func (p Plan) Raised() bool { return p.IncidentInterval > p.Asked && p.Asked > 0 }

// Share returns the part of HourlyBudget the budget's plan spends at most.
func (p Plan) Share() float64 { return p.BudgetRequests / HourlyBudget }

// FastLane reports whether the plan has a fast lane.
func (p Plan) FastLane() bool { return p.IncidentInterval > 0 }

// PlanBudget plans the tenants that share one Graph budget (one app in
// one Entra tenant, usually a single tenant), in their order. Everything
// but the fast lanes is planned first; the fast lanes share what is left
// of BudgetShare × HourlyBudget equally, which sets the shortest incident
// interval any of them may have.
func PlanBudget(in []PlanInput) []Plan {
	out := make([]Plan, len(in))
	limit := BudgetShare * HourlyBudget / (1 + retryShare) // per hour, before retries
	slow := make([]float64, len(in))
	total := 0.0
	for i, t := range in {
		lane := t.Lane
		if lane == "" {
			lane = LaneAuto
		}
		busy := Interval(t.Interval, true, requestsPerPoll(t))
		out[i] = Plan{Tenant: t.Tenant, Lane: lane, Interval: t.Interval, BusyInterval: busy, Asked: t.IncidentInterval}
		perHour := float64(time.Hour) / float64(busy)
		n := count(t.Messages, t.Health, t.Issues && !hasLane(t, lane))
		slow[i] = perHour * float64(n)
		if t.FullResync > 0 {
			slow[i] += float64(time.Hour) / float64(t.FullResync) * fullPages * float64(count(t.Issues, t.Messages))
		}
		if t.Messages {
			slow[i] += extraPerHour
		}
		total += slow[i]
	}
	// A fast lane whose busy interval is no longer than the minimum costs
	// what polling the issues with the rest would: count it so, and
	// share the room among the others.
	capped := make([]bool, len(in))
	var minIv time.Duration
	for range len(in) + 1 {
		used, k := total, 0
		for i, t := range in {
			switch {
			case !hasLane(t, out[i].Lane):
			case capped[i]:
				used += float64(time.Hour) / float64(out[i].BusyInterval)
			default:
				k++
			}
		}
		room := limit - used
		if k == 0 || room <= 0 {
			minIv = 0
			break
		}
		minIv = time.Duration(math.Ceil(float64(k)*3600/room)) * time.Second
		more := false
		for i, t := range in {
			if hasLane(t, out[i].Lane) && !capped[i] && out[i].BusyInterval <= minIv {
				capped[i], more = true, true
			}
		}
		if !more {
			break
		}
	}
	sum := 0.0
	for i, t := range in {
		p := &out[i]
		p.Requests = slow[i]
		if hasLane(t, p.Lane) {
			p.MinIncidentInterval = minIv
			switch {
			case minIv == 0 || capped[i]: // no room, or no faster than the rest
				p.IncidentInterval = p.BusyInterval
			default:
				p.IncidentInterval = min(max(t.IncidentInterval, minIv), p.BusyInterval)
			}
			p.Requests += float64(time.Hour) / float64(p.IncidentInterval)
		}
		p.Requests *= 1 + retryShare
		sum += p.Requests
	}
	for i := range out {
		out[i].BudgetRequests = sum
	}
	return out
}

// hasLane reports whether a tenant's issues may be polled in the fast
// lane.
func hasLane(t PlanInput, lane Lane) bool {
	return t.Issues && lane != LaneOff && t.IncidentInterval > 0
}

// requestsPerPoll is what Interval is told a poll of the tenant costs, as
// the scheduler tells it: one request per collection and one more.
func requestsPerPoll(t PlanInput) int { return 1 + count(t.Issues, t.Messages, t.Health) }

// count counts the true values.
func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
