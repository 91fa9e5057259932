package render

import (
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

func TestComposeSource(t *testing.T) {
	at := time.Date(2024, 11, 25, 10, 5, 0, 0, time.UTC)
	down := &model.Event{Tenant: "contoso", Source: model.SourceGraph, ItemID: "graph", Type: model.EventSourceDown, DetectedAt: at,
		Changes: []model.Change{
			{Kind: model.ChangeFailure, Field: "auth", From: "AADSTS50020", To: "acquire token: HTTP 400: invalid_request"},
			{Kind: model.ChangeStart, To: "2024-11-25T09:55:00Z"},
		}}
	up := &model.Event{Tenant: "contoso", Source: model.SourceGraph, ItemID: "graph", Type: model.EventSourceRestored,
		DetectedAt: at.Add(62 * time.Minute),
		Changes:    []model.Change{{Kind: model.ChangeOutage, Field: "2024-11-25T09:55:00Z", From: "auth", To: "4320"}}}
	tests := []struct {
		name string
		ev   *model.Event
		lang string
		want []string
	}{
		{"down en", down, "en", []string{"[Source unavailable] Microsoft Graph", "contoso", "sign-in to Microsoft Entra ID failed",
			"AADSTS50020", "2024-11-25 09:55", "invalid_request", "last known state"}},
		{"restored en", up, "en", []string{"[Source restored] Microsoft Graph", "after 1 h 12 min", "2024-11-25 09:55", "2024-11-25 11:07"}},
		{"down ja", down, "ja", []string{"[ソース利用不可]", "Microsoft Entra ID へのサインインに失敗", "AADSTS50020"}},
		{"restored ja", up, "ja", []string{"[ソース復旧]", "1時間12分"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject, body := Notice(tt.ev, Options{Language: tt.lang, Mode: ModeTranslated, Location: time.UTC})
			text := subject + "\n" + body
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("notice lacks %q:\n%s", w, text)
				}
			}
		})
	}
}
