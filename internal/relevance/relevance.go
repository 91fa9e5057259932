// Package relevance decides whether a Message Center post concerns a
// tenant, as the admin center does in its UI but Graph does not expose:
// from the services the tenant has licences for (GET /subscribedSkus, when
// the app may read it) or, without that permission, from the services its
// service health lists. Pure: callers pass what they know of the tenant.
package relevance

import (
	"slices"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// Tenant is what is known of one tenant's services.
type Tenant struct {
	// Licensed maps each licensed service (by display name) to the service
	// plans that grant it; nil when the licences are unknown (no
	// permission, or not read yet).
	Licensed map[string][]string
	// Listed holds the services the tenant's service health overview
	// lists; nil when unknown.
	Listed []string
}

// Basis names what a verdict rests on.
const (
	BasisEveryone = "everyone"       // the post names no service, or one every tenant has
	BasisLicences = "licences"       // the tenant's subscribed SKUs
	BasisHealth   = "service health" // the services the tenant's health overview lists
	BasisUnknown  = "unknown"        // nothing known yet: shown as relevant
)

// Of returns whether m concerns the tenant, and why.
func Of(m *model.Message, t Tenant) model.Relevance {
	if len(m.Services) == 0 {
		return model.Relevance{Relevant: true, Basis: BasisEveryone, Reason: "names no service"}
	}
	for _, s := range m.Services {
		if tenantWide[key(s)] {
			return model.Relevance{Relevant: true, Basis: BasisEveryone, Reason: s + " is part of every tenant"}
		}
	}
	switch {
	case t.Licensed != nil:
		have := map[string]string{}
		for svc := range t.Licensed {
			have[key(svc)] = svc
		}
		var hit, miss []string
		for _, s := range m.Services {
			if svc, ok := have[key(s)]; ok {
				hit = append(hit, s+" ("+strings.Join(t.Licensed[svc], ", ")+")")
			} else {
				miss = append(miss, s)
			}
		}
		if len(hit) > 0 {
			return model.Relevance{Relevant: true, Basis: BasisLicences, Reason: "licensed: " + strings.Join(hit, "; ")}
		}
		return model.Relevance{Relevant: false, Basis: BasisLicences, Reason: "no licence for " + strings.Join(miss, ", ")}
	case t.Listed != nil:
		have := map[string]bool{}
		for _, s := range t.Listed {
			have[key(s)] = true
		}
		var hit []string
		for _, s := range m.Services {
			if have[key(s)] {
				hit = append(hit, s)
			}
		}
		if len(hit) > 0 {
			return model.Relevance{Relevant: true, Basis: BasisHealth, Reason: "in the tenant's service health: " + strings.Join(hit, ", ")}
		}
		return model.Relevance{Relevant: false, Basis: BasisHealth, Reason: "not in the tenant's service health: " + strings.Join(m.Services, ", ")}
	}
	return model.Relevance{Relevant: true, Basis: BasisUnknown, Reason: "the tenant's services are not known yet"}
}

// Licensed maps subscribed SKUs to the services they grant: each service
// plan that is provisioned (Success, or PendingActivation, which an
// administrator can switch on) in an SKU that is not suspended or deleted,
// through Plans.
func Licensed(skus []model.SubscribedSku) map[string][]string {
	out := map[string][]string{}
	for _, k := range skus {
		switch strings.ToLower(k.CapabilityStatus) {
		case "suspended", "deleted", "lockedout":
			continue
		}
		for _, p := range k.ServicePlans {
			switch strings.ToLower(p.ProvisioningStatus) {
			case "", "success", "pendingactivation":
			default:
				continue
			}
			for _, svc := range Plans[strings.ToUpper(p.ServicePlanName)] {
				if !slices.Contains(out[svc], p.ServicePlanName) {
					out[svc] = append(out[svc], p.ServicePlanName)
				}
			}
		}
	}
	return out
}

// key folds a service name for comparison, and maps the names Microsoft
// used before to today's (Yammer → Viva Engage, Azure AD → Entra).
func key(s string) string {
	k := strings.Join(strings.Fields(strings.ToLower(s)), " ")
	if a, ok := aliases[k]; ok {
		return a
	}
	return k
}
