package serve

import (
	"context"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// apiCopy is one tenant's copy of an item in the JSON API.
type apiCopy struct {
	Tenant       string    `json:"tenant"`
	Revision     int       `json:"revision"`
	LastModified time.Time `json:"lastModified"`
	Removed      bool      `json:"removed"`
	// Same reports whether the copy's content is the requested copy's.
	Same      bool             `json:"same"`
	Relevance *model.Relevance `json:"relevance,omitempty"`
}

// apiExtras adds the relevance (Message Center) and the tickets of the
// items of an API answer, in two statements. A failure leaves them out
// and is logged.
func (s *Server) apiExtras(ctx context.Context, items []apiItemJSON) {
	if len(items) == 0 {
		return
	}
	keys := make([]model.ItemKey, len(items))
	for i, it := range items {
		keys[i] = model.ItemKey{Tenant: it.Tenant, Source: it.Source, ID: it.ID}
	}
	if rel, err := s.rd.Relevance(ctx, keys); err != nil {
		s.log.Warn("read_relevance_failed", "err", err)
	} else {
		for i := range items {
			if r, ok := rel[keys[i]]; ok {
				items[i].Relevance = &r
			}
		}
	}
	if tickets, err := s.rd.TicketsOf(ctx, keys); err != nil {
		s.log.Warn("read_tickets_failed", "err", err)
	} else {
		for i := range items {
			items[i].Tickets = tickets[keys[i]]
		}
	}
}

// apiCopies lists every tenant's copy of an item (Service Health issues
// and Message Center posts), nil for other sources or on failure.
func (s *Server) apiCopies(ctx context.Context, key model.ItemKey) []apiCopy {
	if key.Source != model.SourceMC && key.Source != model.SourceSHD {
		return nil
	}
	cp, err := s.rd.ItemCopies(ctx, key.Source, key.ID)
	if err != nil {
		s.log.Warn("read_copies_failed", "err", err)
		return nil
	}
	hash := ""
	for _, c := range cp.Items {
		if c.Tenant == key.Tenant {
			hash = c.Hash
		}
	}
	out := make([]apiCopy, 0, len(cp.Items))
	for _, c := range cp.Items {
		out = append(out, apiCopy{Tenant: c.Tenant, Revision: c.Revision, LastModified: c.LastModified, Removed: c.Removed,
			Same: c.Hash == hash, Relevance: c.Relevance})
	}
	return out
}
