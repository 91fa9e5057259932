package translate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/shdmc/shdmc/internal/store"
)

// Normalize is the form of a text whose hash keys the memory: Unicode NFC
// (not NFKC, which would fold full-width and half-width Japanese forms that
// a reader tells apart) with runs of white space collapsed to one space and
// the ends trimmed.
func Normalize(text string) string {
	return collapseSpace(norm.NFC.String(text))
}

// TextHash is the memory key hash of a text: the hex SHA-256 of its
// normalized form.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(Normalize(text)))
	return hex.EncodeToString(sum[:])
}

func collapseSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// Config configures a Service.
type Config struct {
	// MonthlyCharBudget caps the characters sent to the provider per
	// calendar month (UTC); 0 means no cap.
	MonthlyCharBudget int64
	// Glossary lists the names never sent to the translator and the terms
	// with their translation; nil means DefaultGlossary.
	Glossary *Glossary
}

// Option configures a Service beyond Config.
type Option func(*Service)

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(s *Service) {
		if l != nil {
			s.log = l
		}
	}
}

// WithNow sets the clock that dates memory entries and picks the usage
// month; the default is time.Now.
func WithNow(now func() time.Time) Option {
	return func(s *Service) {
		if now != nil {
			s.now = now
		}
	}
}

// Service translates prose units through a memory and one provider. It is
// safe for concurrent use; the budget check is per call, so concurrent
// calls may overshoot the budget by at most one batch each.
type Service struct {
	cfg    Config
	p      Provider
	mem    Memory
	markup Markup
	log    *slog.Logger
	now    func() time.Time
}

// New returns a Service that translates with p and remembers in mem.
func New(cfg Config, p Provider, mem Memory, opts ...Option) *Service {
	if cfg.Glossary == nil {
		cfg.Glossary = DefaultGlossary()
	}
	s := &Service{
		cfg: cfg, p: p, mem: mem, markup: MarkupPlaceholder,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		now: time.Now,
	}
	if m, ok := p.(Marker); ok {
		s.markup = m.Markup()
	}
	for _, o := range opts {
		o(s)
	}
	s.log = s.log.With("provider", p.Name())
	return s
}

// Provider returns the service's provider.
func (s *Service) Provider() Provider { return s.p }

// MemoryKey returns the provider and glossary version under which the
// service keeps its translations in the memory (store.TranslationKey):
// what a reader of the memory, such as the dashboard, must look up.
func (s *Service) MemoryKey() (provider, glossaryVersion string) {
	return memoryProvider(s.p), s.cfg.Glossary.Version()
}

// Glossary returns the glossary in use.
func (s *Service) Glossary() *Glossary { return s.cfg.Glossary }

// Report tells what one TranslateAll call did.
type Report struct {
	// Provider is the provider's name.
	Provider string
	// Texts is the number of distinct (after normalization) non-empty texts.
	Texts int
	// Hits were answered by the memory; Misses went (or would have gone) to
	// the provider.
	Hits, Misses int
	// Translated is the number of misses the provider translated now.
	Translated int
	// Failures is the number of misses left untranslated because the
	// provider failed, returned nothing, or lost a protected token.
	Failures int
	// ProtectedTokenFailures is the part of Failures caused by a lost
	// protected token.
	ProtectedTokenFailures int
	// GlossaryFailures is the part of Failures caused by a glossary term
	// that did not come out in its translated form.
	GlossaryFailures int
	// Requests and CharsSent count the calls to the provider and the
	// characters (runes, markup included) they carried.
	Requests  int
	CharsSent int64
	// BudgetExceeded is true when texts were not sent because the monthly
	// character budget would have been exceeded; the caller must show a
	// visible note.
	BudgetExceeded bool
	// Untranslated lists the texts missing from the returned map.
	Untranslated []string
}

// job is one distinct text to translate.
type job struct {
	key   store.TranslationKey
	texts []string // the callers' spellings that normalize alike
	prot  protected
	chars int
}

