package config_test

import (
	"strings"
	"testing"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify/email"
	"github.com/shdmc/shdmc/internal/notify/slack"
	"github.com/shdmc/shdmc/internal/notify/teams"
	"github.com/shdmc/shdmc/internal/notify/webhook"
)

// TestHealthWarnings lives outside package config because the channels'
// settings (which say whether a channel depends on Microsoft 365) do.
func TestHealthWarnings(t *testing.T) {
	smtp := func(host string) *email.Settings { return &email.Settings{SMTP: email.SMTP{Host: host}} }
	teamsCh := config.Channel{Name: "teams", Type: "teams", Settings: &teams.Settings{}}
	exo := config.Channel{Name: "exo", Type: "smtp", Settings: smtp("contoso-com.mail.protection.outlook.com")}
	o365 := config.Channel{Name: "o365", Type: "smtp", Settings: smtp("smtp.office365.com")}
	slackCh := config.Channel{Name: "slack", Type: "slack", Settings: &slack.Settings{}}
	mail := config.Channel{Name: "mail", Type: "smtp", Settings: smtp("smtp.example.com")}
	indepTeams := config.Channel{Name: "teams2", Type: "teams", Settings: &teams.Settings{}, Independent: true}
	down := config.Match{Events: []string{"source.down"}}
	tests := []struct {
		name     string
		channels []config.Channel
		routes   []config.Route
		warn     bool
		defaults []string
	}{
		{"only teams and exchange", []config.Channel{teamsCh, exo, o365}, nil, true, nil},
		{"slack carries them", []config.Channel{teamsCh, slackCh}, nil, false, []string{"slack"}},
		{"independent wins", []config.Channel{teamsCh, slackCh, mail, {Name: "pager", Type: "webhook", Settings: &webhook.Settings{}, Independent: true}}, nil, false, []string{"pager"}},
		{"route through teams only", []config.Channel{teamsCh, slackCh}, []config.Route{{Name: "r", Match: down, Channels: []string{"teams"}}}, true, []string{"slack"}},
		{"route with failover to mail", []config.Channel{teamsCh, mail}, []config.Route{{Name: "r", Match: down, Channels: []string{"teams"}, Failover: config.Failover{Channel: "mail"}}}, false, []string{"mail"}},
		{"route through slack", []config.Channel{teamsCh, slackCh}, []config.Route{{Name: "r", Match: config.Match{Sources: []string{"graph"}}, Channels: []string{"slack"}}}, false, []string{"slack"}},
		{"teams marked independent", []config.Channel{indepTeams}, nil, false, []string{"teams2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.Tenants = []config.Tenant{{ID: "contoso"}}
			c.Channels, c.Routes = tt.channels, tt.routes
			w := c.Warnings()
			if (len(w) > 0) != tt.warn {
				t.Errorf("warnings = %q, want a warning: %v", w, tt.warn)
			}
			for _, s := range w {
				if !strings.Contains(s, "depend on Microsoft 365") {
					t.Errorf("warning %q does not say why", s)
				}
			}
			got := strings.Join(c.SourceDownChannels(), ",")
			if got != strings.Join(tt.defaults, ",") {
				t.Errorf("SourceDownChannels = %s, want %s", got, strings.Join(tt.defaults, ","))
			}
		})
	}
}
