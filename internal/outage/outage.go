// Package outage keeps the health of one source of one tenant (Microsoft
// Graph, a public status feed) as a small state machine: consecutive
// failures, when they began, and whether an outage has been announced. It is
// pure: the caller passes the time of every observation, and persists the
// State it gets back.
//
// An outage is declared when a source has failed Settings.Failures times in
// a row, or has been failing for Settings.After (whichever comes first); it
// ends at the first success after that. Exactly one Down transition and one
// Restored transition are reported per outage, so a source that flaps
// produces at most one pair of notices per outage, and failures below the
// threshold produce none.
package outage

import (
	"time"
)

// Class names why a source failed.
type Class string

// The failure classes.
const (
	ClassAuth      Class = "auth"      // Entra ID refused or could not issue a token
	ClassThrottled Class = "throttled" // 429 (or 503 with Retry-After) that did not clear
	ClassServer    Class = "server"    // 5xx from the service
	ClassTimeout   Class = "timeout"   // the request's deadline ran out
	ClassMalformed Class = "malformed" // a response that does not parse (HTML interstitial, truncated JSON)
	ClassNetwork   Class = "network"   // connection refused, reset, DNS
	ClassOther     Class = "other"
)

// Failure is one classified failed attempt.
type Failure struct {
	Class Class `json:"class"`
	// Code is the AADSTS code of a sign-in failure, or the HTTP status.
	Code string `json:"code,omitempty"`
	// Detail is the error text, one line, for people.
	Detail string `json:"detail,omitempty"`
}

// Settings set when an outage is declared.
type Settings struct {
	// Failures in a row that make an outage (default 3).
	Failures int
	// After is how long a source may fail before it is an outage even
	// with fewer failures (default 5 minutes).
	After time.Duration
}

// withDefaults fills zero fields.
func (s Settings) withDefaults() Settings {
	if s.Failures <= 0 {
		s.Failures = 3
	}
	if s.After <= 0 {
		s.After = 5 * time.Minute
	}
	return s
}

// State is the persisted health of one source. The zero State is a source
// that has never been observed.
type State struct {
	// Down is true while an outage is announced.
	Down bool `json:"down"`
	// Failures counts consecutive failures (0 after a success).
	Failures int `json:"failures"`
	// FirstFailure is when the current run of failures began.
	FirstFailure time.Time `json:"firstFailure,omitzero"`
	// LastFailure is the time of the newest failure.
	LastFailure time.Time `json:"lastFailure,omitzero"`
	// LastSuccess is the time of the newest success.
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	// DownSince is when the announced outage began (its first failure).
	DownSince time.Time `json:"downSince,omitzero"`
	// Last is the newest failure.
	Last Failure `json:"last,omitzero"`
	// Outages counts the outages announced so far; the current (or last)
	// outage is number Outages.
	Outages int `json:"outages"`
	// LastOutage is the duration of the last outage that ended.
	LastOutage time.Duration `json:"lastOutage,omitempty"`
	// Paused is set on a fallback source that is no longer polled (the
	// public status pages once Graph works again): its last failures are
	// history, not a current outage. The next attempt clears it.
	Paused bool `json:"paused,omitempty"`
}

// Transition is what an observation changed.
type Transition int

// The transitions.
const (
	// None: nothing to announce.
	None Transition = iota
	// Down: an outage began; announce it once.
	Down
	// Restored: the outage ended; announce its duration.
	Restored
)

// String names the transition.
func (t Transition) String() string {
	switch t {
	case Down:
		return "down"
	case Restored:
		return "restored"
	}
	return "none"
}

// Fail records a failure at now.
func (s State) Fail(now time.Time, f Failure, set Settings) (State, Transition) {
	set = set.withDefaults()
	s.Paused = false
	if s.Failures == 0 || s.FirstFailure.IsZero() {
		s.FirstFailure = now
	}
	s.Failures++
	s.LastFailure = now
	s.Last = f
	if s.Down {
		return s, None
	}
	if s.Failures >= set.Failures || now.Sub(s.FirstFailure) >= set.After {
		s.Down = true
		s.DownSince = s.FirstFailure
		s.Outages++
		return s, Down
	}
	return s, None
}

// Succeed records a success at now. On Restored, the State's LastOutage is
// the outage's duration: from its first failure to now.
func (s State) Succeed(now time.Time) (State, Transition) {
	s.Paused = false
	t := None
	if s.Down {
		t = Restored
		s.LastOutage = now.Sub(s.DownSince)
		s.Down = false
	}
	s.Failures = 0
	s.FirstFailure = time.Time{}
	s.LastSuccess = now
	return s, t
}

// Failing reports whether the source's last observation was a failure.
func (s State) Failing() bool { return s.Failures > 0 }

// Stale returns how old the last good data is at now (0 when the source
// has never succeeded or its last observation was a success).
func (s State) Stale(now time.Time) time.Duration {
	if s.Failures == 0 || s.LastSuccess.IsZero() || s.Paused {
		return 0
	}
	return now.Sub(s.LastSuccess)
}
