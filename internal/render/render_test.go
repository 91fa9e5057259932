package render

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// ex559755 returns the seed incident at investigating (first post invented
// in Microsoft's style: the seed only has the final post) and at its end
// (the seed's final post, verbatim).
func ex559755(t *testing.T) (first, final *model.Issue) {
	first = &model.Issue{
		ID:                "EX559755",
		Title:             "Users’ Office Message Encrypted (OME) email sent from Exchange Online may be unable to be accessed by some recipients",
		Service:           "Exchange Online",
		Feature:           "E-Mail and calendar access",
		FeatureGroup:      "Networking",
		Classification:    model.ClassificationAdvisory,
		Origin:            model.OriginMicrosoft,
		Status:            model.StatusInvestigating,
		ImpactDescription: "Users’ OME email sent from Exchange Online may be unable to be accessed by some recipients.",
		Start:             at("2023-05-14T20:00:00Z"),
		LastModified:      at("2023-05-16T13:41:07Z"),
		Posts: []model.Post{{
			Created: at("2023-05-16T13:41:07Z"), Type: model.PostRegular, ContentType: "html",
			Content: "Title: Users’ Office Message Encrypted (OME) email sent from Exchange Online may be unable to be accessed by some recipients\n\n" +
				"User impact: Users’ OME email sent from Exchange Online may be unable to be accessed by some recipients.\n\n" +
				"More info: Affected recipients are external to the sender's organization. After they generate a One Time Passcode, they're routed to the OME portal, where the site continuously loads.\n\n" +
				"Current status: We're reviewing recent deployments to the service to determine whether they're contributing to the problem.\n\n" +
				"Scope of impact: Impact may occur for any users sending OME email messages through Exchange Online to some external users.\n\n" +
				"Next update by: Wednesday, May 17, 2023, at 5:00 PM UTC",
		}},
	}
	final = &model.Issue{}
	*final = *first
	final.Status = model.StatusServiceRestored
	final.IsResolved = true
	final.ImpactDescription = "Users’ OME email sent from Exchange Online may have been unable to be accessed by some recipients."
	final.End = at("2023-05-25T19:00:00Z")
	final.LastModified = at("2023-05-26T00:12:21Z")
	final.Posts = append(append([]model.Post(nil), first.Posts...), model.Post{
		Created: at("2023-05-26T00:12:21Z"), Type: model.PostRegular, ContentType: "html",
		Content: fixture(t, "ex559755_final_post.txt"),
	})
	return first, final
}

func message(t *testing.T) (v1, v2 *model.Message) {
	v1 = &model.Message{
		ID:       "MC123456",
		Title:    "New sharing experience in SharePoint Online and OneDrive for Business",
		Category: model.CategoryPlanForChange, Severity: model.SeverityHigh, IsMajorChange: true,
		Services:         []string{"SharePoint Online", "OneDrive for Business"},
		Tags:             []string{"New feature", "User impact", "Admin impact"},
		Start:            at("2024-04-02T18:22:10Z"),
		LastModified:     at("2024-04-02T18:22:10Z"),
		ActionRequiredBy: at("2024-05-31T07:00:00Z"),
		BodyType:         "html",
		Body:             fixture(t, "mc_v1.html"),
	}
	v2 = &model.Message{}
	*v2 = *v1
	v2.Title = "(Updated) " + v1.Title
	v2.Tags = append(append([]string(nil), v1.Tags...), "Updated message")
	v2.ActionRequiredBy = at("2024-07-31T07:00:00Z")
	v2.LastModified = at("2024-05-10T21:03:44Z")
	v2.Body = fixture(t, "mc_v2.html")
	return v1, v2
}

