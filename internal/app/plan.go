package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/tenants"
)

// Plans returns the request plan of every tenant shdmc polls (the
// config's and the database's enabled ones), in order, as `shdmc run`
// plans them (see outage.PlanTenants).
func Plans(ctx context.Context, cfg *config.Config, st store.Store) ([]outage.Plan, error) {
	ts, err := tenants.Merge(ctx, st, cfg.Tenants, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, fmt.Errorf("request plans: %w", err)
	}
	var on []config.Tenant
	for _, t := range ts {
		if !t.Disabled {
			on = append(on, t)
		}
	}
	return outage.PlanTenants(cfg, on), nil
}

// budgetKey names the Graph budget of a tenant: one per Entra tenant and
// app (graph.Budget, shared by the clients of both).
func budgetKey(t config.Tenant) string { return t.TenantID + "/" + t.ClientID }
