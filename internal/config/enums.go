package config

import (
	"fmt"
	"strings"
)

// Suggest returns the value of allowed that v is most likely meant as: the
// only one that contains v or that v contains (restored →
// serviceRestored), else the closest by edit distance (ignoring case, '-'
// and '_' alike) when it is one or two typos away. It returns "" when
// nothing fits.
func Suggest(v string, allowed []string) string {
	lv := strings.ToLower(strings.TrimSpace(v))
	if lv == "" {
		return ""
	}
	// A value inside exactly one allowed value, or holding one, is the
	// clearest hint (restored → serviceRestored).
	if len(lv) >= 4 {
		var within []string
		for _, a := range allowed {
			la := strings.ToLower(a)
			if strings.Contains(la, lv) || strings.Contains(lv, la) {
				within = append(within, a)
			}
		}
		if len(within) == 1 {
			return within[0]
		}
	}
	// Else the closest, if it is a typo or two away.
	best, bestDist := "", 0
	for _, a := range allowed {
		d := levenshtein(lv, strings.ReplaceAll(strings.ToLower(a), "-", "_"))
		if best == "" || d < bestDist {
			best, bestDist = a, d
		}
	}
	if best != "" && bestDist <= min(2, 1+len(lv)/4) && bestDist < len(lv) {
		return best
	}
	return ""
}

// UnknownValue describes a value of a setting that is not one of allowed,
// for "key: problem" messages: `unknown format "jsn" (did you mean json?)`,
// or, when v looks like none of them, `unknown format "x" (want text,
// markdown or json)`. Channel packages use it for their enum settings so
// that every message reads alike.
func UnknownValue(what, v string, allowed ...string) string {
	if s := Suggest(v, allowed); s != "" {
		return fmt.Sprintf("unknown %s %q (did you mean %s?)", what, v, s)
	}
	return fmt.Sprintf("unknown %s %q (want %s)", what, v, orList(allowed))
}

// orList joins values as "a, b or c".
func orList(vs []string) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0]
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}

// containsFold reports whether vs holds v, ignoring case and surrounding
// white space (as routes compare).
func containsFold(vs []string, v string) bool {
	v = strings.TrimSpace(v)
	for _, s := range vs {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// strs converts a list of string-like enum values.
func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
