package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
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

func TestIssues(t *testing.T) {
	p := play(t)
	for i, s := range p.f.Steps {
		seen := map[string]bool{}
		for _, in := range s.Issues {
			if seen[in.ID] {
				t.Errorf("step %d: issue %s twice", i, in.ID)
			}
			seen[in.ID] = true
			if in.Post != nil && in.PostType == nil {
				t.Errorf("step %d: issue %s post without postType", i, in.ID)
			}
			if in.PostType != nil && !slices.Contains(postTypes, *in.PostType) {
				t.Errorf("step %d: issue %s postType %q", i, in.ID, *in.PostType)
			}
			for _, d := range []*string{in.StartDateTime, in.EndDateTime} {
				if d == nil || *d == "" {
					continue
				}
				if _, err := parseWhen(*d, p.start); err != nil {
					t.Errorf("step %d: issue %s: %v", i, in.ID, err)
				}
			}
			if in.StartDateTime != nil && *in.StartDateTime == "" {
				t.Errorf("step %d: issue %s clears startDateTime", i, in.ID)
			}
		}
	}
	for id, st := range p.issues {
		first := p.f.Steps[st.firstStep]
		var in issue
		for _, x := range first.Issues {
			if x.ID == id {
				in = x
			}
		}
		for field, v := range map[string]*string{"title": in.Title, "service": in.Service, "classification": in.Classification, "status": in.Status, "startDateTime": in.StartDateTime, "origin": in.Origin, "impactDescription": in.ImpactDescription} {
			if str(v) == "" {
				t.Errorf("issue %s: first appearance lacks %s", id, field)
			}
		}
		if in.IsResolved == nil {
			t.Errorf("issue %s: first appearance lacks isResolved", id)
		}
		if len(st.posts) == 0 {
			t.Errorf("issue %s has no posts", id)
		}
		if !slices.Contains(classifications, str(st.Classification)) {
			t.Errorf("issue %s classification %q", id, str(st.Classification))
		}
		if !slices.Contains(origins, str(st.Origin)) {
			t.Errorf("issue %s origin %q", id, str(st.Origin))
		}
		for _, s := range p.statuses[id] {
			if !slices.Contains(serviceHealthStatuses, s) {
				t.Errorf("issue %s status %q is not a documented serviceHealthStatus", id, s)
			}
		}
		if !regexp.MustCompile(`^(EX|TM|MO|ID|SP)\d{6}$`).MatchString(id) {
			t.Errorf("issue id %q doesn't look like a Service Health id", id)
		}
		for _, pa := range st.posts {
			if !strings.HasPrefix(pa.text, "Title: ") {
				t.Errorf("issue %s post at step %d doesn't start with Title:", id, pa.step)
			}
		}
		// A resolved issue has an end time; an open one has none.
		resolved := st.IsResolved != nil && *st.IsResolved
		if resolved != (str(st.EndDateTime) != "") {
			t.Errorf("issue %s: isResolved %v but endDateTime %q", id, resolved, str(st.EndDateTime))
		}
	}
}

func TestServices(t *testing.T) {
	p := play(t)
	for id, sts := range p.services {
		for _, s := range sts {
			if !slices.Contains(serviceHealthStatuses, s) {
				t.Errorf("service %s status %q", id, s)
			}
		}
	}
	for i, s := range p.f.Steps {
		for _, sv := range s.Services {
			if sv.ID == "" || sv.Service == "" || sv.Status == "" {
				t.Errorf("step %d: service %+v incomplete", i, sv)
			}
		}
	}
	want := []struct{ id, status string }{
		{"MicrosoftTeams", "serviceInterruption"},
		{"Exchange", "serviceDegradation"},
		{"OrgLiveID", "serviceInterruption"},
		{"OSDPPlatform", "serviceDegradation"},
	}
	for _, w := range want {
		sts := p.services[w.id]
		if !slices.Contains(sts, w.status) {
			t.Errorf("service %s never reaches %s (%v)", w.id, w.status, sts)
		}
		if len(sts) == 0 || sts[len(sts)-1] != "serviceOperational" {
			t.Errorf("service %s doesn't end serviceOperational (%v)", w.id, sts)
		}
	}
}

