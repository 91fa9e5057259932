package milestone

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/htmltext"
)

// label is where a line's dates apply: rings, clouds, a platform.
type label struct {
	rings, clouds []string
	platform      string
}

func (l label) empty() bool { return len(l.rings) == 0 && len(l.clouds) == 0 && l.platform == "" }

// under returns l completed by the block label b it stands under: a line
// "GCC: …" in a list under "General Availability:" is General
// Availability (GCC). A line naming its own ring keeps to itself.
func (l label) under(b label) label {
	if len(l.rings) > 0 {
		return l
	}
	l.rings = b.rings
	if len(l.clouds) == 0 {
		l.clouds = b.clouds
	}
	if l.platform == "" {
		l.platform = b.platform
	}
	return l
}

// term is a ring, cloud or platform name as posts write it.
type term struct {
	text, name string
	kind       int
	labelOnly  bool // too common a word to count in running text
}

const (
	kindRing = iota
	kindCloud
	kindPlatform
)

// terms are matched longest first, so that "GCC High" is not GCC and
// "Current Channel (Preview)" is not Preview.
var terms = func() []term {
	ts := []term{
		{"semi-annual enterprise channel (preview)", "Semi-Annual Enterprise Channel (Preview)", kindRing, false},
		{"semi-annual enterprise channel", "Semi-Annual Enterprise Channel", kindRing, false},
		{"monthly enterprise channel", "Monthly Enterprise Channel", kindRing, false},
		{"current channel (preview)", "Current Channel (Preview)", kindRing, false},
		{"current channel", "Current Channel", kindRing, false},
		{"beta channel", "Beta Channel", kindRing, false},
		{"targeted release", RingTargeted, kindRing, false},
		{"standard release", RingStandard, kindRing, false},
		{"general availability", RingGA, kindRing, false},
		{"generally available", RingGA, kindRing, false},
		{"public preview", RingPublicPreview, kindRing, false},
		{"private preview", "Private Preview", kindRing, false},
		{"preview", RingPreview, kindRing, true},
		{"ga", RingGA, kindRing, true},
		{"gcc high", CloudGCCHigh, kindCloud, false},
		{"gcch", CloudGCCHigh, kindCloud, false},
		{"gcc", CloudGCC, kindCloud, false},
		{"dod", CloudDoD, kindCloud, false},
		{"worldwide", CloudWorldwide, kindCloud, false},
		{"standard multi-tenant", CloudWorldwide, kindCloud, true},
		{"ww", CloudWorldwide, kindCloud, true},
		{"desktop", "Desktop", kindPlatform, true},
		{"web", "Web", kindPlatform, true},
		{"mobile", "Mobile", kindPlatform, true},
		{"windows", "Windows", kindPlatform, true},
		{"macos", "Mac", kindPlatform, true},
		{"mac", "Mac", kindPlatform, true},
		{"ios", "iOS", kindPlatform, true},
		{"ipados", "iPadOS", kindPlatform, true},
		{"android", "Android", kindPlatform, true},
		{"linux", "Linux", kindPlatform, true},
	}
	slices.SortStableFunc(ts, func(a, b term) int { return len(b.text) - len(a.text) })
	return ts
}()

