// Package scenario generates the realistic simulated tenant that the
// benchmarks poll: issues with several posts of about 1 KB, Message Center
// posts with HTML bodies of about 2.5 KB, timestamps spread over weeks.
package scenario

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shdmc/shdmc/internal/sim"
)

// Shape is the content every simulated tenant sees.
type Shape struct {
	Issues, Messages, Posts int
	// Days is the span over which the items were created and updated.
	Days int
}

// bulkSteps is the number of scenario steps the bulk of the content is
// spread over (one a day); every step costs the simulator a snapshot, so it
// is kept small.
const bulkSteps = 30

// lastStepGap separates the final step (the newest change of each
// collection) from the bulk, so that only the final step's items fall inside
// the poller's overlap window (10 min by default) on incremental polls.
const lastStepGap = 6 * time.Hour

// Generate builds a scenario whose item timestamps are spread over
// shape.Days, as a real tenant's are. sim.GenerateScenario stamps every item
// within the same second, so an incremental poll with the default 10-minute
// overlap would fetch everything again; that measures the generator, not the
// poller. Here the final step holds exactly one issue update (the last post
// of the last issue) and one new message: the items a real tenant's newest
// change re-sends on every incremental poll.
//
// Issues get shape.Posts posts each (~1 KB of text per post), most of them
// end resolved; messages have ~2.5 KB HTML bodies. end is the scenario time
// of the final step.
func Generate(shape Shape, now time.Time) (*sim.Scenario, time.Time, error) {
	if shape.Issues < 1 || shape.Messages < 1 || shape.Posts < 1 {
		return nil, time.Time{}, fmt.Errorf("generate scenario: need at least one issue, message and post")
	}
	if shape.Days < 1 {
		shape.Days = 30
	}
	stepGap := time.Duration(shape.Days) * 24 * time.Hour / bulkSteps
	span := stepGap*(bulkSteps-1) + lastStepGap
	start := now.Add(-span).Truncate(time.Second).UTC()

	type m = map[string]any
	steps := make([]m, bulkSteps+1)
	for j := range steps {
		at := stepGap * time.Duration(j)
		if j == bulkSteps {
			at = stepGap*(bulkSteps-1) + lastStepGap
		}
		steps[j] = m{"at": at.String(), "note": fmt.Sprintf("bulk %d", j)}
	}
	steps[0]["services"] = []m{
		{"id": "Exchange", "service": "Exchange Online", "status": "serviceOperational"},
		{"id": "SharePoint", "service": "SharePoint Online", "status": "serviceOperational"},
		{"id": "microsoftteams", "service": "Microsoft Teams", "status": "serviceOperational"},
		{"id": "OSDPPlatform", "service": "Microsoft 365 suite", "status": "serviceDegradation"},
	}
	steps[bulkSteps]["note"] = "newest change"
	add := func(j int, key string, v m) {
		l, _ := steps[j][key].([]m)
		steps[j][key] = append(l, v)
	}
	services := []string{"Exchange Online", "SharePoint Online", "Microsoft Teams", "Microsoft 365 suite"}
	// Issue i is created at step first(i) and updated at the next steps.
	first := func(i int) int {
		if shape.Issues == 1 {
			return bulkSteps - shape.Posts + 1
		}
		return i * (bulkSteps - shape.Posts) / (shape.Issues - 1)
	}
	for i := 0; i < shape.Issues; i++ {
		id := fmt.Sprintf("GN%06d", i)
		active := i >= shape.Issues-max(1, shape.Issues/20) // the newest 5% are still open
		for p := 0; p < shape.Posts; p++ {
			j := first(i) + p
			if i == shape.Issues-1 && p == shape.Posts-1 {
				j = bulkSteps
			}
			j = min(max(j, 0), bulkSteps)
			ch := m{"id": id, "post": postText(i, p)}
			switch {
			case p == 0:
				ch["title"] = fmt.Sprintf("Users may be unable to access some features of %s (%d)", services[i%len(services)], i)
				ch["service"] = services[i%len(services)]
				ch["feature"] = "E-Mail and calendar access"
				ch["featureGroup"] = "Networking Issues"
				ch["classification"] = []string{"incident", "advisory"}[i%2]
				ch["status"] = "investigating"
				ch["impactDescription"] = "Users may be unable to access some features using any connection method."
				ch["isResolved"] = false
				ch["details"] = []m{{"name": "NotifyInApp", "value": "True"}}
			case p == shape.Posts-1 && !active:
				ch["status"] = "serviceRestored"
				ch["isResolved"] = true
			case p == 1:
				ch["status"] = "serviceDegradation"
			}
			add(j, "issues", ch)
		}
	}
	for k := 0; k < shape.Messages; k++ {
		j := k * bulkSteps / shape.Messages
		if k == shape.Messages-1 {
			j = bulkSteps
		}
		msg := m{
			"id":       fmt.Sprintf("MC%06d", k),
			"title":    fmt.Sprintf("(Updated) Microsoft 365 change %d: retirement of a legacy feature and what you need to do", k),
			"category": []string{"planForChange", "stayInformed", "preventOrFixIssue"}[k%3],
			"severity": []string{"normal", "high"}[min(k%7, 1)],
			"services": []string{services[k%len(services)]},
			"tags":     []string{"Admin impact", "User impact", "Retirement"},
			"body":     messageBody(k),
		}
		if k%5 == 0 {
			msg["isMajorChange"] = true
		}
		add(j, "messages", msg)
	}
	doc := m{"name": "pollbench", "description": "generated by bench/internal/scenario", "start": start.Format(time.RFC3339), "steps": steps}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("generate scenario: %w", err)
	}
	sc, err := sim.ParseScenario(data, "pollbench.yaml")
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("generate scenario: %w", err)
	}
	return sc, start.Add(span), nil
}

