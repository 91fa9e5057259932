package render

import (
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/htmltext"
)

// The rendering modes of a non-English notice (Options.Mode).
const (
	// ModeBilingual shows the localized notice, then the English notice
	// under the heading of the original (原文) (the default).
	ModeBilingual = "bilingual"
	// ModeTranslated shows the localized notice only.
	ModeTranslated = "translated"
	// ModeSideBySide shows original and translation next to each other:
	// two columns in Markdown, paragraph after paragraph in text.
	ModeSideBySide = "side-by-side"
)

// tr renders the words of one notice in one language: catalog texts,
// enum values, names, dates and (through Options.Prose) translated prose.
type tr struct {
	lang  string // catalog language; "en" renders exactly the English notice
	loc   *time.Location
	prose func(string) (string, bool)
	// hits counts the prose lookups that found a translation, misses the
	// texts shown marked as untranslated, for the translation note.
	hits, misses int
}

func newTr(lang string, o Options) *tr {
	l := &tr{lang: "en", loc: o.Location}
	if !isEnglish(lang) {
		l.lang = catalogLang(lang)
		l.prose = o.Prose
		if l.lang == "en" {
			l.lang = strings.ToLower(strings.TrimSpace(lang)) // no catalog: English words, translated prose
		}
	}
	return l
}

func (l *tr) english() bool { return isEnglish(l.lang) }

// t is the catalog text of key.
func (l *tr) t(key string) string { return Phrase(l.lang, key) }

// f fills the template key with kv (name, value, …).
func (l *tr) f(key string, kv ...string) string { return fill(l.t(key), kv...) }

// time formats a time in the reader's zone and language.
func (l *tr) time(t time.Time) string { return FormatTimeIn(t, l.loc, l.lang) }

// name looks up group+"."+v (an enum value, a service, a tag) and shows an
// unknown value verbatim.
func (l *tr) name(group, v string) string {
	if v == "" {
		return ""
	}
	if s, ok := catalogs()[catalogLang(l.lang)][group+"."+v]; ok {
		return s
	}
	return v
}

func (l *tr) names(group string, vs []string) []string {
	out := make([]string, len(vs))
	for k, v := range vs {
		out[k] = l.name(group, v)
	}
	return out
}

func (l *tr) quote(s string) string { return l.f("punct.quote", "text", s) }

func (l *tr) arrow(from, to string) string {
	if from == "" {
		from = l.t("value.none")
	}
	if to == "" {
		to = l.t("value.none")
	}
	return l.f("punct.arrow", "from", from, "to", to)
}

// date formats a date without its time (an action-required date) in the
// reader's language: the UTC day of midnight UTC, else the day in the
// reader's zone (FormatDateIn).
func (l *tr) date(t time.Time) string { return FormatDateIn(t, l.loc, l.lang) }

// dateText formats an RFC 3339 change value as a date (dateText is to
// date what timeText is to time); other text is returned as it is.
func (l *tr) dateText(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if s == "" {
			return l.t("value.noTime")
		}
		return s
	}
	return l.date(t)
}

// maskedDate formats a date maskDates took out of a prose unit: a time
// in the reader's zone and language, a date-only phrase as a date, a
// month or a part of one ("2024年6月30日(日)", "2024年6月上旬").
func (l *tr) maskedDate(d maskedDate) string {
	if d.DateOnly {
		return FormatPhraseIn(d.Phrase, l.lang)
	}
	return l.time(d.At)
}

// lookup returns the translation of one prose unit, or false. The dates
// in it, with a time or without, were masked for the translator and are
// written here in the reader's language; a unit of nothing but dates needs
// no translation.
func (l *tr) lookup(s string) (string, bool) {
	if l.english() || !isProse(s) {
		return s, true
	}
	masked, dates := maskDates(s)
	if onlyDates(masked, dates) {
		return unmaskDates(masked, dates, l.maskedDate), true
	}
	if l.prose != nil {
		if t, ok := l.prose(masked); ok && strings.TrimSpace(t) != "" {
			l.hits++
			return unmaskDates(t, dates, l.maskedDate), true
		}
	}
	return s, false
}

// text returns the translation of one prose unit, or the original marked
// as such ("（原文）…"): an untranslated text is never shown silently.
//
// The original stays Microsoft's words, dates included, since it is
// labelled as the original; but a date with a time in it gets the
// reader's local time after it ("… at 7:00 PM UTC（2023年5月26日(金) 4:00
// JST）"), so that a Japanese admin never converts from UTC by hand.
// Date-only phrases ("by June 30, 2024") stay as written: they need no
// conversion, and the key dates (action required by, start, end, next
// update) are fields the catalog writes anyway.
func (l *tr) text(s string) string {
	if t, ok := l.lookup(s); ok {
		return t
	}
	l.misses++
	return l.t("note.untranslated") + l.localTimes(s)
}

// localTimes adds the reader's local time after each date with a time in
// an untranslated text.
func (l *tr) localTimes(s string) string {
	return inlineDate.ReplaceAllStringFunc(s, func(m string) string {
		t, ok := parseProseDate(m)
		if !ok {
			return m
		}
		return m + l.f("punct.localTime", "time", l.time(t))
	})
}

// quiet returns the translation of s or else s unmarked; for the subject
// line, where the body says what was not translated.
func (l *tr) quiet(s string) string {
	t, _ := l.lookup(s)
	return t
}

// body localizes plain text paragraph by paragraph (Message Center sections).
func (l *tr) body(s string) string {
	if l.english() {
		return s
	}
	return proseParas(s, l.text)
}

// post renders a post's content: in English exactly Microsoft's text, in
// another language rebuilt from its sections with labels, dates and known
// sentences from the catalog and only the prose translated.
func (l *tr) post(content string) string {
	text := htmltext.Text(content)
	if l.english() {
		return text
	}
	var parts []string
	for _, s := range ParsePost(text) {
		switch {
		case s.Sentence != "":
			parts = append(parts, l.t("sentence."+s.Sentence))
		case s.Label == "":
			parts = append(parts, l.body(s.Text))
		case !s.Time.IsZero():
			parts = append(parts, l.t("post."+s.Label)+l.t("punct.labelSep")+l.time(s.Time))
		default:
			label := l.t("post." + s.Label)
			body := l.body(s.Text)
			switch {
			case body == "":
				parts = append(parts, strings.TrimSpace(label+l.t("punct.labelSep")))
			case listLine.MatchString(strings.SplitN(s.Text, "\n", 2)[0]):
				parts = append(parts, strings.TrimSpace(label+l.t("punct.labelSep"))+"\n"+body)
			default:
				parts = append(parts, label+l.t("punct.labelSep")+body)
			}
		}
	}
	return strings.Join(parts, "\n\n")
}

// truncate is truncate with the catalog's note.
func (l *tr) truncate(s string, max int) string {
	return truncateNote(s, max, l.t("note.truncated"))
}