func TestGolden(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	mustEvent := func(ev model.Event, ok bool) *model.Event {
		t.Helper()
		if !ok {
			t.Fatal("detect raised no event")
		}
		return &ev
	}
	first, final := ex559755(t)
	v1, v2 := message(t)
	o := detect.Options{Now: at("2023-05-26T00:15:00Z")}
	issueNew := mustEvent(detect.Issue("contoso", nil, 0, first, detect.Options{Now: at("2023-05-16T13:45:00Z")}))
	issueDone := mustEvent(detect.Issue("contoso", first, 1, final, o))
	mcNew := mustEvent(detect.Message("contoso", nil, 0, v1, detect.Options{Now: at("2024-04-02T18:30:00Z")}))
	mcUpd := mustEvent(detect.Message("contoso", v1, 1, v2, detect.Options{Now: at("2024-05-10T21:10:00Z")}))
	svcPrev := &model.ServiceHealth{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceOperational}
	svcCur := &model.ServiceHealth{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceDegradation}
	svc := mustEvent(detect.Service("contoso", svcPrev, 4, svcCur, detect.Options{Now: at("2023-05-14T20:35:00Z")}))
	removed := detect.Removed("contoso", model.SourceSHD, "EX559755", 2, detect.Options{Now: at("2023-07-01T06:00:00Z")})
	removed.Issue = final

	tests := []struct {
		name string
		ev   *model.Event
		o    Options
	}{
		{"issue_new", issueNew, Options{}},
		{"issue_resolved", issueDone, Options{}},
		{"issue_resolved_tokyo", issueDone, Options{Location: tokyo}},
		{"issue_resolved_short", issueDone, Options{MaxPostChars: 400}},
		{"mc_new", mcNew, Options{}},
		{"mc_updated", mcUpd, Options{}},
		{"service_status", svc, Options{}},
		{"issue_removed", &removed, Options{}},
		{"issue_resolved_md", issueDone, Options{Format: FormatMarkdown}},
		{"mc_updated_md", mcUpd, Options{Format: FormatMarkdown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject, body := Notice(tt.ev, tt.o)
			got := subject + "\n\n" + body
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update): %v", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s differs (-want +got):\n%s", path, diff)
			}
			if strings.Contains(subject, "\n") {
				t.Errorf("subject has a line break: %q", subject)
			}
		})
	}
}

func TestFormatTime(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	ts := at("2023-05-14T20:00:00Z")
	tests := []struct {
		t    time.Time
		loc  *time.Location
		want string
	}{
		{ts, nil, "2023-05-14 20:00 UTC"},
		{ts, tokyo, "2023-05-15 05:00 JST"},
		{ts, ny, "2023-05-14 16:00 EDT"},
		{ts.In(tokyo), nil, "2023-05-14 20:00 UTC"},
		{time.Time{}, tokyo, "—"},
	}
	for _, tt := range tests {
		if got := FormatTime(tt.t, tt.loc); got != tt.want {
			t.Errorf("FormatTime(%v, %v) = %q, want %q", tt.t, tt.loc, got, tt.want)
		}
	}
}

func TestChangeLines(t *testing.T) {
	ev := &model.Event{Source: model.SourceMC, Changes: []model.Change{
		{Kind: model.ChangeActionDate, From: "2024-05-31T07:00:00Z", To: "2024-07-31T07:00:00Z"},
		{Kind: model.ChangeEnd, To: "2023-05-25T19:00:00Z"},
		{Kind: model.ChangeStart, From: "2023-05-25T19:00:00Z"},
		{Kind: model.ChangeTags, From: "A, B", To: "B, C"},
		{Kind: model.ChangeMajor, From: "true", To: "false"},
		{Kind: model.ChangeBodySection, Field: "", From: "x", To: "y"},
		{Kind: model.ChangeBodySection, Field: "Compliance", To: "y"},
		{Kind: model.ChangeNew, Field: model.FieldReappeared},
		{Kind: model.ChangeKind("futureKind"), Field: "f", From: "a", To: "b"},
		{Kind: model.ChangeStatus, From: "", To: "serviceDegradation"},
		{Kind: model.ChangeTitle, From: "T", To: "(Updated) T"},
		{Kind: model.ChangeImpact, From: "Users can't.", To: "Users couldn't."},
		{Kind: model.ChangeTitle, From: "T", To: "T (retired)"},
	}}
	want := []string{
		"Action required by moved: 2024-05-31 → 2024-07-31", // dates, without a time of day
		"End time set: 2023-05-25 19:00 UTC",
		"Start time cleared (was 2023-05-25 19:00 UTC)",
		"Tags: added “C”; removed “A”",
		"No longer marked as a major update",
		"Section changed: Introduction",
		"Section added: Compliance",
		"New message: listed again after Microsoft had removed it",
		"futureKind (f): a → b",
		"Status: (none) → Service degradation",
		"Title: “(Updated)” added in front",
		"User impact reworded (was: “Users can't.”)",
		"Title: “(retired)” added at the end",
	}
	if diff := cmp.Diff(want, changeLines(ev, Options{})); diff != "" {
		t.Errorf("change lines (-want +got):\n%s", diff)
	}
}

func TestEscapeMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a*b_c", `a\*b\_c`},
		{"[x](y) <b> | ~ ` #", `\[x\](y) \<b\> \| \~ \` + "`" + ` \#`},
		{"- not a list", `\- not a list`},
		{"1. not a list", `1\. not a list`},
		{`C:\path`, `C:\\path`},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := EscapeMarkdown(tt.in); got != tt.want {
			t.Errorf("EscapeMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := markdownText("Title: a*b\nUser impact: c\n\n- item _x_\n  - sub\n3. third")
	want := "Title: a\\*b  \nUser impact: c\n\n- item \\_x\\_\n  - sub\n3. third"
	if got != want {
		t.Errorf("markdownText = %q, want %q", got, want)
	}
}

func TestTruncate(t *testing.T) {
	s := strings.Repeat("word ", 100)
	got := truncate(s, 50)
	if !strings.HasSuffix(got, "[451 more characters not shown]") || !strings.HasPrefix(got, "word word") || strings.Count(got, "word") > 10 {
		t.Errorf("truncate = %q", got)
	}
	if truncate("short", 50) != "short" || truncate(s, 0) != s {
		t.Error("truncate changed text within the limit")
	}
}

func TestHostileContent(t *testing.T) {
	is := &model.Issue{
		ID: "MO1", Service: "Microsoft 365 suite", Title: "*Bad* [title](http://x)\nsecond line", Status: model.Status("brandNewStatus"),
		Classification: model.ClassificationIncident, Origin: model.OriginThirdParty,
		Posts: []model.Post{{Created: at("2024-01-01T00:00:00Z"), Content: "<script>alert(1)</script><p>*bold* <a href=\"javascript:x\">click</a> # not heading</p><p>1. not a list</p>"}},
	}
	ev, ok := detect.Issue("c", nil, 0, is, detect.Options{Now: at("2024-01-01T00:05:00Z")})
	if !ok {
		t.Fatal("no event")
	}
	subject, body := Notice(&ev, Options{Format: FormatMarkdown})
	if strings.Contains(subject, "\n") || !strings.HasPrefix(subject, "[brandNewStatus] MO1 | Microsoft 365 suite | *Bad*") {
		t.Errorf("subject = %q", subject)
	}
	for _, bad := range []string{"<script", "alert(1)", "(javascript:", "\n*bold*", "\n# not"} {
		if strings.Contains(body, bad) {
			t.Errorf("markdown body contains %q:\n%s", bad, body)
		}
	}
	for _, good := range []string{`\*bold\*`, `\# not heading`, "- **Origin:** Third party", "- **End Time:** ongoing"} {
		if !strings.Contains(body, good) {
			t.Errorf("markdown body lacks %q:\n%s", good, body)
		}
	}
	_, text := Notice(&ev, Options{})
	if !strings.Contains(text, "Status:          brandNewStatus\n") {
		t.Errorf("unknown status not passed through:\n%s", text)
	}
}

func TestMessageTextBodyAndUnchangedText(t *testing.T) {
	v1, _ := message(t)
	v1.BodyType, v1.Body = "text", "Line one\nLine two"
	ev, _ := detect.Message("c", nil, 0, v1, detect.Options{})
	if _, body := Notice(&ev, Options{}); !strings.Contains(body, "\nLine one\nLine two\n") {
		t.Errorf("text body not shown as is:\n%s", body)
	}
	v2 := *v1
	v2.Severity = model.SeverityCritical
	ev, ok := detect.Message("c", v1, 1, &v2, detect.Options{})
	if !ok {
		t.Fatal("no event")
	}
	_, body := Notice(&ev, Options{})
	if !strings.Contains(body, "- Severity: High → Critical\n") || !strings.Contains(body, "The message text is unchanged.") || strings.Contains(body, "Line one") {
		t.Errorf("metadata-only update rendered badly:\n%s", body)
	}
}
