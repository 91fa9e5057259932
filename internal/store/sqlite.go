package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlitePragmas are set on every pooled connection through the DSN, so that
// a connection the pool opens later gets them too. busy_timeout comes first
// (modernc applies it first anyway) so that the others wait for a lock
// instead of failing.
func sqlitePragmas() []string {
	return []string{"busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"}
}

// sqliteReaders is the size of the read pool of a file database: WAL lets
// readers run beside the one writer.
const sqliteReaders = 4

// openSQLite opens (creating if needed, with mode 0600) the SQLite database
// at path, which is a file path, a "file:" URI or ":memory:".
//
// Writes go through a pool of exactly one connection whose transactions
// begin IMMEDIATE: goroutines of this process queue for that connection (and
// honour their ctx while waiting), other processes wait on busy_timeout, and
// no transaction ever has to upgrade a read lock to a write lock, which is
// what makes SQLite answer "database is locked" at once. Reads use a
// separate pool of a few connections. An in-memory database lives only in
// its connection, so it gets a single connection for both.
func openSQLite(ctx context.Context, path string, o options) (Store, error) {
	if path == "" {
		return nil, fmt.Errorf("open sqlite store: empty path")
	}
	name, query, _ := strings.Cut(path, "?")
	memory := name == ":memory:" || name == "file::memory:" ||
		strings.Contains("&"+query+"&", "&mode=memory&")
	if name == ":memory:" {
		// A plain ":memory:" with parameters must become a URI for SQLite to
		// keep them apart from the name.
		name = "file::memory:"
	}
	display := name
	if !memory {
		createPrivate(name, query)
	}

	// A new file uses incremental vacuum, so that Prune can return freed
	// pages to the file system (an older file switches with Vacuum); the
	// setting must come before the first table is created.
	//
	// The writer's commits are large (a group of tenants' baselines, see
	// groupCommitter): it keeps temporary files in memory, as a multi-row
	// INSERT keeps a copy of each page it changes in a statement journal
	// that SQLite otherwise writes to a file beyond 64 KiB; it caches
	// 16 MiB of pages, not 2, which halved its reads at onboarding; and it
	// checkpoints the write-ahead log every 4,000 pages, not 1,000, so that
	// the index pages many commits change are copied to the file fewer
	// times.
	writeParams := url.Values{"_pragma": append(sqlitePragmas(), "auto_vacuum(2)", "journal_mode(WAL)",
		"temp_store(2)", "cache_size(-16384)", "wal_autocheckpoint(4000)")}
	writeParams.Set("_txlock", "immediate")
	readParams := url.Values{"_pragma": sqlitePragmas()}

	dsnWith := func(v url.Values) string {
		q := v.Encode()
		if query != "" {
			q = query + "&" + q
		}
		return name + "?" + q
	}

	wdb, err := openSQLiteDB(dsnWith(writeParams))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", display, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := checkSQLite(ctx, wdb); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", display, err)
	}

	s := &sqlStore{
		d:          sqliteDialect(),
		wdb:        wdb,
		rdb:        wdb,
		now:        o.now,
		worker:     o.worker,
		log:        o.logger.With("engine", "sqlite", "path", display),
		stampEvery: o.stampEvery,
		parsed:     newParsedDocs(parsedDocsSize),

		progressEvery: o.progressEvery,
	}
	if !memory {
		s.file = sqliteFile(name)
	}
	if err := s.migrate(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", display, err)
	}
	s.group = newGroupCommitter(s)
	if memory {
		return s, nil
	}

	rdb, err := openSQLiteDB(dsnWith(readParams))
	if err != nil {
		s.group.shutdown()
		wdb.Close()
		return nil, fmt.Errorf("open sqlite store %s for reading: %w", display, err)
	}
	rdb.SetMaxOpenConns(sqliteReaders)
	rdb.SetMaxIdleConns(sqliteReaders)
	if err := rdb.PingContext(ctx); err != nil {
		rdb.Close()
		s.group.shutdown()
		wdb.Close()
		return nil, fmt.Errorf("open sqlite store %s for reading: %w", display, err)
	}
	s.rdb = rdb
	return s, nil
}

// openSQLiteDB returns a pool of connections to dsn (as sql.Open("sqlite",
// dsn) would) whose statements are prepared once per connection (see
// cachingConn).
func openSQLiteDB(dsn string) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{Connector: c, size: stmtCacheSize}), nil
}

// createPrivate creates the database file of a SQLite DSN (name and
// query as openSQLite splits them) with mode 0600 when it does not exist
// yet and the DSN may create it. SQLite would create it 0644 (less the
// umask), and it gives its -wal and -shm files the mode of the database
// file, so they are private too. An existing file keeps its mode. Errors
// are left for SQLite to report when it opens the file.
func createPrivate(name, query string) {
	if v, err := url.ParseQuery(query); err == nil && (v.Get("mode") == "ro" || v.Get("mode") == "rw") {
		return // SQLite must not create it
	}
	path := sqliteFile(name)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return // it exists, or SQLite will say why it cannot be opened
	}
	_ = f.Close()
}

// sqliteFile returns the file path of a SQLite DSN's name (a path or a
// "file:" URI), or "" when it has none SQLite would open.
func sqliteFile(name string) string {
	path := name
	if rest, ok := strings.CutPrefix(name, "file:"); ok {
		// A URI: file:data.db, file:/abs/data.db, file:///abs/data.db or
		// file://localhost/abs/data.db, percent-encoded.
		if after, ok := strings.CutPrefix(rest, "//"); ok {
			auth, p, _ := strings.Cut(after, "/")
			if auth != "" && auth != "localhost" {
				return "" // SQLite refuses other authorities
			}
			rest = "/" + p
		}
		p, err := url.PathUnescape(rest)
		if err != nil {
			return ""
		}
		path = p
	}
	return path
}

// checkSQLite makes the first connection (which applies the pragmas) and
// reads the schema, which fails with "file is not a database" for a file that
// is not SQLite. Switching a new file to WAL needs a moment of exclusive
// access that SQLite does not wait for, so when several processes create the
// same database at once a "database is locked" here is retried for up to the
// busy timeout.
func checkSQLite(ctx context.Context, db *sql.DB) error {
	const (
		wait  = 50 * time.Millisecond
		tries = 200 // 10 s
	)
	for i := 1; ; i++ {
		var n int
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n)
		var se *sqlite.Error
		if err == nil || i == tries || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
