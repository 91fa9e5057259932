package serve

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// The lists search beyond the store's full-text index, which holds the
// English title and body: a word also matches an item whose ID contains it
// (EX559755, 559755), and a word with letters beyond ASCII (暗号化, 廃止)
// is looked for in the newest maxScan items of the list's filter, in their
// own text and their translations in the memory. Every word must match.

// maxScan bounds the items a search or a sort reads into memory.
const maxScan = 5000

// scan reads the items matching q, newest first, at most maxScan; it
// reports whether more matched.
func (s *Server) scan(ctx context.Context, q store.ItemQuery) ([]store.Item, bool, error) {
	q.Limit, q.Offset, q.NoCount = 1000, 0, true
	var out []store.Item
	for len(out) < maxScan {
		p, err := s.rd.SearchItems(ctx, q)
		if err != nil {
			return nil, false, err
		}
		out = append(out, p.Items...)
		if !p.More {
			return out, false, nil
		}
		q.After = p.Next
	}
	return out[:maxScan], true, nil
}

// findItems returns every item matching iq (its Offset and Limit aside),
// newest first, searching iq.Text by words, IDs and translations; it
// reports whether the scan was cut at maxScan.
func (s *Server) findItems(ctx context.Context, iq store.ItemQuery) ([]store.Item, bool, error) {
	base := iq
	base.Text, base.Offset, base.After, base.Limit = "", 0, "", 0
	words := strings.Fields(iq.Text)
	if len(words) == 0 {
		return s.scan(ctx, base)
	}
	var (
		result    map[model.ItemKey]store.Item
		cands     []store.Item
		candsRead bool
		truncated bool
	)
	// With a word beyond ASCII every word is looked for in memory, over
	// the newest items: the store's index would scan every item for a
	// word of two characters, once per page.
	inMemory := false
	for _, w := range words {
		inMemory = inMemory || !isASCII(w)
	}
	for i, w := range words {
		m := map[model.ItemKey]store.Item{}
		if !inMemory {
			q := base
			q.Text = w
			items, tr, err := s.scan(ctx, q)
			if err != nil {
				return nil, false, err
			}
			truncated = truncated || tr
			for _, it := range items {
				m[it.Key] = it
			}
		} else {
			if !candsRead {
				var tr bool
				var err error
				if cands, tr, err = s.scan(ctx, base); err != nil {
					return nil, false, err
				}
				truncated, candsRead = truncated || tr, true
			}
			lw := strings.ToLower(w)
			for _, it := range cands {
				if strings.Contains(s.searchText(ctx, it), lw) {
					m[it.Key] = it
				}
			}
		}
		if idLike(w) {
			items, err := s.idMatches(ctx, base, w, false)
			if err != nil {
				return nil, false, err
			}
			for _, it := range items {
				m[it.Key] = it
			}
		}
		if i == 0 {
			result = m
			continue
		}
		for k := range result {
			if _, ok := m[k]; !ok {
				delete(result, k)
			}
		}
	}
	out := make([]store.Item, 0, len(result))
	for _, it := range result {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastModified.Equal(out[j].LastModified) {
			return out[i].LastModified.After(out[j].LastModified)
		}
		return out[i].Key.ID < out[j].Key.ID
	})
	return out, truncated, nil
}

// idLike reports whether a word could be (part of) an item ID: ASCII
// letters and digits with at least one digit, three characters or more.
func idLike(w string) bool {
	if len(w) < 3 {
		return false
	}
	digit := false
	for _, r := range w {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		default:
			return false
		}
	}
	return digit
}

