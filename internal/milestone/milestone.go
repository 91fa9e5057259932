// Package milestone reads the dates Microsoft gives in a Message Center
// post and types them: the action-required date, and the rollout
// milestones its body states in prose ("Targeted Release: We will begin
// rolling out early June 2024 and expect to complete by mid-June 2024.",
// "General Availability (GCC, GCC High, DoD): …", "… complete by late July
// 2024 (previously mid-July)"), each with its ring or cloud, its phase and
// the range of days the phrase means ("early June 2024" is June 1–10,
// "mid" 11–20, "late" 21 to the end of the month, "June 2024" the whole
// month, "Q3 CY2024" July 1 – September 30, "by the end of June 2024"
// June 30). The Microsoft 365 Roadmap IDs, platforms and feature status
// of the post's details come along.
//
// It is pure: no I/O, no clock. It imports only model and htmltext.
package milestone

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/model"
)

// Phase says what happens at a milestone.
type Phase string

// The phases.
const (
	// PhaseBegin: rollout (or enforcement) begins ("We will begin rolling
	// out …", "Starting …", "… will take effect on …").
	PhaseBegin Phase = "begin"
	// PhaseComplete: rollout is expected to be complete ("… expect to
	// complete by …").
	PhaseComplete Phase = "complete"
	// PhaseRollout: the rollout happens within the range, without a word
	// on begin or end ("Rolling out in late June 2024").
	PhaseRollout Phase = "rollout"
	// PhaseRetire: something stops, is retired or removed.
	PhaseRetire Phase = "retire"
	// PhaseAction: the post's actionRequiredByDateTime.
	PhaseAction Phase = "action"
	// PhaseDate: a date the "When this will happen" section gives without
	// saying what happens then.
	PhaseDate Phase = "date"
)

// The rings and clouds Microsoft names (Milestone.Ring and Cloud hold
// these spellings; a ring not listed is not recognized).
const (
	RingTargeted      = "Targeted Release"
	RingStandard      = "Standard Release"
	RingGA            = "General Availability"
	RingPublicPreview = "Public Preview"
	RingPreview       = "Preview"
	CloudWorldwide    = "Worldwide"
	CloudGCC          = "GCC"
	CloudGCCHigh      = "GCC High"
	CloudDoD          = "DoD"
)

// Range is a span of calendar days, both ends included: From and To are
// midnight UTC of the first and the last day (for PhaseAction, both are
// the exact actionRequiredByDateTime). Phrase is the text it was read
// from ("mid-June 2024").
type Range struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Phrase string    `json:"phrase,omitempty"`
}

// IsZero reports whether the range is unset.
func (r Range) IsZero() bool { return r.From.IsZero() && r.To.IsZero() }

// Same reports whether r and o cover the same time, whatever their phrases.
func (r Range) Same(o Range) bool { return r.From.Equal(o.From) && r.To.Equal(o.To) }

// OnDay reports whether the range is the one calendar day (UTC) of t.
func (r Range) OnDay(t time.Time) bool {
	if t.IsZero() || r.IsZero() {
		return false
	}
	d := func(x time.Time) string { return x.UTC().Format(time.DateOnly) }
	return d(r.From) == d(t) && d(r.To) == d(t)
}

// String is the range as ISO 8601 text: "2024-06-11/2024-06-20" for days,
// "2024-06-14" for one day, an RFC 3339 time for an exact instant, "" when
// unset. ParseRange reads it back.
func (r Range) String() string {
	switch {
	case r.IsZero():
		return ""
	case r.From.Equal(r.To):
		if isMidnight(r.From) {
			return r.From.UTC().Format(time.DateOnly)
		}
		return r.From.UTC().Format(time.RFC3339)
	}
	return r.From.UTC().Format(time.DateOnly) + "/" + r.To.UTC().Format(time.DateOnly)
}

// ParseRange reads the text String writes; the Phrase stays empty.
func ParseRange(s string) (Range, bool) {
	if s == "" {
		return Range{}, false
	}
	if a, b, ok := strings.Cut(s, "/"); ok {
		from, err1 := time.Parse(time.DateOnly, a)
		to, err2 := time.Parse(time.DateOnly, b)
		return Range{From: from, To: to}, err1 == nil && err2 == nil && !to.Before(from)
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return Range{From: t.UTC(), To: t.UTC()}, true
		}
	}
	return Range{}, false
}

