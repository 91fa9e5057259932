// Package detect compares the stored revision of an item with the one just
// fetched and says what a person would care about: a typed event with the
// list of field-level changes. It is pure: no I/O, no clock (the time of
// detection comes in Options.Now), no package state.
//
// Change order inside an event is fixed so that stored events and rendered
// notices are stable:
//
//   - issues: new, status, resolved/reopened, classification, post_added
//     (oldest first), post_edited, title, impact, start_time, end_time,
//     service, feature (feature group, then feature), origin;
//   - messages: new, title, category, severity, services, tags, major_change,
//     action_required_by, schedule (milestones, in the order of the current
//     body), start_time, end_time, attachments, details, body_section (in
//     the order of the current body, removed sections last);
//   - services: new, status.
//
// Event.Type is the most significant change: for issues new > resolved >
// reopened > status > classification > post added > other edits; for
// messages new > action date moved > schedule changed > updated.
package detect

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/fingerprint"
	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/milestone"
	"github.com/shdmc/shdmc/internal/model"
)

// Options carry the context of one comparison.
type Options struct {
	// Now is when the change was detected (Event.DetectedAt).
	Now time.Time
	// Baseline is set on the first sight of a tenant: everything is stored
	// silently and no event is raised...
	Baseline bool
	// AnnounceActive makes a baseline announce the issues that are still
	// active (status.Active() && !IsResolved) as new.
	AnnounceActive bool
	// PrevRemoved tells that the stored revision was marked removed at the
	// last full resync: the item is announced as new again, with a ChangeNew
	// whose Field is model.FieldReappeared.
	PrevRemoved bool
}

// Issue compares the previous revision of a service health issue (nil when
// never seen) with the current one and returns the event to raise, or
// ok=false when nothing a person cares about changed (or baseline silence
// applies). Items identical by hash never raise an event.
func Issue(tenant string, prev *model.Issue, prevRev int, cur *model.Issue, o Options) (ev model.Event, ok bool) {
	if cur == nil {
		return model.Event{}, false
	}
	ev = newEvent(tenant, model.SourceSHD, cur.ID, prevRev, o)
	ev.Issue = copyIssue(cur)
	if o.Baseline {
		if !o.AnnounceActive || !cur.Status.Active() || cur.IsResolved {
			return model.Event{}, false
		}
		ev.Type = model.EventIssueNew
		ev.Changes = []model.Change{{Kind: model.ChangeNew, To: string(cur.Status)}}
		return ev, true
	}
	if prev == nil || o.PrevRemoved {
		ev.Type = model.EventIssueNew
		ev.Changes = []model.Change{newChange(o, string(cur.Status))}
		return ev, true
	}
	if fingerprint.Issue(prev) == fingerprint.Issue(cur) {
		return model.Event{}, false
	}
	ev.Changes = issueChanges(prev, cur)
	if len(ev.Changes) == 0 {
		return model.Event{}, false
	}
	ev.Type = issueType(ev.Changes)
	return ev, true
}

func newChange(o Options, to string) model.Change {
	c := model.Change{Kind: model.ChangeNew, To: to}
	if o.PrevRemoved {
		c.Field = model.FieldReappeared
	}
	return c
}

func newEvent(tenant string, src model.Source, id string, prevRev int, o Options) model.Event {
	return model.Event{Tenant: tenant, Source: src, ItemID: id, Revision: prevRev + 1, DetectedAt: o.Now}
}

func issueType(cs []model.Change) model.EventType {
	rank := []struct {
		k model.ChangeKind
		t model.EventType
	}{
		{model.ChangeNew, model.EventIssueNew},
		{model.ChangeResolved, model.EventIssueResolved},
		{model.ChangeReopened, model.EventIssueReopened},
		{model.ChangeStatus, model.EventIssueStatus},
		{model.ChangeClassification, model.EventIssueClassified},
		{model.ChangePostAdded, model.EventIssuePost},
	}
	for _, r := range rank {
		for _, c := range cs {
			if c.Kind == r.k {
				return r.t
			}
		}
	}
	return model.EventIssueEdited
}

