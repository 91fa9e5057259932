package scenario

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

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
