package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// SubscribedSkus lists the tenant's commercial subscriptions and their
// service plans (GET /subscribedSkus; LicenseAssignment.Read.All or
// Organization.Read.All). Without the permission Graph answers 403: an
// *APIError with Status 403, which callers treat as "licences unknown".
func (c *Client) SubscribedSkus(ctx context.Context) ([]model.SubscribedSku, error) {
	root := strings.TrimSuffix(c.base, "admin/serviceAnnouncement/")
	var out []model.SubscribedSku
	err := c.fetch(ctx, root+"subscribedSkus", false, func(r *response) error {
		var page struct {
			Value []model.SubscribedSku `json:"value"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			return fmt.Errorf("decode subscribed SKUs: %w", err)
		}
		out = page.Value
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list subscribed SKUs: %w", err)
	}
	return out, nil
}