func issueChanges(prev, cur *model.Issue) []model.Change {
	var cs []model.Change
	add := func(k model.ChangeKind, field, from, to string) {
		if from != to {
			cs = append(cs, model.Change{Kind: k, Field: field, From: from, To: to})
		}
	}
	add(model.ChangeStatus, "", string(prev.Status), string(cur.Status))
	switch {
	case !prev.IsResolved && cur.IsResolved:
		cs = append(cs, model.Change{Kind: model.ChangeResolved, From: "false", To: "true"})
	case prev.IsResolved && !cur.IsResolved:
		cs = append(cs, model.Change{Kind: model.ChangeReopened, From: "true", To: "false"})
	}
	add(model.ChangeClassification, "", string(prev.Classification), string(cur.Classification))
	cs = append(cs, postChanges(prev.Posts, cur.Posts)...)
	add(model.ChangeTitle, "", fingerprint.CanonText(prev.Title), fingerprint.CanonText(cur.Title))
	add(model.ChangeImpact, "", fingerprint.CanonText(prev.ImpactDescription), fingerprint.CanonText(cur.ImpactDescription))
	add(model.ChangeStart, "", timeText(prev.Start), timeText(cur.Start))
	add(model.ChangeEnd, "", timeText(prev.End), timeText(cur.End))
	add(model.ChangeService, "", fingerprint.CanonText(prev.Service), fingerprint.CanonText(cur.Service))
	add(model.ChangeFeature, "featureGroup", fingerprint.CanonText(prev.FeatureGroup), fingerprint.CanonText(cur.FeatureGroup))
	add(model.ChangeFeature, "feature", fingerprint.CanonText(prev.Feature), fingerprint.CanonText(cur.Feature))
	add(model.ChangeOrigin, "", string(prev.Origin), string(cur.Origin))
	// An issue's details (NotifyInApp…) are switches of the admin center,
	// not news: they are stored with the revision but announce nothing.
	return cs
}

