package config

import (
	"strings"
	"testing"
)

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
	c, err := Parse([]byte("health:\n  failures: 7\n"), "old.yaml", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Outage.Failures != 7 || c.Outage.After.Std() == 0 {
		t.Errorf("outage = %+v, want failures 7 and the default after", c.Outage)
	}
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "old.yaml:1: health: is now called outage:") {
		t.Errorf("warnings = %q", w)
	}
	if _, err := Parse([]byte("health:\n  failures: 7\noutage:\n  failures: 2\n"), "both.yaml", nil, nil); err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Errorf("health: and outage: together: err = %v, want a duplicate key", err)
	}
}
