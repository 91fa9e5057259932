package render

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/datephrase"
)

// PostSection is one part of a Service Health post as Microsoft writes it:
// "User impact: Users can't …", "Start time: Sunday, May 14, 2023, at 8:00
// PM UTC", or a paragraph of free text.
type PostSection struct {
	// Label is the canonical key of the section's label ("userImpact",
	// "startTime"; catalog key "post."+Label), "" for free text.
	Label string
	// Text is the section's text after the label, trimmed; paragraphs are
	// separated by a blank line.
	Text string
	// Time is the date the section states, when its text is one date
	// written in Microsoft's prose style; zero otherwise.
	Time time.Time
	// Sentence is the catalog key ("finalUpdate"; catalog key
	// "sentence."+Sentence) when Text is a sentence Microsoft writes
	// verbatim in every post, such as "This is the final update for the
	// event."; such a section is rendered from the catalog, never translated.
	Sentence string
}

// postLabels maps the labels Microsoft uses in posts, lower case, to their
// canonical keys.
var postLabels = map[string]string{
	"title":                  "title",
	"user impact":            "userImpact",
	"more info":              "moreInfo",
	"more information":       "moreInfo",
	"current status":         "currentStatus",
	"final status":           "finalStatus",
	"scope of impact":        "scopeOfImpact",
	"start time":             "startTime",
	"end time":               "endTime",
	"root cause":             "rootCause",
	"preliminary root cause": "preliminaryRootCause",
	"next steps":             "nextSteps",
	"next update by":         "nextUpdateBy",
	"next update":            "nextUpdateBy",
	"workaround":             "workaround",
	"impact":                 "impact",
	"mitigation":             "mitigation",
}

var postLabelLine = regexp.MustCompile(`(?i)^\s*(title|user impact|more info(?:rmation)?|current status|final status|scope of impact|start time|end time|preliminary root cause|root cause|next steps|next update(?: by)?|workaround|impact|mitigation)\s*:\s*(.*)$`)

// ParsePost splits a post's plain text (htmltext.Text of its content)
// into its labelled sections, in order. A label counts at the start of a
// line followed by ":"; text before the first label is a free-text section.
// A labelled section whose first paragraph is a date ("Sunday, May 14,
// 2023, at 8:00 PM UTC") gets Time, and later paragraphs of it become
// free text. Known sentences ("This is the final update for the event.")
// are split out as sections of their own with Sentence set.
func ParsePost(text string) []PostSection {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	type raw struct {
		label string
		lines []string
	}
	var raws []raw
	cur := raw{}
	for _, line := range strings.Split(text, "\n") {
		if m := postLabelLine.FindStringSubmatch(line); m != nil {
			raws = append(raws, cur)
			cur = raw{label: postLabels[strings.ToLower(strings.Join(strings.Fields(m[1]), " "))], lines: []string{m[2]}}
			continue
		}
		cur.lines = append(cur.lines, line)
	}
	raws = append(raws, cur)

	var out []PostSection
	for _, r := range raws {
		body := strings.TrimSpace(strings.Join(r.lines, "\n"))
		if r.label == "" && body == "" {
			continue
		}
		paras := splitParas(body)
		sec := PostSection{Label: r.label}
		open := true // sec may still take paragraphs
		flush := func() {
			if sec.Label != "" || sec.Text != "" {
				out = append(out, sec)
			}
			sec = PostSection{}
		}
		for k, p := range paras {
			if k == 0 && r.label != "" {
				if t, ok := parseProseDate(p); ok {
					sec.Text, sec.Time = p, t
					flush()
					open = false
					continue
				}
			}
			runs := sentenceRuns(p)
			for _, run := range runs {
				if run.key != "" {
					if !open || sec.Label != "" || sec.Text != "" {
						flush()
					}
					out = append(out, PostSection{Text: run.text, Sentence: run.key})
					open = false
					continue
				}
				if !open {
					sec = PostSection{}
					open = true
				}
				if sec.Text != "" {
					sec.Text += "\n\n"
				}
				sec.Text += run.text
			}
		}
		if open {
			flush()
		}
	}
	return out
}

var blankLine = regexp.MustCompile(`\n[ \t]*\n`)

