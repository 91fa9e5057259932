package serve

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// The lists search through the store's full-text index, which holds of
// each document its English title, ID and text and the translations the
// memory has of it (translate.IndexSearch): a word matches an ID
// (EX559755, 559755), English words and translated words alike, over every
// item. Only a list sorted by another column than the last modification is
// read into memory, at most maxScan items of it.

// maxScan bounds the items a sort reads into memory.
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

// findItems returns the items matching iq (its Offset and Limit aside),
// newest first, at most maxScan; it reports whether there were more.
func (s *Server) findItems(ctx context.Context, iq store.ItemQuery) ([]store.Item, bool, error) {
	iq.Offset, iq.After, iq.Limit = 0, "", 0
	return s.scan(ctx, iq)
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
