package store

import (
	"fmt"
	"time"
)

// timeLayout is how every time is stored: fixed-width RFC 3339 with
// nanoseconds, always in UTC, so that stored times compare correctly as text
// in either engine and round-trip exactly.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// encodeTime renders t for storage. The zero time becomes
// "0001-01-01T00:00:00.000000000Z", which sorts before every real time.
func encodeTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// decodeTime parses a stored time; the result is in UTC and the zero text
// gives the zero time.Time.
func decodeTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}
