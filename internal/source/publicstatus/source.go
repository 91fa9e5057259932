package publicstatus

import (
	"context"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/source"
)

var (
	_ source.Source   = (*Source)(nil)
	_ source.Resolver = (*Source)(nil)
)

// Endpoint is one URL of a public status source and its format.
type Endpoint struct {
	URL  string
	Kind Kind
}

// Source is one public status source (Microsoft 365 status, Azure status)
// as a source.Source of the tenant source.PublicTenant. Its feeds are read
// together: the items of all of them are its items, and when one fails the
// whole source fails, so that the poll keeps the last good items.
type Source struct {
	name  model.Source
	fetch *Fetcher
	feeds []Endpoint
}

// NewSource returns the source name read from feeds with f.
func NewSource(name model.Source, f *Fetcher, feeds ...Endpoint) *Source {
	return &Source{name: name, fetch: f, feeds: feeds}
}

// Name implements source.Source.
func (s *Source) Name() model.Source { return s.name }

// Traits implements source.Source: listed whole at every poll, announced
// from the first sight (a healthy entry seen first is stored silently).
func (s *Source) Traits() source.Traits { return source.Traits{Kind: source.KindIssue} }

// Fetch implements source.Source: the items of every feed as issues, the
// first of any ID.
func (s *Source) Fetch(ctx context.Context, _ time.Time) ([]source.Item, error) {
	var out []source.Item
	seen := map[string]bool{}
	for _, f := range s.feeds {
		items, err := s.fetch.Fetch(ctx, f.URL, f.Kind)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if seen[it.ID] {
				continue
			}
			seen[it.ID] = true
			is := toIssue(s.name, it)
			out = append(out, source.Item{Issue: &is, Quiet: it.Healthy})
		}
	}
	return out, nil
}

// Resolve implements source.Resolver: status feeds list only current
// incidents, so an item that left its feed is resolved.
func (s *Source) Resolve(prev source.Item, now time.Time) (source.Item, bool) {
	if prev.Issue == nil || prev.Issue.IsResolved {
		return source.Item{}, false
	}
	is := *prev.Issue
	is.IsResolved, is.Status, is.LastModified = true, "resolved", now
	return source.Item{Issue: &is}, true
}

// toIssue maps a public status item onto the Issue shape, so that it is
// stored, diffed and rendered like a Service Health issue; the source's
// own status text passes through verbatim.
func toIssue(src model.Source, it Item) model.Issue {
	is := model.Issue{
		ID: it.ID, Title: it.Title, Service: it.Service, Status: model.Status(it.Status),
		Classification: model.ClassificationIncident, IsResolved: it.Healthy,
		Start: it.Published, LastModified: it.Updated,
	}
	if is.Status == "" {
		is.Status = "active"
	}
	if is.Title == "" {
		is.Title = it.Service
	}
	if is.Service == "" {
		is.Service = map[model.Source]string{model.SourceM365Status: "Microsoft 365", model.SourceAzureStatus: "Azure"}[src]
	}
	if it.Text != "" {
		is.Posts = []model.Post{{Created: it.Updated, ContentType: "html", Content: it.Text}}
	}
	return is
}
