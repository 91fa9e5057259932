package sdkcompare

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/fingerprint"
	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
)

// Benchmark sizes from the issue: one tenant, 1,000 issues with 5 posts
// each and 1,000 Message Center posts.
const (
	nIssues   = 1000
	nMessages = 1000
	seed      = 20250602
	tenant    = "contoso"
)

// shdmcPrev is what shdmc knows from the previous poll: the stored item and
// its content hash (the store keeps both).
type shdmcPrev struct {
	issues     map[string]*model.Issue
	issueHash  map[string]string
	msgs       map[string]*model.Message
	msgHash    map[string]string
	detectOpts detect.Options
}

func newShdmcPrev(tb testing.TB, d Dataset) *shdmcPrev {
	tb.Helper()
	is, _, err := graph.DecodeIssues(d.PrevIssues)
	if err != nil {
		tb.Fatal(err)
	}
	ms, _, err := graph.DecodeMessages(d.PrevMessages)
	if err != nil {
		tb.Fatal(err)
	}
	p := &shdmcPrev{
		issues: map[string]*model.Issue{}, issueHash: map[string]string{},
		msgs: map[string]*model.Message{}, msgHash: map[string]string{},
		detectOpts: detect.Options{Now: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)},
	}
	for k := range is {
		p.issues[is[k].ID] = &is[k]
		p.issueHash[is[k].ID] = fingerprint.Issue(&is[k])
	}
	for k := range ms {
		p.msgs[ms[k].ID] = &ms[k]
		p.msgHash[ms[k].ID] = fingerprint.Message(&ms[k])
	}
	return p
}

// shdmcDecodeDiff is what shdmc does with one poll of a tenant: decode both
// pages, hash every item, and run detect on the items whose hash moved. It
// returns the ids of the items that raised an event.
func shdmcDecodeDiff(p *shdmcPrev, issuesJSON, messagesJSON []byte) (issueEvents, msgEvents []string, err error) {
	is, _, err := graph.DecodeIssues(issuesJSON)
	if err != nil {
		return nil, nil, err
	}
	ms, _, err := graph.DecodeMessages(messagesJSON)
	if err != nil {
		return nil, nil, err
	}
	for k := range is {
		cur := &is[k]
		if fingerprint.Issue(cur) == p.issueHash[cur.ID] {
			continue
		}
		if ev, ok := detect.Issue(tenant, p.issues[cur.ID], 1, cur, p.detectOpts); ok {
			issueEvents = append(issueEvents, ev.ItemID)
		}
	}
	for k := range ms {
		cur := &ms[k]
		if fingerprint.Message(cur) == p.msgHash[cur.ID] {
			continue
		}
		if ev, ok := detect.Message(tenant, p.msgs[cur.ID], 1, cur, p.detectOpts); ok {
			msgEvents = append(msgEvents, ev.ItemID)
		}
	}
	return issueEvents, msgEvents, nil
}

// sdkIssues decodes an issues page the way msgraph-sdk-go does for
// client.Admin().ServiceAnnouncement().Issues().Get(): kiota-http-go's
// NetHttpRequestAdapter.Send reads the body, builds the JSON root parse node
// and calls GetObjectValue with the collection response factory.
func sdkIssues(data []byte) ([]models.ServiceHealthIssueable, error) {
	n, err := jsonserialization.NewJsonParseNode(data)
	if err != nil {
		return nil, fmt.Errorf("parse issues json: %w", err)
	}
	v, err := n.GetObjectValue(models.CreateServiceHealthIssueCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return nil, fmt.Errorf("decode issues: %w", err)
	}
	return v.(models.ServiceHealthIssueCollectionResponseable).GetValue(), nil
}

// sdkMessages is sdkIssues for /admin/serviceAnnouncement/messages.
func sdkMessages(data []byte) ([]models.ServiceUpdateMessageable, error) {
	n, err := jsonserialization.NewJsonParseNode(data)
	if err != nil {
		return nil, fmt.Errorf("parse messages json: %w", err)
	}
	v, err := n.GetObjectValue(models.CreateServiceUpdateMessageCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return nil, fmt.Errorf("decode messages: %w", err)
	}
	return v.(models.ServiceUpdateMessageCollectionResponseable).GetValue(), nil
}

// sdkSummary is the minimal state an SDK user would keep per item to notice
// changes: the SDK itself has no diff. It is deliberately much cheaper than
// shdmc's detection (no hash of the content, no field-level changes).
type sdkSummary struct {
	status   string
	posts    int
	title    string
	modified time.Time
}

