package config

import (
	"errors"
	"strings"
	"time"
)

// Channel is one destination for notices: the keys every channel has, and
// Settings, the keys of its type.
type Channel struct {
	// Name identifies the channel in routes and in the delivery log; unique.
	Name string `yaml:"name"`
	// Type is the channel type (stdout, file, smtp, teams, slack or
	// webhook); it decides which other keys the channel entry holds.
	Type string `yaml:"type"`
	// TimeZone overrides Config.TimeZone for this channel.
	TimeZone string `yaml:"time_zone"`
	// Timeout bounds one send (default 30s).
	Timeout Duration `yaml:"timeout"`
	// Independent marks a channel that does not depend on Microsoft 365
	// (not Teams, not mail through Exchange Online): "source unavailable"
	// notices go to these channels by default.
	Independent bool `yaml:"independent"`
	// Settings are the keys of the channel's type, decoded into the
	// settings that type's ChannelTypes entry returned: a pointer to a
	// struct of the channel package. Load leaves it nil only when the type
	// is missing or unknown (which is an error).
	Settings ChannelSettings `yaml:"-"`
}

// ChannelSettings are the keys of one channel type: a pointer to a struct
// whose yaml tags name them, as the channel's package defines it. Load
// decodes them from the channel's entry as strictly as the rest of the
// file (unknown keys, wrong types and bad values name file, line and key),
// expands ${NAME} in strings, and for every Secret field K reads the file
// named by the string field K_file when that is set (relative to the
// configuration file), as it does for client_secret_file.
type ChannelSettings interface {
	// Validate returns nil, or the problems of the settings; a FieldErrors
	// (or FieldError) locates each at its key, which Load and Validate
	// report with the line where it is set.
	Validate() error
}

// ChannelTypes tells Load and Parse which channel types exist and how to
// decode their settings; internal/notify/channels lists shdmc's. Config
// itself knows none, so that channel packages can use Secret and Duration.
type ChannelTypes interface {
	// ChannelTypeNames lists the types, in the order messages name them.
	ChannelTypeNames() []string
	// NewChannelSettings returns new settings of a type, holding its
	// defaults; false for an unknown type.
	NewChannelSettings(typ string) (ChannelSettings, bool)
}

// M365Dependent is implemented by the settings of channel types that may
// go through Microsoft 365 and so may fail together with it.
type M365Dependent interface {
	// DependsOnM365 reports whether this channel goes through Microsoft
	// 365 (a Teams webhook, mail through Exchange Online).
	DependsOnM365() bool
}

// FieldError is one problem of a channel's settings.
type FieldError struct {
	// Key is the key path below the channel entry: "url", "smtp.to[1]".
	Key string
	// Msg says what is wrong; it never quotes a secret.
	Msg string
	// Related are keys (below the channel entry) whose own problems
	// explain this one, such as url and url_file for "needs url": when
	// one of them was already reported (an unreadable url_file), Load
	// leaves this one out.
	Related []string
}

// Error formats the problem as "key: msg".
func (e FieldError) Error() string {
	if e.Key == "" {
		return e.Msg
	}
	return e.Key + ": " + e.Msg
}

// FieldErrors are every problem of a channel's settings, in the order they
// were found.
type FieldErrors []FieldError

// Error lists the problems, separated by "; ".
func (es FieldErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Err returns es as an error, or nil when it is empty (a nil FieldErrors
// in an error interface would not be nil).
func (es FieldErrors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// fieldErrors returns the problems of a Validate error.
func fieldErrors(err error) FieldErrors {
	if err == nil {
		return nil
	}
	if es, ok := errors.AsType[FieldErrors](err); ok {
		return es
	}
	if e, ok := errors.AsType[FieldError](err); ok {
		return FieldErrors{e}
	}
	return FieldErrors{{Msg: err.Error()}}
}

// Location returns the channel's time zone, or fallback when the channel
// has none or an invalid one.
func (ch *Channel) Location(fallback *time.Location) *time.Location {
	if ch.TimeZone == "" {
		return fallback
	}
	loc, err := time.LoadLocation(ch.TimeZone)
	if err != nil {
		return fallback
	}
	return loc
}

// DependsOnM365 reports whether a channel goes through Microsoft 365 and
// so may fail together with it, as its settings say (M365Dependent). A
// channel marked independent never does.
func (ch *Channel) DependsOnM365() bool {
	if ch.Independent {
		return false
	}
	d, ok := ch.Settings.(M365Dependent)
	return ok && d.DependsOnM365()
}
