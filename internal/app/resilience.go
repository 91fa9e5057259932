package app

import (
	"context"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/store"
)

// initResilience sets up what keeps shdmc honest while Microsoft 365
// fails: source health, the heartbeat and the public status sources.
func (a *App) initResilience() {
	hc := a.cfg.Outage
	a.health = newHealthKeeper(a.st, outage.Settings{Failures: hc.Failures, After: hc.After.Std()})
	every := time.Duration(a.cfg.Interval) / 2
	for _, t := range a.tenants {
		every = min(every, t.interval/2)
	}
	a.beat = newHeartbeat(hc.Heartbeat, max(every, 15*time.Second), a.log)
	a.public = newPublicStatus(a)
}

// afterCycle ends a cycle (a Check, or a drain in Run after polls): the
// heartbeat, unless the cycle itself failed. A cycle whose only failures
// are the sources' is a success for the heartbeat: source outages have
// notices of their own, and the heartbeat tells whether shdmc runs.
func (a *App) afterCycle(ctx context.Context, force bool, drainErr error) {
	if a.beat == nil || drainErr != nil || ctx.Err() != nil {
		return
	}
	sum := beatSummary{Tenants: len(a.tenants)}
	a.health.mu.Lock()
	for k, s := range a.health.states {
		if k.source == model.SourceGraph && s.Failing() {
			sum.Failing++
		}
	}
	a.health.mu.Unlock()
	if ds, err := a.st.Deliveries(ctx, []store.DeliveryState{store.DeliveryPending, store.DeliveryRetrying}, 10000); err == nil {
		sum.Outbox = len(ds)
	}
	if err := a.beat.ping(ctx, force, sum); err != nil {
		a.log.Warn("heartbeat failed", "err", err)
	}
}
