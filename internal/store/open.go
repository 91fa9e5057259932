package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// ErrPostgresNotBuilt is returned by Open for a postgres:// DSN until the
// PostgreSQL engine exists.
var ErrPostgresNotBuilt = errors.New("PostgreSQL engine not built yet")

// Option configures Open.
type Option func(*options)

type options struct {
	logger *slog.Logger
	now    func() time.Time
}

// WithLogger sets the logger the store reports migrations and problems to.
// The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithNow sets the clock used for the times the store stamps itself
// (tenant creation, SeenAt and event DetectedAt when left zero, outbox
// creation). The default is time.Now.
func WithNow(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// Open opens the store named by dsn and brings its schema up to date. The
// engine is chosen from the DSN:
//
//   - "sqlite:///abs/path.db", "sqlite://relative.db", "file:path.db?…",
//     a plain path, or ":memory:" open SQLite (modernc.org/sqlite);
//   - "postgres://…" and "postgresql://…" name PostgreSQL, which is not
//     built yet: Open returns an error wrapping ErrPostgresNotBuilt.
func Open(ctx context.Context, dsn string, opts ...Option) (Store, error) {
	o := options{
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		now:    time.Now,
	}
	for _, opt := range opts {
		opt(&o)
	}
	dsn = strings.TrimSpace(dsn)
	lower := strings.ToLower(dsn)
	switch {
	case dsn == "":
		return nil, errors.New("open store: empty DSN")
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return nil, fmt.Errorf("open store: %w", ErrPostgresNotBuilt)
	case strings.HasPrefix(lower, "sqlite://"):
		return openSQLite(ctx, dsn[len("sqlite://"):], o)
	case strings.HasPrefix(lower, "sqlite:"):
		return openSQLite(ctx, dsn[len("sqlite:"):], o)
	case strings.Contains(lower, "://"):
		return nil, fmt.Errorf("open store: unsupported DSN scheme in %q", redactDSN(dsn))
	default:
		return openSQLite(ctx, dsn, o)
	}
}

// redactDSN drops any user info from a URL-like DSN so that a password never
// reaches an error message.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if slash := strings.Index(rest, "/"); slash < 0 || at < slash {
			rest = "<redacted>@" + rest[at+1:]
		}
	}
	return scheme + "://" + rest
}