func isMidnight(t time.Time) bool {
	t = t.UTC()
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// Milestone is one dated step of the change a post announces.
type Milestone struct {
	// Ring is the release ring the date applies to (RingTargeted, RingGA,
	// "Current Channel", …), "" when the post names none.
	Ring string `json:"ring,omitempty"`
	// Cloud is the cloud it applies to (CloudWorldwide, CloudGCC, …), ""
	// when the post names none. A line naming several clouds gives one
	// milestone per cloud.
	Cloud string `json:"cloud,omitempty"`
	// Platform is the platform the line names ("Desktop, Web"), if any.
	Platform string `json:"platform,omitempty"`
	Phase    Phase  `json:"phase"`
	Range
	// Previous is the range the post says the milestone had before ("…
	// (previously mid-July)"); zero when it says none.
	Previous Range `json:"previous,omitzero"`
	// RoadmapIDs are the Microsoft 365 Roadmap IDs of the post (details
	// and body).
	RoadmapIDs []string `json:"roadmapIds,omitempty"`
	// Platforms are the platforms the post's details list.
	Platforms []string `json:"platforms,omitempty"`
}

// Label names where the milestone applies: "General Availability (GCC
// High)", "Targeted Release", "Worldwide [Desktop, Web]"; "" when the post
// names no ring, cloud or platform.
func (m Milestone) Label() string {
	label := m.Ring
	if m.Cloud != "" {
		if label == "" {
			label = m.Cloud
		} else {
			label += " (" + m.Cloud + ")"
		}
	}
	if m.Platform != "" {
		if label == "" {
			label = m.Platform
		} else {
			label += " [" + m.Platform + "]"
		}
	}
	return label
}

// phaseNames are the English names of the phases in Name.
var phaseNames = map[Phase]string{
	PhaseBegin:    "rollout begins",
	PhaseComplete: "rollout complete",
	PhaseRollout:  "rollout",
	PhaseRetire:   "retirement",
	PhaseAction:   "action required by",
	PhaseDate:     "date",
}

// Name names the milestone in English: "Targeted Release: rollout
// begins", "General Availability (GCC): rollout complete", "Retirement".
// It identifies the milestone across revisions of a post.
func (m Milestone) Name() string {
	p := phaseNames[m.Phase]
	if p == "" {
		p = string(m.Phase)
	}
	if l := m.Label(); l != "" {
		return l + ": " + p
	}
	r, n := utf8.DecodeRuneInString(p)
	return string(unicode.ToUpper(r)) + p[n:]
}

// Parse returns the milestones of a Message Center post: those its body
// states, in the order it states them, then its action-required date.
// Dates without a year take it from the nearest date that has one, else
// from the post's publication. The body's "When this will happen"
// section is read when there is one, else the whole body without
// "Updated …" notes; outside that section, a date counts only with a word
// saying what happens then.
func Parse(m *model.Message) []Milestone {
	if m == nil {
		return nil
	}
	ref := m.Start
	if ref.IsZero() {
		ref = m.LastModified
	}
	out := parseBody(m.Body, ref)
	if !m.ActionRequiredBy.IsZero() {
		t := m.ActionRequiredBy.UTC()
		out = append(out, Milestone{Phase: PhaseAction, Range: Range{From: t, To: t, Phrase: t.Format(time.RFC3339)}})
	}
	ids, plats := RoadmapIDs(m), detailList(m.Details, "Platforms")
	for i := range out {
		out[i].RoadmapIDs, out[i].Platforms = ids, plats
	}
	return out
}

// Move is a milestone whose range changed between two revisions of a post.
type Move struct {
	// Name is the milestone's Name (with " #2", " #3" … for a repeated
	// name, in the order of the post).
	Name string
	// From is the range before; zero when the milestone is new.
	From, To Range
}

// Compare returns the milestones of cur that moved since prev, in the
// order of cur, and those that are new in cur, unless prev had a
// milestone of the same phase and range under another name (the post
// reworded its labels, the dates stayed). The action-required date is not
// compared: detect reports it on its own. A milestone gone from cur is not
// reported: wording changes lose dates more often than Microsoft drops
// them.
func Compare(prev, cur []Milestone) []Move {
	old := map[string]Milestone{}
	for k, m := range keyed(prev) {
		old[k] = m
	}
	var out []Move
	for k, m := range keyed(cur) {
		if m.Phase == PhaseAction {
			continue
		}
		p, ok := old[k]
		switch {
		case ok && !p.Range.Same(m.Range):
			out = append(out, Move{Name: k, From: p.Range, To: m.Range})
		case !ok && !renamed(prev, m):
			out = append(out, Move{Name: k, To: m.Range})
		}
	}
	return out
}

// renamed reports whether prev has a milestone of m's phase and range.
func renamed(prev []Milestone, m Milestone) bool {
	for _, p := range prev {
		if p.Phase == m.Phase && p.Range.Same(m.Range) {
			return true
		}
	}
	return false
}

// keyed yields each milestone under its Name, with " #n" for the n-th
// repetition of a name.
func keyed(ms []Milestone) func(yield func(string, Milestone) bool) {
	return func(yield func(string, Milestone) bool) {
		seen := map[string]int{}
		for _, m := range ms {
			k := m.Name()
			seen[k]++
			if n := seen[k]; n > 1 {
				k += " #" + strconv.Itoa(n)
			}
			if !yield(k, m) {
				return
			}
		}
	}
}

// Keys returns the key of each milestone, as Compare and Move.Name use
// it: its Name, with " #n" for a repeated name. The keys are unique and
// stay the same when only dates change, so they suit calendar UIDs.
func Keys(ms []Milestone) []string {
	out := make([]string, 0, len(ms))
	for k := range keyed(ms) {
		out = append(out, k)
	}
	return out
}
