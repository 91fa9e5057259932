package detect

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shdmc/shdmc/internal/fingerprint"
	"github.com/shdmc/shdmc/internal/model"
)

var (
	t0  = time.Date(2023, 5, 14, 20, 0, 0, 0, time.UTC)
	now = time.Date(2023, 5, 26, 0, 15, 0, 0, time.UTC)
)

func baseIssue() *model.Issue {
	return &model.Issue{
		ID:                "EX559755",
		Title:             "Users’ Office Message Encrypted (OME) email sent from Exchange Online may be unable to be accessed by some recipients",
		Service:           "Exchange Online",
		Feature:           "E-Mail and calendar access",
		FeatureGroup:      "Networking",
		Classification:    model.ClassificationAdvisory,
		Origin:            model.OriginMicrosoft,
		Status:            model.StatusInvestigating,
		ImpactDescription: "Users’ OME email sent from Exchange Online may be unable to be accessed by some recipients.",
		Start:             t0,
		LastModified:      t0.Add(time.Hour),
		Posts: []model.Post{
			{Created: t0.Add(time.Hour), Type: model.PostRegular, ContentType: "html", Content: "Title: first\n\nUser impact: some."},
		},
	}
}

func TestIssueChanges(t *testing.T) {
	later := t0.Add(10 * 24 * time.Hour)
	tests := []struct {
		name     string
		mutate   func(i *model.Issue)
		want     []model.Change
		wantType model.EventType
	}{
		{
			name:     "post added",
			mutate:   func(i *model.Issue) { i.Posts = append(i.Posts, model.Post{Created: later, Content: "next"}) },
			want:     []model.Change{{Kind: model.ChangePostAdded, To: "2023-05-24T20:00:00Z"}},
			wantType: model.EventIssuePost,
		},
		{
			name:     "post edited",
			mutate:   func(i *model.Issue) { i.Posts[0].Content = "Title: first\n\nUser impact: more." },
			want:     []model.Change{{Kind: model.ChangePostEdited, To: "2023-05-14T21:00:00Z"}},
			wantType: model.EventIssueEdited,
		},
		{
			name: "restored with final post and end time",
			mutate: func(i *model.Issue) {
				i.Status = model.StatusServiceRestored
				i.IsResolved = true
				i.End = later
				i.Posts = append(i.Posts, model.Post{Created: later.Add(time.Hour), Content: "final"})
			},
			want: []model.Change{
				{Kind: model.ChangeStatus, From: "investigating", To: "serviceRestored"},
				{Kind: model.ChangeResolved, From: "false", To: "true"},
				{Kind: model.ChangePostAdded, To: "2023-05-24T21:00:00Z"},
				{Kind: model.ChangeEnd, To: "2023-05-24T20:00:00Z"},
			},
			wantType: model.EventIssueResolved,
		},
		{
			name:     "status only",
			mutate:   func(i *model.Issue) { i.Status = model.StatusRestoringService },
			want:     []model.Change{{Kind: model.ChangeStatus, From: "investigating", To: "restoringService"}},
			wantType: model.EventIssueStatus,
		},
		{
			name:     "unknown status passes through",
			mutate:   func(i *model.Issue) { i.Status = model.Status("somethingNew") },
			want:     []model.Change{{Kind: model.ChangeStatus, From: "investigating", To: "somethingNew"}},
			wantType: model.EventIssueStatus,
		},
		{
			name: "classification beats post",
			mutate: func(i *model.Issue) {
				i.Classification = model.ClassificationIncident
				i.Posts = append(i.Posts, model.Post{Created: later, Content: "x"})
			},
			want: []model.Change{
				{Kind: model.ChangeClassification, From: "advisory", To: "incident"},
				{Kind: model.ChangePostAdded, To: "2023-05-24T20:00:00Z"},
			},
			wantType: model.EventIssueClassified,
		},
		{
			name: "edits in documented order",
			mutate: func(i *model.Issue) {
				i.Origin = model.OriginThirdParty
				i.Service = "Microsoft 365 suite"
				i.Feature = "Other"
				i.FeatureGroup = ""
				i.End = later
				i.Start = t0.Add(-time.Hour)
				i.ImpactDescription = "Users can't open OME mail."
				i.Title = "(Updated) " + i.Title
			},
			want: []model.Change{
				{Kind: model.ChangeTitle, From: baseIssue().Title, To: "(Updated) " + baseIssue().Title},
				{Kind: model.ChangeImpact, From: baseIssue().ImpactDescription, To: "Users can't open OME mail."},
				{Kind: model.ChangeStart, From: "2023-05-14T20:00:00Z", To: "2023-05-14T19:00:00Z"},
				{Kind: model.ChangeEnd, To: "2023-05-24T20:00:00Z"},
				{Kind: model.ChangeService, From: "Exchange Online", To: "Microsoft 365 suite"},
				{Kind: model.ChangeFeature, Field: "featureGroup", From: "Networking"},
				{Kind: model.ChangeFeature, Field: "feature", From: "E-Mail and calendar access", To: "Other"},
				{Kind: model.ChangeOrigin, From: "microsoft", To: "thirdParty"},
			},
			wantType: model.EventIssueEdited,
		},
		{
			name: "reopened",
			mutate: func(i *model.Issue) {
				i.IsResolved = false
			},
			want:     []model.Change{{Kind: model.ChangeReopened, From: "true", To: "false"}},
			wantType: model.EventIssueReopened,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := baseIssue()
			if tt.wantType == model.EventIssueReopened {
				prev.IsResolved = true
			}
			cur := copyIssue(prev)
			tt.mutate(cur)
			ev, ok := Issue("contoso", prev, 3, cur, Options{Now: now})
			if !ok {
				t.Fatal("no event")
			}
			if diff := cmp.Diff(tt.want, ev.Changes); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if ev.Type != tt.wantType {
				t.Errorf("type = %s, want %s", ev.Type, tt.wantType)
			}
			if ev.Revision != 4 || ev.Tenant != "contoso" || ev.ItemID != "EX559755" || ev.Source != model.SourceSHD || !ev.DetectedAt.Equal(now) {
				t.Errorf("event header wrong: %+v", ev)
			}
			if ev.Issue == nil || ev.Issue == cur || ev.Issue.Status != cur.Status {
				t.Error("snapshot missing or not a copy")
			}
		})
	}
}

