package app

import (
	"context"
	"errors"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/store"
)

// RetentionOf converts the config's retention block for the store.
func RetentionOf(r config.Retention) store.Retention {
	return store.Retention{Events: r.Events.Std(), Revisions: r.Revisions.Std(),
		DeadLetters: r.DeadLetters.Std(), RemovedItems: r.RemovedItems.Std()}
}

// pruneLease is the key of the lease the workers of a store take to
// prune: a name no tenant can have (tenant IDs are a-z, 0-9, '-', '_').
const pruneLease = "~prune"

// firstPrune bounds the wait from the start of Run to its first prune.
const firstPrune = time.Minute

// prune removes what the retention settings no longer keep every
// retention.every (the first time at most a minute after the start), until
// ctx is done. The workers sharing a store take turns through a lease: the
// one that holds it prunes, the others skip; a prune stops before its
// lease ends (Prune works in batches: the next one goes on from there).
func (a *App) prune(ctx context.Context) {
	every := a.cfg.Retention.Every.Std()
	if every <= 0 {
		return
	}
	pol := RetentionOf(a.cfg.Retention)
	worker := store.NewWorkerID()
	timer := time.NewTimer(min(every, firstPrune))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			a.releasePrune(worker)
			return
		case <-timer.C:
		}
		a.pruneOnce(ctx, worker, pol, every)
		timer.Reset(every)
	}
}

// pruneOnce prunes if this worker gets the lease for the next period.
func (a *App) pruneOnce(ctx context.Context, worker string, pol store.Retention, every time.Duration) {
	log := a.log.With("worker", worker)
	start := time.Now() // leases count real time, whatever clock detection runs on
	got, err := a.st.AcquireTenantLeases(ctx, worker, []string{pruneLease}, start, every, 0, 1)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("take the prune lease", "err", err)
		}
		return
	}
	if len(got) == 0 {
		log.Debug("prune skipped: another worker holds the lease")
		return
	}
	// Stop well before the lease ends, so that the next holder never
	// prunes beside this one.
	pctx, cancel := context.WithDeadline(ctx, start.Add(every*9/10))
	defer cancel()
	ps, err := a.st.Prune(pctx, pol, a.now()) // the store logs what it removed
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return // shutting down
	case errors.Is(pctx.Err(), context.DeadlineExceeded):
		log.Warn("prune stopped at the end of its lease; the next one goes on", "took", time.Since(start).Round(time.Millisecond))
	default:
		log.Error("prune the store", "err", err)
	}
	if a.metrics != nil {
		a.metrics.ObservePrune(map[string]int64{"events": ps.Events, "deliveries": ps.Deliveries,
			"dead_letters": ps.DeadLetters, "revisions": ps.Revisions, "items": ps.Items, "blobs": ps.Blobs,
			"documents": ps.Documents}, err)
	}
}

// releasePrune gives the prune lease back at shutdown, so that another
// worker prunes at its next turn.
func (a *App) releasePrune(worker string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.st.ReleaseTenantLeases(ctx, worker, []string{pruneLease}); err != nil {
		a.log.Warn("release the prune lease", "err", err)
	}
}
