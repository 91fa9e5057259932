package poll

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/relevance"
	"github.com/shdmc/shdmc/internal/source"
	"github.com/shdmc/shdmc/internal/store"
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
	// judged is the knowledge (knowledgeKey) the stored posts were last
	// judged by; "" before the first messages pass of this process.
	judged string
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

// relevance records with a Message Center post the batch stores whether it
// concerns the tenant, for the dashboard: the verdict of its event, or,
// for a post stored without one (the baseline), a verdict of its own.
func (b *batch) relevance(ctx context.Context, it *source.Item) {
	if it.Message == nil || b.b.Source != model.SourceMC {
		return
	}
	var r *model.Relevance
	if n := len(b.b.Events); n > 0 && b.b.Events[n-1].ItemID == it.ID() && b.b.Events[n-1].Relevance != nil {
		r = b.b.Events[n-1].Relevance
	} else {
		if !b.p.rel.listed {
			b.p.refreshServices(ctx)
		}
		v := relevance.Of(it.Message, b.p.rel.tenant)
		r = &v
	}
	if b.b.Relevance == nil {
		b.b.Relevance = map[string]model.Relevance{}
	}
	b.b.Relevance[it.ID()] = *r
}

// rejudge judges the tenant's stored posts again when what is known of
// its services changed since they were last judged: a first pass stores
// its posts before the tenant's service health, licences are bought and
// dropped. Only the index is read (each post's services and verdict); the
// verdicts that changed go with the batch, and the knowledge is taken as
// judged once it is committed (done). A failure to read is logged and
// tried again next pass.
func (b *batch) rejudge(ctx context.Context) {
	p := b.p
	if b.b.Source != model.SourceMC {
		return
	}
	rd, ok := store.AsReader(p.st)
	if !ok {
		return
	}
	if !p.rel.listed {
		p.refreshServices(ctx)
	}
	key := knowledgeKey(p.rel.tenant)
	if key == p.rel.judged {
		return
	}
	vs, err := rd.Verdicts(ctx, p.tenant)
	if err != nil {
		p.log.Warn("read relevance verdicts", "err", err)
		return
	}
	for _, v := range vs {
		if _, ok := b.b.Relevance[v.ID]; ok {
			continue // judged with its change in this pass
		}
		r := relevance.Of(&model.Message{ID: v.ID, Services: v.Services}, p.rel.tenant)
		if v.Relevance != nil && *v.Relevance == r {
			continue
		}
		if b.b.Relevance == nil {
			b.b.Relevance = map[string]model.Relevance{}
		}
		b.b.Relevance[v.ID] = r
	}
	b.judged = key
}

// knowledgeKey identifies what is known of a tenant's services: equal keys
// give equal verdicts.
func knowledgeKey(t relevance.Tenant) string {
	var b strings.Builder
	if t.Licensed != nil {
		b.WriteString("licensed:")
		for _, svc := range slices.Sorted(maps.Keys(t.Licensed)) {
			b.WriteString(svc + "=" + strings.Join(t.Licensed[svc], ",") + ";")
		}
	}
	if t.Listed != nil {
		listed := slices.Clone(t.Listed)
		slices.Sort(listed)
		b.WriteString("\nlisted:" + strings.Join(listed, ";"))
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}