func TestIssueNoNews(t *testing.T) {
	prev := baseIssue()
	tests := []struct {
		name   string
		mutate func(i *model.Issue)
	}{
		{"identical", func(*model.Issue) {}},
		{"only lastModified", func(i *model.Issue) { i.LastModified = now }},
		{"CRLF and trailing spaces", func(i *model.Issue) {
			i.Posts[0].Content = "Title: first  \r\n\r\nUser impact: some.\r\n"
		}},
		{"same instant other zone", func(i *model.Issue) { i.Start = i.Start.In(time.FixedZone("JST", 9*3600)) }},
		{"details only", func(i *model.Issue) { i.Details = []model.KeyValue{{Name: "NotifyInApp", Value: "True"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := copyIssue(prev)
			tt.mutate(cur)
			if ev, ok := Issue("contoso", prev, 1, cur, Options{Now: now}); ok {
				t.Errorf("unexpected event %+v", ev.Changes)
			}
		})
	}
}

func TestHashStable(t *testing.T) {
	a := baseIssue()
	b := copyIssue(a)
	b.LastModified = now
	b.Posts = append([]model.Post{{Created: t0, Content: "zero"}}, b.Posts...)
	a.Posts = append(a.Posts, model.Post{Created: t0, Content: "zero"})
	if fingerprint.Issue(a) != fingerprint.Issue(b) {
		t.Error("post order or lastModified changed the hash")
	}
	if h := fingerprint.Issue(a); len(h) != 64 || h != fingerprint.Of(a) {
		t.Errorf("hash %q not 64 hex or Hash disagrees", h)
	}
	w := copyIssue(a)
	w.Title = "ＯＭＥ" + w.Title // full-width letters are not folded
	if fingerprint.Issue(w) == fingerprint.Issue(a) {
		t.Error("title change not in hash")
	}
	m1 := &model.Message{ID: "MC1", Tags: []string{"b", "a"}, Services: []string{"Y", "X"}, LastModified: t0}
	m2 := &model.Message{ID: "MC1", Tags: []string{"a", "b"}, Services: []string{"X", "Y"}, LastModified: now}
	if fingerprint.Message(m1) != fingerprint.Message(m2) {
		t.Error("tag/service order or lastModified changed the message hash")
	}
	if fingerprint.Message(m1) == fingerprint.Issue(&model.Issue{ID: "MC1"}) || fingerprint.Of(42) != "" {
		t.Error("hash kinds collide or unknown type hashed")
	}
	s := &model.ServiceHealth{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceOperational}
	s2 := *s
	s2.Status = model.StatusServiceDegradation
	if fingerprint.Service(s) == fingerprint.Service(&s2) {
		t.Error("service status not in hash")
	}
}

func TestBaselineAndNew(t *testing.T) {
	active := baseIssue()
	resolved := baseIssue()
	resolved.Status, resolved.IsResolved = model.StatusServiceRestored, true
	restoredNotResolved := baseIssue()
	restoredNotResolved.Status = model.StatusServiceRestored
	tests := []struct {
		name  string
		cur   *model.Issue
		o     Options
		want  bool
		field string
	}{
		{"baseline silent", active, Options{Baseline: true}, false, ""},
		{"baseline announces active", active, Options{Baseline: true, AnnounceActive: true}, true, ""},
		{"baseline skips resolved", resolved, Options{Baseline: true, AnnounceActive: true}, false, ""},
		{"baseline skips inactive status", restoredNotResolved, Options{Baseline: true, AnnounceActive: true}, false, ""},
		{"new after baseline", resolved, Options{}, true, ""},
		{"reappeared", active, Options{PrevRemoved: true}, true, model.FieldReappeared},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prev *model.Issue
			if tt.o.PrevRemoved {
				prev = baseIssue()
			}
			ev, ok := Issue("t", prev, 0, tt.cur, tt.o)
			if ok != tt.want {
				t.Fatalf("ok = %v, want %v", ok, tt.want)
			}
			if !ok {
				return
			}
			want := []model.Change{{Kind: model.ChangeNew, Field: tt.field, To: string(tt.cur.Status)}}
			if diff := cmp.Diff(want, ev.Changes); diff != "" || ev.Type != model.EventIssueNew || ev.Revision != 1 {
				t.Errorf("type %s rev %d changes diff:\n%s", ev.Type, ev.Revision, diff)
			}
		})
	}
	m := &model.Message{ID: "MC1", Title: "x"}
	if _, ok := Message("t", nil, 0, m, Options{Baseline: true, AnnounceActive: true}); ok {
		t.Error("message baseline not silent")
	}
	if ev, ok := Message("t", nil, 0, m, Options{}); !ok || ev.Type != model.EventMessageNew {
		t.Error("new message not announced")
	}
	s := &model.ServiceHealth{ID: "Exchange", Status: model.StatusServiceOperational}
	if _, ok := Service("t", nil, 0, s, Options{Baseline: true}); ok {
		t.Error("service baseline not silent")
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func baseMessage(t *testing.T) *model.Message {
	return &model.Message{
		ID: "MC123456", Title: "New sharing experience in SharePoint and OneDrive",
		Category: model.CategoryPlanForChange, Severity: model.SeverityNormal,
		Services: []string{"SharePoint Online", "OneDrive for Business"},
		Tags:     []string{"User impact", "New feature"},
		Start:    time.Date(2024, 4, 2, 18, 0, 0, 0, time.UTC), LastModified: time.Date(2024, 4, 2, 18, 0, 0, 0, time.UTC),
		ActionRequiredBy: time.Date(2024, 5, 31, 7, 0, 0, 0, time.UTC),
		BodyType:         "html", Body: readFile(t, "mc_v1.html"),
	}
}

func TestMessageChanges(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(m *model.Message)
		want     []model.Change
		wantType model.EventType
	}{
		{
			name: "rescheduled: title, tags, action date, sections",
			mutate: func(m *model.Message) {
				m.Title = "(Updated) " + m.Title
				m.Tags = append(m.Tags, "Updated message")
				m.ActionRequiredBy = time.Date(2024, 7, 31, 7, 0, 0, 0, time.UTC)
				m.Body = readFile(t, "mc_v2.html")
			},
			want: []model.Change{
				{Kind: model.ChangeTitle, From: "New sharing experience in SharePoint and OneDrive", To: "(Updated) New sharing experience in SharePoint and OneDrive"},
				{Kind: model.ChangeTags, From: "New feature, User impact", To: "New feature, Updated message, User impact"},
				{Kind: model.ChangeActionDate, From: "2024-05-31T07:00:00Z", To: "2024-07-31T07:00:00Z"},
				{Kind: model.ChangeSchedule, Field: "Targeted Release: rollout begins", From: "2024-05-11/2024-05-20", To: "2024-07-01/2024-07-10"},
				{Kind: model.ChangeSchedule, Field: "Targeted Release: rollout complete", From: "2024-05-21/2024-05-31", To: "2024-07-11/2024-07-20"},
				{Kind: model.ChangeSchedule, Field: "General Availability: rollout begins", From: "2024-06-01/2024-06-10", To: "2024-08-01/2024-08-10"},
				{Kind: model.ChangeSchedule, Field: "General Availability: rollout complete", From: "2024-06-21/2024-06-30", To: "2024-08-21/2024-08-31"},
				{
					Kind: model.ChangeBodySection, Field: "When this will happen",
					From: "Targeted Release: We will begin rolling out in mid-May 2024 and expect to complete by late May 2024. General Availability: We will begin rolling out in early June 2024 and expect to complete by late…",
					To:   "Targeted Release: We will begin rolling out in early July 2024 (previously mid-May) and expect to complete by mid-July 2024 (previously late May). General Availability: We will begin rolling out in…",
				},
				{Kind: model.ChangeBodySection, Field: "Compliance considerations", To: "No compliance considerations identified, review as appropriate for your organization."},
			},
			wantType: model.EventMessageActionDate,
		},
		{
			name: "rescheduled without a new action date",
			mutate: func(m *model.Message) {
				m.Body = strings.Replace(m.Body, "expect to complete by late May 2024", "expect to complete by mid-June 2024 (previously late May)", 1)
			},
			want: []model.Change{
				{Kind: model.ChangeSchedule, Field: "Targeted Release: rollout complete", From: "2024-05-21/2024-05-31", To: "2024-06-11/2024-06-20"},
				{
					Kind: model.ChangeBodySection, Field: "When this will happen",
					From: "Targeted Release: We will begin rolling out in mid-May 2024 and expect to complete by late May 2024. General Availability: We will begin rolling out in early June 2024 and expect to complete by late…",
					To:   "Targeted Release: We will begin rolling out in mid-May 2024 and expect to complete by mid-June 2024 (previously late May). General Availability: We will begin rolling out in early June 2024 and…",
				},
			},
			wantType: model.EventMessageSchedule,
		},
		{
			name: "metadata",
			mutate: func(m *model.Message) {
				m.Category = model.CategoryStayInformed
				m.Severity = model.Severity("urgentNew")
				m.Services = []string{"SharePoint Online"}
				m.IsMajorChange = true
				m.End = time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)
				m.Attachments = []model.Attachment{{ID: "g1", Name: "List of affected sites"}}
			},
			want: []model.Change{
				{Kind: model.ChangeCategory, From: "planForChange", To: "stayInformed"},
				{Kind: model.ChangeSeverity, From: "normal", To: "urgentNew"},
				{Kind: model.ChangeServices, From: "OneDrive for Business, SharePoint Online", To: "SharePoint Online"},
				{Kind: model.ChangeMajor, From: "false", To: "true"},
				{Kind: model.ChangeEnd, To: "2024-09-01T00:00:00Z"},
				{Kind: model.ChangeAttachments, To: "List of affected sites"},
			},
			wantType: model.EventMessageUpdated,
		},
		{
			name: "section removed and intro edited",
			mutate: func(m *model.Message) {
				m.Body = strings.Replace(m.Body, "<p><strong>What you need to do to prepare:</strong>", "<p><strong>Other:</strong>", 1)
				m.Body = strings.Replace(m.Body, "We are rolling out", "We have rolled out", 1)
			},
			want: []model.Change{
				{Kind: model.ChangeBodySection, From: "We are rolling out a new sharing experience for SharePoint Online and OneDrive for Business that makes it easier to share files with people inside and outside your organization. This message is…", To: "We have rolled out a new sharing experience for SharePoint Online and OneDrive for Business that makes it easier to share files with people inside and outside your organization. This message is…"},
				{Kind: model.ChangeBodySection, Field: "Other", To: "No action is needed, but you may want to notify your users about this change and update your training and documentation as appropriate. Learn more: Manage sharing settings…"},
				{Kind: model.ChangeBodySection, Field: "What you need to do to prepare", From: "No action is needed, but you may want to notify your users about this change and update your training and documentation as appropriate. Learn more: Manage sharing settings…"},
			},
			wantType: model.EventMessageUpdated,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := baseMessage(t)
			cur := copyMessage(prev)
			tt.mutate(cur)
			ev, ok := Message("contoso", prev, 1, cur, Options{Now: now})
			if !ok {
				t.Fatal("no event")
			}
			if diff := cmp.Diff(tt.want, ev.Changes); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if ev.Type != tt.wantType || ev.Revision != 2 || ev.Message == nil || ev.Message == cur {
				t.Errorf("type %s rev %d snapshot %p", ev.Type, ev.Revision, ev.Message)
			}
		})
	}
	prev := baseMessage(t)
	cur := copyMessage(prev)
	cur.LastModified = now
	cur.Body = strings.ReplaceAll(cur.Body, "\n", "\r\n")
	if ev, ok := Message("c", prev, 1, cur, Options{Now: now}); ok {
		t.Errorf("cosmetic change raised %+v", ev.Changes)
	}
}