type sdkPrev struct {
	issues map[string]sdkSummary
	msgs   map[string]sdkSummary
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func issueSummary(i models.ServiceHealthIssueable) sdkSummary {
	s := sdkSummary{posts: len(i.GetPosts())}
	if st := i.GetStatus(); st != nil {
		s.status = st.String()
	}
	if t := i.GetLastModifiedDateTime(); t != nil {
		s.modified = *t
	}
	return s
}

func messageSummary(m models.ServiceUpdateMessageable) sdkSummary {
	s := sdkSummary{title: str(m.GetTitle())}
	if t := m.GetLastModifiedDateTime(); t != nil {
		s.modified = *t
	}
	return s
}

func newSDKPrev(tb testing.TB, d Dataset) *sdkPrev {
	tb.Helper()
	is, err := sdkIssues(d.PrevIssues)
	if err != nil {
		tb.Fatal(err)
	}
	ms, err := sdkMessages(d.PrevMessages)
	if err != nil {
		tb.Fatal(err)
	}
	p := &sdkPrev{issues: map[string]sdkSummary{}, msgs: map[string]sdkSummary{}}
	for _, i := range is {
		p.issues[str(i.GetId())] = issueSummary(i)
	}
	for _, m := range ms {
		p.msgs[str(m.GetId())] = messageSummary(m)
	}
	return p
}

// sdkDecodeDiff decodes both pages with the SDK and compares status, post
// count and lastModifiedDateTime (issues) or title and lastModifiedDateTime
// (messages) with the previous poll. It returns the ids that differ, which
// includes items only touched by Microsoft.
func sdkDecodeDiff(p *sdkPrev, issuesJSON, messagesJSON []byte) (issues, msgs []string, err error) {
	is, err := sdkIssues(issuesJSON)
	if err != nil {
		return nil, nil, err
	}
	ms, err := sdkMessages(messagesJSON)
	if err != nil {
		return nil, nil, err
	}
	for _, i := range is {
		id := str(i.GetId())
		if issueSummary(i) != p.issues[id] {
			issues = append(issues, id)
		}
	}
	for _, m := range ms {
		id := str(m.GetId())
		if messageSummary(m) != p.msgs[id] {
			msgs = append(msgs, id)
		}
	}
	return issues, msgs, nil
}

func TestGenerate(t *testing.T) {
	a := Generate(50, 50, seed)
	b := Generate(50, 50, seed)
	for _, tc := range []struct {
		name string
		x, y []byte
	}{
		{"issues", a.Issues, b.Issues},
		{"messages", a.Messages, b.Messages},
		{"prev issues", a.PrevIssues, b.PrevIssues},
		{"prev messages", a.PrevMessages, b.PrevMessages},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if string(tc.x) != string(tc.y) {
				t.Fatal("two runs with the same seed differ")
			}
			for _, want := range []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#admin/serviceAnnouncement/`, `"value":[`} {
				if !strings.Contains(string(tc.x), want) {
					t.Errorf("body lacks %s", want)
				}
			}
		})
	}
	if string(a.Issues) == string(a.PrevIssues) || string(a.Messages) == string(a.PrevMessages) {
		t.Error("previous and current versions are identical")
	}
	if c := Generate(50, 50, seed+1); string(c.Issues) == string(a.Issues) {
		t.Error("another seed gives the same issues")
	}
}

// TestGeneratedShape checks that the generated items have the sizes and
// wire details the benchmark claims (post and body lengths, 7-digit
// fractions, nulls).
func TestGeneratedShape(t *testing.T) {
	d := Generate(200, 200, seed)
	is, _, err := graph.DecodeIssues(d.Issues)
	if err != nil {
		t.Fatal(err)
	}
	ms, _, err := graph.DecodeMessages(d.Messages)
	if err != nil {
		t.Fatal(err)
	}
	if len(is) != 200 || len(ms) != 200 {
		t.Fatalf("got %d issues and %d messages, want 200 each", len(is), len(ms))
	}
	for _, i := range is {
		if len(i.Posts) != 5 {
			t.Fatalf("issue %s has %d posts, want 5", i.ID, len(i.Posts))
		}
		for _, p := range i.Posts {
			if n := len(p.Content); n < 700 || n > 1700 || !strings.Contains(p.Content, "\n") {
				t.Errorf("issue %s: post of %d chars (want ~800–1,500 with line breaks)", i.ID, n)
			}
		}
		if n := len(i.Title); n < 50 || n > 130 {
			t.Errorf("issue %s: title of %d chars", i.ID, n)
		}
	}
	for _, m := range ms {
		if n := len(m.Body); n < 2000 || n > 4300 {
			t.Errorf("message %s: body of %d bytes (want 2–4 KB)", m.ID, n)
		}
	}
	for _, want := range []string{`"highImpact":null`, `"endDateTime":null`, `.`} {
		if !strings.Contains(string(d.Issues), want) {
			t.Errorf("issues body lacks %s", want)
		}
	}
	for _, want := range []string{`"viewPoint":null`, `"actionRequiredByDateTime":null`, `<ul><li>`, `<a href=\"`, `&amp;`} {
		if !strings.Contains(string(d.Messages), want) {
			t.Errorf("messages body lacks %s", want)
		}
	}
	if !strings.Contains(string(d.Issues), `0000Z"`) || strings.Count(string(d.Issues), `Z"`) < 200*5 {
		t.Error("issues body lacks 7-digit fractional timestamps")
	}
}

