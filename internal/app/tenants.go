package app

import (
	"context"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/tenants"
)

// tenantConfigs returns the tenants to poll: the config's and the enabled
// database tenants (tenants.Merge).
func (a *App) tenantConfigs(ctx context.Context, cfg *config.Config) ([]config.Tenant, error) {
	return tenants.Merge(ctx, a.st, cfg.Tenants, a.log)
}
