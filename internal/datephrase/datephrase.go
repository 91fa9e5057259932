// Package datephrase finds the dates without a time that Microsoft writes
// in the prose of its posts ("by June 30, 2024", "Thursday, June 13,
// 2023", "early June 2024", "mid-July 2023", "late June 2024", "August
// 2023") and reads them as typed phrases: a day, a month, or the early,
// middle or late part of a month.
//
// translate protects these phrases from translators, and render masks
// them before translation and writes them itself in the reader's language
// ("2024年6月30日(日)", "2024年6月上旬"); both use Find, so that they agree
// on what a date phrase is. A date followed by a time ("June 13, 2023 at
// 10:00 AM") is not date-only and is left to whoever reads times.
//
// It is pure and imports nothing of ours.
package datephrase

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Part says how much of the time a phrase names.
type Part int

// The parts of a phrase.
const (
	// Day is one calendar day: "June 30, 2024".
	Day Part = iota
	// Month is a whole month: "June 2024".
	Month
	// Early is the first days of a month (1–10): "early June 2024".
	Early
	// Mid is the middle of a month (11–20): "mid-June 2024".
	Mid
	// Late is the rest of a month (21 to its end): "late June 2024".
	Late
)

// Phrase is one date-only phrase read as a date.
type Phrase struct {
	Year  int
	Month time.Month
	// Day is the day of the month when Part is Day, else 0.
	Day  int
	Part Part
}

// Days returns the first and the last calendar day the phrase means, as
// midnight UTC: "early" is days 1–10, "mid" 11–20, "late" 21 to the end of
// the month, as internal/milestone reads them.
func (p Phrase) Days() (from, to time.Time) {
	date := func(d int) time.Time { return time.Date(p.Year, p.Month, d, 0, 0, 0, 0, time.UTC) }
	last := date(1).AddDate(0, 1, -1).Day()
	switch p.Part {
	case Day:
		return date(p.Day), date(p.Day)
	case Early:
		return date(1), date(10)
	case Mid:
		return date(11), date(20)
	case Late:
		return date(21), date(last)
	}
	return date(1), date(last)
}

// Time returns the first day of the phrase, midnight UTC.
func (p Phrase) Time() time.Time {
	from, _ := p.Days()
	return from
}

// OfDays returns the phrase whose Days are exactly from–to (dates in UTC;
// the time of day is ignored): a day, a month or a part of one; false when
// the days are no such phrase (a week, a quarter, two months).
func OfDays(from, to time.Time) (Phrase, bool) {
	from, to = from.UTC(), to.UTC()
	if from.IsZero() || to.IsZero() || from.Year() != to.Year() || from.Month() != to.Month() {
		return Phrase{}, false
	}
	p := Phrase{Year: from.Year(), Month: from.Month()}
	last := time.Date(p.Year, p.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	switch a, b := from.Day(), to.Day(); {
	case a == b:
		p.Part, p.Day = Day, a
	case a == 1 && b == last:
		p.Part = Month
	case a == 1 && b == 10:
		p.Part = Early
	case a == 11 && b == 20:
		p.Part = Mid
	case a == 21 && b == last:
		p.Part = Late
	default:
		return Phrase{}, false
	}
	return p, true
}

// Match is a phrase found in a text: text[Start:End] is what Microsoft
// wrote, weekday and part word included.
type Match struct {
	Start, End int
	Phrase     Phrase
}

// phraseRE finds a date without a time: an optional weekday, an optional
// part (early, mid, late), a capitalized month name or abbreviation (so
// that the verb "may" is no month), an optional day with an ordinal
// suffix, and a year.
var phraseRE = regexp.MustCompile(`\b(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+)?` +
	`(?:((?i:early|mid|late))(?:-|\s+))?` +
	`(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?` +
	`(?:\s+(\d{1,2})(?:st|nd|rd|th)?)?,?\s+((?:19|20)\d{2})\b`)

// timeAfterRE tells a date that a time follows ("June 13, 2023 at 10:00 AM").
var timeAfterRE = regexp.MustCompile(`^,?\s*(?:at\s+)?\d{1,2}(?::\d{2}|\s*[AaPp]\.?[Mm]\b)`)

// Find returns the date-only phrases of text, in order. A phrase followed
// by a time, and a day its month does not have ("February 30, 2024"), are
// left out. A day with a part word ("early June 13, 2024") reads as the
// day.
func Find(text string) []Match {
	var out []Match
	for _, m := range phraseRE.FindAllStringSubmatchIndex(text, -1) {
		if timeAfterRE.MatchString(text[m[1]:]) {
			continue
		}
		mon, ok := monthNumber(text[m[4]:m[5]])
		if !ok {
			continue
		}
		year, _ := strconv.Atoi(text[m[8]:m[9]])
		p := Phrase{Year: year, Month: mon, Part: Month}
		switch {
		case m[6] >= 0:
			day, _ := strconv.Atoi(text[m[6]:m[7]])
			if day < 1 || time.Date(year, mon, day, 0, 0, 0, 0, time.UTC).Day() != day {
				continue
			}
			p.Part, p.Day = Day, day
		case m[2] >= 0:
			switch strings.ToLower(text[m[2]:m[3]]) {
			case "early":
				p.Part = Early
			case "mid":
				p.Part = Mid
			default:
				p.Part = Late
			}
		}
		out = append(out, Match{Start: m[0], End: m[1], Phrase: p})
	}
	return out
}

// monthNumber reads a month name or abbreviation.
func monthNumber(name string) (time.Month, bool) {
	if len(name) < 3 {
		return 0, false
	}
	for m := time.January; m <= time.December; m++ {
		if strings.HasPrefix(m.String(), name[:3]) {
			return m, true
		}
	}
	return 0, false
}