func TestMessages(t *testing.T) {
	p := play(t)
	all := map[string]*messageState{}
	for i, s := range p.f.Steps {
		for _, m := range s.Messages {
			if !regexp.MustCompile(`^MC\d{6}$`).MatchString(m.ID) {
				t.Errorf("step %d: message id %q", i, m.ID)
			}
			for _, d := range []*string{m.StartDateTime, m.EndDateTime, m.ActionRequiredByDateTime} {
				if d == nil || *d == "" {
					continue
				}
				if _, err := parseWhen(*d, p.start); err != nil {
					t.Errorf("step %d: message %s: %v", i, m.ID, err)
				}
			}
			if m.Tags != nil {
				for _, tag := range *m.Tags {
					if !slices.Contains(observedTags, tag) {
						t.Errorf("step %d: message %s tag %q not in the observed set", i, m.ID, tag)
					}
				}
			}
			if _, ok := all[m.ID]; !ok {
				mm := m
				all[m.ID] = &messageState{message: mm, firstStep: i}
				for field, v := range map[string]*string{"title": m.Title, "category": m.Category, "severity": m.Severity, "body": m.Body, "startDateTime": m.StartDateTime} {
					if str(v) == "" {
						t.Errorf("message %s: first appearance lacks %s", m.ID, field)
					}
				}
				if m.Services == nil || len(*m.Services) == 0 {
					t.Errorf("message %s: no services", m.ID)
				}
				if strings.HasPrefix(str(m.Title), "(Updated) ") {
					t.Errorf("message %s: first appearance already (Updated)", m.ID)
				}
			}
		}
	}
	if len(all) < 12 {
		t.Errorf("%d messages, want at least 12", len(all))
	}
	cats, sevs := map[string]bool{}, map[string]bool{}
	var major, action, attached int
	for id, m := range all {
		if !slices.Contains(categories, str(m.Category)) {
			t.Errorf("message %s category %q", id, str(m.Category))
		}
		if !slices.Contains(severities, str(m.Severity)) {
			t.Errorf("message %s severity %q", id, str(m.Severity))
		}
		cats[str(m.Category)] = true
		sevs[str(m.Severity)] = true
		if m.IsMajorChange != nil && *m.IsMajorChange {
			major++
		}
		if str(m.ActionRequiredByDateTime) != "" {
			action++
		}
		if m.Attachments != nil && len(*m.Attachments) > 0 {
			attached++
			for _, a := range *m.Attachments {
				if a.Name == "" || a.ContentType == "" || a.Size <= 0 {
					t.Errorf("message %s attachment %+v incomplete", id, a)
				}
			}
		}
		body := str(m.Body)
		if !strings.HasPrefix(body, "<p>") || !strings.Contains(body, "What you need to do to prepare:") {
			t.Errorf("message %s body lacks HTML paragraphs or the prepare section", id)
		}
	}
	if len(cats) != len(categories) || len(sevs) != len(severities) {
		t.Errorf("categories %v severities %v: want all of each", cats, sevs)
	}
	if major < 3 || action < 3 || attached < 2 {
		t.Errorf("major changes %d, action required %d, with attachments %d: want >= 3, 3, 2", major, action, attached)
	}
}

