package config

import (
	"strings"
	"testing"
)

func TestHealthWarnings(t *testing.T) {
	teams := Channel{Name: "teams", Type: ChannelTeams}
	exo := Channel{Name: "exo", Type: ChannelSMTP, SMTP: SMTP{Host: "contoso-com.mail.protection.outlook.com"}}
	o365 := Channel{Name: "o365", Type: ChannelSMTP, SMTP: SMTP{Host: "smtp.office365.com"}}
	slack := Channel{Name: "slack", Type: ChannelSlack}
	mail := Channel{Name: "mail", Type: ChannelSMTP, SMTP: SMTP{Host: "smtp.example.com"}}
	indepTeams := Channel{Name: "teams2", Type: ChannelTeams, Independent: true}
	down := Match{Events: []string{"source.down"}}
	tests := []struct {
		name     string
		channels []Channel
		routes   []Route
		warn     bool
		defaults []string
	}{
		{"only teams and exchange", []Channel{teams, exo, o365}, nil, true, nil},
		{"slack carries them", []Channel{teams, slack}, nil, false, []string{"slack"}},
		{"independent wins", []Channel{teams, slack, mail, {Name: "pager", Type: ChannelWebhook, Independent: true}}, nil, false, []string{"pager"}},
		{"route through teams only", []Channel{teams, slack}, []Route{{Name: "r", Match: down, Channels: []string{"teams"}}}, true, []string{"slack"}},
		{"route with failover to mail", []Channel{teams, mail}, []Route{{Name: "r", Match: down, Channels: []string{"teams"}, Failover: Failover{Channel: "mail"}}}, false, []string{"mail"}},
		{"route through slack", []Channel{teams, slack}, []Route{{Name: "r", Match: Match{Sources: []string{"graph"}}, Channels: []string{"slack"}}}, false, []string{"slack"}},
		{"teams marked independent", []Channel{indepTeams}, nil, false, []string{"teams2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Tenants = []Tenant{{ID: "contoso"}}
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

func TestHealthValidation(t *testing.T) {
	c := Default()
	c.Outage.Failures = 0
	c.Outage.PublicStatus.Poll = "sometimes"
	c.Outage.PublicStatus.AzureURL = "http://azure.example.com/feed"
	c.Outage.Heartbeat.URL = "http://hc.example.com/secret-token"
	c.Outage.Heartbeat.Method = "PUT"
	err := c.Validate()
	if err == nil {
		t.Fatal("bad health block accepted")
	}
	for _, want := range []string{"outage.failures", "outage.public_status.poll", "outage.public_status.azure_url", "outage.heartbeat.url", "outage.heartbeat.method"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "secret-token") {
		t.Errorf("error shows the heartbeat URL: %v", err)
	}
	c = Default()
	c.Outage.Heartbeat.URL = "http://127.0.0.1:9/ping"
	if err := c.Validate(); err != nil {
		t.Errorf("loopback heartbeat refused: %v", err)
	}
}

// TestOldHealthKey: configs written before the rename still load, with a
// warning that names the new key.
func TestOldHealthKey(t *testing.T) {
	c, err := Parse([]byte("health:\n  failures: 7\n"), "old.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Outage.Failures != 7 || c.Outage.After.Std() == 0 {
		t.Errorf("outage = %+v, want failures 7 and the default after", c.Outage)
	}
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "old.yaml:1: health: is now called outage:") {
		t.Errorf("warnings = %q", w)
	}
	if _, err := Parse([]byte("health:\n  failures: 7\noutage:\n  failures: 2\n"), "both.yaml", nil); err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Errorf("health: and outage: together: err = %v, want a duplicate key", err)
	}
}
