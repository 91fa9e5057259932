package milestone

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// token is one word, number or punctuation mark of a line.
type token struct {
	s, low     string
	start, end int // byte offsets in the line
}

// tokenRE splits a line: words (with trailing digits: Q3, CY2024), numbers
// (with ordinal suffixes and -, / separators: 14th, 2024-06-14, 6/14/2024),
// and single other characters.
var tokenRE = regexp.MustCompile(`[A-Za-z]+\d*|\d+(?:[/-]\d+)*(?:st|nd|rd|th)?|[^\sA-Za-z\d]`)

func tokenize(line string) []token {
	idx := tokenRE.FindAllStringIndex(line, -1)
	out := make([]token, len(idx))
	for i, ix := range idx {
		s := line[ix[0]:ix[1]]
		out[i] = token{s: s, low: strings.ToLower(s), start: ix[0], end: ix[1]}
	}
	return out
}

var months = map[string]time.Month{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

// month reads a month name; Microsoft capitalizes them, and requiring it
// keeps the verb "may" from being May.
func month(t token) (time.Month, bool) {
	m, ok := months[t.low]
	if !ok || t.s[0] < 'A' || t.s[0] > 'Z' {
		return 0, false
	}
	return m, true
}

// part is the part of a month, quarter, half or year a phrase names.
type part int

const (
	whole part = iota
	early
	middle
	late
	end // the last day
)

// parts are the words for parts; beginning, start, middle and end count
// only before "of" ("Beginning February 15" is a day).
var parts = map[string]part{"early": early, "beginning": early, "start": early, "mid": middle, "middle": middle, "late": late, "end": end}

// point is one date phrase before its year is known: a day, a part of a
// month, a quarter, a half or a year.
type point struct {
	year    int // 0: not stated
	month   time.Month
	day     int
	quarter int
	half    int
	part    part
	part2   part // "early to mid-June": the part the range ends in
	day2    int  // "June 3–14": the day the range ends on
	week    bool // "the week of June 10": seven days
}

// span returns the first and last day of p in year y.
func (p point) span(y int) (time.Time, time.Time) {
	date := func(m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	lastDay := func(m time.Month) int { return date(m+1, 0).Day() }
	// thirds splits the months first..last into early, middle and late.
	thirds := func(first, n int, pt part) (time.Time, time.Time) {
		m0 := time.Month(first)
		switch pt {
		case early, middle, late:
			k := n / 3
			a := m0 + time.Month(int(pt-early)*k)
			b := a + time.Month(k) - 1
			if pt == late {
				b = m0 + time.Month(n) - 1
			}
			return date(a, 1), date(b, lastDay(b))
		case end:
			l := m0 + time.Month(n) - 1
			return date(l, lastDay(l)), date(l, lastDay(l))
		}
		l := m0 + time.Month(n) - 1
		return date(m0, 1), date(l, lastDay(l))
	}
	switch {
	case p.month != 0 && p.day != 0:
		from := date(p.month, p.day)
		switch {
		case p.week:
			return from, from.AddDate(0, 0, 6)
		case p.day2 >= p.day:
			return from, date(p.month, p.day2)
		}
		return from, from
	case p.month != 0:
		ofPart := func(pt part) (time.Time, time.Time) {
			switch pt {
			case early:
				return date(p.month, 1), date(p.month, 10)
			case middle:
				return date(p.month, 11), date(p.month, 20)
			case late:
				return date(p.month, 21), date(p.month, lastDay(p.month))
			case end:
				return date(p.month, lastDay(p.month)), date(p.month, lastDay(p.month))
			}
			return date(p.month, 1), date(p.month, lastDay(p.month))
		}
		from, to := ofPart(p.part)
		if p.part2 != whole {
			_, to = ofPart(p.part2)
		}
		return from, to
	case p.quarter != 0:
		return thirds(3*p.quarter-2, 3, p.part)
	case p.half != 0:
		return thirds(6*p.half-5, 6, p.part)
	}
	// A year: early is January to April, mid May to August, late September
	// to December.
	switch p.part {
	case early, middle, late:
		a := time.Month(1 + 4*int(p.part-early))
		return date(a, 1), date(a+3, lastDay(a+3))
	}
	return thirds(1, 12, p.part)
}

// yearOf reads a year token: 2024, CY2024, CY24.
func yearOf(t token) (int, bool) {
	s := t.low
	if strings.HasPrefix(s, "cy") {
		s = s[2:]
		if len(s) == 2 {
			s = "20" + s
		}
	}
	if len(s) != 4 || !strings.HasPrefix(s, "20") {
		return 0, false
	}
	y, err := strconv.Atoi(s)
	return y, err == nil
}

// dayOf reads a day of the month: 14, 14th.
func dayOf(t token) (int, bool) {
	s := strings.TrimRight(t.low, "stndrh")
	if s == "" || len(s) > 2 {
		return 0, false
	}
	d, err := strconv.Atoi(s)
	return d, err == nil && d >= 1 && d <= 31
}

var (
	isoDate = regexp.MustCompile(`^(20\d\d)-(\d\d)-(\d\d)$`)
	usDate  = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(20\d\d)$`)
)

// phrase is one date phrase found in a line: a point, or a range from
// point a to point b ("late June to early July 2024").
type phrase struct {
	a, b       point
	hasB       bool
	start, end int // token indexes: [start, end)
}

// year is the year the phrase states, 0 when none.
func (ph phrase) year() int {
	if ph.a.year != 0 {
		return ph.a.year
	}
	if ph.hasB {
		return ph.b.year
	}
	return 0
}

// month is the month the phrase starts in (0 for a quarter, half or year).
func (ph phrase) month() time.Month { return ph.a.month }

// resolve returns the days of the phrase, with y as the year where it
// states none.
func (ph phrase) resolve(y int) (time.Time, time.Time) {
	ya := ph.a.year
	if ya == 0 {
		ya = y
	}
	from, to := ph.a.span(ya)
	if ph.hasB {
		yb := ph.b.year
		if yb == 0 {
			yb = ya
		}
		_, to = ph.b.span(yb)
		if ph.a.year == 0 && ph.b.month != 0 && ph.a.month > ph.b.month {
			// "late December to early January 2025": the start is a year
			// earlier.
			from, _ = ph.a.span(yb - 1)
		}
	}
	return from, to
}

// scanner reads date phrases from the tokens of one line.
type scanner struct {
	toks []token
}

func (s *scanner) tok(i int) token {
	if i < 0 || i >= len(s.toks) {
		return token{}
	}
	return s.toks[i]
}

func (s *scanner) is(i int, words ...string) bool {
	t := s.tok(i).low
	for _, w := range words {
		if t == w {
			return true
		}
	}
	return false
}

// connector reports whether token i joins the two ends of a range.
func (s *scanner) connector(i int) bool { return s.is(i, "to", "through", "-", "–", "—") }

// all returns every date phrase of the line, in order.
func (s *scanner) all() []phrase {
	var out []phrase
	for i := 0; i < len(s.toks); {
		if p, ok := s.phrase(i); ok {
			out = append(out, p)
			i = p.end
			continue
		}
		i++
	}
	return out
}

// phrase reads a date phrase starting at token i, joining two points into
// one range when the first states no year ("late June to early July
// 2024", "between August 19 and August 30, 2024").
func (s *scanner) phrase(i int) (phrase, bool) {
	p, j, ok := s.point(i)
	if !ok {
		return phrase{}, false
	}
	out := phrase{a: p, start: i, end: j}
	// With a year on both ends, "to" joins a range unless it reads as a
	// move ("from September 30, 2023 to December 31, 2023").
	joins := p.year == 0 || !s.is(i-1, "from")
	if joins && (s.connector(j) || s.is(i-1, "between") && s.is(j, "and")) {
		if q, k, ok := s.point(j + 1); ok && q.year != 0 && (q.month != 0) == (p.month != 0) && !before(q, p) {
			out.b, out.hasB, out.end = q, true, k
		}
	}
	if s.is(i-1, "of") && s.is(i-2, "week") && p.day != 0 {
		out.a.week = true
		out.start = i - 2
		if s.is(i-3, "the") {
			out.start = i - 3
		}
	}
	return out, true
}

// point reads one date at token i and returns the index after it.
func (s *scanner) point(i int) (point, int, bool) {
	var p point
	j := i
	if s.is(j, "the") {
		j++
	}
	if pt, ok := parts[s.tok(j).low]; ok && (s.is(j+1, "of") || s.is(j, "early", "mid", "late")) {
		p.part = pt
		j++
		if s.is(j, "of") {
			j++
		} else if s.is(j, "-") {
			j++
		}
		// "early to mid-June", "early-to-mid June"
		if s.connector(j) {
			if pt2, ok := parts[s.tok(j+1).low]; ok {
				p.part2 = pt2
				j += 2
				if s.is(j, "-") || s.is(j, "of") {
					j++
				}
			}
		}
		if s.is(j, "the") {
			j++
		}
	} else if j != i {
		return point{}, 0, false // "the" alone starts no date
	}
	t := s.tok(j)
	if m, ok := month(t); ok {
		p.month = m
		j++
		if s.is(j, ".") {
			j++ // "Sept."
		}
		if d, ok := dayOf(s.tok(j)); ok && !s.is(j+1, ":") {
			p.day = d
			j++
			if s.connector(j) {
				if d2, ok := dayOf(s.tok(j + 1)); ok && d2 > d {
					p.day2 = d2
					j += 2
				}
			}
		}
		k := j
		if s.is(k, ",") {
			k++
		}
		if y, ok := yearOf(s.tok(k)); ok {
			p.year, j = y, k+1
		}
		if p.year == 0 && p.day == 0 && p.part == whole && !s.is(i-1, "in", "by", "until", "during", "previously", "was", "of", "and", "to") {
			return point{}, 0, false // a bare month name needs a preposition
		}
		return p, j, true
	}
	if d, ok := dayOf(t); ok && p.part == whole {
		if m, ok := month(s.tok(j + 1)); ok {
			p.day, p.month = d, m
			j += 2
			if y, ok := yearOf(s.tok(j)); ok {
				p.year = y
				j++
			}
			return p, j, true
		}
	}
	if m := isoDate.FindStringSubmatch(t.s); m != nil && p.part == whole {
		p.year, _ = strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		p.day, _ = strconv.Atoi(m[3])
		p.month = time.Month(mo)
		return p, j + 1, validDay(p)
	}
	if m := usDate.FindStringSubmatch(t.s); m != nil && p.part == whole {
		mo, _ := strconv.Atoi(m[1])
		p.day, _ = strconv.Atoi(m[2])
		p.year, _ = strconv.Atoi(m[3])
		p.month = time.Month(mo)
		return p, j + 1, validDay(p)
	}
	// Q3 CY2024, Q3 2024, Q3 of CY2024, CY2024 Q3, H2 CY2024
	if y, k, ok := s.quarterOrHalf(j, &p); ok {
		p.year = y
		return p, k, true
	}
	// CY2025, calendar year 2025, or a year after a part: "early 2025".
	if s.is(j, "calendar") && s.is(j+1, "year") {
		if y, ok := yearOf(s.tok(j + 2)); ok {
			p.year = y
			return p, j + 3, true
		}
	}
	if y, ok := yearOf(t); ok && (strings.HasPrefix(t.low, "cy") || p.part != whole) {
		p.year = y
		return p, j + 1, true
	}
	return point{}, 0, false
}

// quarterOrHalf reads "Q3 CY2024" and its variants at token j into p and
// returns the year and the index after the phrase.
func (s *scanner) quarterOrHalf(j int, p *point) (int, int, bool) {
	qh := func(t token) bool {
		if len(t.low) != 2 {
			return false
		}
		n := int(t.low[1] - '0')
		switch {
		case t.low[0] == 'q' && n >= 1 && n <= 4:
			p.quarter = n
		case t.low[0] == 'h' && n >= 1 && n <= 2:
			p.half = n
		default:
			return false
		}
		return true
	}
	if qh(s.tok(j)) {
		k := j + 1
		if s.is(k, "of") {
			k++
		}
		if s.is(k, "calendar") && s.is(k+1, "year") {
			k += 2
		}
		if y, ok := yearOf(s.tok(k)); ok {
			return y, k + 1, true
		}
		return 0, 0, false
	}
	if y, ok := yearOf(s.tok(j)); ok && qh(s.tok(j+1)) {
		return y, j + 2, true
	}
	return 0, 0, false
}

func validDay(p point) bool {
	if p.month < 1 || p.month > 12 || p.day < 1 {
		return false
	}
	return p.day <= time.Date(2000+p.year%100, p.month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// before reports whether q, which states its year, starts before p ends
// (p's year unknown counts as q's).
func before(q, p point) bool {
	y := p.year
	if y == 0 {
		y = q.year
	}
	_, pTo := p.span(y)
	qFrom, _ := q.span(q.year)
	return qFrom.Before(pTo) && p.year != 0
}