func TestMessageUpdates(t *testing.T) {
	p := play(t)
	var movedDate, addedTag, changedBody int
	for _, u := range p.msgUpdates {
		id := u.after.ID
		if !strings.HasPrefix(str(u.after.Title), "(Updated) ") {
			t.Errorf("message %s updated at step %d without the (Updated) title prefix", id, u.step)
		}
		if u.after.Tags == nil || !slices.Contains(*u.after.Tags, "Updated message") {
			t.Errorf("message %s updated at step %d without the Updated message tag", id, u.step)
		}
		if str(u.before.ActionRequiredByDateTime) != "" && str(u.after.ActionRequiredByDateTime) != str(u.before.ActionRequiredByDateTime) {
			movedDate++
		}
		if u.before.Tags != nil && u.after.Tags != nil {
			for _, tag := range *u.after.Tags {
				if tag != "Updated message" && !slices.Contains(*u.before.Tags, tag) {
					addedTag++
				}
			}
		}
		if sectionOf(str(u.before.Body), "When this will happen:") != sectionOf(str(u.after.Body), "When this will happen:") {
			changedBody++
		}
	}
	if len(p.msgUpdates) < 3 || movedDate < 1 || addedTag < 1 || changedBody < 1 {
		t.Errorf("updates %d (moved action date %d, added tag %d, changed rollout section %d): want >= 3 and each kind", len(p.msgUpdates), movedDate, addedTag, changedBody)
	}
	if len(p.removed) < 1 {
		t.Fatal("no message is removed")
	}
	for i, s := range p.f.Steps {
		for _, id := range s.RemoveMessages {
			if i < len(p.f.Steps)/2 {
				t.Errorf("message %s removed at step %d, want late in the timeline", id, i)
			}
			for _, later := range p.f.Steps[i+1:] {
				for _, m := range later.Messages {
					if m.ID == id {
						t.Errorf("removed message %s reappears", id)
					}
				}
			}
		}
	}
}

