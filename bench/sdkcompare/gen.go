// Package sdkcompare compares shdmc's Graph decoder and change detection with
// decoding the same JSON through the Microsoft Graph Go SDK
// (github.com/microsoftgraph/msgraph-sdk-go). It is a separate Go module so
// that shdmc itself never depends on the SDK; see README.md.
//
// This file generates the input: deterministic response bodies shaped like
// the ones Microsoft Graph returns for /admin/serviceAnnouncement/issues and
// /admin/serviceAnnouncement/messages, in two versions ("previous" and
// "current") that differ in about 5% of the items.
package sdkcompare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Dataset holds one tenant's issues and messages pages, current and previous.
type Dataset struct {
	// Issues is the current issues response body (one page, no nextLink).
	Issues []byte
	// Messages is the current messages response body.
	Messages []byte
	// PrevIssues is the issues body of the previous poll.
	PrevIssues []byte
	// PrevMessages is the messages body of the previous poll.
	PrevMessages []byte
	// ChangedIssues and ChangedMessages list the ids whose content differs
	// between the two versions (LastModified-only touches excluded).
	ChangedIssues, ChangedMessages []string
	// TouchedIssues and TouchedMessages list the ids whose only difference
	// is lastModifiedDateTime.
	TouchedIssues, TouchedMessages []string
}

// Wire types. Field order follows real Graph responses; pointer fields are
// written as JSON null when nil.

type wBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type wKV struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

type wPost struct {
	CreatedDateTime string `json:"createdDateTime"`
	PostType        string `json:"postType"`
	Description     wBody  `json:"description"`
}

type wIssue struct {
	StartDateTime        string  `json:"startDateTime"`
	EndDateTime          *string `json:"endDateTime"`
	LastModifiedDateTime string  `json:"lastModifiedDateTime"`
	Title                string  `json:"title"`
	ID                   string  `json:"id"`
	ImpactDescription    string  `json:"impactDescription"`
	Classification       string  `json:"classification"`
	Origin               string  `json:"origin"`
	Status               string  `json:"status"`
	Service              string  `json:"service"`
	Feature              *string `json:"feature"`
	FeatureGroup         *string `json:"featureGroup"`
	IsResolved           bool    `json:"isResolved"`
	HighImpact           *bool   `json:"highImpact"`
	Details              []wKV   `json:"details"`
	Posts                []wPost `json:"posts"`
}

type wMessage struct {
	StartDateTime            string    `json:"startDateTime"`
	EndDateTime              *string   `json:"endDateTime"`
	LastModifiedDateTime     string    `json:"lastModifiedDateTime"`
	Title                    string    `json:"title"`
	ID                       string    `json:"id"`
	Category                 string    `json:"category"`
	Severity                 string    `json:"severity"`
	Tags                     []string  `json:"tags"`
	IsMajorChange            bool      `json:"isMajorChange"`
	ActionRequiredByDateTime *string   `json:"actionRequiredByDateTime"`
	Services                 []string  `json:"services"`
	ExpiryDateTime           *string   `json:"expiryDateTime"`
	HasAttachments           bool      `json:"hasAttachments"`
	ViewPoint                *struct{} `json:"viewPoint"`
	Details                  []wKV     `json:"details"`
	Body                     wBody     `json:"body"`
}

type wPage[T any] struct {
	Context string `json:"@odata.context"`
	Value   []T    `json:"value"`
}

const contextBase = "https://graph.microsoft.com/v1.0/$metadata#admin/serviceAnnouncement/"

var (
	services = []struct{ name, prefix string }{
		{"Exchange Online", "EX"}, {"Microsoft Teams", "TM"}, {"SharePoint Online", "SP"},
		{"OneDrive for Business", "OD"}, {"Microsoft 365 suite", "MO"}, {"Microsoft Intune", "IT"},
		{"Microsoft Entra", "AD"}, {"Microsoft Defender XDR", "DZ"}, {"Power Platform", "PP"},
		{"Microsoft 365 apps", "OF"}, {"Planner", "PL"}, {"Dynamics 365 Apps", "CR"},
	}
	features = []struct{ group, feature string }{
		{"E-Mail and calendar access", "E-Mail timely delivery"}, {"Teams Components", "Chat (1:1 and group)"},
		{"SharePoint Features", "Search"}, {"OneDrive for Business", "Files"}, {"Portal", "Administration"},
		{"Microsoft 365 Apps", "Outlook"}, {"Sign-in", "Multi-factor authentication"},
		{"Teams Components", "Meetings"}, {"Management and Provisioning", "Admin center"},
	}
	statuses = []string{
		"investigating", "serviceDegradation", "serviceInterruption", "restoringService",
		"extendedRecovery", "verifyingService", "serviceRestored", "postIncidentReviewPublished",
		"falsePositive", "investigationSuspended", "serviceOperational",
	}
	words = strings.Fields(`users may be unable to access their mailbox calendar or shared files
		through the web client desktop application and mobile devices while we investigate a recent
		change to the infrastructure that handles authentication requests in the affected region we are
		analyzing service telemetry and diagnostic logs to isolate the root cause and determine the most
		efficient mitigation steps affected users might see intermittent delays or errors when sending
		messages joining meetings opening documents or signing in administrators can monitor this
		incident in the service health dashboard for additional details and updates as they become available`)
	mcTags = []string{"Updated message", "New feature", "User impact", "Admin impact", "Action required",
		"Retirement", "Feature update", "Data privacy"}
	categories = []string{"planForChange", "stayInformed", "preventOrFixIssue"}
)

