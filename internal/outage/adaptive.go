package outage

import "time"

// Floor is the shortest interval Interval ever returns: with the three
// Graph collections and a page or two each, one poll a minute stays far
// below Graph's 800 requests per hour per app and tenant.
const Floor = 60 * time.Second

// HourlyBudget is Microsoft Graph's service communications limit per app
// and tenant.
const HourlyBudget = 800

// Interval returns the polling interval of a tenant: base normally; while
// an incident is active or a source is down, base divided by 4, but never
// below Floor, never longer than base, and never so short that
// requestsPerPoll requests per poll would exceed HourlyBudget.
func Interval(base time.Duration, incident bool, requestsPerPoll int) time.Duration {
	if !incident || base <= Floor {
		return base
	}
	fast := max(base/4, Floor)
	if requestsPerPoll > 0 {
		// polls per hour × requests per poll ≤ budget, with 20 % headroom
		// for retries and attachment requests.
		minGap := time.Duration(float64(time.Hour) * float64(requestsPerPoll) / (HourlyBudget * 0.8))
		fast = max(fast, minGap)
	}
	return min(fast, base)
}
