package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// serveSkus answers GET /subscribedSkus for the request's tenant: its
// Tenant.SubscribedSkus, or 403 when the app may not read licences.
func (s *Server) serveSkus(w http.ResponseWriter, r *http.Request, rc *reqCtx, base string) {
	reg := s.tenant(rc.tenant)
	if reg == nil || reg.t.SubscribedSkus == nil {
		s.graphError(w, rc, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	type plan struct {
		ServicePlanID      string `json:"servicePlanId"`
		ServicePlanName    string `json:"servicePlanName"`
		ProvisioningStatus string `json:"provisioningStatus"`
		AppliesTo          string `json:"appliesTo"`
	}
	type sku struct {
		ID               string `json:"id"`
		SkuID            string `json:"skuId"`
		SkuPartNumber    string `json:"skuPartNumber"`
		AppliesTo        string `json:"appliesTo"`
		CapabilityStatus string `json:"capabilityStatus"`
		ConsumedUnits    int    `json:"consumedUnits"`
		ServicePlans     []plan `json:"servicePlans"`
	}
	out := make([]sku, 0, len(reg.t.SubscribedSkus))
	for i, k := range reg.t.SubscribedSkus {
		id := fmt.Sprintf("00000000-0000-4000-a000-%012d", i+1)
		v := sku{ID: rc.tenant + "_" + id, SkuID: id, SkuPartNumber: k.SkuPartNumber, AppliesTo: "User",
			CapabilityStatus: k.CapabilityStatus, ConsumedUnits: 25, ServicePlans: []plan{}}
		if v.CapabilityStatus == "" {
			v.CapabilityStatus = "Enabled"
		}
		for j, p := range k.ServicePlans {
			st := p.ProvisioningStatus
			if st == "" {
				st = "Success"
			}
			v.ServicePlans = append(v.ServicePlans, plan{ServicePlanID: fmt.Sprintf("00000000-0000-4000-b%03d-%012d", i+1, j+1),
				ServicePlanName: p.ServicePlanName, ProvisioningStatus: st, AppliesTo: "User"})
		}
		out = append(out, v)
	}
	body, err := json.Marshal(map[string]any{"@odata.context": base + "/$metadata#subscribedSkus", "value": out})
	if err != nil {
		s.graphError(w, rc, http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	_, _ = w.Write(body)
}

// selectable are the properties of each collection's type that $select may
// name (Graph refuses others with 400).
var selectable = map[string][]string{
	"issues": {"id", "title", "service", "feature", "featureGroup", "classification", "origin", "status", "impactDescription",
		"isResolved", "startDateTime", "endDateTime", "lastModifiedDateTime", "details", "posts", "highImpact"},
	"messages": {"id", "title", "category", "severity", "services", "tags", "isMajorChange", "actionRequiredByDateTime",
		"startDateTime", "endDateTime", "lastModifiedDateTime", "body", "hasAttachments", "viewPoint", "details", "attachmentsArchive"},
	"healthOverviews": {"id", "service", "status", "issues"},
}

// parseSelect reads a $select list of the collection whose context URL is
// ctx; nil when there is none.
func parseSelect(v, ctx string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	coll := ctx[strings.LastIndex(ctx, "/")+1:]
	typ := map[string]string{"issues": "serviceHealthIssue", "messages": "serviceUpdateMessage", "healthOverviews": "serviceHealth"}[coll]
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		ok := false
		for _, a := range selectable[coll] {
			if strings.EqualFold(a, p) {
				p, ok = a, true
				break
			}
		}
		if !ok {
			return nil, fmt.Errorf("Could not find a property named '%s' on type 'microsoft.graph.%s'.", p, typ)
		}
		out = append(out, p)
	}
	return out, nil
}

// selectProps keeps the selected properties of one item's JSON, in the
// order $select names them.
func selectProps(raw []byte, sel []string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for _, p := range sel {
		v, ok := m[p]
		if !ok {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, p)
		b.WriteByte(':')
		b.Write(v)
		n++
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
