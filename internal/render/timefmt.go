package render

import (
	"strconv"
	"strings"
	"time"
)

// FormatTime renders t in loc (nil = UTC) as "2023-05-14 20:00 UTC", with
// the zone's abbreviation ("2023-05-15 05:00 JST"), or its UTC offset
// ("+04:00") where the zone has no abbreviation; the zero time is "—".
// It is FormatTimeIn for English.
func FormatTime(t time.Time, loc *time.Location) string {
	return FormatTimeIn(t, loc, "en")
}

// FormatTimeIn renders t in loc (nil = UTC) in the layout of lang's catalog
// (format.datetime, weekday.0–6): English "2023-05-15 05:00 JST", Japanese
// "2023年5月15日(月) 5:00 JST". The zone is always shown, as its
// abbreviation or else its UTC offset ("+05:45"); the zero time is "—".
func FormatTimeIn(t time.Time, loc *time.Location, lang string) string {
	if t.IsZero() {
		return Phrase(lang, "value.noTime")
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	pad := func(n int) string {
		if n < 10 {
			return "0" + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	return fill(Phrase(lang, "format.datetime"),
		"yyyy", strconv.Itoa(t.Year()),
		"MM", pad(int(t.Month())), "M", strconv.Itoa(int(t.Month())),
		"dd", pad(t.Day()), "d", strconv.Itoa(t.Day()),
		"HH", pad(t.Hour()), "H", strconv.Itoa(t.Hour()),
		"mm", pad(t.Minute()),
		"weekday", Phrase(lang, "weekday."+strconv.Itoa(int(t.Weekday()))),
		"zone", zoneName(t),
	)
}

// zoneName is t's zone abbreviation, or its offset ("+09:00") when the zone
// database has only a numeric name for it ("+04", "-03", "+0545") or none.
func zoneName(t time.Time) string {
	name, _ := t.Zone()
	if name == "" || strings.HasPrefix(name, "+") || strings.HasPrefix(name, "-") {
		return t.Format("-07:00")
	}
	return name
}