func isASCII(w string) bool {
	for _, r := range w {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// idMatches returns the items of q's tenants and source whose ID is w (any
// case) or, unless exact, contains it (four characters or more).
func (s *Server) idMatches(ctx context.Context, q store.ItemQuery, w string, exact bool) ([]store.Item, error) {
	up := strings.ToUpper(w)
	tenants := q.Tenants
	if tenants == nil {
		var err error
		if tenants, err = s.tenantIDs(ctx); err != nil {
			return nil, err
		}
	}
	sources := []model.Source{q.Source}
	if q.Source == "" {
		sources = []model.Source{model.SourceSHD, model.SourceMC}
	}
	var out []store.Item
	for _, t := range tenants {
		for _, src := range sources {
			ids := []string{up}
			if !exact && len(up) >= 4 {
				all, err := s.st.ItemIDs(ctx, t, src)
				if err != nil {
					return nil, err
				}
				for _, id := range all {
					if id != up && strings.Contains(strings.ToUpper(id), up) {
						ids = append(ids, id)
					}
				}
			}
			m, err := s.st.Items(ctx, t, src, ids)
			if err != nil {
				return nil, err
			}
			for _, it := range m {
				if matchesQuery(it, q) {
					out = append(out, it)
				}
			}
		}
	}
	return out, nil
}

// tenantIDs are the tenants of the store and of its polling state.
func (s *Server) tenantIDs(ctx context.Context) ([]string, error) {
	ts, err := s.st.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	states, err := s.rd.SourceStates(ctx)
	if err != nil {
		return nil, err
	}
	for _, st := range states {
		if !slices.Contains(out, st.Tenant) {
			out = append(out, st.Tenant)
		}
	}
	return out, nil
}

// matchesQuery applies the filters of q (but Text and paging) to one item,
// as the store's index would: for items found by ID.
func matchesQuery(it store.Item, q store.ItemQuery) bool {
	if q.Tenants != nil && !slices.Contains(q.Tenants, it.Key.Tenant) {
		return false
	}
	if q.Source != "" && it.Key.Source != q.Source {
		return false
	}
	if it.Removed && !q.IncludeRemoved {
		return false
	}
	if !q.ModifiedSince.IsZero() && it.LastModified.Before(q.ModifiedSince) {
		return false
	}
	var (
		active                            bool
		status, class, category, severity string
		services, tags                    []string
		major, hasDates                   bool
		actionAt                          time.Time
	)
	switch it.Key.Source {
	case model.SourceSHD:
		var is model.Issue
		if json.Unmarshal(it.Data, &is) != nil {
			return false
		}
		active = !is.IsResolved && !it.Removed
		status, class, services = string(is.Status), string(is.Classification), []string{is.Service}
	case model.SourceMC:
		var m model.Message
		if json.Unmarshal(it.Data, &m) != nil {
			return false
		}
		active = !it.Removed
		category, severity, services, tags, major = string(m.Category), string(m.Severity), m.Services, m.Tags, m.IsMajorChange
		actionAt = m.ActionRequiredBy
		hasDates = !m.ActionRequiredBy.IsZero() || !m.Start.IsZero() || !m.End.IsZero()
	default:
		var sh model.ServiceHealth
		if json.Unmarshal(it.Data, &sh) != nil {
			return false
		}
		active, status, services = sh.Status != model.StatusServiceOperational, string(sh.Status), []string{sh.Service}
	}
	switch {
	case q.Active != nil && *q.Active != active,
		q.Status != "" && q.Status != status,
		q.Classification != "" && q.Classification != class,
		q.Category != "" && q.Category != category,
		q.Severity != "" && q.Severity != severity,
		q.Service != "" && !slices.Contains(services, q.Service),
		q.Tag != "" && !slices.Contains(tags, q.Tag),
		q.Major != nil && *q.Major != major,
		!q.ActionBefore.IsZero() && (actionAt.IsZero() || !actionAt.Before(q.ActionBefore)),
		q.HasDates && !hasDates:
		return false
	}
	return true
}

// textCache keeps the searchable text of items, keyed by the item and its
// content hash; it is emptied when it holds more than maxCachedBytes.
type textCache struct {
	mu    sync.Mutex
	m     map[string]string
	bytes int
}

// maxCachedBytes bounds the textCache.
const maxCachedBytes = 32 << 20

// searchText is what a word beyond ASCII is looked for in, lower case: an
// item's title, user impact and posts or body as plain text, and its
// translations in the memory into every language of the catalogs.
func (s *Server) searchText(ctx context.Context, it store.Item) string {
	key := it.Key.Tenant + "\x00" + string(it.Key.Source) + "\x00" + it.Key.ID + "\x00" + it.Hash
	s.texts.mu.Lock()
	t, ok := s.texts.m[key]
	s.texts.mu.Unlock()
	if ok {
		return t
	}
	var (
		b    strings.Builder
		segs []string
	)
	switch it.Key.Source {
	case model.SourceSHD:
		var is model.Issue
		if json.Unmarshal(it.Data, &is) == nil {
			b.WriteString(is.Title + "\n" + is.ImpactDescription + "\n")
			segs = render.Segments(&model.Event{Source: model.SourceSHD, Issue: &model.Issue{Title: is.Title, ImpactDescription: is.ImpactDescription}})
			for _, p := range is.Posts {
				b.WriteString(htmltext.Text(p.Content) + "\n")
				segs = append(segs, render.Segments(&model.Event{Source: model.SourceSHD, Issue: &model.Issue{Posts: []model.Post{p}}})...)
			}
		}
	case model.SourceMC:
		var m model.Message
		if json.Unmarshal(it.Data, &m) == nil {
			b.WriteString(m.Title + "\n" + htmltext.Text(m.Body) + "\n")
			segs = render.Segments(&model.Event{Source: model.SourceMC, Type: model.EventMessageNew, Message: &m,
				Changes: []model.Change{{Kind: model.ChangeNew}}})
		}
	}
	for _, lang := range render.Languages() {
		if lang == "en" {
			continue
		}
		for _, seg := range segs {
			tr, err := s.st.Translation(ctx, store.TranslationKey{Hash: translate.TextHash(seg), Source: "en", Target: lang,
				Provider: s.o.TranslationProvider, GlossaryVersion: s.o.GlossaryVersion})
			if err == nil {
				b.WriteString(tr)
				b.WriteByte('\n')
			}
		}
	}
	t = strings.ToLower(b.String())
	if ctx.Err() != nil {
		return t // an interrupted lookup is not cached
	}
	s.texts.mu.Lock()
	if s.texts.bytes+len(t) > maxCachedBytes {
		s.texts.m, s.texts.bytes = map[string]string{}, 0
	}
	s.texts.m[key] = t
	s.texts.bytes += len(t)
	s.texts.mu.Unlock()
	return t
}

// facetVals are the values present in one list's items, with counts.
type facetVals struct {
	services, classifications, statuses, categories, severities, tags map[string]int
	at                                                                time.Time
}

// facetCache keeps each source's facetVals; an entry older than facetTTL
// is still served while one goroutine reads the new values.
type facetCache struct {
	mu      sync.Mutex
	m       map[model.Source]*facetVals
	reading map[model.Source]bool
}

// facetTTL is how long the filter choices of a list are reused.
const facetTTL = 30 * time.Second

// facetValues returns the values present in a source's items: read the
// first time, then refreshed in the background when older than facetTTL.
func (s *Server) facetValues(ctx context.Context, src model.Source) (*facetVals, error) {
	now := s.now()
	s.facetsC.mu.Lock()
	fv := s.facetsC.m[src]
	if fv != nil && (now.Sub(fv.at) >= facetTTL || now.Before(fv.at)) && !s.facetsC.reading[src] {
		s.facetsC.reading[src] = true
		go func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			fresh, err := s.readFacets(rctx, src)
			s.facetsC.mu.Lock()
			defer s.facetsC.mu.Unlock()
			s.facetsC.reading[src] = false
			if err != nil {
				s.log.Warn("facets_failed", "source", src, "err", err)
				return
			}
			s.facetsC.m[src] = fresh
		}()
	}
	s.facetsC.mu.Unlock()
	if fv != nil {
		return fv, nil
	}
	fv, err := s.readFacets(ctx, src)
	if err != nil {
		return nil, err
	}
	s.facetsC.mu.Lock()
	s.facetsC.m[src] = fv
	s.facetsC.mu.Unlock()
	return fv, nil
}

// readFacets reads the values present in the newest maxScan items of a
// source (withdrawn ones included), with their counts.
func (s *Server) readFacets(ctx context.Context, src model.Source) (*facetVals, error) {
	items, _, err := s.scan(ctx, store.ItemQuery{Source: src, IncludeRemoved: true})
	if err != nil {
		return nil, err
	}
	fv := &facetVals{services: map[string]int{}, classifications: map[string]int{}, statuses: map[string]int{},
		categories: map[string]int{}, severities: map[string]int{}, tags: map[string]int{}, at: s.now()}
	inc := func(m map[string]int, k string) {
		if k != "" {
			m[k]++
		}
	}
	for _, it := range items {
		switch src {
		case model.SourceSHD:
			var is model.Issue
			if json.Unmarshal(it.Data, &is) == nil {
				inc(fv.services, is.Service)
				inc(fv.classifications, string(is.Classification))
				inc(fv.statuses, string(is.Status))
			}
		case model.SourceMC:
			var m model.Message
			if json.Unmarshal(it.Data, &m) == nil {
				for _, sv := range m.Services {
					inc(fv.services, sv)
				}
				for _, t := range m.Tags {
					inc(fv.tags, t)
				}
				inc(fv.categories, string(m.Category))
				inc(fv.severities, string(m.Severity))
			}
		}
	}
	return fv, nil
}
