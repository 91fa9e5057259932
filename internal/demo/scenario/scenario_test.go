package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The mirror types below follow the scenario format the simulator parses.
// Pointers mark fields whose presence matters (an upsert keeps absent fields).

type scenarioFile struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Start       string   `yaml:"start"`
	Tenants     []tenant `yaml:"tenants"`
	Steps       []step   `yaml:"steps"`
}

type tenant struct {
	ID           string `yaml:"id"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
}

type step struct {
	At             string    `yaml:"at"`
	Note           string    `yaml:"note"`
	Tenants        []string  `yaml:"tenants"`
	Services       []service `yaml:"services"`
	Issues         []issue   `yaml:"issues"`
	Messages       []message `yaml:"messages"`
	RemoveIssues   []string  `yaml:"remove_issues"`
	RemoveMessages []string  `yaml:"remove_messages"`
}

type service struct {
	ID      string `yaml:"id"`
	Service string `yaml:"service"`
	Status  string `yaml:"status"`
}

type keyValue struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type issue struct {
	ID                string      `yaml:"id"`
	Title             *string     `yaml:"title"`
	Service           *string     `yaml:"service"`
	Feature           *string     `yaml:"feature"`
	FeatureGroup      *string     `yaml:"featureGroup"`
	Classification    *string     `yaml:"classification"`
	Origin            *string     `yaml:"origin"`
	Status            *string     `yaml:"status"`
	ImpactDescription *string     `yaml:"impactDescription"`
	IsResolved        *bool       `yaml:"isResolved"`
	StartDateTime     *string     `yaml:"startDateTime"`
	EndDateTime       *string     `yaml:"endDateTime"`
	Details           *[]keyValue `yaml:"details"`
	Post              *string     `yaml:"post"`
	PostType          *string     `yaml:"postType"`
}

type attachment struct {
	Name        string `yaml:"name"`
	ContentType string `yaml:"contentType"`
	Size        int    `yaml:"size"`
}

type message struct {
	ID                       string        `yaml:"id"`
	Title                    *string       `yaml:"title"`
	Category                 *string       `yaml:"category"`
	Severity                 *string       `yaml:"severity"`
	Services                 *[]string     `yaml:"services"`
	Tags                     *[]string     `yaml:"tags"`
	IsMajorChange            *bool         `yaml:"isMajorChange"`
	ActionRequiredByDateTime *string       `yaml:"actionRequiredByDateTime"`
	StartDateTime            *string       `yaml:"startDateTime"`
	EndDateTime              *string       `yaml:"endDateTime"`
	Body                     *string       `yaml:"body"`
	Attachments              *[]attachment `yaml:"attachments"`
}

// seedFinalPost is the last EX559755 post exactly as seed 000 shows it.
const seedFinalPost = `Title: Users’ Office Message Encrypted (OME) email sent from Exchange Online may be unable to be accessed by some recipients

User impact: Users’ OME email sent from Exchange Online may have been unable to be accessed by some recipients.

More info: This issue affected users that were external to the organization of the user sending the message. The external user generated a One Time Passcode and was routed to the OME portal, but the site was continuously loading.

Users receiving OME email messages from other users in the organization weren’t affected.

Final status: We determined that a recent deployment contained issues that led to the CDN not delivering the scripts required for OME to work. We developed and deployed a fix and have confirmed via telemetry and customer report that impact is now remediated.

Scope of impact: Impact may have occurred for any users sending OME email messages through Exchange Online to some external users.

Start time: Sunday, May 14, 2023, at 8:00 PM UTC

End time: Thursday, May 25, 2023, at 7:00 PM UTC

Root cause: A recent deployment contained issues that led to the CDN not delivering the scripts required for OME to work.

Next steps:
– To help prevent similar impact in the future, we’re further reviewing our deployment review and release protocols.

This is the final update for the event.`

var (
	serviceHealthStatuses = []string{"serviceOperational", "investigating", "restoringService", "verifyingService", "serviceRestored", "postIncidentReviewPublished", "serviceDegradation", "serviceInterruption", "extendedRecovery", "falsePositive", "investigationSuspended", "resolved", "mitigatedExternal", "mitigated", "resolvedExternal", "confirmed", "reported", "unknownFutureValue"}
	classifications       = []string{"advisory", "incident"}
	origins               = []string{"microsoft", "thirdParty", "customer"}
	postTypes             = []string{"regular", "quick", "strategic"}
	categories            = []string{"preventOrFixIssue", "planForChange", "stayInformed"}
	severities            = []string{"normal", "high", "critical"}
	observedTags          = []string{"Updated message", "New feature", "User impact", "Admin impact", "Action required", "Retirement"}
)

// decodeStrict decodes data the way the simulator must: unknown keys are
// errors and the file holds exactly one document.
func decodeStrict(data []byte) (scenarioFile, error) {
	var f scenarioFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("decode scenario: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return f, fmt.Errorf("decode scenario: more than one document (%v)", err)
	}
	return f, nil
}

// parseWhen parses an absolute RFC 3339 time or an offset like "+15m"/"-2h"
// relative to start.
func parseWhen(s string, start time.Time) (time.Time, error) {
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		d, err := time.ParseDuration(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("parse offset %q: %w", s, err)
		}
		return start.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: %w", s, err)
	}
	return t, nil
}

// issueState and messageState are the merged view after applying steps.
type issueState struct {
	issue
	posts     []postAt
	firstStep int
}

type postAt struct {
	at   time.Time
	text string
	step int
}

type messageState struct {
	message
	firstStep int
}

type played struct {
	f        scenarioFile
	start    time.Time
	times    []time.Time
	issues   map[string]*issueState
	messages map[string]*messageState
	// history of every message upsert after its first appearance.
	msgUpdates []msgUpdate
	removed    []string
	services   map[string][]string // service id -> statuses in order
	statuses   map[string][]string // issue id -> statuses in order
}

type msgUpdate struct {
	before, after message
	step          int
}

func mergeIssue(dst *issue, src issue) {
	if src.Title != nil {
		dst.Title = src.Title
	}
	if src.Service != nil {
		dst.Service = src.Service
	}
	if src.Feature != nil {
		dst.Feature = src.Feature
	}
	if src.FeatureGroup != nil {
		dst.FeatureGroup = src.FeatureGroup
	}
	if src.Classification != nil {
		dst.Classification = src.Classification
	}
	if src.Origin != nil {
		dst.Origin = src.Origin
	}
	if src.Status != nil {
		dst.Status = src.Status
	}
	if src.ImpactDescription != nil {
		dst.ImpactDescription = src.ImpactDescription
	}
	if src.IsResolved != nil {
		dst.IsResolved = src.IsResolved
	}
	if src.StartDateTime != nil {
		dst.StartDateTime = src.StartDateTime
	}
	if src.EndDateTime != nil {
		dst.EndDateTime = src.EndDateTime
	}
	if src.Details != nil {
		dst.Details = src.Details
	}
}

func mergeMessage(dst *message, src message) {
	if src.Title != nil {
		dst.Title = src.Title
	}
	if src.Category != nil {
		dst.Category = src.Category
	}
	if src.Severity != nil {
		dst.Severity = src.Severity
	}
	if src.Services != nil {
		dst.Services = src.Services
	}
	if src.Tags != nil {
		dst.Tags = src.Tags
	}
	if src.IsMajorChange != nil {
		dst.IsMajorChange = src.IsMajorChange
	}
	if src.ActionRequiredByDateTime != nil {
		dst.ActionRequiredByDateTime = src.ActionRequiredByDateTime
	}
	if src.StartDateTime != nil {
		dst.StartDateTime = src.StartDateTime
	}
	if src.EndDateTime != nil {
		dst.EndDateTime = src.EndDateTime
	}
	if src.Body != nil {
		dst.Body = src.Body
	}
	if src.Attachments != nil {
		dst.Attachments = src.Attachments
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// play decodes the embedded scenario and applies every step, failing the
// test on any structural error.
func play(t *testing.T) played {
	t.Helper()
	f, err := decodeStrict(Demo)
	if err != nil {
		t.Fatal(err)
	}
	start, err := time.Parse(time.RFC3339, f.Start)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	p := played{
		f: f, start: start,
		issues:   map[string]*issueState{},
		messages: map[string]*messageState{},
		services: map[string][]string{},
		statuses: map[string][]string{},
	}
	prev := time.Duration(-1)
	for i, s := range f.Steps {
		d, err := time.ParseDuration(s.At)
		if err != nil {
			t.Fatalf("step %d: at %q: %v", i, s.At, err)
		}
		if d <= prev {
			t.Errorf("step %d: at %s is not after the previous step (%s)", i, d, prev)
		}
		prev = d
		now := start.Add(d)
		p.times = append(p.times, now)
		for _, sv := range s.Services {
			p.services[sv.ID] = append(p.services[sv.ID], sv.Status)
		}
		for _, in := range s.Issues {
			st, ok := p.issues[in.ID]
			if !ok {
				st = &issueState{issue: issue{ID: in.ID}, firstStep: i}
				p.issues[in.ID] = st
			}
			mergeIssue(&st.issue, in)
			if in.Status != nil {
				p.statuses[in.ID] = append(p.statuses[in.ID], *in.Status)
			}
			if in.Post != nil {
				st.posts = append(st.posts, postAt{at: now, text: *in.Post, step: i})
			}
		}
		for _, m := range s.Messages {
			st, ok := p.messages[m.ID]
			if !ok {
				p.messages[m.ID] = &messageState{message: m, firstStep: i}
				continue
			}
			before := st.message
			mergeMessage(&st.message, m)
			p.msgUpdates = append(p.msgUpdates, msgUpdate{before: before, after: st.message, step: i})
		}
		for _, id := range s.RemoveMessages {
			if _, ok := p.messages[id]; !ok {
				t.Errorf("step %d: removes unknown message %s", i, id)
			}
			delete(p.messages, id)
			p.removed = append(p.removed, id)
		}
		for _, id := range s.RemoveIssues {
			if _, ok := p.issues[id]; !ok {
				t.Errorf("step %d: removes unknown issue %s", i, id)
			}
			delete(p.issues, id)
		}
	}
	return p
}

func TestDecodeStrictRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown top-level key", "name: x\nbogus: 1\n", "field bogus not found"},
		{"unknown issue key", "name: x\nsteps:\n  - at: 0s\n    issues:\n      - id: EX1\n        severity: high\n", "field severity not found"},
		{"unknown message key", "name: x\nsteps:\n  - at: 0s\n    messages:\n      - id: MC1\n        status: x\n", "field status not found"},
		{"two documents", "name: x\n---\nname: y\n", "more than one document"},
		{"valid minimal", "name: x\nstart: 2023-05-14T19:45:00Z\nsteps:\n  - at: 0s\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeStrict([]byte(tt.yaml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("decodeStrict: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("decodeStrict error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestScenarioHeader(t *testing.T) {
	p := play(t)
	if p.f.Name != "demo" || p.f.Description == "" {
		t.Errorf("name %q, description %q: want demo and a description", p.f.Name, p.f.Description)
	}
	if want := time.Date(2023, 5, 14, 19, 45, 0, 0, time.UTC); !p.start.Equal(want) {
		t.Errorf("start = %s, want %s", p.start, want)
	}
	if len(p.f.Tenants) == 0 {
		t.Fatal("no tenants")
	}
	for _, tn := range p.f.Tenants {
		if tn.ID == "" || tn.ClientID == "" || tn.ClientSecret == "" {
			t.Errorf("tenant %+v lacks id, client_id or client_secret", tn)
		}
	}
	if n := len(p.f.Steps); n < 25 || n > 40 {
		t.Errorf("%d steps, want 25..40", n)
	}
	if p.f.Steps[0].At != "0s" {
		t.Errorf("first step at %q, want 0s (baseline)", p.f.Steps[0].At)
	}
	tenantIDs := map[string]bool{}
	for _, tn := range p.f.Tenants {
		tenantIDs[tn.ID] = true
	}
	for i, s := range p.f.Steps {
		if s.Note == "" {
			t.Errorf("step %d has no note", i)
		}
		if len(s.Services)+len(s.Issues)+len(s.Messages)+len(s.RemoveIssues)+len(s.RemoveMessages) == 0 {
			t.Errorf("step %d (%s) changes nothing", i, s.Note)
		}
		for _, id := range s.Tenants {
			if !tenantIDs[id] {
				t.Errorf("step %d names unknown tenant %s", i, id)
			}
		}
	}
}

func TestBaseline(t *testing.T) {
	p := play(t)
	b := p.f.Steps[0]
	if len(b.Services) < 3 {
		t.Errorf("baseline has %d services, want at least 3", len(b.Services))
	}
	if len(b.Messages) < 4 {
		t.Errorf("baseline has %d messages, want about 5", len(b.Messages))
	}
	var resolved, active int
	for _, in := range b.Issues {
		if in.IsResolved != nil && *in.IsResolved {
			resolved++
		} else {
			active++
		}
	}
	if resolved < 2 || active < 1 {
		t.Errorf("baseline has %d resolved and %d active issues, want >= 2 and >= 1", resolved, active)
	}
}
