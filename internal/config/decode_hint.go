package config

import (
	"reflect"
	"strings"
)

// misplacedHint explains a top-level key that belongs in a list entry.
func (d *decoder) misplacedHint(name string) string {
	for _, f := range fieldsOf(reflect.TypeFor[Tenant]()) {
		if f.name == name {
			return " (it belongs in a tenants entry)"
		}
	}
	for _, f := range d.channelKeys() {
		if f.name == name {
			return " (it belongs in a channels entry)"
		}
	}
	return ""
}

// suggest returns the known key closest to name, if it is close enough to
// be a typo.
func suggest(name string, fields []field) string {
	best, bestDist := "", 0
	for _, f := range fields {
		dist := levenshtein(strings.ToLower(name), f.name)
		if best == "" || dist < bestDist {
			best, bestDist = f.name, dist
		}
	}
	if best == "" || bestDist > 2+len(name)/6 || bestDist >= len(name) {
		return ""
	}
	return best
}

// levenshtein is the edit distance between a and b, treating '-' and '_'
// as equal so that client-secret suggests client_secret.
func levenshtein(a, b string) int {
	a = strings.ReplaceAll(a, "-", "_")
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// oneTypo reports whether name is key with one slip of a finger: a letter
// added, left out or replaced, two neighbours swapped, '-' for '_' or
// another case. Only then is a misspelt key's value taken as the meant
// key's (decodeAsMeant); a looser guess (colour → cloud) may be wrong.
func oneTypo(name, key string) bool {
	a := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if levenshtein(a, key) <= 1 {
		return true
	}
	if len(a) != len(key) {
		return false
	}
	i := 0
	for i < len(a) && a[i] == key[i] {
		i++
	}
	return i+1 < len(a) && a[i] == key[i+1] && a[i+1] == key[i] && a[i+2:] == key[i+2:]
}
