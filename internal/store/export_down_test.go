package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// MigrateDownTo rolls the migrations of engine back to version, as a
// database an older shdmc left (test only): with the Go migrations, which
// stand between the SQL ones.
func MigrateDownTo(ctx context.Context, engine string, db *sql.DB, version int64) error {
	dialect, d := goose.DialectSQLite3, sqliteDialect()
	if engine == "postgres" {
		dialect, d = goose.DialectPostgres, postgresDialect()
	}
	fsys, err := fs.Sub(migrationsFS, "migrations/"+engine)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	s := &sqlStore{d: d}
	p, err := goose.NewProvider(dialect, db, fsys, goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(s.goMigrations()...))
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("roll back migrations: %w", err)
	}
	return nil
}
