package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/detect"
	"github.com/shdmc/shdmc/internal/fingerprint"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/source/publicstatus"
	"github.com/shdmc/shdmc/internal/store"
)

// PublicTenant is the tenant name the public status items are stored and
// announced under: they belong to no tenant.
const PublicTenant = "public"

// publicStatus polls Microsoft's public status pages as sources of their
// own.
type publicStatus struct {
	mode    string
	every   time.Duration
	fetch   *publicstatus.Fetcher
	sources []publicSource
	last    time.Time // real time of the last poll
}

type publicSource struct {
	src  model.Source
	url  string
	kind publicstatus.Kind
}

func newPublicStatus(a *App) *publicStatus {
	c := a.cfg.Outage.PublicStatus
	if c.Poll == config.PublicStatusNever {
		return nil
	}
	p := &publicStatus{mode: c.Poll, every: c.Interval.Std(), fetch: &publicstatus.Fetcher{Client: &http.Client{Timeout: 30 * time.Second}}}
	if c.M365URL != "" {
		p.sources = append(p.sources, publicSource{model.SourceM365Status, c.M365URL, publicstatus.KindPosts})
	}
	if c.M365FeedURL != "" {
		p.sources = append(p.sources, publicSource{model.SourceM365Status, c.M365FeedURL, publicstatus.KindRSS})
	}
	if c.AzureURL != "" {
		p.sources = append(p.sources, publicSource{model.SourceAzureStatus, c.AzureURL, publicstatus.KindRSS})
	}
	if len(p.sources) == 0 {
		return nil
	}
	return p
}

// due reports whether the public sources should be polled now: always
// mode, or some tenant's Graph source failing; and the interval passed.
func (a *App) publicDue() bool {
	p := a.public
	if p == nil {
		return false
	}
	if p.mode != config.PublicStatusAlways && !a.health.anyFailing() {
		return false
	}
	return p.last.IsZero() || time.Since(p.last) >= p.every
}

// PollPublicStatus polls every public status source once, whatever the
// mode, stores their items (tenant PublicTenant) and announces new and
// changed ones through the routes. A source that fails keeps its last
// good items; its failure is recorded in the source health (without a
// notice: these pages are undocumented and only a fallback).
func (a *App) PollPublicStatus(ctx context.Context) error {
	p := a.public
	if p == nil {
		return nil
	}
	p.last = time.Now()
	bySrc := map[model.Source][]publicstatus.Item{}
	failed := map[model.Source]error{}
	for _, s := range p.sources {
		items, err := p.fetch.Fetch(ctx, s.url, s.kind)
		if err != nil {
			a.log.Warn("public status unavailable", "source", s.src, "err", err)
			failed[s.src] = err
			continue
		}
		bySrc[s.src] = append(bySrc[s.src], items...)
	}
	var firstErr error
	for _, src := range []model.Source{model.SourceM365Status, model.SourceAzureStatus} {
		if err, bad := failed[src]; bad {
			a.recordPublicHealth(ctx, src, err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		items, ok := bySrc[src]
		if !ok {
			continue
		}
		a.recordPublicHealth(ctx, src, nil)
		if err := a.storePublic(ctx, src, items); err != nil {
			return err
		}
	}
	return firstErr
}

// recordPublicHealth keeps the health of a public source, for `shdmc
// status`, without announcing it.
func (a *App) recordPublicHealth(ctx context.Context, src model.Source, err error) {
	h := a.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.load(ctx) != nil {
		return
	}
	k := healthKey{PublicTenant, src}
	s := h.states[k]
	now := a.now()
	if err != nil {
		s, _ = s.Fail(now, outage.Classify(ctx, err), h.set)
	} else {
		s, _ = s.Succeed(now)
	}
	h.states[k] = s
	if h.hs != nil {
		if data, merr := json.Marshal(s); merr == nil {
			_, _ = h.hs.PutSourceHealth(context.WithoutCancel(ctx), store.SourceHealth{Tenant: PublicTenant, Source: src, Data: data, UpdatedAt: now}, store.Batch{})
		}
	}
}

// toIssue maps a public status item onto the Issue shape, so that it is
// stored, diffed and rendered like a Service Health issue; the source's
// own status text passes through verbatim.
func toIssue(src model.Source, it publicstatus.Item) model.Issue {
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

// storePublic diffs the fetched items with the stored ones and commits
// the changes with their events. Items that left a feed are marked
// resolved (RSS status feeds list only current incidents).
func (a *App) storePublic(ctx context.Context, src model.Source, items []publicstatus.Item) error {
	prev, err := a.st.Items(ctx, PublicTenant, src, nil)
	if err != nil {
		return fmt.Errorf("load public status items: %w", err)
	}
	now := a.now()
	b := store.Batch{Tenant: PublicTenant, Source: src}
	seen := map[string]bool{}
	add := func(is model.Issue, old store.Item, had bool, announce bool) error {
		h := fingerprint.Issue(&is)
		if had && old.Hash == h {
			return nil
		}
		var prevI *model.Issue
		if had {
			prevI = new(model.Issue)
			if json.Unmarshal(old.Data, prevI) != nil {
				prevI = nil
			}
		}
		if announce {
			if ev, ok := detect.Issue(PublicTenant, prevI, old.Revision, &is, detect.Options{Now: now}); ok {
				ev.Source = src
				b.Events = append(b.Events, ev)
				idx := len(b.Events) - 1
				for _, t := range a.router.Match(&b.Events[idx]) {
					b.Deliveries = append(b.Deliveries, store.NewDelivery{Event: idx, Channel: t.Channel, Route: t.Route,
						Key: fmt.Sprintf("%s/%s/%s/%d/%s/%s", PublicTenant, src, is.ID, old.Revision+1, t.Route, t.Channel)})
				}
			}
		}
		data, err := json.Marshal(is)
		if err != nil {
			return fmt.Errorf("encode public status item: %w", err)
		}
		b.Items = append(b.Items, store.Item{Key: model.ItemKey{Tenant: PublicTenant, Source: src, ID: is.ID},
			Revision: old.Revision + 1, Hash: h, LastModified: is.LastModified, SeenAt: now, Data: data})
		return nil
	}
	for _, it := range items {
		if seen[it.ID] {
			continue
		}
		seen[it.ID] = true
		is := toIssue(src, it)
		old, had := prev[it.ID]
		// A healthy entry seen for the first time is the normal state:
		// stored, not announced.
		if err := add(is, old, had, had || !it.Healthy); err != nil {
			return err
		}
	}
	for id, old := range prev {
		if seen[id] || old.Removed {
			continue
		}
		var is model.Issue
		if json.Unmarshal(old.Data, &is) != nil || is.IsResolved {
			continue
		}
		is.IsResolved, is.Status, is.LastModified = true, "resolved", now
		if err := add(is, old, true, true); err != nil {
			return err
		}
	}
	if len(b.Items) == 0 {
		return nil
	}
	if _, err := a.st.Commit(ctx, b); err != nil {
		return fmt.Errorf("store public status: %w", err)
	}
	return nil
}

// runPublicStatus polls the public sources while Run runs, when due.
func (a *App) runPublicStatus(ctx context.Context, kick chan<- struct{}) {
	if a.public == nil {
		return
	}
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if a.publicDue() {
			_ = a.PollPublicStatus(ctx)
			select {
			case kick <- struct{}{}:
			default:
			}
		}
	}
}
