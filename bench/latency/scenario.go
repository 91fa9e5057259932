package main

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/sim"
)

// The items of the scenario.
const (
	incidentID = "EX900001"
	baseMsgID  = "MC100001"
)

// timeline is when the changes of the run become visible in Graph,
// relative to the start of the run (t0), and when the phases are.
type timeline struct {
	t0       time.Time
	duration time.Duration
	// resolve ends the incident (for every tenant): the fast lane phase
	// is [0, resolve), the quiet phase [resolve, duration).
	resolve time.Duration
	// warmup is when every tenant has made its first poll: the request
	// rates are counted from then on.
	warmup time.Duration
	// changes are the expected notices, one per change.
	changes []change
}

// change is one change to one tenant's item, visible at a known time.
type change struct {
	tenant  string // simulator tenant ID
	item    string
	at      time.Duration // after t0
	kind    string        // "incident" (the fast lane) or "quiet"
	content string        // the post or body, unique
}

// plan lays out the run: every tenant has the incident from the start;
// a new post appears every postEvery, the tenants' posts spread over one
// postEvery (tenant k's first at warmup + k·postEvery/n), until 25 s
// before the incident is resolved at 60 % of the run (a last change, also
// in the fast lane); then each tenant gets one new Message Center post, spread
// over the quiet phase so that every post is visible at least interval +
// 15 s before the end.
func plan(t0 time.Time, tenants []string, d, postEvery, interval time.Duration) timeline {
	tl := timeline{t0: t0, duration: d, resolve: d * 6 / 10, warmup: 35 * time.Second}
	n := len(tenants)
	for k, tn := range tenants {
		first := tl.warmup + postEvery*time.Duration(k)/time.Duration(n)
		for j := 0; ; j++ {
			at := first + postEvery*time.Duration(j)
			// A post closer to the resolution than a fast lane interval
			// (with jitter) could be seen with it in one poll, as one
			// change and one notice.
			if at >= tl.resolve-25*time.Second || j > 1000 {
				break
			}
			tl.changes = append(tl.changes, change{tenant: tn, item: incidentID, at: at, kind: "incident",
				content: fmt.Sprintf("Current status: update %d for tenant %d.", j+1, k+1)})
		}
		tl.changes = append(tl.changes, change{tenant: tn, item: incidentID, at: tl.resolve, kind: "incident",
			content: fmt.Sprintf("Final status: resolved for tenant %d.", k+1)})
	}
	quietFrom, quietTo := tl.resolve+10*time.Second, d-interval-15*time.Second
	quietTo = max(quietTo, quietFrom)
	for k, tn := range tenants {
		at := quietFrom + (quietTo-quietFrom)*time.Duration(k)/time.Duration(n)
		tl.changes = append(tl.changes, change{tenant: tn, item: fmt.Sprintf("MC9%05d", k+1), at: at, kind: "quiet",
			content: fmt.Sprintf("<p>New post for tenant %d.</p>", k+1)})
	}
	return tl
}

// scenario renders the timeline as a simulator scenario that starts a
// minute before t0: a service, the active incident and a Message Center
// post exist from the start (the baseline), then every change is a step
// of its own tenant.
func (tl timeline) scenario() (*sim.Scenario, error) {
	start := tl.t0.Add(-time.Minute)
	type m = map[string]any
	steps := []m{{
		"at": "0s",
		"services": []m{
			{"id": "Exchange", "service": "Exchange Online", "status": string(model.StatusServiceDegradation)},
			{"id": "microsoftteams", "service": "Microsoft Teams", "status": string(model.StatusServiceOperational)},
		},
		"issues": []m{{"id": incidentID, "title": "Users may see delays sending mail", "service": "Exchange Online",
			"classification": "incident", "status": "serviceDegradation", "isResolved": false,
			"post": "Current status: We're investigating delays."}},
		"messages": []m{{"id": baseMsgID, "title": "An older post", "category": "stayInformed", "severity": "normal",
			"services": []string{"Exchange Online"}, "body": "<p>Seen at the baseline.</p>"}},
	}}
	for _, c := range tl.changes {
		st := m{"at": (time.Minute + c.at).String(), "tenants": []string{c.tenant}}
		switch {
		case c.kind == "incident" && c.at == tl.resolve:
			st["issues"] = []m{{"id": c.item, "status": "serviceRestored", "isResolved": true, "post": c.content}}
		case c.kind == "incident":
			st["issues"] = []m{{"id": c.item, "post": c.content}}
		default:
			st["messages"] = []m{{"id": c.item, "title": "Coming soon: a change", "category": "planForChange", "severity": "normal",
				"services": []string{"Exchange Online"}, "body": c.content}}
		}
		steps = append(steps, st)
	}
	data, err := yaml.Marshal(m{"name": "latency", "start": start.UTC().Format(time.RFC3339Nano), "steps": steps})
	if err != nil {
		return nil, fmt.Errorf("render scenario: %w", err)
	}
	return sim.ParseScenario(data, "latency.yaml")
}