// detailChanges lists the name/value details of a Message Center post
// (ExternalLink, RoadmapIds, Platforms, Summary…) whose value was set, changed or
// cleared, by name.
func detailChanges(prev, cur []model.KeyValue) []model.Change {
	values := func(kvs []model.KeyValue) map[string]string {
		m := make(map[string]string, len(kvs))
		for _, kv := range kvs {
			if m[kv.Name] != "" {
				m[kv.Name] += ", "
			}
			m[kv.Name] += fingerprint.CanonText(kv.Value)
		}
		return m
	}
	p, c := values(prev), values(cur)
	names := make([]string, 0, len(p)+len(c))
	for n := range p {
		names = append(names, n)
	}
	for n := range c {
		if _, ok := p[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var cs []model.Change
	for _, n := range names {
		if p[n] != c[n] {
			cs = append(cs, model.Change{Kind: model.ChangeDetails, Field: n, From: p[n], To: c[n]})
		}
	}
	return cs
}

// replacedAttachments lists the attachments present in both versions under
// the same name whose file changed (another id, size or date).
func replacedAttachments(prev, cur []model.Attachment) []string {
	old := make(map[string]model.Attachment, len(prev))
	for _, a := range prev {
		old[a.Name] = a
	}
	var out []string
	for _, a := range cur {
		o, ok := old[a.Name]
		if ok && a.Name != "" && (o.ID != a.ID || o.Size != a.Size || !o.LastModified.Equal(a.LastModified)) {
			out = append(out, a.Name)
		}
	}
	return out
}

// postChanges matches posts by creation time and content: a current post
// with the same time and content as a previous one is unchanged, one with
// the time of a previous post but other content is an edit of it, any other
// is new. Posts that disappeared are not reported (Microsoft does not
// delete posts; a vanished post is a fetch artefact, not news).
func postChanges(prev, cur []model.Post) []model.Change {
	type key struct {
		at   time.Time
		text string
	}
	exact := map[key]int{}
	byTime := map[time.Time]int{}
	for _, p := range prev {
		exact[key{p.Created.UTC(), fingerprint.CanonText(p.Content)}]++
		byTime[p.Created.UTC()]++
	}
	var unmatched []model.Post
	for _, p := range cur {
		k := key{p.Created.UTC(), fingerprint.CanonText(p.Content)}
		if exact[k] > 0 {
			exact[k]--
			byTime[k.at]--
			continue
		}
		unmatched = append(unmatched, p)
	}
	slices.SortStableFunc(unmatched, func(a, b model.Post) int { return a.Created.Compare(b.Created) })
	var added, edited []model.Change
	for _, p := range unmatched {
		at := p.Created.UTC()
		if byTime[at] > 0 {
			byTime[at]--
			edited = append(edited, model.Change{Kind: model.ChangePostEdited, To: timeText(at)})
			continue
		}
		added = append(added, model.Change{Kind: model.ChangePostAdded, To: timeText(at)})
	}
	return append(added, edited...)
}

// Message compares two revisions of a Message Center post like Issue.
// Baselines are always silent for messages.
func Message(tenant string, prev *model.Message, prevRev int, cur *model.Message, o Options) (model.Event, bool) {
	if cur == nil || o.Baseline {
		return model.Event{}, false
	}
	ev := newEvent(tenant, model.SourceMC, cur.ID, prevRev, o)
	ev.Message = copyMessage(cur)
	if prev == nil || o.PrevRemoved {
		ev.Type = model.EventMessageNew
		ev.Changes = []model.Change{newChange(o, "")}
		return ev, true
	}
	if fingerprint.Message(prev) == fingerprint.Message(cur) {
		return model.Event{}, false
	}
	ev.Changes = messageChanges(prev, cur)
	if len(ev.Changes) == 0 {
		return model.Event{}, false
	}
	ev.Type = model.EventMessageUpdated
	switch {
	case ev.Has(model.ChangeActionDate):
		ev.Type = model.EventMessageActionDate
	case ev.Has(model.ChangeSchedule):
		ev.Type = model.EventMessageSchedule
	}
	return ev, true
}

func messageChanges(prev, cur *model.Message) []model.Change {
	var cs []model.Change
	add := func(k model.ChangeKind, from, to string) {
		if from != to {
			cs = append(cs, model.Change{Kind: k, From: from, To: to})
		}
	}
	add(model.ChangeTitle, fingerprint.CanonText(prev.Title), fingerprint.CanonText(cur.Title))
	add(model.ChangeCategory, string(prev.Category), string(cur.Category))
	add(model.ChangeSeverity, string(prev.Severity), string(cur.Severity))
	add(model.ChangeServices, list(prev.Services), list(cur.Services))
	add(model.ChangeTags, list(prev.Tags), list(cur.Tags))
	add(model.ChangeMajor, strconv.FormatBool(prev.IsMajorChange), strconv.FormatBool(cur.IsMajorChange))
	add(model.ChangeActionDate, timeText(prev.ActionRequiredBy), timeText(cur.ActionRequiredBy))
	for _, mv := range milestone.Compare(milestone.Parse(prev), milestone.Parse(cur)) {
		if mv.From.OnDay(prev.ActionRequiredBy) && mv.To.OnDay(cur.ActionRequiredBy) {
			continue // the action-required date's move says it
		}
		cs = append(cs, model.Change{Kind: model.ChangeSchedule, Field: mv.Name, From: mv.From.String(), To: mv.To.String()})
	}
	add(model.ChangeStart, timeText(prev.Start), timeText(cur.Start))
	add(model.ChangeEnd, timeText(prev.End), timeText(cur.End))
	add(model.ChangeAttachments, attachmentList(prev.Attachments), attachmentList(cur.Attachments))
	if r := replacedAttachments(prev.Attachments, cur.Attachments); len(r) > 0 {
		cs = append(cs, model.Change{Kind: model.ChangeAttachments, Field: "replaced", To: list(r)})
	}
	cs = append(cs, detailChanges(prev.Details, cur.Details)...)
	if fingerprint.CanonText(prev.Body) != fingerprint.CanonText(cur.Body) {
		cs = append(cs, sectionChanges(htmltext.Sections(prev.Body), htmltext.Sections(cur.Body))...)
	}
	return cs
}

// list renders a set of strings as a sorted, comma-separated list.
func list(in []string) string {
	return strings.Join(fingerprint.SortedText(in), ", ")
}

func attachmentList(in []model.Attachment) string {
	names := make([]string, 0, len(in))
	for _, a := range in {
		n := a.Name
		if n == "" {
			n = a.ID
		}
		names = append(names, n)
	}
	return list(names)
}

// sectionKey identifies a section across revisions: its folded heading and
// the how-many-th section of that heading it is.
type sectionKey struct {
	heading string
	n       int
}

func sectionKeys(ss []htmltext.Section) []sectionKey {
	seen := map[string]int{}
	keys := make([]sectionKey, len(ss))
	for k, s := range ss {
		h := strings.ToLower(strings.Join(strings.Fields(s.Heading), " "))
		keys[k] = sectionKey{h, seen[h]}
		seen[h]++
	}
	return keys
}

// sectionChanges reports one body_section change per section added,
// removed or changed, in the order of the current body, removals last.
func sectionChanges(prev, cur []htmltext.Section) []model.Change {
	pk, ck := sectionKeys(prev), sectionKeys(cur)
	old := map[sectionKey]int{}
	for k, key := range pk {
		old[key] = k
	}
	var cs []model.Change
	matched := map[sectionKey]bool{}
	for k, key := range ck {
		j, ok := old[key]
		if !ok {
			cs = append(cs, model.Change{Kind: model.ChangeBodySection, Field: cur[k].Heading, To: htmltext.Excerpt(cur[k].Text, maxExcerpt)})
			continue
		}
		matched[key] = true
		if prev[j].Text != cur[k].Text {
			from, to := diffExcerpts(prev[j].Text, cur[k].Text)
			cs = append(cs, model.Change{Kind: model.ChangeBodySection, Field: cur[k].Heading, From: from, To: to})
		}
	}
	for k, key := range pk {
		if !matched[key] {
			cs = append(cs, model.Change{Kind: model.ChangeBodySection, Field: prev[k].Heading, From: htmltext.Excerpt(prev[k].Text, maxExcerpt)})
		}
	}
	return cs
}

const maxExcerpt = 200 // runes

// diffExcerpts returns short excerpts of two versions of a text that show
// where they differ: when the common beginning is long, both start with
// "…" a few words before the first difference. An empty text gives the
// placeholder "(empty)" so that From and To stay distinguishable from unset.
func diffExcerpts(a, b string) (string, string) {
	a, b = strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " ")
	ra, rb := []rune(a), []rune(b)
	i := 0
	for i < len(ra) && i < len(rb) && ra[i] == rb[i] {
		i++
	}
	const lead = 40
	start := 0
	if i > maxExcerpt-lead {
		start = i - lead
		for start > 0 && ra[start-1] != ' ' {
			start--
		}
	}
	cut := func(r []rune) string {
		if len(r) == 0 {
			return "(empty)"
		}
		s := htmltext.Excerpt(string(r[start:]), maxExcerpt)
		if start > 0 {
			s = "…" + s
		}
		return s
	}
	return cut(ra), cut(rb)
}

// Service compares two revisions of a service's health overview. Only a
// status change is news; a renamed display name alone raises nothing.
// Baselines are silent.
func Service(tenant string, prev *model.ServiceHealth, prevRev int, cur *model.ServiceHealth, o Options) (model.Event, bool) {
	if cur == nil || o.Baseline {
		return model.Event{}, false
	}
	ev := newEvent(tenant, model.SourceHealth, cur.ID, prevRev, o)
	c := *cur
	ev.Service = &c
	ev.Type = model.EventServiceStatus
	if prev == nil || o.PrevRemoved {
		ev.Changes = []model.Change{newChange(o, string(cur.Status))}
		return ev, true
	}
	if prev.Status == cur.Status {
		return model.Event{}, false
	}
	ev.Changes = []model.Change{{Kind: model.ChangeStatus, From: string(prev.Status), To: string(cur.Status)}}
	return ev, true
}

// Removed returns the event for an item that a full resync no longer
// finds. No item snapshot is attached (the caller may attach the last stored
// one). The model has no "service removed" event type, so a health overview
// that vanished is a service.status event with a removed change.
func Removed(tenant string, src model.Source, id string, prevRev int, o Options) model.Event {
	ev := newEvent(tenant, src, id, prevRev, o)
	ev.Changes = []model.Change{{Kind: model.ChangeRemoved}}
	switch src {
	case model.SourceSHD:
		ev.Type = model.EventIssueRemoved
	case model.SourceMC:
		ev.Type = model.EventMessageRemoved
	default:
		ev.Type = model.EventServiceStatus
	}
	return ev
}

// timeText is t as RFC 3339 in UTC, or "" for the zero time.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func copyIssue(i *model.Issue) *model.Issue {
	c := *i
	c.Details = slices.Clone(i.Details)
	c.Posts = slices.Clone(i.Posts)
	return &c
}

func copyMessage(m *model.Message) *model.Message {
	c := *m
	c.Services = slices.Clone(m.Services)
	c.Tags = slices.Clone(m.Tags)
	c.Attachments = slices.Clone(m.Attachments)
	c.Details = slices.Clone(m.Details)
	return &c
}
