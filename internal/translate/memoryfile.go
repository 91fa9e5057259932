package translate

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/store"
)

// MemoryProviderName is the provider name of shipped translations.
const MemoryProviderName = "memory"

// MemoryFile is the JSON form of a shipped translation memory such as
// internal/demo/scenario/translations.ja.json.
type MemoryFile struct {
	// Comment says who wrote the translations (a "_comment" key).
	Comment string `json:"_comment"`
	// Source and Target are the languages, e.g. "en" and "ja".
	Source string `json:"source"`
	Target string `json:"target"`
	// Entries are the source texts with their translations.
	Entries []MemoryEntry `json:"entries"`
}

// MemoryEntry is one shipped translation.
type MemoryEntry struct {
	Source string `json:"en"`
	Target string `json:"ja"`
}

// MemoryProvider serves a shipped translation memory as a Provider named
// "memory", so that the demo goes through the same Service, memory lookup
// and token checks as production. A text it does not hold comes back
// empty, which the Service counts as a failure and leaves untranslated.
type MemoryProvider struct {
	src, dst string
	comment  string
	byHash   map[string]string
	sources  map[string]string // hash → the entry's source text
}

var (
	_ Provider = (*MemoryProvider)(nil)
	_ Marker   = (*MemoryProvider)(nil)
)

// LoadMemoryFile parses a shipped translation memory. Entries whose source
// texts normalize alike must agree; empty texts are errors.
func LoadMemoryFile(data []byte) (*MemoryProvider, error) {
	var f MemoryFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("load translation memory file: %w", err)
	}
	if f.Source == "" || f.Target == "" {
		return nil, fmt.Errorf("load translation memory file: source and target languages are required")
	}
	m := &MemoryProvider{src: f.Source, dst: f.Target, comment: f.Comment, byHash: map[string]string{}, sources: map[string]string{}}
	for i, e := range f.Entries {
		if strings.TrimSpace(e.Source) == "" || strings.TrimSpace(e.Target) == "" {
			return nil, fmt.Errorf("load translation memory file: entry %d: empty text", i)
		}
		h := TextHash(e.Source)
		if old, ok := m.byHash[h]; ok && old != e.Target {
			return nil, fmt.Errorf("load translation memory file: entry %d: %.40q translated twice, differently", i, e.Source)
		}
		m.byHash[h] = e.Target
		m.sources[h] = e.Source
	}
	return m, nil
}

// Name returns "memory".
func (m *MemoryProvider) Name() string { return MemoryProviderName }

// Limits are unlimited.
func (m *MemoryProvider) Limits() Limits { return Limits{} }

// Markup returns MarkupNone: entries are keyed by the plain source text.
func (m *MemoryProvider) Markup() Markup { return MarkupNone }

// Len is the number of distinct entries.
func (m *MemoryProvider) Len() int { return len(m.byHash) }

// Languages returns the memory's source and target languages.
func (m *MemoryProvider) Languages() (src, dst string) { return m.src, m.dst }

// Comment returns the file's statement of origin.
func (m *MemoryProvider) Comment() string { return m.comment }

// Lookup returns the shipped translation of text.
func (m *MemoryProvider) Lookup(text string) (string, bool) {
	t, ok := m.byHash[TextHash(text)]
	return t, ok
}

// Translate answers from the shipped entries; unknown texts and other
// language pairs come back empty.
func (m *MemoryProvider) Translate(_ context.Context, texts []string, src, dst string) ([]string, error) {
	out := make([]string, len(texts))
	if src != m.src || dst != m.dst {
		return out, nil
	}
	for i, t := range texts {
		out[i] = m.byHash[TextHash(t)]
	}
	return out, nil
}

// Seed writes every entry into mem under the "memory" provider and the
// given glossary version, so that lookups hit without a provider call.
func (m *MemoryProvider) Seed(ctx context.Context, mem Memory, glossaryVersion string, at time.Time) error {
	for h, t := range m.byHash {
		k := store.TranslationKey{Hash: h, Source: m.src, Target: m.dst, Provider: MemoryProviderName, GlossaryVersion: glossaryVersion}
		if err := mem.PutTranslation(ctx, k, t, at); err != nil {
			return fmt.Errorf("seed translation memory: %w", err)
		}
	}
	return nil
}

// SeedGlossary is Seed under g's version with each entry passed through
// g's checks as the Service passes a translation: a term of g's list for
// the target language that the entry kept in English becomes its
// translation ("Exchange admin center の" → "Exchange 管理センターの"). An
// entry that fails the checks (a lost product name) is an error.
func (m *MemoryProvider) SeedGlossary(ctx context.Context, mem Memory, g *Glossary, at time.Time) error {
	for h, t := range m.byHash {
		p := g.protect(m.sources[h], MarkupNone, termsAsText, m.dst)
		tr, err := g.restore(t, p, MarkupNone)
		if err != nil {
			return fmt.Errorf("seed translation memory: entry %.40q: %w", m.sources[h], err)
		}
		k := store.TranslationKey{Hash: h, Source: m.src, Target: m.dst, Provider: MemoryProviderName, GlossaryVersion: g.Version()}
		if err := mem.PutTranslation(ctx, k, tr, at); err != nil {
			return fmt.Errorf("seed translation memory: %w", err)
		}
	}
	return nil
}
