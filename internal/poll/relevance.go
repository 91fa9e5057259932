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
	// checked: the licences were read (when due) in this pass; listed:
	// the services of service health were read in this pass.
	checked, listed bool
	// fetched holds the services the health overview listed in this
	// pass (fetchedOK), fresher than the store, which has them only once
	// the pass commits.
	fetched   []string
	fetchedOK bool
	// judged is the knowledge (knowledgeKey) the stored posts were last
	// judged by; "" before the first messages pass of this process.
	judged string
}

// newPass forgets what was read for the pass before.
func (r *relevanceState) newPass() {
	r.checked, r.listed, r.fetchedOK, r.fetched = false, false, false, nil
}

// noteServices keeps the services a health pass just listed (Graph lists
// the overview whole), so that the posts of the same pass, the baseline's
// too, are judged by them.
func (p *Poller) noteServices(src model.Source, list []source.Item) {
	if src != model.SourceHealth {
		return
	}
	names := []string{}
	for _, it := range list {
		if it.Service != nil {
			names = append(names, it.Service.Service)
		}
	}
	p.rel.fetched, p.rel.fetchedOK, p.rel.listed = names, true, false
}

// refreshServices updates what the pass knows of the tenant's services:
// with licences, its licences (at most daily; a 403 means the app may not
// read them, and service health decides; read when a post's event needs
// a verdict, so that a baseline costs no request), and the services its
// health overview lists (as this pass fetched them, else as the store
// has them).
func (p *Poller) refreshServices(ctx context.Context, licences bool) {
	r := &p.rel
	if licences && !r.checked && r.reader != nil && (r.readAt.IsZero() || time.Since(r.readAt) >= licenceEvery) {
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
	r.checked = r.checked || licences
	r.tenant.Licensed = r.licensed
	if r.listed {
		return
	}
	r.listed = true
	if r.fetchedOK {
		r.tenant.Listed = r.fetched
		return
	}
	r.tenant.Listed = nil
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
	p.refreshServices(ctx, true)
	r := relevance.Of(ev.Message, p.rel.tenant)
	ev.Relevance = &r
}

// relevance records with a Message Center post the batch stores whether it
// concerns the tenant, for the dashboard: the verdict of its event, or,
// for a post first stored without one (the baseline), a verdict by what
// is known without reading the licences (rejudge revises it once they
// are read). A post changed without an event keeps its stored verdict.
func (b *batch) relevance(ctx context.Context, it *source.Item, had bool) {
	if it.Message == nil || b.b.Source != model.SourceMC {
		return
	}
	var r *model.Relevance
	switch n := len(b.b.Events); {
	case n > 0 && b.b.Events[n-1].ItemID == it.ID() && b.b.Events[n-1].Relevance != nil:
		r = b.b.Events[n-1].Relevance
	case had:
		return
	default:
		b.p.refreshServices(ctx, false)
		v := relevance.Of(it.Message, b.p.rel.tenant)
		r = &v
	}
	if b.b.Relevance == nil {
		b.b.Relevance = map[string]model.Relevance{}
	}
	b.b.Relevance[it.ID()] = *r
}

// rejudge judges the tenant's stored posts again when what is known of
// its services changed since they were last judged: licences read for
// the first time, bought or dropped, a service appearing in service
// health. Only the index is read (each post's services and verdict); the
// verdicts that changed go with the batch, and the knowledge is taken as
// judged once it is committed (done). A verdict is not replaced by one on
// a weaker basis (service health for licences: a process that has not
// read the licences yet), so that a restart does not undo it. A failure
// to read is logged and tried again next pass.
func (b *batch) rejudge(ctx context.Context) {
	p := b.p
	if b.b.Source != model.SourceMC {
		return
	}
	rd, ok := store.AsReader(p.st)
	if !ok {
		return
	}
	p.refreshServices(ctx, false)
	key := knowledgeKey(p.rel.tenant)
	have := strength(p.rel.tenant)
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
		if v.Relevance != nil && (*v.Relevance == r || basisStrength(v.Relevance.Basis) > have) {
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

// strength ranks what is known of a tenant: its licences over the
// services of its service health over nothing.
func strength(t relevance.Tenant) int {
	switch {
	case t.Licensed != nil:
		return 2
	case t.Listed != nil:
		return 1
	}
	return 0
}

// basisStrength ranks a verdict's basis as strength ranks knowledge; a
// verdict that holds for every tenant needs none.
func basisStrength(basis string) int {
	switch basis {
	case relevance.BasisLicences:
		return 2
	case relevance.BasisHealth:
		return 1
	}
	return 0
}
