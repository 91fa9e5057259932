package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/netsafe"
)

// Option configures Open.
type Option func(*options)

type options struct {
	logger     *slog.Logger
	now        func() time.Time
	worker     string
	stampEvery time.Duration
	// progressEvery: see WithMigrationProgress.
	progressEvery time.Duration
}

// WithWorker sets the name this process gives the deliveries it claims
// (see NewWorkerID, the default).
func WithWorker(id string) Option {
	return func(o *options) {
		if id != "" {
			o.worker = id
		}
	}
}

// WithMigrationProgress sets how often a migration that is still running
// logs store_migration_progress (default 10 s; 0 or less: never).
func WithMigrationProgress(every time.Duration) Option {
	return func(o *options) { o.progressEvery = every }
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

// WithCursorStamp lets a Commit that changes nothing (no items, events or
// deliveries, and the cursor as stored: a quiet poll) write nothing at all
// while the cursor's stamp (SourceState.UpdatedAt, the last successful
// poll) is younger than every; an older stamp is refreshed. The default, 0,
// refreshes the stamp at every commit. Readers that call a source stale
// after k polling intervals stay correct with every up to (k−1) intervals;
// the polling interval is a good choice.
func WithCursorStamp(every time.Duration) Option {
	return func(o *options) { o.stampEvery = every }
}

// Open opens the store named by dsn and brings its schema up to date. The
// engine is chosen from the DSN:
//
//   - "sqlite:///abs/path.db", "sqlite://relative.db", "file:path.db?…",
//     a plain path, or ":memory:" open SQLite (modernc.org/sqlite);
//   - "postgres://user[:password]@host[:port]/database?sslmode=…" and
//     "postgresql://…" open PostgreSQL through pgx; every libpq parameter
//     and PG* environment variable (PGPASSWORD, PGPASSFILE, …) applies.
//     Several processes may share one PostgreSQL database: migrations run
//     once under an advisory lock, and deliveries and tenant leases are
//     claimed with FOR UPDATE SKIP LOCKED.
//
// Errors never show a password from the DSN.
func Open(ctx context.Context, dsn string, opts ...Option) (Store, error) {
	o := options{
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		now:    time.Now,
		worker: NewWorkerID(),

		progressEvery: defaultProgressEvery,
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
		return openPostgres(ctx, dsn, o)
	case strings.HasPrefix(lower, "sqlite://"):
		return openSQLite(ctx, dsn[len("sqlite://"):], o)
	case strings.HasPrefix(lower, "sqlite:"):
		return openSQLite(ctx, dsn[len("sqlite:"):], o)
	case strings.Contains(lower, "://"):
		return nil, fmt.Errorf("open store: unsupported DSN scheme in %q", netsafe.DSN(dsn))
	default:
		return openSQLite(ctx, dsn, o)
	}
}
