package translate

import (
	"errors"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/datephrase"
)

// The protected token patterns besides the glossary, in priority order: a
// code span wins over anything inside it, a URL over an e-mail address or
// ID inside it.
var tokenPatterns = []*regexp.Regexp{
	regexp.MustCompile("`[^`\n]+`"),
	regexp.MustCompile(`https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+`),
	regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`),
	regexp.MustCompile(`\b[A-Z]{2,3}\d{5,7}\b`),
	regexp.MustCompile(`\b(?:Add|Approve|Backup|Block|Clear|Close|Compare|Complete|Compress|Confirm|Connect|Convert|Copy|Debug|Deny|Disable|Disconnect|Dismount|Edit|Enable|Enter|Exit|Expand|Export|Find|Format|Get|Grant|Import|Initialize|Install|Invoke|Join|Limit|Lock|Measure|Merge|Mount|Move|New|Optimize|Out|Pop|Protect|Publish|Push|Read|Register|Remove|Rename|Repair|Request|Reset|Resolve|Restore|Resume|Revoke|Save|Search|Select|Send|Set|Show|Skip|Sort|Split|Start|Stop|Submit|Suspend|Sync|Test|Trace|Unblock|Undo|Uninstall|Unlock|Unprotect|Unpublish|Unregister|Update|Use|Wait|Watch|Write)-[A-Z][A-Za-z0-9]+\b`),
}

// dateSpans returns the date-only phrases of text (datephrase.Find: "June
// 30, 2024", "Thursday, June 13, 2023", "early June 2024", "mid-July
// 2023", "August 2023"). The words around them ("by", "in", "starting")
// are left to the translator; the date itself travels as a protected
// token, so that no translator rewrites it into another date. render finds
// the same phrases with the same function and masks them before they get
// here, writing them itself in the reader's language; a date followed by a
// time is left alone (render masks those too).
func dateSpans(text string) [][2]int {
	var out [][2]int
	for _, m := range datephrase.Find(text) {
		out = append(out, [2]int{m.Start, m.End})
	}
	return out
}

// spanKind says what a span of a text is.
type spanKind int

const (
	// kindToken must come back verbatim: an ID, URL, e-mail address,
	// cmdlet, code span or a name never to translate.
	kindToken spanKind = iota
	// kindDate is a date-only phrase: protected and checked like a token
	// where the markup can protect it.
	kindDate
	// kindTerm is a glossary term with its translation for the target
	// language.
	kindTerm
)

// span is a protected token's or glossary term's byte range in a text.
type span struct {
	start, end int
	kind       spanKind
}

// spans finds the protected tokens, date-only phrases and (for the target
// language lang; none when lang is "") glossary terms of text: the
// leftmost match wins, then the one of higher priority (a code span over a
// URL inside it, a URL over an e-mail address or ID inside it), and among
// names and terms the longest, a name on a tie. Matches never overlap.
func (g *Glossary) spans(text, lang string) []span {
	type cand struct {
		span
		prio int
	}
	var cs []cand
	for prio, re := range tokenPatterns {
		for _, m := range re.FindAllStringIndex(text, -1) {
			s, e := m[0], m[1]
			if prio == 1 { // a URL does not end in sentence punctuation
				for e > s && strings.ContainsRune(".,;:!?)]'", rune(text[e-1])) {
					if text[e-1] == ')' && strings.Count(text[s:e], "(") >= strings.Count(text[s:e], ")") {
						break
					}
					e--
				}
			}
			if e > s {
				cs = append(cs, cand{span{s, e, kindToken}, prio})
			}
		}
	}
	names := len(tokenPatterns)
	if g != nil && g.keepRE != nil {
		for _, m := range g.keepRE.FindAllStringIndex(text, -1) {
			cs = append(cs, cand{span{m[0], m[1], kindToken}, names})
		}
	}
	if re := g.termsRE(lang); re != nil {
		for _, m := range re.FindAllStringIndex(text, -1) {
			cs = append(cs, cand{span{m[0], m[1], kindTerm}, names})
		}
	}
	for _, m := range dateSpans(text) {
		cs = append(cs, cand{span{m[0], m[1], kindDate}, names + 1})
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.prio != b.prio {
			return a.prio < b.prio
		}
		if a.end != b.end {
			return a.end > b.end
		}
		return a.kind < b.kind
	})
	var out []span
	end := 0
	for _, c := range cs {
		if c.start < end {
			continue
		}
		out = append(out, c.span)
		end = c.end
	}
	return out
}

// termsRE is the pattern of the enforced terms for lang, or nil.
func (g *Glossary) termsRE(lang string) *regexp.Regexp {
	if g == nil || lang == "" {
		return nil
	}
	return g.termRE[baseLang(lang)]
}

// term returns the entry of lang whose source is s.
func (g *Glossary) term(lang, s string) Term { return g.byTerm[baseLang(lang)][s] }

// Tokens returns the protected tokens of text in order: item IDs, URLs,
// e-mail addresses, PowerShell cmdlets, code spans and the names never to
// translate. Glossary terms with a translation and dates are not tokens.
func (g *Glossary) Tokens(text string) []string {
	var out []string
	for _, s := range g.spans(text, "") {
		if s.kind == kindToken {
			out = append(out, text[s.start:s.end])
		}
	}
	return out
}

// termHandling says how glossary terms with a translation travel to a
// provider.
type termHandling int

// The ways a provider can be given the glossary's terms.
const (
	// termsReplaced sends each term already translated, protected like a
	// token (translators without a glossary feature).
	termsReplaced termHandling = iota
	// termsAsText sends the term as it is: the provider applies the
	// entries itself (a DeepL glossary, the prompt of a model, the
	// shipped memory).
	termsAsText
	// termsDictionary wraps each term in Azure's dynamic dictionary markup,
	// <mstrans:dictionary translation="…">term</mstrans:dictionary>.
	termsDictionary
)

// protected is one text prepared for a provider.
type protected struct {
	sent   string   // what the provider receives
	subst  []string // what placeholder n stands for (MarkupPlaceholder)
	keep   []string // what must come back verbatim, in order
	terms  []Term   // the enforced glossary terms of the text, in order
	lang   string   // the target language
	strict bool     // the text itself has bracketed numbers: accept only ⟦n⟧
}

const (
	xmlOpen   = "<x>"
	xmlClose  = "</x>"
	htmlOpen  = `<span class="notranslate">`
	htmlClose = "</span>"
	dictClose = "</mstrans:dictionary>"
)

// protect marks the protected tokens, dates and glossary terms of text
// for a provider with markup m that takes terms as th, translating into
// lang.
func (g *Glossary) protect(text string, m Markup, th termHandling, lang string) protected {
	if m == MarkupNone {
		th = termsAsText
	}
	p := protected{lang: lang, strict: placeholderVariantRE.MatchString(text)}
	var b strings.Builder
	esc := func(s string) string { return s }
	if m != MarkupPlaceholder && m != MarkupNone {
		esc = html.EscapeString
	}
	// mark writes s as a protected token that comes back as back.
	mark := func(s, back string) {
		switch m {
		case MarkupXML:
			b.WriteString(xmlOpen + esc(s) + xmlClose)
		case MarkupHTML, MarkupHTMLDictionary:
			b.WriteString(htmlOpen + esc(s) + htmlClose)
		case MarkupPlaceholder:
			b.WriteString(placeholder(len(p.subst)))
			p.subst = append(p.subst, back)
		default:
			b.WriteString(s)
		}
	}
	last := 0
	for _, s := range g.spans(text, lang) {
		tok := text[s.start:s.end]
		b.WriteString(esc(text[last:s.start]))
		last = s.end
		switch s.kind {
		case kindToken:
			p.keep = append(p.keep, tok)
			mark(tok, tok)
		case kindDate:
			if m == MarkupNone {
				b.WriteString(tok)
				continue
			}
			p.keep = append(p.keep, tok)
			mark(tok, tok)
		case kindTerm:
			t := g.term(lang, tok)
			p.terms = append(p.terms, t)
			switch th {
			case termsAsText:
				b.WriteString(esc(tok))
			case termsDictionary:
				b.WriteString(`<mstrans:dictionary translation="` + html.EscapeString(t.Target) + `">` + esc(tok) + dictClose)
			default:
				mark(t.Target, t.Target)
			}
		}
	}
	b.WriteString(esc(text[last:]))
	p.sent = b.String()
	return p
}

func placeholder(i int) string { return "⟦" + strconv.Itoa(i) + "⟧" }

var (
	// placeholderRE reads ⟦n⟧ and what models make of it: other brackets
	// (【0】, 〚0〛, 〖0〗, ［0］, [[0]]) and full-width digits (⟦０⟧).
	placeholderRE = regexp.MustCompile(`(?:⟦|【|〚|〖|〘|\[\[|［［?)\s*([0-9０-９]+)\s*(?:⟧|】|〛|〗|〙|\]\]|］］?)`)
	// strictPlaceholderRE is for a text that itself has such brackets.
	strictPlaceholderRE  = regexp.MustCompile(`⟦\s*([0-9０-９]+)\s*⟧`)
	placeholderVariantRE = regexp.MustCompile(`(?:【|〚|〖|〘|\[\[|［)\s*[0-9０-９]+\s*(?:】|〛|〗|〙|\]\]|］)`)
	spanOpenRE           = regexp.MustCompile(`<span\s+class\s*=\s*["']?notranslate["']?\s*>`)
	dictTagRE            = regexp.MustCompile(`<mstrans:dictionary\b[^>]*>|</mstrans:dictionary\s*>`)
	xmlTagRE             = regexp.MustCompile(`<x\s*>|</x\s*>|<x\s*/>`)
)

// placeholderIndex reads the number of a placeholder, full-width digits
// included.
func placeholderIndex(digits string) (int, error) {
	var b strings.Builder
	for _, r := range digits {
		if r >= '０' && r <= '９' {
			r = '0' + (r - '０')
		}
		b.WriteRune(r)
	}
	return strconv.Atoi(b.String())
}

// restore turns a provider's output back into plain text and checks it:
// every protected token survived exactly (the same tokens, each as often
// as in the source) and every glossary term of the source appears in its
// translation. A term the translator left in English is replaced by its
// translation first. On failure it returns an error wrapping
// ErrProtectedToken or ErrGlossaryTerm.
func (g *Glossary) restore(out string, p protected, m Markup) (string, error) {
	switch m {
	case MarkupXML:
		out = html.UnescapeString(xmlTagRE.ReplaceAllString(out, ""))
	case MarkupHTML, MarkupHTMLDictionary:
		out = spanOpenRE.ReplaceAllString(out, "")
		out = dictTagRE.ReplaceAllString(out, "")
		out = strings.ReplaceAll(out, htmlClose, "")
		out = html.UnescapeString(out)
	case MarkupPlaceholder:
		re := placeholderRE
		if p.strict {
			re = strictPlaceholderRE
		}
		seen := make([]int, len(p.subst))
		var bad error
		out = re.ReplaceAllStringFunc(out, func(s string) string {
			n, err := placeholderIndex(re.FindStringSubmatch(s)[1])
			if err != nil || n >= len(p.subst) {
				bad = fmt.Errorf("unknown placeholder %q: %w", s, ErrProtectedToken)
				return s
			}
			seen[n]++
			return p.subst[n]
		})
		if bad != nil {
			return "", bad
		}
		for i, c := range seen {
			if c != 1 {
				return "", fmt.Errorf("placeholder %s appears %d times: %w", placeholder(i), c, ErrProtectedToken)
			}
		}
	}
	if strings.TrimSpace(out) == "" {
		return "", ErrNoTranslation
	}
	out = g.enforce(out, p.terms, p.lang)
	rest := out
	for _, t := range p.terms {
		rest = strings.ReplaceAll(rest, t.Target, " ")
	}
	if err := g.check(p.keep, rest); err != nil {
		return "", err
	}
	var missing []string
	for i, t := range p.terms {
		if !strings.Contains(out, t.Target) && !slicesContainsTerm(p.terms[:i], t) {
			missing = append(missing, fmt.Sprintf("%q as %q", t.Source, t.Target))
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("check glossary terms: %w: %s", ErrGlossaryTerm, strings.Join(missing, ", "))
	}
	return out, nil
}

func slicesContainsTerm(ts []Term, t Term) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// enforce replaces the glossary terms of terms that the translation still
// has in English (outside protected tokens) by their translation, and
// drops the space that then stands between two Japanese characters
// ("… Current Channel または …" → "…最新チャネルまたは…").
func (g *Glossary) enforce(out string, terms []Term, lang string) string {
	if len(terms) == 0 {
		return out
	}
	want := map[string]Term{}
	for _, t := range terms {
		want[t.Source] = t
	}
	var b strings.Builder
	last := 0
	for _, sp := range g.spans(out, lang) {
		t, ok := want[out[sp.start:sp.end]]
		if sp.kind != kindTerm || !ok {
			continue
		}
		before := out[last:sp.start]
		if r, _ := utf8.DecodeRuneInString(t.Target); isJapanese(r) && strings.HasSuffix(before, " ") {
			if p, _ := utf8.DecodeLastRuneInString(strings.TrimSuffix(before, " ")); isJapanese(p) {
				before = strings.TrimSuffix(before, " ")
			}
		}
		b.WriteString(before)
		b.WriteString(t.Target)
		last = sp.end
		if r, _ := utf8.DecodeLastRuneInString(t.Target); isJapanese(r) && strings.HasPrefix(out[last:], " ") {
			if n, _ := utf8.DecodeRuneInString(out[last+1:]); isJapanese(n) {
				last++
			}
		}
	}
	b.WriteString(out[last:])
	return b.String()
}

// isJapanese reports whether r is kana, a kanji, Japanese punctuation or a
// full-width form: a character Microsoft's Japanese puts no space next to
// when its neighbour is Japanese too.
func isJapanese(r rune) bool {
	switch {
	case r >= 0x3000 && r <= 0x30FF, // punctuation, hiragana, katakana
		r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xF900 && r <= 0xFAFF, // kanji
		r >= 0xFF00 && r <= 0xFFEF: // full-width forms
		return true
	}
	return false
}

// check verifies that out contains each of want exactly as often as want
// lists it, scanning out with the same rules as the source (dates
// included).
func (g *Glossary) check(want []string, out string) error {
	if len(want) == 0 {
		return nil
	}
	need := map[string]int{}
	for _, t := range want {
		need[t]++
	}
	got := map[string]int{}
	for _, s := range g.spans(out, "") {
		got[out[s.start:s.end]]++
	}
	var errs []error
	for _, t := range want {
		if need[t] < 0 {
			continue
		}
		if got[t] != need[t] {
			errs = append(errs, fmt.Errorf("%q expected %d times, found %d", t, need[t], got[t]))
		}
		need[t] = -1
	}
	if len(errs) > 0 {
		return fmt.Errorf("check protected tokens: %w: %w", ErrProtectedToken, errors.Join(errs...))
	}
	return nil
}