func TestDiffExcerptsLongCommonPrefix(t *testing.T) {
	common := strings.Repeat("word ", 60)
	from, to := diffExcerpts(common+"alpha end.", common+"beta end.")
	if !strings.HasPrefix(from, "…") || !strings.Contains(from, "alpha") || !strings.Contains(to, "beta") {
		t.Errorf("excerpts do not show the difference: %q / %q", from, to)
	}
	if f, t2 := diffExcerpts("x", ""); f != "x" || t2 != "(empty)" {
		t.Errorf("empty side: %q %q", f, t2)
	}
}

func TestServiceAndRemoved(t *testing.T) {
	prev := &model.ServiceHealth{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceOperational}
	cur := *prev
	cur.Status = model.StatusServiceDegradation
	ev, ok := Service("c", prev, 7, &cur, Options{Now: now})
	want := []model.Change{{Kind: model.ChangeStatus, From: "serviceOperational", To: "serviceDegradation"}}
	if !ok || ev.Type != model.EventServiceStatus || ev.Revision != 8 || cmp.Diff(want, ev.Changes) != "" || ev.Service == nil || ev.Service == &cur {
		t.Errorf("service event wrong: %+v", ev)
	}
	renamed := *prev
	renamed.Service = "Exchange"
	if _, ok := Service("c", prev, 7, &renamed, Options{Now: now}); ok {
		t.Error("rename alone raised an event")
	}
	for _, tt := range []struct {
		src  model.Source
		want model.EventType
	}{{model.SourceSHD, model.EventIssueRemoved}, {model.SourceMC, model.EventMessageRemoved}, {model.SourceHealth, model.EventServiceStatus}} {
		ev := Removed("c", tt.src, "X1", 2, Options{Now: now})
		if ev.Type != tt.want || ev.Revision != 3 || !ev.Has(model.ChangeRemoved) || ev.ItemID != "X1" || !ev.DetectedAt.Equal(now) {
			t.Errorf("Removed(%s) = %+v", tt.src, ev)
		}
	}
}

