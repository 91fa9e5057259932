package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// churn is what happens in the world per day, as one tenant sees it.
type churn struct {
	newPosts, editedPosts   float64 // Message Center posts per tenant per day
	incidents, postsPerInc  float64 // incidents per tenant per day, posts each
	postLife, incidentStays time.Duration
}

// world is Microsoft 365 as every tenant's Graph shows it: Message Center
// posts and service health issues are global (the same JSON in every
// tenant that receives them), each tenant receiving a share of them.
type world struct {
	rng      *rand.Rand
	tenants  int
	c        churn
	services []string
	msgs     []*msgState // live posts, oldest first
	incs     []*incState // issues still listed
	nextMC   int
	nextInc  int
	// reach is the share of the world's posts and incidents a tenant gets.
	reach float64
}

type msgState struct {
	m        model.Message
	expires  time.Time
	audience []bool
}

type incState struct {
	is       model.Issue
	posts    int // posts so far; resolved at churn.postsPerInc
	next     time.Time
	gone     time.Time // zero while active
	audience []bool
	degrades bool // incidents (not advisories) degrade the service's health
}

var words = strings.Fields(`users may be unable to access the service when they sign in from the desktop client while we
	roll out a change that improves reliability of mailbox search and calendar sharing across regions admins can
	review the configuration in the admin center before the deadline and communicate the change to their users
	the feature will be enabled by default for all tenants with an option to opt out through policy settings`)

func newWorld(tenants int, c churn, seed uint64) *world {
	w := &world{
		rng: rand.New(rand.NewPCG(seed, 14)), tenants: tenants, c: c, reach: 0.8,
		services: []string{"Exchange Online", "Microsoft Teams", "SharePoint Online", "OneDrive for Business",
			"Microsoft Entra", "Microsoft Intune", "Power BI", "Microsoft 365 apps"},
	}
	return w
}

func (w *world) sentence(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[w.rng.IntN(len(words))])
	}
	return b.String()
}

func (w *world) audience() []bool {
	a := make([]bool, w.tenants)
	for i := range a {
		a[i] = w.rng.Float64() < w.reach
	}
	return a
}

// body is a Message Center body of about 2.5 KB of HTML.
func (w *world) body() string {
	var b strings.Builder
	for _, h := range []string{"", "When this will happen:", "How this will affect your organization:", "What you need to do to prepare:"} {
		if h != "" {
			fmt.Fprintf(&b, "<p><strong>%s</strong></p>", h)
		}
		fmt.Fprintf(&b, "<p>%s.</p><p>%s.</p>", w.sentence(50), w.sentence(40))
	}
	return b.String()
}

// newPost publishes a Message Center post.
func (w *world) newPost(now time.Time) {
	w.nextMC++
	cats := []model.Category{model.CategoryPlanForChange, model.CategoryStayInformed, model.CategoryPreventOrFixIssue}
	m := model.Message{
		ID: fmt.Sprintf("MC%06d", 700000+w.nextMC), Title: "(Updated) " + w.sentence(7),
		Category: cats[w.rng.IntN(len(cats))], Severity: model.SeverityNormal,
		Services: []string{w.services[w.rng.IntN(len(w.services))]}, Tags: []string{"Feature update", "User impact"},
		LastModified: now, Start: now, BodyType: "html", Body: w.body(),
	}
	if w.rng.IntN(4) == 0 {
		m.ActionRequiredBy = now.AddDate(0, 2, 0)
	}
	w.msgs = append(w.msgs, &msgState{m: m, expires: now.Add(w.c.postLife), audience: w.audience()})
}

// editPost edits a live post: a date moves or a sentence is added.
func (w *world) editPost(now time.Time) {
	if len(w.msgs) == 0 {
		return
	}
	st := w.msgs[w.rng.IntN(len(w.msgs))]
	m := st.m
	m.Body += "<p>" + w.sentence(25) + ".</p>"
	m.Title = strings.TrimPrefix(m.Title, "(Updated) ")
	m.Title = "(Updated) " + m.Title
	m.LastModified = now
	st.m = m
}

