package milestone

import (
	"slices"
	"strconv"
	"strings"
)

// Names returns the names this package gives rings, clouds and
// platforms (Milestone.Ring, Cloud and the parts of Platform), each
// sorted, so that a renderer can localize every one of them.
func Names() (rings, clouds, platforms []string) {
	for _, t := range terms {
		switch t.kind {
		case kindRing:
			rings = append(rings, t.name)
		case kindCloud:
			clouds = append(clouds, t.name)
		default:
			platforms = append(platforms, t.name)
		}
	}
	for _, s := range [][]string{rings, clouds, platforms} {
		slices.Sort(s)
	}
	return slices.Compact(rings), slices.Compact(clouds), slices.Compact(platforms)
}

// Phases returns every phase, in the order a rollout goes through them.
func Phases() []Phase {
	return []Phase{PhaseBegin, PhaseRollout, PhaseComplete, PhaseRetire, PhaseAction, PhaseDate}
}

// ParseKey reads a milestone's key back (Milestone.Name, or an entry of
// Keys with its " #n"; a ChangeSchedule's Field): the ring, cloud,
// platform and phase of the returned Milestone are set, and n is the
// repetition (1 without " #n"). ok is false for text that no Milestone
// names, such as a name written by an older version.
func ParseKey(key string) (m Milestone, n int, ok bool) {
	name, n := key, 1
	if i := strings.LastIndex(key, " #"); i > 0 {
		if k, err := strconv.Atoi(key[i+2:]); err == nil && k > 1 {
			name, n = key[:i], k
		}
	}
	label, phase, hasLabel := strings.Cut(name, ": ")
	if !hasLabel {
		label, phase = "", strings.ToLower(name[:min(1, len(name))])+name[min(1, len(name)):]
	}
	for p, s := range phaseNames {
		if s == phase {
			m.Phase = p
		}
	}
	if m.Phase == "" {
		return Milestone{}, 0, false
	}
	rings, clouds, platforms := Names()
	if i := strings.LastIndex(label, " ["); i >= 0 && strings.HasSuffix(label, "]") {
		label, m.Platform = label[:i], label[i+2:len(label)-1]
	}
	switch {
	case label == "":
	case slices.Contains(clouds, label):
		m.Cloud = label
	case slices.Contains(rings, label):
		m.Ring = label
	case m.Platform == "" && allIn(strings.Split(label, ", "), platforms):
		m.Platform = label
	default:
		i := strings.LastIndex(label, " (")
		if i < 0 || !strings.HasSuffix(label, ")") {
			return Milestone{}, 0, false
		}
		m.Ring, m.Cloud = label[:i], label[i+2:len(label)-1]
		if !slices.Contains(rings, m.Ring) || !slices.Contains(clouds, m.Cloud) {
			return Milestone{}, 0, false
		}
	}
	if m.Name() != name {
		return Milestone{}, 0, false
	}
	return m, n, true
}

// allIn reports whether every one of xs is in set.
func allIn(xs, set []string) bool {
	for _, x := range xs {
		if !slices.Contains(set, x) {
			return false
		}
	}
	return len(xs) > 0
}
