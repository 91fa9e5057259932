package slack

import (
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
)

// Settings are the keys of a slack channel entry: url (an incoming
// webhook), or bot_token with slack_channel.
type Settings struct {
	// URL is the incoming webhook URL. It carries its own credential, so
	// it is a secret: use ${NAME} or url_file.
	URL config.Secret `yaml:"url"`
	// URLFile is a file holding URL.
	URLFile string `yaml:"url_file"`
	// BotToken is a bot token (xoxb-…); with SlackChannel it posts through
	// chat.postMessage so that updates of one item form a thread.
	BotToken config.Secret `yaml:"bot_token"`
	// BotTokenFile is a file holding BotToken.
	BotTokenFile string `yaml:"bot_token_file"`
	// SlackChannel is the Slack channel ID for BotToken.
	SlackChannel string `yaml:"slack_channel"`
}

var _ config.ChannelSettings = (*Settings)(nil)

// Validate checks that one mode is configured, completely.
func (s *Settings) Validate() error {
	switch {
	case s.BotToken != "" && s.URL != "":
		return config.FieldError{Key: "bot_token", Msg: "set either url (incoming webhook) or bot_token with slack_channel, not both"}
	case s.BotToken != "":
		if s.SlackChannel == "" {
			return config.FieldError{Key: "slack_channel", Msg: "bot_token needs slack_channel (a channel ID such as C0123456789)"}
		}
		return nil
	default:
		return wire.CheckURL("slack", "the incoming webhook URL", s.URL).Err()
	}
}

// Type is the slack channel type, for the channel registry.
func Type() notify.ChannelType {
	return notify.ChannelType{
		Name:        "slack",
		NewSettings: func() config.ChannelSettings { return &Settings{} },
		New: func(ch config.Channel, env notify.Env) (notify.Notifier, error) {
			s, err := notify.SettingsOf[*Settings](ch)
			if err != nil {
				return nil, err
			}
			return New(Config{WebhookURL: s.URL.Reveal(), BotToken: s.BotToken.Reveal(), Channel: s.SlackChannel,
				Timeout: time.Duration(ch.Timeout)}, env.HTTP, env.Threads, env.Now)
		},
	}
}