// postText returns ~1 KB of post text, shaped like Microsoft's.
func postText(i, p int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Title: Users may be unable to access some features (issue %d, update %d)\n", i, p+1)
	b.WriteString("User impact: Users may be unable to access their mailbox, calendar or shared files using any connection method, including Outlook on the web, desktop and mobile clients.\n")
	b.WriteString("More info: Users attempting to connect may see an error message or experience delays. Some users may be able to access the service intermittently, and retrying may be successful.\n")
	fmt.Fprintf(&b, "Current status: We've identified that a recent change to the authentication infrastructure in part of our environment is causing impact. We're reverting the change (stage %d) and monitoring the service health telemetry to confirm that impact is remediated.\n", p+1)
	b.WriteString("Scope of impact: Any user hosted on the affected infrastructure may be impacted.\n")
	b.WriteString("Root cause: A configuration change intended to improve performance introduced a code issue.\n")
	b.WriteString("Next update by: Tuesday, July 16, 2024, at 11:00 PM UTC")
	return b.String()
}

// messageBody returns a ~2.5 KB HTML body, shaped like Message Center's.
func messageBody(k int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<p>Updated change %d: We have updated the rollout timeline below. Thank you for your patience.</p>", k)
	b.WriteString("<p>We will be retiring a legacy feature in favor of a modern experience that offers better performance, security &amp; compliance.</p>")
	b.WriteString("<p><b>When this will happen:</b></p><ul><li>Targeted Release: We will begin rolling out in early August and expect to complete by mid-August.</li><li>General Availability (Worldwide): We will begin rolling out in late August and expect to complete by late September.</li></ul>")
	b.WriteString("<p><b>How this will affect your organization:</b></p><p>Users who rely on the legacy feature will see a notice in the app with a link to the modern experience. After retirement, the legacy entry points will be removed and existing shortcuts will redirect to the new experience. Administrators can review usage with the usage reports in the Microsoft 365 admin center.</p>")
	b.WriteString("<p><b>What you need to do to prepare:</b></p><p>Review your organization's use of the feature, update any documentation and training materials, and inform your helpdesk. If you use scripts or third-party tools that depend on the legacy feature, test them with the modern experience before the retirement date.</p>")
	b.WriteString("<p>Learn more: <a href=\"https://learn.microsoft.com/microsoft-365/admin/\" target=\"_blank\">Retirement of the legacy feature</a> (will be updated before rollout begins).</p>")
	b.WriteString("<p>This change is associated with Microsoft 365 Roadmap ID 123456.</p><p>Thank you.</p>")
	return b.String()
}