// ts formats t with 7 fractional digits, as Graph does for most stamps.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

func ptr[T any](v T) *T { return &v }

type gen struct{ r *rand.Rand }

// sentence returns n..m words with a capital letter and a period.
func (g gen) sentence(n, m int) string {
	k := n + g.r.IntN(m-n+1)
	var b strings.Builder
	for i := range k {
		w := words[g.r.IntN(len(words))]
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	b.WriteByte('.')
	return b.String()
}

// text returns sentences until the text is at least n characters long.
func (g gen) text(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(g.sentence(8, 20))
	}
	return b.String()
}

// title returns a title of about 100 characters.
func (g gen) title() string {
	s := g.sentence(14, 18)
	if len(s) > 110 {
		s = strings.TrimRight(s[:110], " ") + "."
	}
	return s
}

func (g gen) post(title, impact string, at time.Time, final bool) wPost {
	status := "Current status: " + g.text(200+g.r.IntN(250))
	next := "Next update by: " + at.Add(2*time.Hour).Format("Monday, January 2, 2006, at 3:04 PM UTC")
	if final {
		next = "This is the final update for the event."
	}
	content := strings.Join([]string{
		"Title: " + title,
		"User impact: " + impact,
		"More info: " + g.text(80+g.r.IntN(150)),
		status,
		"Scope of impact: " + g.text(60+g.r.IntN(100)),
		"Root cause: " + g.text(40+g.r.IntN(80)),
		next,
	}, "\n")
	return wPost{
		CreatedDateTime: ts(at.Add(time.Duration(g.r.IntN(1e7)) * 100)),
		PostType:        "regular",
		Description:     wBody{ContentType: "html", Content: content},
	}
}

func (g gen) issue(k int, base time.Time) wIssue {
	svc := services[k%len(services)]
	f := features[g.r.IntN(len(features))]
	start := base.Add(-time.Duration(g.r.IntN(90*24)) * time.Hour)
	title := g.title()
	impact := "Users " + g.sentence(10, 16)
	is := wIssue{
		StartDateTime:     ts(start),
		Title:             title,
		ID:                fmt.Sprintf("%s%06d", svc.prefix, 100000+k*37),
		ImpactDescription: impact,
		Classification:    []string{"advisory", "incident"}[g.r.IntN(2)],
		Origin:            "microsoft",
		Status:            statuses[g.r.IntN(len(statuses))],
		Service:           svc.name,
		Feature:           ptr(f.feature),
		FeatureGroup:      ptr(f.group),
		Details:           []wKV{{Name: "NotifyInApp", Value: ptr("True")}},
	}
	if g.r.IntN(5) == 0 {
		is.Details = []wKV{}
	}
	is.IsResolved = is.Status == "serviceRestored" || is.Status == "postIncidentReviewPublished" || is.Status == "falsePositive"
	at := start
	for p := range 5 {
		at = at.Add(time.Duration(30+g.r.IntN(240)) * time.Minute)
		is.Posts = append(is.Posts, g.post(title, impact, at, p == 4 && is.IsResolved))
	}
	if is.IsResolved {
		is.EndDateTime = ptr(ts(at))
	}
	is.LastModifiedDateTime = ts(at.Add(time.Duration(g.r.IntN(600)) * time.Second))
	return is
}

// html returns a Message Center body of 2–4 KB.
func (g gen) html(id string) string {
	n := 1800 + g.r.IntN(1800)
	var b strings.Builder
	b.WriteString("<p>" + g.text(200) + "</p>")
	b.WriteString("<p>[When this will happen:]</p><ul><li>General Availability: We will begin rolling out in early " +
		"June 2025 and expect to complete by late June 2025.</li></ul>")
	for b.Len() < n {
		switch g.r.IntN(4) {
		case 0:
			b.WriteString("<p>[How this will affect your organization:]</p>")
		case 1:
			b.WriteString("<ul>")
			for range 2 + g.r.IntN(3) {
				b.WriteString("<li>" + g.sentence(8, 16) + "</li>")
			}
			b.WriteString("</ul>")
		case 2:
			b.WriteString(`<p>Learn more: <a href="https://learn.microsoft.com/microsoft-365/` + strings.ToLower(id) +
				`" target="_blank" rel="noopener noreferrer">` + g.sentence(4, 8) + "</a></p>")
		default:
			b.WriteString("<p>" + g.text(150+g.r.IntN(250)) + " Sign-in &amp; access remain unchanged.</p>")
		}
	}
	b.WriteString("<p>[What you need to do to prepare:]</p><p>" + g.text(120) + "</p>")
	return b.String()
}

