package translate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

//go:embed glossary.txt
var defaultGlossary []byte

// Glossary holds the two lists that steer a translator: the names that are
// never translated (product and feature names, sent as protected tokens
// and checked to come back verbatim) and, per target language, terms with
// the translation Microsoft uses for them (admin center → 管理センター),
// which each provider is given in its own way and which are checked to
// appear in the translation. Its version (a hash of its text) is part of
// every memory key. A Glossary is immutable and safe for concurrent use.
type Glossary struct {
	keep    []string
	terms   map[string][]Term // by target language ("ja")
	version string
	keepRE  *regexp.Regexp              // nil when there are no names to keep
	termRE  map[string]*regexp.Regexp   // the enforced terms of a language
	termOne map[string][]*regexp.Regexp // each term of terms[lang] alone
	byTerm  map[string]map[string]Term
}

// Term is one entry of a glossary's term → translation list.
type Term struct {
	// Source is the English term, matched case-sensitively on word
	// boundaries.
	Source string
	// Target is its translation.
	Target string
	// Preferred marks an entry written "term ~ 訳語": a preference told to
	// a model in its prompt, neither enforced nor checked, for everyday
	// words whose translation depends on the sentence ("fix" as a noun or
	// a verb).
	Preferred bool
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

// ParseGlossary reads a glossary file. Blank lines and lines starting with
// "#" are ignored and white space is trimmed and collapsed. Lines before
// any section header, and lines under "[keep]", are names never to
// translate, one per line (a file without sections, the older format, is
// such a list). Under a language header such as "[ja]" each line is
// "English term = translation" (enforced and checked) or "English term ~
// translation" (a preference for models only). Its version is the first 12
// hex digits of the SHA-256 of data.
func ParseGlossary(data []byte) (*Glossary, error) {
	sum := sha256.Sum256(data)
	g := &Glossary{version: hex.EncodeToString(sum[:])[:12], terms: map[string][]Term{},
		termRE: map[string]*regexp.Regexp{}, termOne: map[string][]*regexp.Regexp{}, byTerm: map[string]map[string]Term{}}
	keepSeen := map[string]int{}
	termLine := map[string]map[string]int{}
	section := "keep"
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
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			s := strings.ToLower(strings.TrimSpace(t[1 : len(t)-1]))
			if s != "keep" && !langSectionRE.MatchString(s) {
				return nil, fmt.Errorf("parse glossary: line %d: section %s is neither [keep] nor a language such as [ja]", line, t)
			}
			section = baseLang(s)
			if s == "keep" {
				section = "keep"
			}
			continue
		}
		t = collapseSpace(t)
		if section == "keep" {
			if _, ok := keepSeen[t]; !ok {
				keepSeen[t] = line
				g.keep = append(g.keep, t)
			}
			continue
		}
		term, err := parseTerm(t)
		if err != nil {
			return nil, fmt.Errorf("parse glossary: line %d: %w", line, err)
		}
		if termLine[section] == nil {
			termLine[section] = map[string]int{}
			g.byTerm[section] = map[string]Term{}
		}
		if prev, ok := g.byTerm[section][term.Source]; ok {
			if prev != term {
				return nil, fmt.Errorf("parse glossary: line %d: [%s] %q is also on line %d, differently", line, section, term.Source, termLine[section][term.Source])
			}
			continue
		}
		termLine[section][term.Source] = line
		g.byTerm[section][term.Source] = term
		g.terms[section] = append(g.terms[section], term)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse glossary: %w", err)
	}
	for lang, lines := range termLine {
		for src, l := range lines {
			if kl, ok := keepSeen[src]; ok {
				return nil, fmt.Errorf("parse glossary: line %d: %q is a [keep] name (line %d) and a [%s] term", l, src, kl, lang)
			}
		}
	}
	var err error
	if g.keepRE, err = wordsRE(g.keep); err != nil {
		return nil, fmt.Errorf("parse glossary: %w", err)
	}
	for lang, ts := range g.terms {
		var enforced []string
		for _, t := range ts {
			if !t.Preferred {
				enforced = append(enforced, t.Source)
			}
			re, err := wordsRE([]string{t.Source})
			if err != nil {
				return nil, fmt.Errorf("parse glossary: %w", err)
			}
			g.termOne[lang] = append(g.termOne[lang], re)
		}
		if g.termRE[lang], err = wordsRE(enforced); err != nil {
			return nil, fmt.Errorf("parse glossary: %w", err)
		}
	}
	return g, nil
}

var langSectionRE = regexp.MustCompile(`^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$`)

// parseTerm reads "term = translation" or "term ~ translation".
func parseTerm(s string) (Term, error) {
	i := strings.IndexAny(s, "=~")
	if i < 0 {
		return Term{}, fmt.Errorf("%q is not \"term = translation\" (or \"term ~ translation\")", s)
	}
	t := Term{Source: strings.TrimSpace(s[:i]), Target: strings.TrimSpace(s[i+1:]), Preferred: s[i] == '~'}
	if t.Source == "" || t.Target == "" {
		return Term{}, fmt.Errorf("%q has an empty term or translation", s)
	}
	if strings.ContainsAny(t.Target, "=~") && !t.Preferred {
		return Term{}, fmt.Errorf("%q has more than one \"=\"", s)
	}
	return t, nil
}

// wordsRE matches any of words on word boundaries, the longest first; nil
// when there are none.
func wordsRE(words []string) (*regexp.Regexp, error) {
	if len(words) == 0 {
		return nil, nil
	}
	byLen := append([]string(nil), words...)
	sort.SliceStable(byLen, func(i, j int) bool { return len(byLen[i]) > len(byLen[j]) })
	alts := make([]string, len(byLen))
	for i, t := range byLen {
		alts[i] = regexp.QuoteMeta(t)
	}
	// \b is ASCII-only, so a term followed by Japanese ("Teamsの") still
	// matches, and "OME" does not match inside "OMEv2".
	return regexp.Compile(`(?:^|\b)(?:` + strings.Join(alts, "|") + `)(?:\b|$)`)
}

// baseLang is the primary language subtag of a BCP 47 tag, lower case:
// "ja" for "ja-JP".
func baseLang(tag string) string {
	tag = strings.ToLower(tag)
	if i := strings.IndexAny(tag, "-_"); i > 0 {
		tag = tag[:i]
	}
	return tag
}

// Version identifies the glossary's content.
func (g *Glossary) Version() string { return g.version }

// Terms returns the names never to translate, in file order.
func (g *Glossary) Terms() []string { return append([]string(nil), g.keep...) }

// Translations returns the term → translation entries for the target
// language lang (its primary subtag: "ja-JP" reads [ja]), in file order.
func (g *Glossary) Translations(lang string) []Term {
	return append([]Term(nil), g.terms[baseLang(lang)]...)
}

// TermsIn returns the entries for lang (preferences included) whose term
// occurs in one of texts, in file order: what a prompt needs to mention.
func (g *Glossary) TermsIn(texts []string, lang string) []Term {
	var out []Term
	lang = baseLang(lang)
	for i, t := range g.terms[lang] {
		for _, s := range texts {
			if g.termOne[lang][i].MatchString(s) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}
