package webhook

import (
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
)

// Settings are the keys of a webhook channel entry.
type Settings struct {
	// URL is the endpoint. It is treated as a secret: use ${NAME} or
	// url_file.
	URL config.Secret `yaml:"url"`
	// URLFile is a file holding URL.
	URLFile string `yaml:"url_file"`
	// Format is json (default) or cloudevents.
	Format string `yaml:"format"`
	// Secret is the HMAC-SHA256 key the bodies are signed with; empty
	// sends no signature.
	Secret config.Secret `yaml:"secret"`
	// SecretFile is a file holding Secret.
	SecretFile string `yaml:"secret_file"`
}

var _ config.ChannelSettings = (*Settings)(nil)

// Validate checks the format and the URL.
func (s *Settings) Validate() error {
	var errs config.FieldErrors
	if s.Format != "" && s.Format != FormatJSON && s.Format != FormatCloudEvents {
		errs = append(errs, config.FieldError{Key: "format", Msg: config.UnknownValue("format", s.Format, FormatJSON, FormatCloudEvents)})
	}
	errs = append(errs, wire.CheckURL("webhook", "url", s.URL)...)
	return errs.Err()
}

// Type is the webhook channel type, for the channel registry.
func Type() notify.ChannelType {
	return notify.ChannelType{
		Name:        "webhook",
		NewSettings: func() config.ChannelSettings { return &Settings{Format: FormatJSON} },
		New: func(ch config.Channel, env notify.Env) (notify.Notifier, error) {
			s, err := notify.SettingsOf[*Settings](ch)
			if err != nil {
				return nil, err
			}
			return New(Config{URL: s.URL.Reveal(), Secret: s.Secret.Reveal(), Format: s.Format,
				Timeout: time.Duration(ch.Timeout)}, env.HTTP, env.Now)
		},
	}
}
