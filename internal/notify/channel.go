package notify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/render"
)

// ChannelType is one kind of channel: its name in the configuration file,
// its settings (the keys of its channel entries, which config decodes and
// validates) and the factory of its notifier. Each channel package returns
// its own from a Type function; internal/notify/channels lists them.
type ChannelType struct {
	// Name is the value of the type key, e.g. "teams".
	Name string
	// NewSettings returns new settings with the type's defaults: a pointer
	// to the struct whose yaml tags are the type's keys.
	NewSettings func() config.ChannelSettings
	// New builds the notifier of a channel of this type.
	New Factory
}

// Factory builds the notifier of one configured channel. ch.Settings holds
// settings of the type's NewSettings (SettingsOf gets them).
type Factory func(ch config.Channel, env Env) (Notifier, error)

// Env is what a channel may take from the process when it is built.
type Env struct {
	// Stdout is where a stdout channel writes.
	Stdout io.Writer
	// Render holds the channel's time zone, in the text format; a channel
	// with a format setting replaces Format.
	Render render.Options
	// HTTP is the client of the HTTP channels, shared by all of them; it
	// does not follow redirects.
	HTTP *http.Client
	// Threads keeps thread references for channels that thread updates
	// (the store); may be nil.
	Threads ThreadStore
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ThreadStore keeps, per channel thread and item, the reference of the
// first message about the item (a Slack ts), so that updates reply to it.
// The store implements it.
type ThreadStore interface {
	// ThreadRef returns the stored reference, or store.ErrNotFound.
	ThreadRef(ctx context.Context, channel, key string) (string, error)
	// SetThreadRef stores ref unless one is stored already and returns the
	// stored one (the first wins).
	SetThreadRef(ctx context.Context, channel, key, ref string) (string, error)
}

// SettingsOf returns the settings of ch as the type S its channel type
// declares, or an error naming what ch holds instead (a Config built in
// code with another type's settings).
func SettingsOf[S config.ChannelSettings](ch config.Channel) (S, error) {
	s, ok := ch.Settings.(S)
	if !ok {
		var want S
		return want, fmt.Errorf("channel type %s: settings are %T, want %T", ch.Type, ch.Settings, want)
	}
	return s, nil
}
