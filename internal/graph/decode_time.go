package graph

import (
	"strings"
	"time"
)

// parseTimeBytes is parseTime for decoded bytes, with a fast path for the
// shapes Graph sends: "2006-01-02T15:04:05" plus 0–9 fraction digits and
// an optional "Z". Anything else goes through parseTime.
func parseTimeBytes(b []byte) time.Time {
	if len(b) == 0 || string(b) == "null" {
		return time.Time{}
	}
	if t, ok := fastTime(b); ok {
		return t
	}
	return parseTime(string(b))
}

func fastTime(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			if !isDigit(c) {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	if day > 28 && day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		k := 1
		for k < len(rest) && isDigit(rest[k]) {
			nsec = nsec*10 + int(rest[k]-'0')
			k++
		}
		digits := k - 1
		if digits == 0 || digits > 9 {
			return time.Time{}, false
		}
		for range 9 - digits {
			nsec *= 10
		}
		rest = rest[k:]
	}
	if len(rest) == 1 && rest[0] == 'Z' {
		rest = rest[1:]
	}
	if len(rest) != 0 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseTime parses a Graph DateTimeOffset leniently: RFC 3339 with 0–9
// fraction digits and Z or an offset, or the same without a zone (taken as
// UTC), or a bare date. "", "null" and anything unparseable give the zero
// time. The result is in UTC.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	layouts := [...]string{
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02",
	}
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
