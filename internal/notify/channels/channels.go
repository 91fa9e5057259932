// Package channels is the registry of shdmc's channel types: the one place
// that names them all. config decodes each channel entry through it (the
// keys of a type are its settings struct), and the app builds each
// notifier through it. Adding a channel type is one package under
// internal/notify and one line in Default.
package channels

import (
	"fmt"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/email"
	"github.com/shdmc/shdmc/internal/notify/file"
	"github.com/shdmc/shdmc/internal/notify/github"
	"github.com/shdmc/shdmc/internal/notify/jira"
	"github.com/shdmc/shdmc/internal/notify/servicenow"
	"github.com/shdmc/shdmc/internal/notify/slack"
	"github.com/shdmc/shdmc/internal/notify/teams"
	"github.com/shdmc/shdmc/internal/notify/webhook"
)

// Registry is a list of channel types, in the order messages name them.
// It implements config.ChannelTypes.
type Registry []notify.ChannelType

var _ config.ChannelTypes = Registry(nil)

// Default returns every channel type of shdmc.
func Default() Registry {
	return Registry{
		file.StdoutType(),
		file.Type(),
		email.Type(),
		teams.Type(),
		slack.Type(),
		webhook.Type(),
		github.Type(),
		jira.Type(),
		servicenow.Type(),
	}
}

// lookup returns the channel type named typ.
func (r Registry) lookup(typ string) (notify.ChannelType, bool) {
	for _, t := range r {
		if t.Name == typ {
			return t, true
		}
	}
	return notify.ChannelType{}, false
}

// ChannelTypeNames implements config.ChannelTypes.
func (r Registry) ChannelTypeNames() []string {
	names := make([]string, len(r))
	for i, t := range r {
		names[i] = t.Name
	}
	return names
}

// NewChannelSettings implements config.ChannelTypes.
func (r Registry) NewChannelSettings(typ string) (config.ChannelSettings, bool) {
	t, ok := r.lookup(typ)
	if !ok {
		return nil, false
	}
	return t.NewSettings(), true
}

// New builds the notifier of a configured channel through its type's
// factory. A channel without settings (built in code) gets its type's
// defaults.
func (r Registry) New(ch config.Channel, env notify.Env) (notify.Notifier, error) {
	t, ok := r.lookup(ch.Type)
	if !ok {
		return nil, fmt.Errorf("unknown channel type %q", ch.Type)
	}
	if ch.Settings == nil {
		ch.Settings = t.NewSettings()
	}
	return t.New(ch, env)
}
