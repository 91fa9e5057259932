package render

import (
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/datephrase"
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

// FormatDate renders a date without its time in English: "2024-06-30",
// the way the dashboard shows dates. It is FormatDateIn for English.
func FormatDate(t time.Time, loc *time.Location) string {
	return FormatDateIn(t, loc, "en")
}

// FormatDateIn renders the calendar day of t, without a time, in the
// layout of lang's catalog (format.date): English "2024-06-30", Japanese
// "2024年6月30日(日)". Microsoft states a date such as a post's
// actionRequiredByDateTime as midnight UTC of the day, so midnight UTC is
// that UTC day in every time zone (never the evening before, never "9:00
// JST"); any other time is the day it is in loc (nil = UTC). The zero
// time is "—".
func FormatDateIn(t time.Time, loc *time.Location, lang string) string {
	if t.IsZero() {
		return Phrase(lang, "value.noTime")
	}
	return dateLayout(Phrase(lang, "format.date"), calendarDay(t, loc), lang)
}

// calendarDay is the calendar day FormatDateIn shows for t, as midnight
// UTC: the UTC day of a time at midnight UTC, else the day of t in loc
// (nil = UTC), as the dashboard's dates read.
func calendarDay(t time.Time, loc *time.Location) time.Time {
	u := t.UTC()
	if u.Hour() != 0 || u.Minute() != 0 || u.Second() != 0 || u.Nanosecond() != 0 {
		if loc == nil {
			loc = time.UTC
		}
		u = t.In(loc)
	}
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

// dateLayout fills a date layout of the catalogs with the day d.
func dateLayout(layout string, d time.Time, lang string) string {
	pad := func(n int) string {
		if n < 10 {
			return "0" + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	return fill(layout,
		"yyyy", strconv.Itoa(d.Year()),
		"MM", pad(int(d.Month())), "M", strconv.Itoa(int(d.Month())),
		"dd", pad(d.Day()), "d", strconv.Itoa(d.Day()),
		"month", Phrase(lang, "month."+strconv.Itoa(int(d.Month()))),
		"weekday", Phrase(lang, "weekday."+strconv.Itoa(int(d.Weekday()))),
	)
}

// phraseLayouts are the catalog keys of the layouts of date-only phrases
// that are not one day.
var phraseLayouts = map[datephrase.Part]string{
	datephrase.Month: "format.month",
	datephrase.Early: "format.monthEarly",
	datephrase.Mid:   "format.monthMid",
	datephrase.Late:  "format.monthLate",
}

// FormatPhraseIn renders a date-only phrase of Microsoft's prose in lang:
// a day as FormatDateIn does ("2024年6月30日(日)"), a month "2024年6月",
// its parts "2024年6月上旬", "2024年6月中旬", "2024年6月下旬" (English
// "June 2024", "early June 2024", "mid-June 2024", "late June 2024").
func FormatPhraseIn(p datephrase.Phrase, lang string) string {
	if p.Part == datephrase.Day {
		return FormatDateIn(p.Time(), time.UTC, lang)
	}
	return dateLayout(Phrase(lang, phraseLayouts[p.Part]), p.Time(), lang)
}

// FormatDaysIn renders a span of calendar days (midnight UTC of the first
// and the last, as internal/milestone gives them) in lang: as the phrase
// it is when it is one ("2024年6月中旬", "mid-June 2024"), else as its
// first and last day ("2024年7月1日(月) – 2024年9月30日(月)").
func FormatDaysIn(from, to time.Time, lang string) string {
	if p, ok := datephrase.OfDays(from, to); ok {
		return FormatPhraseIn(p, lang)
	}
	return fill(Phrase(lang, "punct.range"), "from", FormatDateIn(from, time.UTC, lang), "to", FormatDateIn(to, time.UTC, lang))
}
