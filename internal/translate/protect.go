package translate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

//go:embed glossary.txt
var defaultGlossary []byte

// Glossary is the list of product and feature names that are never sent to
// a translator, with a version (a hash of its text) that is part of every
// memory key. A Glossary is immutable and safe for concurrent use.
type Glossary struct {
	terms   []string
	version string
	re      *regexp.Regexp // nil when there are no terms
}

// DefaultGlossary returns the glossary shipped with shdmc (glossary.txt).
func DefaultGlossary() *Glossary {
	g, err := ParseGlossary(defaultGlossary)
	if err != nil {
		// The embedded file is tested; a failure here is a build defect.
		panic(fmt.Sprintf("parse embedded glossary: %v", err))
	}
	return g
}

// ParseGlossary reads a glossary: one term per line, blank lines and lines
// starting with "#" ignored, surrounding white space trimmed. Its version is
// the first 12 hex digits of the SHA-256 of data.
func ParseGlossary(data []byte) (*Glossary, error) {
	sum := sha256.Sum256(data)
	g := &Glossary{version: hex.EncodeToString(sum[:])[:12]}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if !utf8.ValidString(t) {
			return nil, fmt.Errorf("parse glossary: line %d: invalid UTF-8", line)
		}
		t = collapseSpace(t)
		if !seen[t] {
			seen[t] = true
			g.terms = append(g.terms, t)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse glossary: %w", err)
	}
	if len(g.terms) > 0 {
		byLen := append([]string(nil), g.terms...)
		sort.SliceStable(byLen, func(i, j int) bool { return len(byLen[i]) > len(byLen[j]) })
		alts := make([]string, len(byLen))
		for i, t := range byLen {
			alts[i] = regexp.QuoteMeta(t)
		}
		// \b is ASCII-only, so a term followed by Japanese ("Teamsの") still
		// matches, and "OME" does not match inside "OMEv2".
		re, err := regexp.Compile(`(?:^|\b)(?:` + strings.Join(alts, "|") + `)(?:\b|$)`)
		if err != nil {
			return nil, fmt.Errorf("parse glossary: %w", err)
		}
		g.re = re
	}
	return g, nil
}

// Version identifies the glossary's content.
func (g *Glossary) Version() string { return g.version }

// Terms returns the glossary's terms in file order.
func (g *Glossary) Terms() []string { return append([]string(nil), g.terms...) }

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

// span is a protected token's byte range in a text.
type span struct{ start, end int }

// tokenSpans finds the protected tokens of text: the leftmost, then longest
// match wins and matches never overlap.
func (g *Glossary) tokenSpans(text string) []span {
	type cand struct {
		span
		prio int
	}
	var cs []cand
	pats := tokenPatterns
	if g != nil && g.re != nil {
		pats = append(append([]*regexp.Regexp(nil), tokenPatterns...), g.re)
	}
	for prio, re := range pats {
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
				cs = append(cs, cand{span{s, e}, prio})
			}
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].start != cs[j].start {
			return cs[i].start < cs[j].start
		}
		if cs[i].prio != cs[j].prio {
			return cs[i].prio < cs[j].prio
		}
		return cs[i].end > cs[j].end
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

// Tokens returns the protected tokens of text in order: item IDs, URLs,
// e-mail addresses, PowerShell cmdlets, code spans and glossary terms.
func (g *Glossary) Tokens(text string) []string {
	var out []string
	for _, s := range g.tokenSpans(text) {
		out = append(out, text[s.start:s.end])
	}
	return out
}

// protected is one text prepared for a provider.
type protected struct {
	sent   string   // what the provider receives
	tokens []string // the protected tokens, in order
}

const (
	xmlOpen   = "<x>"
	xmlClose  = "</x>"
	htmlOpen  = `<span class="notranslate">`
	htmlClose = "</span>"
)

// protect marks the protected tokens of text in the markup m.
func (g *Glossary) protect(text string, m Markup) protected {
	spans := g.tokenSpans(text)
	p := protected{tokens: make([]string, len(spans))}
	var b strings.Builder
	esc := func(s string) string { return s }
	if m == MarkupXML || m == MarkupHTML {
		esc = html.EscapeString
	}
	last := 0
	for i, s := range spans {
		tok := text[s.start:s.end]
		p.tokens[i] = tok
		b.WriteString(esc(text[last:s.start]))
		switch m {
		case MarkupXML:
			b.WriteString(xmlOpen + esc(tok) + xmlClose)
		case MarkupHTML:
			b.WriteString(htmlOpen + esc(tok) + htmlClose)
		case MarkupPlaceholder:
			b.WriteString(placeholder(i))
		default:
			b.WriteString(tok)
		}
		last = s.end
	}
	b.WriteString(esc(text[last:]))
	p.sent = b.String()
	return p
}

func placeholder(i int) string { return "⟦" + strconv.Itoa(i) + "⟧" }

var (
	placeholderRE = regexp.MustCompile(`⟦\s*(\d+)\s*⟧`)
	spanOpenRE    = regexp.MustCompile(`<span\s+class\s*=\s*["']?notranslate["']?\s*>`)
	xmlTagRE      = regexp.MustCompile(`<x\s*>|</x\s*>|<x\s*/>`)
)

// restore turns a provider's output back into plain text and checks that
// every protected token survived exactly (the same tokens, each as often as
// in the source). On failure it returns an error wrapping
// ErrProtectedToken.
func (g *Glossary) restore(out string, p protected, m Markup) (string, error) {
	switch m {
	case MarkupXML:
		out = html.UnescapeString(xmlTagRE.ReplaceAllString(out, ""))
	case MarkupHTML:
		out = spanOpenRE.ReplaceAllString(out, "")
		out = strings.ReplaceAll(out, htmlClose, "")
		out = html.UnescapeString(out)
	case MarkupPlaceholder:
		seen := make([]int, len(p.tokens))
		var bad error
		out = placeholderRE.ReplaceAllStringFunc(out, func(s string) string {
			n, err := strconv.Atoi(placeholderRE.FindStringSubmatch(s)[1])
			if err != nil || n >= len(p.tokens) {
				bad = fmt.Errorf("unknown placeholder %q: %w", s, ErrProtectedToken)
				return s
			}
			seen[n]++
			return p.tokens[n]
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
	if err := g.check(p.tokens, out); err != nil {
		return "", err
	}
	return out, nil
}

// check verifies that out contains each of want exactly as often as want
// lists it, scanning out with the same rules as the source.
func (g *Glossary) check(want []string, out string) error {
	if len(want) == 0 {
		return nil
	}
	need := map[string]int{}
	for _, t := range want {
		need[t]++
	}
	got := map[string]int{}
	for _, t := range g.Tokens(out) {
		got[t]++
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
