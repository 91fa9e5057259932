package render

import (
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

func digestEvent() *model.Event {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	mc := func(id, title string, cat model.Category, sev model.Severity, major bool, action string) *model.Message {
		m := &model.Message{ID: id, Title: title, Category: cat, Severity: sev, IsMajorChange: major,
			Services: []string{"Exchange Online"}}
		if action != "" {
			m.ActionRequiredBy = at(action)
		}
		return m
	}
	return &model.Event{Type: model.EventDigest, ItemID: "digest", DetectedAt: at("2023-05-22T23:00:00Z"), Items: []model.Event{
		{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC599004", Type: model.EventMessageUpdated,
			Changes: []model.Change{{Kind: model.ChangeBodySection, Field: "When this will happen:", From: "June", To: "July"}},
			Message: mc("MC599004", "(Updated) SharePoint Online: New default for sharing links", model.CategoryPlanForChange, model.SeverityNormal, false, "")},
		{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC599001", Type: model.EventMessageActionDate,
			Changes: []model.Change{{Kind: model.ChangeActionDate, From: "2023-09-30T00:00:00Z", To: "2023-12-31T00:00:00Z"}},
			Message: mc("MC599001", "(Updated) Retirement of Basic authentication for SMTP AUTH", model.CategoryPlanForChange, model.SeverityHigh, true, "2023-12-31T00:00:00Z")},
		{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC599010", Type: model.EventMessageNew,
			Changes: []model.Change{{Kind: model.ChangeNew}},
			Message: mc("MC599010", "Action required: Upgrade Microsoft Entra Connect", model.CategoryPreventOrFixIssue, model.SeverityCritical, true, "2023-08-31T00:00:00Z")},
		{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC599012", Type: model.EventMessageNew,
			Changes: []model.Change{{Kind: model.ChangeNew}},
			Message: mc("MC599012", "Microsoft Teams: Clients will use cached configuration", model.CategoryStayInformed, model.SeverityNormal, false, "")},
	}}
}

func TestDigest(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	for _, tt := range []struct{ name, lang string }{{"digest.golden", ""}, {"digest.ja.golden", "ja"}} {
		t.Run(tt.name, func(t *testing.T) {
			subject, body := Notice(digestEvent(), Options{Location: tokyo, Language: tt.lang, Mode: ModeTranslated})
			got := subject + "\n\n" + body
			golden(t, tt.name, got)
			// Deadlines first, soonest first; then categories.
			i10, i01, i04 := strings.Index(body, "MC599010"), strings.Index(body, "MC599001"), strings.Index(body, "MC599004")
			if i10 < 0 || i01 < 0 || i04 < 0 || !(i10 < i01 && i01 < i04) {
				t.Errorf("order MC599010 %d < MC599001 %d < MC599004 %d broken:\n%s", i10, i01, i04, body)
			}
		})
	}
	if _, err := AdaptiveCard(digestEvent(), Options{}); err != nil {
		t.Errorf("digest as a Teams card: %v", err)
	}
	if _, h, _ := HTML(digestEvent(), Options{}); !strings.Contains(h, "MC599012") {
		t.Error("digest HTML lacks an item")
	}
}

// TestDigestRelevantFirst: posts that concern the tenant come first in
// their group; the others are marked.
func TestDigestRelevantFirst(t *testing.T) {
	no := &model.Relevance{Relevant: false, Basis: "licences", Reason: "no licence for Power BI"}
	ev := model.Event{Type: model.EventDigest, ItemID: "digest", DetectedAt: time.Date(2024, 6, 3, 8, 0, 0, 0, time.UTC), Items: []model.Event{
		{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC2", Type: model.EventMessageNew, Relevance: no,
			Changes: []model.Change{{Kind: model.ChangeNew}}, Message: &model.Message{ID: "MC2", Title: "Power BI", Category: model.CategoryPlanForChange}},
		{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageNew,
			Changes: []model.Change{{Kind: model.ChangeNew}}, Message: &model.Message{ID: "MC1", Title: "Exchange", Category: model.CategoryPlanForChange}},
	}}
	_, body := Notice(&ev, Options{Format: FormatText})
	i1, i2 := strings.Index(body, "MC1"), strings.Index(body, "MC2")
	if i1 < 0 || i2 < 0 || i1 > i2 {
		t.Errorf("relevant MC1 not before MC2:\n%s", body)
	}
	if !strings.Contains(body, "MC2 ") || !strings.Contains(body[i2:], "not for this tenant") {
		t.Errorf("MC2 not marked:\n%s", body)
	}
}
