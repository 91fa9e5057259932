package config_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify/channels"
	"github.com/shdmc/shdmc/internal/notify/email"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/notify/slack"
	"github.com/shdmc/shdmc/internal/notify/teams"
	"github.com/shdmc/shdmc/internal/notify/webhook"
)

// TestChannelSettingsDecoded checks what the registered channel types get
// from their entries: secrets from ${NAME} and *_file keys (paths resolved
// against the file's directory), a type given after the other keys or
// through a merge key, and the types' defaults.
func TestChannelSettingsDecoded(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"hook.txt": "https://prod-01.westeurope.logic.azure.com/workflows/" + leakMarker + "-url-file\n", "smtp.txt": leakMarker + "-smtp-file\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text := `x-hook: &hook
  type: webhook
  format: cloudevents
channels:
  - name: teams
    url_file: hook.txt
    rate: 2
    type: teams
  - name: slack
    type: slack
    bot_token: ${BOT_TOKEN}
    slack_channel: C0123456789
  - name: mail
    type: smtp
    timeout: 10s
    smtp:
      host: smtp.office365.com
      auth: login
      username: shdmc@example.com
      password_file: smtp.txt
      from: shdmc@example.com
      to: [a@example.com]
  - name: hook
    <<: *hook
    url: https://tickets.example.com/hooks/m365
    secret: ${BOT_TOKEN}
  - name: console
    type: stdout
  - name: archive
    type: file
    path: out.jsonl
`
	path := filepath.Join(dir, "shdmc.yaml")
	cfg, err := config.Parse([]byte(text), path, testEnv(map[string]string{"BOT_TOKEN": leakMarker + "-bot"}), channels.Default())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got := map[string]any{}
	for _, ch := range cfg.Channels {
		got[ch.Name] = ch.Settings
	}
	want := map[string]any{
		"teams": &teams.Settings{URL: "https://prod-01.westeurope.logic.azure.com/workflows/" + leakMarker + "-url-file", URLFile: filepath.Join(dir, "hook.txt"), Rate: 2},
		"slack": &slack.Settings{BotToken: leakMarker + "-bot", SlackChannel: "C0123456789"},
		"mail": &email.Settings{SMTP: email.SMTP{Host: "smtp.office365.com", Auth: "login", Username: "shdmc@example.com",
			Password: leakMarker + "-smtp-file", PasswordFile: filepath.Join(dir, "smtp.txt"), From: "shdmc@example.com", To: []string{"a@example.com"}}},
		"hook":    &webhook.Settings{URL: "https://tickets.example.com/hooks/m365", Format: "cloudevents", Secret: leakMarker + "-bot"},
		"console": &file.StdoutSettings{Format: "text"},
		"archive": &file.Settings{Path: "out.jsonl", Format: "json"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if cfg.Channels[2].Timeout.Std().String() != "10s" || cfg.Channels[3].Type != "webhook" {
		t.Errorf("common keys: timeout %s, type %q", cfg.Channels[2].Timeout, cfg.Channels[3].Type)
	}
	if !cfg.Channels[2].DependsOnM365() || !cfg.Channels[0].DependsOnM365() || cfg.Channels[1].DependsOnM365() {
		t.Errorf("DependsOnM365: teams %v, mail via Exchange Online %v, slack %v; want true, true, false",
			cfg.Channels[0].DependsOnM365(), cfg.Channels[2].DependsOnM365(), cfg.Channels[1].DependsOnM365())
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), leakMarker) {
		t.Errorf("JSON shows a channel secret: %s", b)
	}
}

// TestChannelValidateBuiltInCode: a Config built in code has its channels'
// settings validated too, and a channel without settings is refused.
func TestChannelValidateBuiltInCode(t *testing.T) {
	cfg := config.Default()
	cfg.Channels = []config.Channel{
		{Name: "archive", Type: "file", Settings: &file.Settings{Format: "html"}},
		{Name: "bare", Type: "stdout"},
		{Name: "hook", Type: "webhook", Settings: &webhook.Settings{URL: "http://hooks.example.com/" + leakMarker}},
	}
	want := strings.Join([]string{
		`channels[0].format: unknown format "html" (want text or markdown or json)`,
		"channels[0].path: a file channel needs path",
		`channels[1].type: no settings for channel type "stdout"`,
		"channels[2].url: url must be an https URL (http only for a loopback host)",
	}, "\n")
	err := cfg.Validate()
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	cfg.Channels = cfg.Channels[:1]
	cfg.Channels[0].Settings = &file.Settings{Format: "json", Path: "x.jsonl"}
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid channel: %v", err)
	}
}

// TestChannelsWithoutTypes: Parse without channel types knows none, and
// says so rather than guessing.
func TestChannelsWithoutTypes(t *testing.T) {
	_, err := config.Parse([]byte("channels:\n  - name: console\n    type: stdout\n    format: text\n"), "x.yaml", nil, nil)
	want := "x.yaml:3: channels[0].type: no settings for channel type \"stdout\"\nx.yaml:4: channels[0].format: unknown key"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
