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

// TestOutageDurationExact: the length of an outage reads exactly, to the
// second: a 4-second outage is not "1 min".
func TestOutageDurationExact(t *testing.T) {
	tests := []struct {
		seconds string
		en, ja  string
	}{
		{"0", "after 0 s", "0秒"},
		{"4", "after 4 s", "4秒後に復旧"},
		{"60", "after 1 min |", "1分後に復旧"},
		{"90", "after 1 min 30 s", "1分30秒"},
		{"3600", "after 1 h 0 min |", "1時間0分後"},
		{"4325", "after 1 h 12 min 5 s", "1時間12分5秒"},
	}
	for _, tt := range tests {
		t.Run(tt.seconds, func(t *testing.T) {
			ev := &model.Event{Tenant: "contoso", Source: model.SourceGraph, ItemID: "graph", Type: model.EventSourceRestored,
				DetectedAt: time.Date(2024, 11, 25, 11, 0, 0, 0, time.UTC),
				Changes:    []model.Change{{Kind: model.ChangeOutage, Field: "2024-11-25T10:00:00Z", From: "network", To: tt.seconds}}}
			for lang, want := range map[string]string{"en": tt.en, "ja": tt.ja} {
				subject, body := Notice(ev, Options{Language: lang, Mode: ModeTranslated, Location: time.UTC})
				if text := subject + " |\n" + body; !strings.Contains(text, want) {
					t.Errorf("%s notice lacks %q:\n%s", lang, want, text)
				}
			}
		})
	}
}
