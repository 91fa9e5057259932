package fingerprint

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// refCanonText is the line-by-line definition of CanonText.
func refCanonText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for k, l := range lines {
		lines[k] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

func TestCanonText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a", "a"},
		{"a b", "a b"},
		{"a \r\nb\t\r\n", "a\nb"},
		{"a\rb\r", "a\nb"},
		{"a\n", "a"},
		{"a\n \n\t\n", "a"},
		{"  lead", "  lead"},
		{"x \ny  \n z", "x\ny\n z"},
		{"\n\n", ""},
		{"ＯＭＥ ", "ＯＭＥ"},
	}
	for _, tt := range tests {
		if got := CanonText(tt.in); got != tt.want {
			t.Errorf("CanonText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Random texts over the characters that matter, against the definition.
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab \t\r\n")
	for range 5000 {
		b := make([]byte, rng.IntN(12))
		for k := range b {
			b[k] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(b)
		want := refCanonText(s)
		if got := CanonText(s); got != want {
			t.Fatalf("CanonText(%q) = %q, want %q", s, got, want)
		}
		if isCanon(s) != (want == s) {
			t.Fatalf("isCanon(%q) = %v, want %v", s, isCanon(s), want == s)
		}
	}
}

func hashIssue() *model.Issue {
	t0 := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	return &model.Issue{
		ID: "EX1", Title: "Mail delayed", Service: "Exchange Online", Feature: "Mail flow", FeatureGroup: "Transport",
		Classification: model.ClassificationIncident, Origin: model.OriginMicrosoft, Status: model.StatusInvestigating,
		ImpactDescription: "Users may see delays.", Start: t0, End: t0.Add(time.Hour), LastModified: t0,
		Details: []model.KeyValue{{Name: "NotifyInApp", Value: "True"}, {Name: "ExternalLink", Value: "https://x"}},
		Posts: []model.Post{
			{Created: t0, Type: model.PostRegular, ContentType: "html", Content: "first\nline"},
			{Created: t0.Add(time.Minute), Type: model.PostQuick, ContentType: "html", Content: "second"},
			{Created: t0.Add(time.Minute), Type: model.PostQuick, ContentType: "html", Content: "same time"},
		},
	}
}

func hashMessage() *model.Message {
	t0 := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	return &model.Message{
		ID: "MC1", Title: "Retirement", Category: model.CategoryPlanForChange, Severity: model.SeverityHigh,
		Services: []string{"Teams", "SharePoint Online"}, Tags: []string{"Retirement", "Admin impact", "User impact"},
		IsMajorChange: true, ActionRequiredBy: t0.Add(48 * time.Hour), Start: t0, End: t0.Add(72 * time.Hour),
		LastModified: t0, BodyType: "html", Body: "<p>We are retiring.</p>", HasAttachments: true,
		Attachments: []model.Attachment{
			{ID: "b", Name: "List", ContentType: "text/csv", Size: 10, LastModified: t0},
			{ID: "a", Name: "Other", ContentType: "text/csv", Size: 20, LastModified: t0},
		},
		Details: []model.KeyValue{{Name: "Summary", Value: "x"}},
	}
}

func copyMsg(m *model.Message) *model.Message {
	c := *m
	c.Services = slices.Clone(m.Services)
	c.Tags = slices.Clone(m.Tags)
	c.Attachments = slices.Clone(m.Attachments)
	c.Details = slices.Clone(m.Details)
	return &c
}

// TestHashIssueFields checks that every field but LastModified is in the
// hash and that the canonicalizations hold.
func TestHashIssueFields(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name   string
		mutate func(*model.Issue)
		same   bool
	}{
		{"lastModified", func(i *model.Issue) { i.LastModified = i.LastModified.Add(time.Hour) }, true},
		{"posts reversed", func(i *model.Issue) { slices.Reverse(i.Posts) }, true},
		{"posts rotated", func(i *model.Issue) { i.Posts = append(i.Posts[1:], i.Posts[0]) }, true},
		{"details reversed", func(i *model.Issue) { slices.Reverse(i.Details) }, true},
		{"other zone", func(i *model.Issue) { i.Start = i.Start.In(tokyo); i.Posts[0].Created = i.Posts[0].Created.In(tokyo) }, true},
		{"crlf and trailing spaces", func(i *model.Issue) { i.Posts[0].Content = "first \r\nline\t\r\n"; i.Title += "  " }, true},
		{"id", func(i *model.Issue) { i.ID = "EX2" }, false},
		{"title", func(i *model.Issue) { i.Title += "!" }, false},
		{"title full width", func(i *model.Issue) { i.Title = "Ｍail delayed" }, false},
		{"service", func(i *model.Issue) { i.Service = "Exchange" }, false},
		{"feature", func(i *model.Issue) { i.Feature = "" }, false},
		{"feature group", func(i *model.Issue) { i.FeatureGroup = "x" }, false},
		{"feature moved to group", func(i *model.Issue) { i.Feature, i.FeatureGroup = "", "Mail flowTransport" }, false},
		{"classification", func(i *model.Issue) { i.Classification = model.ClassificationAdvisory }, false},
		{"origin", func(i *model.Issue) { i.Origin = model.OriginThirdParty }, false},
		{"status", func(i *model.Issue) { i.Status = model.StatusServiceRestored }, false},
		{"impact", func(i *model.Issue) { i.ImpactDescription = "" }, false},
		{"resolved", func(i *model.Issue) { i.IsResolved = true }, false},
		{"start", func(i *model.Issue) { i.Start = i.Start.Add(time.Nanosecond) }, false},
		{"end", func(i *model.Issue) { i.End = time.Time{} }, false},
		{"detail value", func(i *model.Issue) { i.Details[0].Value = "False" }, false},
		{"detail dropped", func(i *model.Issue) { i.Details = i.Details[:1] }, false},
		{"post added", func(i *model.Issue) { i.Posts = append(i.Posts, model.Post{Content: "x"}) }, false},
		{"post dropped", func(i *model.Issue) { i.Posts = i.Posts[:2] }, false},
		{"post content", func(i *model.Issue) { i.Posts[1].Content = "changed" }, false},
		{"post type", func(i *model.Issue) { i.Posts[1].Type = model.PostRegular }, false},
		{"post content type", func(i *model.Issue) { i.Posts[1].ContentType = "text" }, false},
		{"post time", func(i *model.Issue) { i.Posts[0].Created = i.Posts[0].Created.Add(time.Second) }, false},
		{"post text split", func(i *model.Issue) { i.Posts[0].Content, i.Posts[0].Type = "first\nlineregular", "" }, false},
	}
	base := Issue(hashIssue())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := copyIssue(hashIssue())
			tt.mutate(is)
			if got := Issue(is); (got == base) != tt.same {
				t.Errorf("hash equal = %v, want %v", got == base, tt.same)
			}
		})
	}
}

