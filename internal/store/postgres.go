package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/shdmc/shdmc/internal/netsafe"
)

// postgresConns bounds the connection pool of one process. Every method
// holds a connection only for one short statement or transaction, so a few
// connections serve many goroutines, and several workers together stay far
// below PostgreSQL's default max_connections of 100.
const postgresConns = 8

// openPostgres connects to the PostgreSQL database named by dsn (a
// "postgres://" or "postgresql://" URL, which pgx understands with all of
// libpq's parameters and PG* environment variables) and migrates it. Reads
// and writes share one pool: PostgreSQL needs no single writer.
func openPostgres(ctx context.Context, dsn string, o options) (Store, error) {
	display := netsafe.DSN(dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres store %s: %w", display, err)
	}
	db.SetMaxOpenConns(postgresConns)
	db.SetMaxIdleConns(postgresConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres store %s: %w", display, err)
	}
	s := &sqlStore{
		d:          postgresDialect(),
		wdb:        db,
		rdb:        db,
		now:        o.now,
		worker:     o.worker,
		log:        o.logger.With("engine", "postgres", "dsn", display),
		stampEvery: o.stampEvery,
		parsed:     newParsedDocs(parsedDocsSize),
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres store %s: %w", display, err)
	}
	// pgx caches each statement's parameter and result types per
	// connection: a statement a Go migration ran before a later one changed
	// a column's type (00012) must not be reused. New connections start
	// with an empty cache.
	db.SetMaxIdleConns(0)
	db.SetMaxIdleConns(postgresConns)
	return s, nil
}
