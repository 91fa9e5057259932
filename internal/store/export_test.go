package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3"
)

// MigrateTo applies the migrations of engine ("sqlite" or "postgres") to db
// up to version, as an older shdmc left the database (test only).
func MigrateTo(ctx context.Context, engine string, db *sql.DB, version int64) error {
	dialect := goose.DialectSQLite3
	// The Go migrations (00010) run as an older shdmc ran them.
	old := &sqlStore{d: sqliteDialect(), wdb: db, rdb: db, now: time.Now, log: slog.New(slog.DiscardHandler)}
	if engine == "postgres" {
		dialect = goose.DialectPostgres
		old.d = postgresDialect()
	}
	fsys, err := fs.Sub(migrationsFS, "migrations/"+engine)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, db, fsys, goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(old.goMigrations()...))
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// MigrateDownTo rolls the migrations of engine back to version (test only).
func MigrateDownTo(ctx context.Context, engine string, db *sql.DB, version int64) error {
	dialect := goose.DialectSQLite3
	old := &sqlStore{d: sqliteDialect(), wdb: db, rdb: db, now: time.Now, log: slog.New(slog.DiscardHandler)}
	if engine == "postgres" {
		dialect = goose.DialectPostgres
		old.d = postgresDialect()
	}
	fsys, err := fs.Sub(migrationsFS, "migrations/"+engine)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, db, fsys, goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(old.goMigrations()...))
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("roll back migrations: %w", err)
	}
	return nil
}

// ExecSQL runs a statement on the write pool of s (test only): to plant a
// row that no method of the store would write.
func ExecSQL(ctx context.Context, s Store, q string, args ...any) error {
	ss, ok := s.(*sqlStore)
	if !ok {
		return fmt.Errorf("exec on a %T: not a SQL store", s)
	}
	_, err := ss.wdb.ExecContext(ctx, q, args...)
	return err
}

// SetCountScan sets how many documents a text search reads at most for
// its count, until the test ends (test only).
func SetCountScan(t interface{ Cleanup(func()) }, n int) {
	old := countScan
	countScan = n
	t.Cleanup(func() { countScan = old })
}