func TestHashMessageFields(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.Message)
		same   bool
	}{
		{"lastModified", func(m *model.Message) { m.LastModified = time.Time{} }, true},
		{"sets reordered", func(m *model.Message) {
			slices.Reverse(m.Services)
			slices.Reverse(m.Tags)
			slices.Reverse(m.Attachments)
		}, true},
		{"body crlf", func(m *model.Message) { m.Body += "\r\n" }, true},
		{"title", func(m *model.Message) { m.Title = "(Updated) " + m.Title }, false},
		{"category", func(m *model.Message) { m.Category = model.CategoryStayInformed }, false},
		{"severity", func(m *model.Message) { m.Severity = model.SeverityNormal }, false},
		{"service", func(m *model.Message) { m.Services[0] = "Teams2" }, false},
		{"service moved to tags", func(m *model.Message) { m.Tags = append(m.Tags, m.Services[0]); m.Services = m.Services[1:] }, false},
		{"tag added", func(m *model.Message) { m.Tags = append(m.Tags, "New feature") }, false},
		{"major", func(m *model.Message) { m.IsMajorChange = false }, false},
		{"action date", func(m *model.Message) { m.ActionRequiredBy = m.ActionRequiredBy.Add(time.Hour) }, false},
		{"start", func(m *model.Message) { m.Start = time.Time{} }, false},
		{"end", func(m *model.Message) { m.End = m.End.Add(time.Hour) }, false},
		{"body type", func(m *model.Message) { m.BodyType = "text" }, false},
		{"body", func(m *model.Message) { m.Body += "<p>More.</p>" }, false},
		{"has attachments", func(m *model.Message) { m.HasAttachments = false }, false},
		{"attachment size", func(m *model.Message) { m.Attachments[0].Size++ }, false},
		{"attachment name", func(m *model.Message) { m.Attachments[1].Name = "x" }, false},
		{"attachment time", func(m *model.Message) { m.Attachments[1].LastModified = time.Time{} }, false},
		{"detail", func(m *model.Message) { m.Details = nil }, false},
	}
	base := Message(hashMessage())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := copyMsg(hashMessage())
			tt.mutate(m)
			if got := Message(m); (got == base) != tt.same {
				t.Errorf("hash equal = %v, want %v", got == base, tt.same)
			}
		})
	}
}