// startIncident opens a service health issue.
func (w *world) startIncident(now time.Time) {
	w.nextInc++
	svc := w.services[w.rng.IntN(len(w.services))]
	cls := model.ClassificationAdvisory
	if w.rng.IntN(2) == 0 {
		cls = model.ClassificationIncident
	}
	is := model.Issue{
		ID: fmt.Sprintf("EX%06d", 500000+w.nextInc), Title: "Users may be unable to " + w.sentence(5),
		Service: svc, Feature: "Access", FeatureGroup: "Service", Classification: cls, Origin: model.Origin("microsoft"),
		Status: model.StatusInvestigating, Start: now, LastModified: now,
		ImpactDescription: "Users may be unable to " + w.sentence(12) + ".",
	}
	st := &incState{is: is, next: now, audience: w.audience(), degrades: cls == model.ClassificationIncident}
	w.incs = append(w.incs, st)
	w.post(st, now)
}

// post adds the next post of an incident; the last one resolves it.
func (w *world) post(st *incState, now time.Time) {
	is := st.is
	st.posts++
	last := float64(st.posts) >= w.c.postsPerInc
	statuses := []model.Status{model.StatusInvestigating, model.StatusServiceDegradation, model.StatusRestoringService, model.StatusExtendedRecovery}
	is.Status = statuses[min(st.posts-1, len(statuses)-1)]
	if last {
		is.Status, is.IsResolved, is.End = model.StatusServiceRestored, true, now
		st.gone = now.Add(w.c.incidentStays)
	}
	is.Posts = append(append([]model.Post(nil), is.Posts...), model.Post{Created: now, Type: model.PostType("regular"),
		ContentType: "html", Content: fmt.Sprintf("<p>Title: %s<br>User impact: %s.<br>Current status: %s.<br>Scope of impact: %s.<br>Next update by: %s</p>",
			is.Title, w.sentence(20), w.sentence(35), w.sentence(15), now.Add(time.Hour).Format(time.RFC1123))})
	is.LastModified = now
	st.is = is
	st.next = now.Add(time.Hour)
}

// tick advances the world by one hour ending at now: the day's share of
// new and edited posts and new incidents, the next post of every open
// incident, and posts and issues dropping out of the lists.
func (w *world) tick(now time.Time) {
	per := func(rate float64) int { // events this hour, rate per tenant per day
		x := rate / w.reach / 24
		n := int(x)
		if w.rng.Float64() < x-float64(n) {
			n++
		}
		return n
	}
	for range per(w.c.newPosts) {
		w.newPost(now)
	}
	for range per(w.c.editedPosts) {
		w.editPost(now)
	}
	for _, st := range w.incs {
		if st.gone.IsZero() && !now.Before(st.next) {
			w.post(st, now)
		}
	}
	for range per(w.c.incidents) {
		w.startIncident(now)
	}
	live := w.msgs[:0]
	for _, st := range w.msgs {
		if now.Before(st.expires) {
			live = append(live, st)
		}
	}
	w.msgs = live
	listed := w.incs[:0]
	for _, st := range w.incs {
		if st.gone.IsZero() || now.Before(st.gone) {
			listed = append(listed, st)
		}
	}
	w.incs = listed
}

// fetcher is one tenant's Graph over the world (poll.Fetcher).
type fetcher struct {
	w *world
	i int
}

func (f fetcher) HealthOverviews(context.Context) ([]model.ServiceHealth, error) {
	down := map[string]bool{}
	for _, st := range f.w.incs {
		if st.degrades && st.gone.IsZero() && st.audience[f.i] {
			down[st.is.Service] = true
		}
	}
	out := make([]model.ServiceHealth, 0, len(f.w.services))
	for _, s := range f.w.services {
		h := model.ServiceHealth{ID: strings.ReplaceAll(s, " ", ""), Service: s, Status: model.StatusServiceOperational}
		if down[s] {
			h.Status = model.StatusServiceDegradation
		}
		out = append(out, h)
	}
	return out, nil
}

func (f fetcher) Issues(_ context.Context, since time.Time) ([]model.Issue, error) {
	var out []model.Issue
	for _, st := range f.w.incs {
		if st.audience[f.i] && !st.is.LastModified.Before(since) {
			out = append(out, st.is)
		}
	}
	return out, nil
}

func (f fetcher) Messages(_ context.Context, since time.Time) ([]model.Message, error) {
	var out []model.Message
	for _, st := range f.w.msgs {
		if st.audience[f.i] && !st.m.LastModified.Before(since) {
			out = append(out, st.m)
		}
	}
	return out, nil
}

func (fetcher) Attachments(context.Context, string) ([]model.Attachment, error) { return nil, nil }

func (fetcher) IncidentReport(context.Context, string) ([]byte, string, error) {
	return nil, "", errors.New("no report")
}
