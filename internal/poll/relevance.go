package poll

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/relevance"
)

// LicenseReader lists a tenant's subscribed SKUs (*graph.Client does).
type LicenseReader interface {
	SubscribedSkus(ctx context.Context) ([]model.SubscribedSku, error)
}

// licenceEvery is how often a tenant's licences are read again (one
// request), and how long a refusal (no permission) is believed.
const licenceEvery = 24 * time.Hour

// relevanceState is what a Poller knows of its tenant's services.
type relevanceState struct {
	reader   LicenseReader // nil: licences are never read
	licensed map[string][]string
	readAt   time.Time // real time of the last attempt
	tenant   relevance.Tenant
	listed   bool // tenant is up to date for this pass
}

// refreshServices updates what the pass knows of the tenant's services:
// its licences (at most daily; a 403 means the app may not read them, and
// service health decides), and the services its health overview lists
// (from the store, as the health pass left it).
func (p *Poller) refreshServices(ctx context.Context) {
	r := &p.rel
	if r.reader != nil && (r.readAt.IsZero() || time.Since(r.readAt) >= licenceEvery) {
		skus, err := r.reader.SubscribedSkus(ctx)
		var ae *graph.APIError
		switch {
		case err == nil:
			r.licensed, r.readAt = relevance.Licensed(skus), time.Now()
		case errors.As(err, &ae) && (ae.Status == http.StatusForbidden || ae.Status == http.StatusUnauthorized):
			if r.readAt.IsZero() {
				p.log.Info("licences not readable (grant LicenseAssignment.Read.All or Organization.Read.All for relevance by licence); using the services of service health", "status", ae.Status)
			}
			r.licensed, r.readAt = nil, time.Now()
		default:
			p.log.Warn("read licences", "err", err) // tried again next pass
		}
	}
	r.tenant, r.listed = relevance.Tenant{Licensed: r.licensed}, true
	items, err := p.st.Items(ctx, p.tenant, model.SourceHealth, nil)
	if err != nil || len(items) == 0 {
		return
	}
	r.tenant.Listed = []string{}
	for _, it := range items {
		var s model.ServiceHealth
		if !it.Removed && json.Unmarshal(it.Data, &s) == nil {
			r.tenant.Listed = append(r.tenant.Listed, s.Service)
		}
	}
}

// markRelevance sets whether a Message Center event concerns the tenant,
// reading what is known of its services once per pass, when a post first
// needs it (a quiet pass reads nothing).
func (p *Poller) markRelevance(ctx context.Context, ev *model.Event) {
	if ev.Message == nil || ev.Source != model.SourceMC {
		return
	}
	if !p.rel.listed {
		p.refreshServices(ctx)
	}
	r := relevance.Of(ev.Message, p.rel.tenant)
	ev.Relevance = &r
}