// TranslateAll translates texts from src to dst and returns a map from each
// given text to its translation. Texts found in the memory are not sent;
// the rest go to the provider in batches within its limits and the monthly
// budget, and their translations are stored. The map holds whatever could
// be translated; texts that could not (provider failure, lost protected
// token, budget) are absent, listed in Report.Untranslated and described
// by the returned error. Blank texts and src == dst translate to nothing.
func (s *Service) TranslateAll(ctx context.Context, texts []string, src, dst string) (map[string]string, Report, error) {
	rep := Report{Provider: s.p.Name()}
	out := map[string]string{}
	if src == dst {
		return out, rep, nil
	}
	now := s.now()
	month := now.UTC().Format("2006-01")

	var jobs []*job
	byHash := map[string]*job{}
	for _, t := range texts {
		if strings.TrimSpace(t) == "" {
			continue
		}
		h := TextHash(t)
		if j, ok := byHash[h]; ok {
			j.texts = append(j.texts, t)
			continue
		}
		j := &job{key: store.TranslationKey{Hash: h, Source: src, Target: dst,
			Provider: memoryProvider(s.p), GlossaryVersion: s.cfg.Glossary.Version()}, texts: []string{t}}
		byHash[h] = j
		jobs = append(jobs, j)
	}
	rep.Texts = len(jobs)

	th := s.termHandling(src, dst)
	var errs []error
	var misses []*job
	for _, j := range jobs {
		tr, err := s.mem.Translation(ctx, j.key)
		switch {
		case err == nil:
			rep.Hits++
			for _, t := range j.texts {
				out[t] = tr
			}
			continue
		case !errors.Is(err, store.ErrNotFound):
			// A broken memory read costs a provider call, not the notice.
			s.log.Warn("translation_memory_read_failed", "err", err)
		}
		j.prot = s.cfg.Glossary.protect(j.texts[0], s.markup, th, dst)
		j.chars = utf8.RuneCountInString(j.prot.sent)
		misses = append(misses, j)
	}
	rep.Misses = len(misses)

	used := int64(0)
	if s.cfg.MonthlyCharBudget > 0 && len(misses) > 0 {
		us, err := s.mem.TranslationUsages(ctx, month)
		if err != nil {
			errs = append(errs, fmt.Errorf("read translation usage for budget: %w", err))
			s.log.Warn("translation_usage_read_failed", "err", err)
			misses = nil // without the usage the budget cannot be kept
			rep.Failures += rep.Misses
		}
		for _, u := range us {
			if u.Provider == s.p.Name() {
				used += u.Chars
			}
		}
	}

	batches := batch(misses, s.p.Limits())
	for bi, b := range batches {
		n := 0
		for _, j := range b {
			n += j.chars
		}
		if s.cfg.MonthlyCharBudget > 0 && used+int64(n) > s.cfg.MonthlyCharBudget {
			rep.BudgetExceeded = true
			left := 0
			for _, rest := range batches[bi:] {
				left += len(rest)
			}
			s.log.Warn("translation_budget_exceeded", "month", month, "budget", s.cfg.MonthlyCharBudget,
				"used", used, "texts_not_sent", left)
			errs = append(errs, fmt.Errorf("translate %d texts with %s: %w (%d of %d characters used in %s)",
				left, s.p.Name(), ErrBudget, used, s.cfg.MonthlyCharBudget, month))
			break
		}
		err := ctx.Err()
		if err != nil {
			errs = append(errs, fmt.Errorf("translate with %s: %w", s.p.Name(), err))
			break
		}
		sent := make([]string, len(b))
		for i, j := range b {
			sent[i] = j.prot.sent
		}
		rep.Requests++
		rep.CharsSent += int64(n)
		used += int64(n)
		var res []string
		if tp, ok := s.p.(TermTranslator); ok {
			res, err = tp.TranslateTerms(ctx, sent, src, dst, s.cfg.Glossary)
		} else {
			res, err = s.p.Translate(ctx, sent, src, dst)
		}
		if err == nil && len(res) != len(sent) {
			err = fmt.Errorf("provider returned %d translations for %d texts", len(res), len(sent))
		}
		if err != nil {
			rep.Failures += len(b)
			s.log.Warn("translation_request_failed", "texts", len(b), "err", err)
			errs = append(errs, fmt.Errorf("translate %d texts with %s: %w", len(b), s.p.Name(), err))
			if Permanent(err) {
				break // credentials or quota will not recover within this call
			}
			continue
		}
		for i, j := range b {
			tr, err := s.cfg.Glossary.restore(res[i], j.prot, s.markup)
			if err != nil {
				rep.Failures++
				switch {
				case errors.Is(err, ErrProtectedToken):
					rep.ProtectedTokenFailures++
					s.log.Warn("translation_protected_token_lost", "hash", j.key.Hash, "err", err)
				case errors.Is(err, ErrGlossaryTerm):
					rep.GlossaryFailures++
					s.log.Warn("translation_glossary_term_missing", "hash", j.key.Hash, "err", err)
				}
				errs = append(errs, fmt.Errorf("translate text %.12s with %s: %w", j.key.Hash, s.p.Name(), err))
				continue
			}
			rep.Translated++
			for _, t := range j.texts {
				out[t] = tr
			}
			if err := s.mem.PutTranslation(ctx, j.key, tr, now); err != nil {
				s.log.Warn("translation_memory_write_failed", "err", err)
				errs = append(errs, fmt.Errorf("store translation: %w", err))
			}
		}
	}

	for _, j := range jobs {
		if _, ok := out[j.texts[0]]; !ok {
			rep.Untranslated = append(rep.Untranslated, j.texts...)
		}
	}
	u := store.TranslationUsage{Chars: rep.CharsSent, Requests: int64(rep.Requests),
		Hits: int64(rep.Hits), Misses: int64(rep.Misses), Failures: int64(rep.Failures)}
	if u != (store.TranslationUsage{}) {
		if err := s.mem.AddTranslationUsage(ctx, s.p.Name(), month, u); err != nil {
			s.log.Warn("translation_usage_write_failed", "err", err)
			errs = append(errs, fmt.Errorf("add translation usage: %w", err))
		}
	}
	if len(errs) > 0 {
		return out, rep, fmt.Errorf("translate %d of %d texts from %s to %s: %w",
			len(rep.Untranslated), len(texts), src, dst, errors.Join(errs...))
	}
	return out, rep, nil
}

// termHandling is how the glossary's terms travel to the provider from src
// to dst: as they are to a TermTranslator, in Azure's dynamic dictionary
// where it applies (a source language is given and English is one of the
// two), else already translated.
func (s *Service) termHandling(src, dst string) termHandling {
	if _, ok := s.p.(TermTranslator); ok {
		return termsAsText
	}
	if s.markup == MarkupHTMLDictionary && src != "" && (baseLang(src) == "en" || baseLang(dst) == "en") {
		return termsDictionary
	}
	return termsReplaced
}

// batch splits jobs into requests within l. A text longer than
// MaxCharsPerRequest travels alone.
func batch(jobs []*job, l Limits) [][]*job {
	var out [][]*job
	var cur []*job
	chars := 0
	for _, j := range jobs {
		full := l.MaxTextsPerRequest > 0 && len(cur) >= l.MaxTextsPerRequest
		over := l.MaxCharsPerRequest > 0 && chars+j.chars > l.MaxCharsPerRequest
		if len(cur) > 0 && (full || over) {
			out = append(out, cur)
			cur, chars = nil, 0
		}
		cur = append(cur, j)
		chars += j.chars
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
