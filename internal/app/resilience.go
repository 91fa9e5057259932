package app

import (
	"context"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/route"
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

// publicSources are the public status pages of the config, polled as
// sources of their own.
func publicSources(c config.PublicStatus, targets func(*model.Event) []route.Target) poll.Public {
	srcs := publicstatus.Sources(c)
	if len(srcs) == 0 {
		return poll.Public{}
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
	sum := outage.BeatSummary{Tenants: a.sched.Tenants(), Failing: a.sched.Failing()}
	if ds, err := a.st.Deliveries(ctx, []store.DeliveryState{store.DeliveryPending, store.DeliveryRetrying}, 10000); err == nil {
		sum.Outbox = len(ds)
	}
	if err := a.beat.Ping(ctx, force, sum); err != nil {
		a.log.Warn("heartbeat failed", "err", err)
	}
}
