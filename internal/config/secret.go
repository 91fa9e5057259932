package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// redacted is what every printing path shows instead of a secret.
const redacted = "<secret>"

// Secret is a string that must never leave the process: a client secret, a
// certificate password, a database password. Every way Go has to print or
// encode a value (fmt verbs including %#v, JSON, YAML, text, slog) shows
// "<secret>"; only Reveal returns the value, and it should be called right
// where the value is handed to the library that needs it.
type Secret string

// Reveal returns the secret value itself.
func (s Secret) Reveal() string { return string(s) }

// String returns "<secret>".
func (s Secret) String() string { return redacted }

// GoString returns "<secret>", so %#v does not show the value either.
func (s Secret) GoString() string { return redacted }

// Format prints "<secret>" for every verb and flag (%s %v %+v %#v %q %x …),
// because fmt would otherwise print the underlying string for %x or %q.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprint(f, `"`+redacted+`"`)
		return
	}
	fmt.Fprint(f, redacted)
}

// MarshalJSON encodes the secret as the JSON string "<secret>".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the secret as "<secret>" for text-based encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalYAML encodes the secret as "<secret>".
func (s Secret) MarshalYAML() (any, error) { return redacted, nil }

// LogValue makes slog print "<secret>" with every handler.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Duration is a time.Duration written in configuration files the way Go
// writes durations: "90s", "5m", "1h30m". A bare number is an error, because
// "interval: 5" could mean seconds or minutes.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d compactly: "5m", "1h30m", "90s" rather than "5m0s",
// and whole days of two or more as "180d".
func (d Duration) String() string {
	if day := Duration(24 * time.Hour); d >= 2*day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText encodes d like String, so JSON and YAML show "5m".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a Go duration such as "5m" or "1h30m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// parseDuration parses a Go duration, or a whole number of days ("180d"),
// and explains the accepted syntax when it is neither.
func parseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(t, "d"); ok {
		if days, err := strconv.ParseInt(n, 10, 32); err == nil && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	v, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: write it like 90s, 5m or 1h30m", s)
	}
	return v, nil
}
