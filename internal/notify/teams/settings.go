package teams

import (
	"net/url"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
)

// Settings are the keys of a teams channel entry.
type Settings struct {
	// URL is the Workflows webhook URL. It carries its own signature, so
	// it is a secret: use ${NAME} or url_file.
	URL config.Secret `yaml:"url"`
	// URLFile is a file holding URL.
	URLFile string `yaml:"url_file"`
	// Rate caps requests per second to the webhook (default 4).
	Rate int `yaml:"rate"`
}

var (
	_ config.ChannelSettings = (*Settings)(nil)
	_ config.M365Dependent   = (*Settings)(nil)
)

// Validate checks the URL, refusing the retired Office 365 connector URLs,
// and the rate.
func (s *Settings) Validate() error {
	errs := wire.CheckURL("teams", "the Workflows webhook URL", s.URL)
	if u, err := url.Parse(s.URL.Reveal()); err == nil && (strings.HasSuffix(u.Hostname(), ".webhook.office.com") ||
		(u.Hostname() == "outlook.office.com" && strings.HasPrefix(u.Path, "/webhook"))) {
		errs = append(errs, config.FieldError{Key: "url", Msg: "this is an Office 365 connector URL (webhook.office.com); Microsoft retired those connectors. " +
			"Create a Workflows webhook in Teams (channel → ⋯ → Workflows → \"Post to a channel when a webhook request is received\") and use its URL"})
	}
	if s.Rate < 0 {
		errs = append(errs, config.FieldError{Key: "rate", Msg: "must not be negative"})
	}
	return errs.Err()
}

// DependsOnM365 reports true: Teams is part of Microsoft 365.
func (s *Settings) DependsOnM365() bool { return true }

// Type is the teams channel type, for the channel registry.
func Type() notify.ChannelType {
	return notify.ChannelType{
		Name:        "teams",
		NewSettings: func() config.ChannelSettings { return &Settings{} },
		New: func(ch config.Channel, env notify.Env) (notify.Notifier, error) {
			s, err := notify.SettingsOf[*Settings](ch)
			if err != nil {
				return nil, err
			}
			return New(Config{URL: s.URL.Reveal(), Timeout: time.Duration(ch.Timeout), RatePerSecond: float64(s.Rate)}, env.HTTP, env.Now)
		},
	}
}
