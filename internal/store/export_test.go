package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// MigrateTo applies the migrations of engine ("sqlite" or "postgres") to db
// up to version, as an older shdmc left the database (test only).
func MigrateTo(ctx context.Context, engine string, db *sql.DB, version int64) error {
	dialect := goose.DialectSQLite3
	if engine == "postgres" {
		dialect = goose.DialectPostgres
	}
	fsys, err := fs.Sub(migrationsFS, "migrations/"+engine)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}