// TestMessageFilesAndDetails: an attachment replaced under the same name
// and a changed detail are news, not a silent revision.
func TestMessageFilesAndDetails(t *testing.T) {
	prev := &model.Message{ID: "MC1", Title: "t", Body: "<p>b</p>",
		Attachments: []model.Attachment{{ID: "a1", Name: "plan.pdf", Size: 100, LastModified: now}},
		Details:     []model.KeyValue{{Name: "RoadmapIds", Value: "117520"}, {Name: "Summary", Value: "old"}}}
	cur := *prev
	cur.Attachments = []model.Attachment{{ID: "a2", Name: "plan.pdf", Size: 120, LastModified: now.Add(time.Hour)}}
	cur.Details = []model.KeyValue{{Name: "RoadmapIds", Value: "117520, 123456"}, {Name: "ExternalLink", Value: "https://example.com"}}
	ev, ok := Message("contoso", prev, 1, &cur, Options{Now: now})
	if !ok {
		t.Fatal("no event for a replaced attachment and changed details")
	}
	want := []model.Change{
		{Kind: model.ChangeAttachments, Field: "replaced", To: "plan.pdf"},
		{Kind: model.ChangeDetails, Field: "ExternalLink", To: "https://example.com"},
		{Kind: model.ChangeDetails, Field: "RoadmapIds", From: "117520", To: "117520, 123456"},
		{Kind: model.ChangeDetails, Field: "Summary", From: "old"},
	}
	if diff := cmp.Diff(want, ev.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestScheduleWithActionDate: a milestone whose days move exactly as the
// action-required date does is not repeated as a schedule change; one
// that moves otherwise is.
func TestScheduleWithActionDate(t *testing.T) {
	prev := baseMessage(t)
	prev.Body = strings.Replace(prev.Body, "<p><strong>[When this will happen:]</strong></p>",
		"<p><strong>[When this will happen:]</strong></p><p>We will retire the old dialog on May 31, 2024.</p>", 1)
	cur := copyMessage(prev)
	cur.ActionRequiredBy = time.Date(2024, 7, 31, 7, 0, 0, 0, time.UTC)
	cur.Body = strings.Replace(cur.Body, "on May 31, 2024.", "on July 31, 2024 (previously May 31, 2024).", 1)
	cur.Body = strings.Replace(cur.Body, "expect to complete by late May 2024", "expect to complete by early June 2024", 1)
	ev, ok := Message("contoso", prev, 1, cur, Options{Now: now})
	if !ok {
		t.Fatal("no event")
	}
	var got []model.Change
	for _, c := range ev.Changes {
		if c.Kind == model.ChangeSchedule || c.Kind == model.ChangeActionDate {
			got = append(got, c)
		}
	}
	want := []model.Change{
		{Kind: model.ChangeActionDate, From: "2024-05-31T07:00:00Z", To: "2024-07-31T07:00:00Z"},
		{Kind: model.ChangeSchedule, Field: "Targeted Release: rollout complete", From: "2024-05-21/2024-05-31", To: "2024-06-01/2024-06-10"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if ev.Type != model.EventMessageActionDate {
		t.Errorf("type %s", ev.Type)
	}
}
