package app

import (
	"context"
	"net/http"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/source"
	"github.com/shdmc/shdmc/internal/source/publicstatus"
	"github.com/shdmc/shdmc/internal/store"
)

// sourceRoute is the route name of source health notices that no
// configured route carries (they go to the independent channels).
const sourceRoute = "source-health"

// sourceTargets are the deliveries of a source health event: the routes
// that name such events when some do, otherwise the channels that do not
// depend on Microsoft 365.
func (a *App) sourceTargets(ev *model.Event) []route.Target {
	if a.cfg.RoutesSourceEvents() {
		return a.router.Match(ev)
	}
	var out []route.Target
	for _, ch := range a.cfg.SourceDownChannels() {
		out = append(out, route.Target{Route: sourceRoute, Channel: ch})
	}
	return out
}

// publicSources builds the public status sources of the config: Microsoft
// 365 status (its JSON posts and RSS feed read as one source), then Azure
// status.
func publicSources(c config.PublicStatus, targets func(*model.Event) []route.Target) poll.Public {
	if c.Poll == config.PublicStatusNever {
		return poll.Public{}
	}
	f := &publicstatus.Fetcher{Client: &http.Client{Timeout: 30 * time.Second}}
	var m365 []publicstatus.Endpoint
	if c.M365URL != "" {
		m365 = append(m365, publicstatus.Endpoint{URL: c.M365URL, Kind: publicstatus.KindPosts})
	}
	if c.M365FeedURL != "" {
		m365 = append(m365, publicstatus.Endpoint{URL: c.M365FeedURL, Kind: publicstatus.KindRSS})
	}
	var srcs []source.Source
	if len(m365) > 0 {
		srcs = append(srcs, publicstatus.NewSource(model.SourceM365Status, f, m365...))
	}
	if c.AzureURL != "" {
		srcs = append(srcs, publicstatus.NewSource(model.SourceAzureStatus, f,
			publicstatus.Endpoint{URL: c.AzureURL, Kind: publicstatus.KindRSS}))
	}
	return poll.Public{Sources: srcs, Always: c.Poll == config.PublicStatusAlways, Every: c.Interval.Std(), Targets: targets}
}

// heartbeatEvery bounds how often Run pings the heartbeat: half the
// shortest polling interval, at least 15 s.
func heartbeatEvery(cfg *config.Config, tenants []poll.Tenant) time.Duration {
	every := time.Duration(cfg.Interval) / 2
	for _, t := range tenants {
		every = min(every, t.Interval/2)
	}
	return max(every, 15*time.Second)
}

// afterCycle ends a cycle (a Check, or a drain in Run after polls): the
// heartbeat, unless the cycle itself failed. A cycle whose only failures
// are the sources' is a success for the heartbeat: source outages have
// notices of their own, and the heartbeat tells whether shdmc runs.
func (a *App) afterCycle(ctx context.Context, force bool, drainErr error) {
	if a.beat == nil || drainErr != nil || ctx.Err() != nil {
		return
	}
	sum := beatSummary{Tenants: a.sched.Tenants(), Failing: a.sched.Failing()}
	if ds, err := a.st.Deliveries(ctx, []store.DeliveryState{store.DeliveryPending, store.DeliveryRetrying}, 10000); err == nil {
		sum.Outbox = len(ds)
	}
	if err := a.beat.ping(ctx, force, sum); err != nil {
		a.log.Warn("heartbeat failed", "err", err)
	}
}
