package store

import (
	"fmt"
	"math"
	"time"
)

// timeLayout is how the times of most tables are stored (see encodeNano
// for the others): fixed-width RFC 3339 with
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

// The tables that grow with every change (items, revisions, events and
// outbox, migration 00012) store their times as integers: nanoseconds
// since the Unix epoch, 8 bytes instead of the 30 of the text form, with
// the zero time stored as 0. They compare and sort as numbers in both
// engines and round-trip exactly. Times outside what int64 nanoseconds hold
// (before 1678 or after 2261) are clamped to those bounds.

// encodeNano renders t for an integer time column.
func encodeNano(t time.Time) int64 {
	lo, hi := time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)
	switch {
	case t.IsZero():
		return 0
	case t.Before(lo):
		return math.MinInt64
	case t.After(hi):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// decodeNano reads an integer time column; 0 gives the zero time.Time.
func decodeNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// anyTime scans a time stored in either form, an integer (encodeNano) or
// text (encodeTime): the Go migrations run on tables of the schema they
// were written for, whose times may still be text.
type anyTime struct{ t time.Time }

// Scan implements sql.Scanner.
func (a *anyTime) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		a.t = decodeNano(x)
	case string:
		t, err := decodeTime(x)
		if err != nil {
			return err
		}
		a.t = t
	case []byte:
		return a.Scan(string(x))
	case nil:
		a.t = time.Time{}
	default:
		return fmt.Errorf("scan stored time: unexpected %T", v)
	}
	return nil
}
