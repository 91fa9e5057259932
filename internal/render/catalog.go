package render

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
)

// The message catalogs: one JSON file per language in catalog/, named by
// its BCP 47 tag ("en.json", "ja.json"), each a flat object of key → text.
// Keys are grouped by prefix: label.* (field labels), value.*, punct.*
// (colons, quotes, list separators), format.datetime and weekday.0–6 (date
// layout), change.* (the "What changed" templates), block.*, note.*,
// removed.*, post.* (the section labels inside Microsoft's posts),
// sentence.* (sentences Microsoft writes verbatim), status.*,
// classification.*, origin.*, category.*, severity.*, postType.* (enum
// values by their wire spelling), service.* and tag.* (display names by
// their English spelling). Templates name their arguments in braces:
// "New post ({time})". A key missing from a language falls back to English,
// and an enum value or name missing from the catalog is shown verbatim.
// Adding a language is adding a file: no code changes.
//
//go:embed catalog/*.json
var catalogFS embed.FS

// catalogs are parsed once, on first use, and never modified afterwards.
var catalogs = sync.OnceValue(func() map[string]map[string]string {
	out, err := loadCatalogs()
	if err != nil {
		panic(err) // the files are embedded: a test catches a bad one before it ships
	}
	return out
})

func loadCatalogs() (map[string]map[string]string, error) {
	files, err := catalogFS.ReadDir("catalog")
	if err != nil {
		return nil, fmt.Errorf("read catalogs: %w", err)
	}
	out := map[string]map[string]string{}
	for _, f := range files {
		if f.IsDir() || path.Ext(f.Name()) != ".json" {
			continue
		}
		b, err := catalogFS.ReadFile("catalog/" + f.Name())
		if err != nil {
			return nil, fmt.Errorf("read catalog %s: %w", f.Name(), err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("parse catalog %s: %w", f.Name(), err)
		}
		out[strings.ToLower(strings.TrimSuffix(f.Name(), ".json"))] = m
	}
	if out["en"] == nil {
		return nil, fmt.Errorf("load catalogs: no en.json")
	}
	return out, nil
}

// Languages returns the languages that have a catalog, sorted ("en", "ja").
func Languages() []string {
	var out []string
	for l := range catalogs() {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// catalogLang returns the catalog language for a requested one: the tag
// itself ("ja"), else its primary subtag ("ja-JP" → "ja"), else "en". An
// empty tag is English.
func catalogLang(lang string) string {
	l := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(lang), "_", "-"))
	cs := catalogs()
	if _, ok := cs[l]; ok {
		return l
	}
	if i := strings.IndexByte(l, '-'); i > 0 {
		if _, ok := cs[l[:i]]; ok {
			return l[:i]
		}
	}
	return "en"
}

// isEnglish reports whether lang asks for English (or nothing).
func isEnglish(lang string) bool {
	l := strings.ToLower(strings.TrimSpace(lang))
	return l == "" || l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_")
}

// Phrase returns the catalog text of key in lang, falling back to English
// and then to the key itself. Formatters use it for their fixed words
// ("label.whatChanged"); the keys are listed in catalog/en.json.
func Phrase(lang, key string) string {
	cs := catalogs()
	if v, ok := cs[catalogLang(lang)][key]; ok {
		return v
	}
	if v, ok := cs["en"][key]; ok {
		return v
	}
	return key
}

// fill replaces each {name} of a template by its value; kv alternates names
// and values. Values are inserted once and never scanned again; a {name}
// that kv does not name stays as it is, and when kv names one twice the
// first wins (strings.Replacer's rules, without building one per call: the
// dashboard fills a time format for every row it shows).
func fill(tmpl string, kv ...string) string {
	if len(kv) < 2 || strings.IndexByte(tmpl, '{') < 0 {
		return tmpl
	}
	var b strings.Builder
	b.Grow(len(tmpl) + 16)
	rest := tmpl
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			break
		}
		b.WriteString(rest[:open])
		rest = rest[open:]
		if v, n, ok := fillValue(rest, kv); ok {
			b.WriteString(v)
			rest = rest[n:]
			continue
		}
		b.WriteByte('{')
		rest = rest[1:]
	}
	b.WriteString(rest)
	return b.String()
}

// fillValue is the value of the {name} that s starts with and the length of
// that placeholder, when kv names it.
func fillValue(s string, kv []string) (string, int, bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return "", 0, false
	}
	name := s[1:end]
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == name {
			return kv[i+1], end + 1, true
		}
	}
	return "", 0, false
}