// TestHashGolden pins the hash values: the encoding must not change by
// accident (Go version, refactoring), since stored hashes are compared
// against it. Change the values only with a deliberate encoding change
// (and a new hashVersion).
func TestHashGolden(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"issue", Issue(hashIssue()), "a07d0335ebda8926c8f659132e9e6109b200fa205f5e9a50d67d9e4e638bfb54"},
		{"message", Message(hashMessage()), "2b43eaa7817169fe4ae8d7ad524cdf8e21870881c53e0155adf9609c02a07634"},
		{"service", Service(&model.ServiceHealth{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceOperational}), "13e7194f0f461f7794cd305be0efd4183572eb490061cb12f16692b61f007a3f"},
		{"empty issue", Issue(&model.Issue{}), "150f588066dc4c3390ee37069c1f56c5c037fd877dbd397e6c99683f7571be4f"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: hash %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

// TestHashDoesNotModify checks that hashing leaves the item as it was.
func TestHashDoesNotModify(t *testing.T) {
	is := hashIssue()
	slices.Reverse(is.Posts)
	before := copyIssue(is)
	_ = Issue(is)
	if is.Posts[0].Content != before.Posts[0].Content || is.Details[0] != before.Details[0] {
		t.Error("Issue reordered the issue")
	}
	m := hashMessage()
	_ = Message(m)
	if !slices.Equal(m.Tags, hashMessage().Tags) || m.Attachments[0].ID != "b" {
		t.Error("Message reordered the message")
	}
}

// TestHashAllocations: one buffer and the hex string per hash when the sets
// are already in order.
func TestHashAllocations(t *testing.T) {
	is := hashIssue()
	slices.SortFunc(is.Details, func(a, b model.KeyValue) int { return len(a.Name) - len(b.Name) })
	if n := testing.AllocsPerRun(10, func() { _ = Issue(is) }); n > 2 {
		t.Errorf("Issue: %.0f allocations, want at most 2", n)
	}
}

func BenchmarkHashIssue(b *testing.B) {
	is := hashIssue()
	long := strings.Repeat("Current status: we're investigating a potential issue.\n", 25)
	for k := range is.Posts {
		is.Posts[k].Content = long
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Issue(is)
	}
}

func copyIssue(i *model.Issue) *model.Issue {
	c := *i
	c.Details = slices.Clone(i.Details)
	c.Posts = slices.Clone(i.Posts)
	return &c
}