// TestDecodersAgree checks that shdmc and the SDK read the same items from
// the benchmark data: counts, ids, statuses, post counts, titles and bodies.
func TestDecodersAgree(t *testing.T) {
	d := Generate(nIssues, nMessages, seed)
	for _, v := range []struct {
		name             string
		issues, messages []byte
	}{{"current", d.Issues, d.Messages}, {"previous", d.PrevIssues, d.PrevMessages}} {
		t.Run(v.name, func(t *testing.T) {
			mi, _, err := graph.DecodeIssues(v.issues)
			if err != nil {
				t.Fatal(err)
			}
			si, err := sdkIssues(v.issues)
			if err != nil {
				t.Fatal(err)
			}
			if len(mi) != nIssues || len(si) != nIssues {
				t.Fatalf("issues: shdmc %d, sdk %d, want %d", len(mi), len(si), nIssues)
			}
			for k := range mi {
				a, b := mi[k], si[k]
				if a.ID != str(b.GetId()) || string(a.Status) != b.GetStatus().String() ||
					len(a.Posts) != len(b.GetPosts()) || a.Title != str(b.GetTitle()) ||
					!a.LastModified.Equal(*b.GetLastModifiedDateTime()) ||
					a.Posts[len(a.Posts)-1].Content != str(b.GetPosts()[len(b.GetPosts())-1].GetDescription().GetContent()) {
					t.Fatalf("issue %d differs: shdmc %s %s %d posts, sdk %s %s %d posts",
						k, a.ID, a.Status, len(a.Posts), str(b.GetId()), b.GetStatus(), len(b.GetPosts()))
				}
			}
			mm, _, err := graph.DecodeMessages(v.messages)
			if err != nil {
				t.Fatal(err)
			}
			sm, err := sdkMessages(v.messages)
			if err != nil {
				t.Fatal(err)
			}
			if len(mm) != nMessages || len(sm) != nMessages {
				t.Fatalf("messages: shdmc %d, sdk %d, want %d", len(mm), len(sm), nMessages)
			}
			for k := range mm {
				a, b := mm[k], sm[k]
				if a.ID != str(b.GetId()) || a.Title != str(b.GetTitle()) || a.Body != str(b.GetBody().GetContent()) ||
					string(a.Severity) != b.GetSeverity().String() || !slices.Equal(a.Services, b.GetServices()) ||
					!slices.Equal(a.Tags, b.GetTags()) || a.HasAttachments != *b.GetHasAttachments() {
					t.Fatalf("message %d differs: shdmc %s %q, sdk %s %q", k, a.ID, a.Title, str(b.GetId()), str(b.GetTitle()))
				}
			}
		})
	}
}

// TestDiffs checks both diff paths on the benchmark data: shdmc raises an
// event for exactly the changed items and none for the merely touched
// ones; the minimal SDK comparison flags changed and touched items alike.
func TestDiffs(t *testing.T) {
	d := Generate(nIssues, nMessages, seed)
	if len(d.ChangedIssues) != nIssues/20 || len(d.ChangedMessages) != nMessages/20 {
		t.Fatalf("generator changed %d issues and %d messages, want %d each", len(d.ChangedIssues), len(d.ChangedMessages), nIssues/20)
	}
	ie, me, err := shdmcDecodeDiff(newShdmcPrev(t, d), d.Issues, d.Messages)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ie, d.ChangedIssues) {
		t.Errorf("shdmc issue events %v\nwant %v", ie, d.ChangedIssues)
	}
	if !slices.Equal(me, d.ChangedMessages) {
		t.Errorf("shdmc message events %v\nwant %v", me, d.ChangedMessages)
	}
	si, sm, err := sdkDecodeDiff(newSDKPrev(t, d), d.Issues, d.Messages)
	if err != nil {
		t.Fatal(err)
	}
	wantI := slices.Sorted(slices.Values(append(slices.Clone(d.ChangedIssues), d.TouchedIssues...)))
	wantM := slices.Sorted(slices.Values(append(slices.Clone(d.ChangedMessages), d.TouchedMessages...)))
	slices.Sort(si)
	slices.Sort(sm)
	if !slices.Equal(si, wantI) {
		t.Errorf("sdk issue diffs %v\nwant %v", si, wantI)
	}
	if !slices.Equal(sm, wantM) {
		t.Errorf("sdk message diffs %v\nwant %v", sm, wantM)
	}
	// With no change at all, shdmc must raise nothing.
	ie, me, err = shdmcDecodeDiff(newShdmcPrev(t, d), d.PrevIssues, d.PrevMessages)
	if err != nil {
		t.Fatal(err)
	}
	if len(ie)+len(me) != 0 {
		t.Errorf("unchanged data raised %d issue and %d message events", len(ie), len(me))
	}
}