// findTerms returns the label of the ring, cloud and platform names in s,
// in the order they appear; inLabel admits the common words.
func findTerms(s string, inLabel bool) label {
	low := []byte(strings.ToLower(s))
	type hit struct {
		at int
		t  term
	}
	var hits []hit
	for _, t := range terms {
		if t.labelOnly && !inLabel {
			continue
		}
		for from := 0; ; {
			k := strings.Index(string(low[from:]), t.text)
			if k < 0 {
				break
			}
			at := from + k
			from = at + len(t.text)
			if at > 0 && isLetter(low[at-1]) || from < len(low) && isLetter(low[from]) {
				continue
			}
			hits = append(hits, hit{at, t})
			for i := at; i < from; i++ {
				low[i] = ' ' // matched: shorter names must not match inside
			}
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return a.at - b.at })
	var l label
	var plats []string
	for _, h := range hits {
		switch h.t.kind {
		case kindRing:
			if !slices.Contains(l.rings, h.t.name) {
				l.rings = append(l.rings, h.t.name)
			}
		case kindCloud:
			if !slices.Contains(l.clouds, h.t.name) {
				l.clouds = append(l.clouds, h.t.name)
			}
		default:
			if !slices.Contains(plats, h.t.name) {
				plats = append(plats, h.t.name)
			}
		}
	}
	l.platform = strings.Join(plats, ", ")
	return l
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// lineLabel splits "General Availability (GCC, GCC High, DoD): We will …"
// into its label and the rest. A label is short, has no digits and names
// at least one ring, cloud or platform.
func lineLabel(line string) (label, string, bool) {
	k := strings.IndexAny(line, ":：")
	if k <= 0 || k > 80 {
		return label{}, line, false
	}
	head := line[:k]
	if strings.ContainsAny(head, "0123456789") || len(strings.Fields(head)) > 8 {
		return label{}, line, false
	}
	l := findTerms(head, true)
	if l.empty() {
		return label{}, line, false
	}
	return l, line[k+len(string([]rune(line[k:])[0])):], true
}

// Phase words, most telling first: a clause that says "begin rolling out"
// is a begin, one that says "complete rollout" a completion.
var phaseWords = []struct {
	phase Phase
	re    *regexp.Regexp
}{
	{PhaseComplete, regexp.MustCompile(`\b(complet\w*|finish\w*|conclud\w*)\b`)},
	{PhaseBegin, regexp.MustCompile(`\b(begin\w*|began|begun|start\w*|commenc\w*|takes? effect|effective|as of)\b`)},
	{PhaseRetire, regexp.MustCompile(`\b(retir\w*|deprecat\w*|no longer|stop\w*|end of (support|life)|remov\w*|discontinu\w*|turn(ed)? off|disabl\w*|block\w*|reject\w*|sunset\w*|shut\w* down|unavailable)\b`)},
	{PhaseRollout, regexp.MustCompile(`\b(roll(ing|ed)? ?out|rollouts?|available|availability|releas\w*|deploy\w*|ship\w*|arriv\w*|follow\w*|occur\w*|take place|happen\w*|launch\w*)\b`)},
}

func phaseOf(s string) (Phase, bool) {
	s = strings.ToLower(s)
	for _, w := range phaseWords {
		if w.re.MatchString(s) {
			return w.phase, true
		}
	}
	return "", false
}

// headings that end the "When this will happen" section.
var nextHeadings = []string{
	"how this will affect", "how this affects", "how does this affect", "what you need to do", "what you can do",
	"what do i need to do", "compliance considerations", "learn more", "additional information", "more information",
	"what's changing", "what is changing", "why is this happening", "frequently asked questions",
}

// heading returns the text after a heading line's colon, and whether the
// line starts with one of the given headings.
func heading(line string, names ...string) (string, bool) {
	s := strings.TrimLeft(strings.TrimSpace(line), "[-*# ")
	low := strings.ToLower(s)
	for _, n := range names {
		if !strings.HasPrefix(low, n) {
			continue
		}
		rest := s[len(n):]
		k := strings.IndexAny(rest, ":]")
		if k < 0 {
			if len(strings.Fields(s)) <= 8 && !strings.Contains(s, ". ") {
				return "", true // a heading without a colon
			}
			continue
		}
		rest = strings.TrimLeft(rest[k:], ":] ")
		return rest, true
	}
	return "", false
}

var (
	updatedNote = regexp.MustCompile(`(?i)^[\[\(\s-]*updated\b`)
	urls        = regexp.MustCompile(`\(?https?://[^\s)]+\)?`)
	listMarker  = regexp.MustCompile(`^\s*(?:[-*•]|\d+\.)\s+`)
)

// parseBody returns the milestones of a post body (HTML or text); ref
// gives the year of dates that state none.
func parseBody(body string, ref time.Time) []Milestone {
	lines := strings.Split(htmltext.Text(body), "\n")
	scope, inWhen := whenSection(lines)
	p := &parser{ref: ref, strict: !inWhen}
	for _, line := range scope {
		p.line(line)
	}
	return p.out
}

// whenSection returns the lines of the "When this will happen" section,
// or every line when there is none.
func whenSection(lines []string) ([]string, bool) {
	for i, l := range lines {
		rest, ok := heading(l, "when this will happen", "when will this happen", "when this happens")
		if !ok {
			continue
		}
		out := []string{rest}
		for _, l := range lines[i+1:] {
			if _, ok := heading(l, nextHeadings...); ok {
				break
			}
			out = append(out, l)
		}
		return out, true
	}
	return lines, false
}

// parser turns the lines of a section into milestones.
type parser struct {
	ref      time.Time
	strict   bool // outside a "When" section: dates need a phase word
	block    label
	lastYear int
	header   []Phase // phases of the columns of the current table
	out      []Milestone
}

// found is one date phrase of a line with what the line says about it.
type found struct {
	phrase
	from, to time.Time
	text     string
	prev     *found // the date it had before ("previously …")
	isPrev   bool   // this phrase is another one's previous date
	phase    Phase
	label    label
}

func (p *parser) line(raw string) {
	line := strings.TrimSpace(listMarker.ReplaceAllString(raw, ""))
	if line == "" {
		p.header = nil
		return
	}
	if updatedNote.MatchString(line) {
		return
	}
	line = urls.ReplaceAllStringFunc(line, func(s string) string { return strings.Repeat(" ", len(s)) })
	if strings.Contains(line, " | ") {
		if line = p.tableRow(line); line == "" {
			return
		}
	} else {
		p.header = nil
	}
	own, rest, labelled := lineLabel(line)
	if labelled && strings.TrimSpace(rest) == "" {
		p.block = own // "General Availability:" over a list
		return
	}
	text := line
	base := p.block
	if labelled {
		text = rest
		base = own.under(p.block)
	}
	p.dates(text, base, labelled)
}

// tableRow turns a row of a table of rings and dates ("Targeted Release |
// early June 2024 | mid-June 2024" under "Ring | Rollout start | Rollout
// end") into a sentence; it returns "" for the header row.
func (p *parser) tableRow(line string) string {
	cells := strings.Split(line, " | ")
	dated := false
	for _, c := range cells {
		if len((&scanner{toks: tokenize(c)}).all()) > 0 {
			dated = true
		}
	}
	if !dated {
		p.header = make([]Phase, len(cells))
		for i, c := range cells {
			c = strings.ToLower(c)
			switch {
			case strings.Contains(c, "start") || strings.Contains(c, "begin"):
				p.header[i] = PhaseBegin
			case strings.Contains(c, "end") || strings.Contains(c, "complet") || strings.Contains(c, "finish"):
				p.header[i] = PhaseComplete
			}
		}
		return ""
	}
	var lab, parts []string
	for i, c := range cells {
		if len((&scanner{toks: tokenize(c)}).all()) == 0 {
			lab = append(lab, c)
			continue
		}
		word := ""
		if i < len(p.header) {
			switch p.header[i] {
			case PhaseBegin:
				word = "begin "
			case PhaseComplete:
				word = "complete "
			}
		}
		parts = append(parts, word+c)
	}
	return strings.Join(lab, ", ") + ": " + strings.Join(parts, "; ")
}

// sentenceEnds returns the offsets where sentences of text end: after ".",
// ";", "!" or "?" followed by a space and a capital letter (not "Sept. 9").
func sentenceEnds(text string) []int {
	var out []int
	for i := 0; i+2 < len(text); i++ {
		c := text[i]
		if (c == '.' || c == ';' || c == '!' || c == '?') && text[i+1] == ' ' {
			n := text[i+2]
			if c == ';' || 'A' <= n && n <= 'Z' {
				out = append(out, i+1)
			}
		}
	}
	return out
}

// dates reads the date phrases of one line's text and adds their
// milestones; base is the label the line stands under.
func (p *parser) dates(text string, base label, labelled bool) {
	toks := tokenize(text)
	sc := &scanner{toks: toks}
	phs := sc.all()
	if len(phs) == 0 {
		return
	}
	ends := sentenceEnds(text)
	sentenceOf := func(off int) int { // index of the sentence holding off
		n := 0
		for _, e := range ends {
			if off >= e {
				n++
			}
		}
		return n
	}
	sentenceStart := func(off int) int {
		s := 0
		for _, e := range ends {
			if e <= off {
				s = e
			}
		}
		return s
	}
	sentenceEnd := func(off int) int {
		for _, e := range ends {
			if e > off {
				return e
			}
		}
		return len(text)
	}
	fs := make([]*found, len(phs))
	for i, ph := range phs {
		fs[i] = &found{phrase: ph, text: text[toks[ph.start].start:toks[ph.end-1].end]}
	}
	// Years: a phrase without one takes that of the next phrase of the
	// line that has one, else the last one seen, else the post's.
	for i, f := range fs {
		y := f.year()
		if y == 0 {
			y = p.inferYear(fs, i)
		}
		f.from, f.to = f.resolve(y)
		if f.year() != 0 {
			p.lastYear = f.year()
		}
	}
	// Previous dates: "X (previously Y)", "X, previously Y,", "X instead of
	// Y", and "previously planned for Y, … X".
	lowText := strings.ToLower(text)
	for i := 0; i+1 < len(fs); i++ {
		a, b := fs[i], fs[i+1]
		if sentenceOf(toks[a.start].start) != sentenceOf(toks[b.start].start) {
			continue
		}
		between := lowText[toks[a.end-1].end:toks[b.start].start]
		before := lowText[max(sentenceStart(toks[a.start].start), p.clauseStart(fs, i, toks)):toks[a.start].start]
		switch {
		case afterPrevious.MatchString(between):
			b.isPrev, a.prev = true, b
			p.nearYear(b, a)
			i++
		case beforePrevious.MatchString(before):
			a.isPrev, b.prev = true, a
			p.nearYear(a, b)
			i++
		}
	}
	// Phases and labels, clause by clause.
	var last *found
	for i, f := range fs {
		if f.isPrev {
			continue
		}
		at := toks[f.start].start
		ss := sentenceStart(at)
		from := max(ss, p.clauseStart(fs, i, toks))
		clause := text[from:at]
		after := text[toks[f.end-1].end:min(sentenceEnd(at), p.nextStart(fs, i, toks, len(text)))]
		phase, ok := phaseOf(clause)
		if !ok {
			phase, ok = phaseOf(after)
		}
		if !ok && f.hasB {
			phase, ok = PhaseRollout, true // "Mid-May 2024 to late May 2024": a window
		}
		if !ok {
			if p.strict {
				continue
			}
			phase = PhaseDate
		}
		f.phase = phase
		f.label = base
		if !labelled {
			switch l := findTerms(clause, false); {
			case !l.empty():
				f.label = l.under(p.block)
			case last != nil && sentenceOf(toks[last.start].start) == sentenceOf(at):
				f.label = last.label
			default:
				if l := findTerms(after, false); !l.empty() {
					f.label = l.under(p.block)
				}
			}
		}
		last = f
		p.add(f)
	}
}

var (
	afterPrevious  = regexp.MustCompile(`^[\s(,–—-]*(previously|originally|was|instead of|rather than)\b[\w\s:]{0,40}$`)
	beforePrevious = regexp.MustCompile(`\b(previously|originally)\b[\w\s]{0,30}$`)
)

// clauseStart is where the clause of phrase i begins: after the previous
// phrase (or its "previously" date) of the line.
func (p *parser) clauseStart(fs []*found, i int, toks []token) int {
	if i == 0 {
		return 0
	}
	return toks[fs[i-1].end-1].end
}

// nextStart is where the phrase after i begins.
func (p *parser) nextStart(fs []*found, i int, toks []token, n int) int {
	if i+1 < len(fs) {
		return toks[fs[i+1].start].start
	}
	return n
}

// inferYear is the year of phrase i, which states none.
func (p *parser) inferYear(fs []*found, i int) int {
	f := fs[i]
	for _, g := range fs[i+1:] {
		if y := g.year(); y != 0 {
			if f.month() != 0 && g.month() != 0 && f.month() > g.month() {
				return y - 1 // "late December and … mid-January 2025"
			}
			return y
		}
	}
	if p.lastYear != 0 {
		return p.lastYear
	}
	y := p.ref.Year()
	if y < 2000 {
		return time.Now().UTC().Year() // no date at all; only tests get here
	}
	if f.month() != 0 && f.month()+2 < p.ref.Month() {
		y++ // months well before publication are next year's
	}
	return y
}

// nearYear gives the previous date prev, when it states no year, the year
// that puts it nearest to the date cur.
func (p *parser) nearYear(prev, cur *found) {
	if prev.year() != 0 {
		return
	}
	best := time.Duration(-1)
	for _, y := range []int{cur.from.Year() - 1, cur.from.Year(), cur.from.Year() + 1} {
		from, to := prev.resolve(y)
		d := from.Sub(cur.from)
		if d < 0 {
			d = -d
		}
		if best < 0 || d < best {
			best, prev.from, prev.to = d, from, to
		}
	}
}

// add appends the milestones of one date: one per ring and cloud its
// label names.
func (p *parser) add(f *found) {
	rings, clouds := f.label.rings, f.label.clouds
	if len(rings) == 0 {
		rings = []string{""}
	}
	if len(clouds) == 0 {
		clouds = []string{""}
	}
	r := Range{From: f.from, To: f.to, Phrase: f.text}
	var prev Range
	if f.prev != nil {
		prev = Range{From: f.prev.from, To: f.prev.to, Phrase: f.prev.text}
	}
	for _, ring := range rings {
		for _, cloud := range clouds {
			p.out = append(p.out, Milestone{Ring: ring, Cloud: cloud, Platform: f.label.platform, Phase: f.phase, Range: r, Previous: prev})
		}
	}
}