func (g gen) message(k int, base time.Time) wMessage {
	id := fmt.Sprintf("MC%d", 700000+k*13)
	start := base.Add(-time.Duration(g.r.IntN(200*24)) * time.Hour)
	m := wMessage{
		StartDateTime:        ts(start),
		LastModifiedDateTime: ts(start.Add(time.Duration(g.r.IntN(20*24*3600)) * time.Second)),
		Title:                g.title(),
		ID:                   id,
		Category:             categories[g.r.IntN(len(categories))],
		Severity:             []string{"normal", "normal", "normal", "high", "critical"}[g.r.IntN(5)],
		IsMajorChange:        g.r.IntN(6) == 0,
		HasAttachments:       g.r.IntN(10) == 0,
		Details:              []wKV{},
		Body:                 wBody{ContentType: "html", Content: g.html(id)},
	}
	if g.r.IntN(3) > 0 {
		m.EndDateTime = ptr(ts(start.Add(time.Duration(90+g.r.IntN(200)) * 24 * time.Hour)))
	}
	if g.r.IntN(10) == 0 {
		m.ActionRequiredByDateTime = ptr(ts(start.Add(60 * 24 * time.Hour)))
	}
	for range 1 + g.r.IntN(3) {
		m.Tags = append(m.Tags, mcTags[g.r.IntN(len(mcTags))])
	}
	for range 1 + g.r.IntN(2) {
		m.Services = append(m.Services, services[g.r.IntN(len(services))].name)
	}
	if g.r.IntN(2) == 0 {
		m.Details = []wKV{{Name: "Summary", Value: ptr(g.sentence(10, 20))}}
	}
	return m
}

func marshal[T any](what string, items []T) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false) // Graph writes <, > and & verbatim
	if err := e.Encode(wPage[T]{Context: contextBase + what, Value: items}); err != nil {
		panic("sdkcompare: encode " + what + ": " + err.Error()) // plain structs: cannot fail
	}
	return bytes.TrimSpace(b.Bytes())
}

// Generate returns nIssues issues with 5 posts each and nMessages Message
// Center posts, current and previous. The output depends only on the
// arguments and seed. Every 20th item (offset 3) changed between the two
// polls (issues: a new post or a status change; messages: a new body
// paragraph or title prefix and tag); every 20th item at offset 11 was only
// touched (lastModifiedDateTime moved).
func Generate(nIssues, nMessages int, seed uint64) Dataset {
	g := gen{r: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	base := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	var d Dataset
	cur := make([]wIssue, nIssues)
	prev := make([]wIssue, nIssues)
	for k := range cur {
		cur[k] = g.issue(k, base)
		p := cur[k]
		p.Posts = append([]wPost(nil), cur[k].Posts...)
		switch k % 20 {
		case 3:
			d.ChangedIssues = append(d.ChangedIssues, p.ID)
			if k%40 == 3 { // a post was added since the last poll
				p.Posts = p.Posts[:len(p.Posts)-1]
			} else { // only the status moved
				p.Status = "investigating"
				if cur[k].Status == p.Status {
					p.Status = "serviceDegradation"
				}
			}
			p.LastModifiedDateTime = p.Posts[len(p.Posts)-1].CreatedDateTime
		case 11:
			d.TouchedIssues = append(d.TouchedIssues, p.ID)
			p.LastModifiedDateTime = ts(base.Add(-48 * time.Hour))
		}
		prev[k] = p
	}
	d.Issues, d.PrevIssues = marshal("issues", cur), marshal("issues", prev)

	curM := make([]wMessage, nMessages)
	prevM := make([]wMessage, nMessages)
	for k := range curM {
		curM[k] = g.message(k, base)
		p := curM[k]
		switch k % 20 {
		case 3:
			d.ChangedMessages = append(d.ChangedMessages, p.ID)
			if k%40 == 3 { // the body gained a paragraph
				curM[k].Body.Content = strings.Replace(p.Body.Content, "<p>[What you need to do to prepare:]</p>",
					"<p>"+g.text(150)+"</p><p>[What you need to do to prepare:]</p>", 1)
			} else { // re-titled "(Updated) " and tagged
				curM[k].Title = "(Updated) " + p.Title
				curM[k].Tags = append(append([]string(nil), p.Tags...), "Updated message")
			}
			p.LastModifiedDateTime = p.StartDateTime
		case 11:
			d.TouchedMessages = append(d.TouchedMessages, p.ID)
			p.LastModifiedDateTime = p.StartDateTime
		}
		prevM[k] = p
	}
	d.Messages, d.PrevMessages = marshal("messages", curM), marshal("messages", prevM)
	return d
}
