package scenario

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

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