// splitParas splits text at blank lines.
func splitParas(s string) []string {
	var out []string
	for _, p := range blankLine.Split(s, -1) {
		if p = strings.Trim(p, "\n"); strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

type run struct {
	text string
	key  string // sentence key when the run is a known sentence
}

// sentenceRuns splits a paragraph into known sentences and the prose
// around them; a paragraph without a known sentence is one run.
func sentenceRuns(p string) []run {
	sents := splitSentences(p)
	known := make([]string, len(sents))
	found := false
	for k, s := range sents {
		known[k] = knownSentence(s)
		found = found || known[k] != ""
	}
	if !found {
		return []run{{text: p}}
	}
	var out []run
	var prose []string
	for k, s := range sents {
		if known[k] == "" {
			prose = append(prose, s)
			continue
		}
		if len(prose) > 0 {
			out = append(out, run{text: strings.Join(prose, " ")})
			prose = nil
		}
		out = append(out, run{text: s, key: known[k]})
	}
	if len(prose) > 0 {
		out = append(out, run{text: strings.Join(prose, " ")})
	}
	return out
}

// splitSentences splits one-line text after ".", "!" or "?" followed by a
// space; a paragraph with line breaks is kept whole.
func splitSentences(p string) []string {
	if strings.Contains(p, "\n") {
		return []string{p}
	}
	var out []string
	start := 0
	for i := 0; i+1 < len(p); i++ {
		if (p[i] == '.' || p[i] == '!' || p[i] == '?') && p[i+1] == ' ' {
			out = append(out, strings.TrimSpace(p[start:i+1]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(p[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// knownSentence returns the key of s among the English catalog's sentence.*
// entries (compared without case and extra spaces), or "".
func knownSentence(s string) string {
	norm := func(x string) string { return strings.ToLower(strings.Join(strings.Fields(x), " ")) }
	n := norm(s)
	for k, v := range catalogs()["en"] {
		if strings.HasPrefix(k, "sentence.") && norm(v) == n {
			return strings.TrimPrefix(k, "sentence.")
		}
	}
	return ""
}

var proseDate = regexp.MustCompile(`(?i)^(?:(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:day)?\.?,?\s+)?` +
	`([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4}),?\s+(?:at\s+)?(\d{1,2}):(\d{2})\s*([ap])?\.?(?:m\.?)?\s*\(?(?:utc|gmt|coordinated universal time)\)?\.?$`)

// inlineDate finds a date as Microsoft writes it anywhere in a sentence
// ("… completed on Thursday, May 25, 2023, at 7:00 PM UTC."); parseProseDate
// decides whether it really is one.
var inlineDate = regexp.MustCompile(`(?i)\b(?:(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:day)?\.?,?\s+)?` +
	`(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4},?\s+(?:at\s+)?\d{1,2}:\d{2}\s*` +
	`(?:[ap]\.?m\.?)?\s*\(?(?:utc|gmt|coordinated universal time)\)?`)

// dateToken is what a masked date looks like to a translator: a code span,
// which translate protects and checks like an ID.
func dateToken(i int) string { return "`{date:" + strconv.Itoa(i) + "}`" }

// maskedDate is one date maskDates took out of a text: a time (At, from
// "May 25, 2023, at 7:00 PM UTC") or a date-only phrase (Phrase, when
// DateOnly: "June 30, 2024", "early June 2024").
type maskedDate struct {
	At       time.Time
	DateOnly bool
	Phrase   datephrase.Phrase
}

// maskDates replaces the dates inside s with dateToken(0), dateToken(1), …
// and returns them, so that only the words around them are translated and
// the dates are rendered by us in the reader's language and zone: first
// the dates with a time (inlineDate), then the date-only phrases
// translate protects (datephrase.Find), numbered in the order they stand.
func maskDates(s string) (string, []maskedDate) {
	type hit struct {
		start, end int
		d          maskedDate
	}
	var hits []hit
	for _, ix := range inlineDate.FindAllStringIndex(s, -1) {
		if t, ok := parseProseDate(s[ix[0]:ix[1]]); ok {
			hits = append(hits, hit{ix[0], ix[1], maskedDate{At: t}})
		}
	}
	for _, m := range datephrase.Find(s) {
		inside := false
		for _, h := range hits {
			inside = inside || m.Start < h.end && h.start < m.End
		}
		if !inside {
			hits = append(hits, hit{m.Start, m.End, maskedDate{At: m.Phrase.Time(), DateOnly: true, Phrase: m.Phrase}})
		}
	}
	if len(hits) == 0 {
		return s, nil
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
	var b strings.Builder
	dates := make([]maskedDate, 0, len(hits))
	last := 0
	for _, h := range hits {
		b.WriteString(s[last:h.start])
		b.WriteString(dateToken(len(dates)))
		dates = append(dates, h.d)
		last = h.end
	}
	b.WriteString(s[last:])
	return b.String(), dates
}

// unmaskDates puts the dates back into a translation, formatted by format.
// A date that ends in a Japanese character ("2024年6月上旬") takes no space
// before the Japanese that follows it ("2024年6月上旬に開始"), as
// Japanese is written; the translator spaced the token like a Latin word.
func unmaskDates(s string, dates []maskedDate, format func(maskedDate) string) string {
	for i, d := range dates {
		v := format(d)
		if r, _ := utf8.DecodeLastRuneInString(v); isJapanese(r) {
			s = tightAfter(s, dateToken(i), v)
			continue
		}
		s = strings.ReplaceAll(s, dateToken(i), v)
	}
	return s
}

// tightAfter replaces each tok in s by v, dropping one space after it when
// a Japanese character follows.
func tightAfter(s, tok, v string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, tok)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i] + v)
		s = s[i+len(tok):]
		if r, _ := utf8.DecodeRuneInString(strings.TrimPrefix(s, " ")); strings.HasPrefix(s, " ") && isJapanese(r) {
			s = s[1:]
		}
	}
}

// isJapanese reports whether r is kana, a kanji, Japanese punctuation or a
// full-width form.
func isJapanese(r rune) bool {
	switch {
	case r >= 0x3000 && r <= 0x30FF, r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xF900 && r <= 0xFAFF, r >= 0xFF00 && r <= 0xFFEF:
		return true
	}
	return false
}

// onlyDates reports whether a masked text is nothing but date tokens and
// punctuation: there is nothing to translate in it.
func onlyDates(masked string, dates []maskedDate) bool {
	if len(dates) == 0 {
		return false
	}
	for i := range dates {
		masked = strings.ReplaceAll(masked, dateToken(i), "")
	}
	return strings.IndexFunc(masked, unicode.IsLetter) < 0
}

var months = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April,
	"may": time.May, "jun": time.June, "jul": time.July, "aug": time.August,
	"sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// parseProseDate reads a date as Microsoft writes it in posts: "Sunday, May
// 14, 2023, at 8:00 PM UTC", "May 14, 2023 at 8:00 PM UTC", "May 14, 2023,
// 20:00 UTC". The weekday, when given, is not trusted: the date decides.
func parseProseDate(s string) (time.Time, bool) {
	m := proseDate.FindStringSubmatch(strings.Join(strings.Fields(s), " "))
	if m == nil {
		return time.Time{}, false
	}
	name := strings.ToLower(m[1])
	mon, ok := months[name[:3]]
	if !ok || (len(name) > 3 && !strings.HasPrefix(strings.ToLower(time.Month(mon).String()), name) && name != "sept") {
		return time.Time{}, false
	}
	day, _ := strconv.Atoi(m[2])
	year, _ := strconv.Atoi(m[3])
	hour, _ := strconv.Atoi(m[4])
	minute, _ := strconv.Atoi(m[5])
	switch strings.ToLower(m[6]) {
	case "a":
		if hour < 1 || hour > 12 {
			return time.Time{}, false
		}
		if hour == 12 {
			hour = 0
		}
	case "p":
		if hour < 1 || hour > 12 {
			return time.Time{}, false
		}
		if hour != 12 {
			hour += 12
		}
	}
	if hour > 23 || minute > 59 || day < 1 {
		return time.Time{}, false
	}
	t := time.Date(year, mon, day, hour, minute, 0, 0, time.UTC)
	if t.Day() != day { // May 32 rolled over
		return time.Time{}, false
	}
	return t, true
}

var listLine = regexp.MustCompile(`^(\s*(?:[-–—•*]|\d{1,3}[.)])\s+)(.*)$`)

// proseParas calls unit for each unit of prose in text and returns the
// text rebuilt from the results, keeping paragraphs, line breaks and list
// markers: a paragraph with list items is one unit per line (without its
// marker), any other paragraph is one unit.
func proseParas(text string, unit func(string) string) string {
	paras := splitParas(text)
	for k, p := range paras {
		lines := strings.Split(p, "\n")
		list := false
		for _, l := range lines {
			list = list || listLine.MatchString(l)
		}
		if !list {
			paras[k] = unit(p)
			continue
		}
		for i, l := range lines {
			if m := listLine.FindStringSubmatch(l); m != nil {
				lines[i] = m[1] + unit(m[2])
			} else if strings.TrimSpace(l) != "" {
				lines[i] = unit(strings.TrimSpace(l))
			}
		}
		paras[k] = strings.Join(lines, "\n")
	}
	return strings.Join(paras, "\n\n")
}

var bareURL = regexp.MustCompile(`^\S+://\S+$`)

// isProse reports whether s is text a translator should see: it has a
// letter and is not a bare URL.
func isProse(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || bareURL.MatchString(s) {
		return false
	}
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}