// sectionOf returns the HTML between a section heading and the next heading.
func sectionOf(body, heading string) string {
	i := strings.Index(body, heading)
	if i < 0 {
		return ""
	}
	rest := body[i+len(heading):]
	if j := strings.Index(rest, "<strong>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestEX559755(t *testing.T) {
	p := play(t)
	st := p.issues["EX559755"]
	if st == nil {
		t.Fatal("EX559755 missing")
	}
	if str(st.Classification) != "advisory" || str(st.Service) != "Exchange Online" {
		t.Errorf("EX559755 is %s on %s, want advisory on Exchange Online", str(st.Classification), str(st.Service))
	}
	if str(st.StartDateTime) != "2023-05-14T20:00:00Z" || str(st.EndDateTime) != "2023-05-25T19:00:00Z" {
		t.Errorf("EX559755 start %s end %s", str(st.StartDateTime), str(st.EndDateTime))
	}
	sts := p.statuses["EX559755"]
	want := []string{"investigating", "restoringService", "extendedRecovery", "verifyingService", "serviceRestored", "postIncidentReviewPublished"}
	if !slices.Equal(sts, want) {
		t.Errorf("EX559755 statuses %v, want %v", sts, want)
	}
	final := st.posts[len(st.posts)-1]
	if final.text != seedFinalPost {
		t.Errorf("EX559755 final post differs from seed 000:\n%s", final.text)
	}
	if !strings.Contains(final.text, "This is the final update for the event.") {
		t.Error("EX559755 final post lacks the final-update sentence")
	}
	if got := final.at.Format(time.RFC3339); got != "2023-05-26T00:12:21Z" {
		t.Errorf("EX559755 final post at %s, want 2023-05-26T00:12:21Z (seed's Last Updated)", got)
	}
	var nextUpdates int
	for _, pa := range st.posts {
		if strings.Contains(pa.text, "\nNext update by: ") {
			nextUpdates++
		}
	}
	if nextUpdates < 5 {
		t.Errorf("EX559755 has %d posts with Next update by, want several", nextUpdates)
	}
}

func TestSeedIncidentsCovered(t *testing.T) {
	p := play(t)
	tests := []struct {
		id             string
		service        string
		classification string
		statuses       []string // must appear in order (not necessarily adjacent)
		mentions       []string // text that must appear in some post
	}{
		{"EX557913", "Exchange Online", "advisory", []string{"investigating", "serviceDegradation"},
			[]string{"Configuring your computer for Information Rights Management", "Trust multifactor authentication from Microsoft Entra tenants", "Outlook on the web", "Cross-tenant access settings"}},
		{"MO560384", "Microsoft 365 suite", "incident", []string{"investigating", "restoringService", "serviceRestored", "postIncidentReviewPublished"},
			[]string{"Enterprise Configuration Service", "Exchange Online, Windows 365 and Office Online", "Preliminary root cause:", "cached ECS configuration"}},
		{"ID560721", "Microsoft Entra", "incident", []string{"investigating", "serviceDegradation", "restoringService", "serviceRestored"},
			[]string{"unable to sign in", "Intune", "safe deployment process"}},
		{"MO561502", "Microsoft 365 suite", "incident", []string{"investigating", "restoringService", "serviceRestored"},
			[]string{"We're experiencing a service outage.", "token expiry", "proactive caching", "alternate token generation", "approximately two hours", "desktop apps"}},
		{"TM560112", "Microsoft Teams", "incident", []string{"investigating", "falsePositive"}, []string{"outside of the Microsoft environment"}},
		{"SP561811", "SharePoint Online", "advisory", []string{"investigating", "investigationSuspended"}, []string{"service request"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			st := p.issues[tt.id]
			if st == nil {
				t.Fatal("missing")
			}
			if str(st.Service) != tt.service || str(st.Classification) != tt.classification {
				t.Errorf("service %q classification %q", str(st.Service), str(st.Classification))
			}
			got := p.statuses[tt.id]
			k := 0
			for _, s := range got {
				if k < len(tt.statuses) && s == tt.statuses[k] {
					k++
				}
			}
			if k != len(tt.statuses) {
				t.Errorf("statuses %v don't contain %v in order", got, tt.statuses)
			}
			var all strings.Builder
			for _, pa := range st.posts {
				all.WriteString(pa.text)
			}
			for _, m := range tt.mentions {
				if !strings.Contains(all.String(), m) {
					t.Errorf("no post mentions %q", m)
				}
			}
		})
	}
}

var (
	postDate = regexp.MustCompile(`(Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday), ((?:January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}, \d{4})(?:, at (\d{1,2}:\d{2} [AP]M) UTC)?`)
	postLine = regexp.MustCompile(`(?m)^(Start time|End time|Next update by): (.*)$`)
)

// TestPostDatesAgreeWithTimeline checks that every date written in a post has
// the right weekday, that Start time and End time match the issue fields,
// and that each "Next update by" promise is kept by the next post.
func TestPostDatesAgreeWithTimeline(t *testing.T) {
	p := play(t)
	for id, st := range p.issues {
		// Replay fields per step to compare with the values current at each post.
		var cur issue
		postIdx := 0
		for i, s := range p.f.Steps {
			for _, in := range s.Issues {
				if in.ID != id {
					continue
				}
				mergeIssue(&cur, in)
				if in.Post == nil {
					continue
				}
				pa := st.posts[postIdx]
				postIdx++
				for _, m := range postDate.FindAllStringSubmatch(pa.text, -1) {
					day, err := time.Parse("January 2, 2006", m[2])
					if err != nil {
						t.Errorf("%s step %d: date %q: %v", id, i, m[0], err)
						continue
					}
					if day.Weekday().String() != m[1] {
						t.Errorf("%s step %d: %q is a %s", id, i, m[0], day.Weekday())
					}
				}
				for _, m := range postLine.FindAllStringSubmatch(pa.text, -1) {
					when, err := time.Parse("Monday, January 2, 2006, at 3:04 PM UTC", m[2])
					if err != nil {
						t.Errorf("%s step %d: %s %q: %v", id, i, m[1], m[2], err)
						continue
					}
					switch m[1] {
					case "Start time":
						if want, _ := parseWhen(str(cur.StartDateTime), p.start); !when.Equal(want) {
							t.Errorf("%s step %d: Start time %s, field %s", id, i, when, want)
						}
					case "End time":
						if want, _ := parseWhen(str(cur.EndDateTime), p.start); !when.Equal(want) {
							t.Errorf("%s step %d: End time %s, field %s", id, i, when, want)
						}
						if when.After(pa.at) {
							t.Errorf("%s step %d: End time %s after the post", id, i, when)
						}
					case "Next update by":
						if !when.After(pa.at) {
							t.Errorf("%s step %d: next update %s not after the post at %s", id, i, when, pa.at)
						}
						if postIdx < len(st.posts) {
							if next := st.posts[postIdx].at; next.After(when) {
								t.Errorf("%s step %d: promised an update by %s, next post at %s", id, i, when, next)
							}
						}
					}
				}
				if strings.Contains(pa.text, "This is the final update") && strings.Contains(pa.text, "Next update by:") {
					t.Errorf("%s step %d: final update promises another", id, i)
				}
			}
		}
	}
}
