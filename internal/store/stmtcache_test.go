package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"modernc.org/sqlite"
)

// countingConnector counts the statements its connections prepare.
type countingConnector struct {
	driver.Connector
	prepared *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return countingConn{innerConn: conn.(innerConn), prepared: c.prepared}, nil
}

type countingConn struct {
	innerConn
	prepared *atomic.Int64
}

func (c countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.prepared.Add(1)
	return c.innerConn.PrepareContext(ctx, q)
}

// openCaching opens a one-connection pool over a new SQLite file whose
// connection caches size statements, and the count of statements it
// prepared.
func openCaching(t *testing.T, size int) (*sql.DB, *atomic.Int64) {
	t.Helper()
	c, err := sqlite.NewConnector(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	n := new(atomic.Int64)
	db := sql.OpenDB(cachingConnector{Connector: countingConnector{Connector: c, prepared: n}, size: size})
	db.SetMaxOpenConns(1)
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := db.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE TABLE u (k INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return db, n
}

// TestStatementCacheReuses checks that a statement run many times, in and
// out of transactions, is prepared once by its connection.
func TestStatementCacheReuses(t *testing.T) {
	ctx := context.Background()
	db, prepared := openCaching(t, 8)
	before := prepared.Load()
	for i := range 50 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := tx.QueryRowContext(ctx, `SELECT v FROM t WHERE k = $1`, i).Scan(&v); err != nil || v != fmt.Sprint("v", i) {
			t.Fatalf("read back %d: %q, %v", i, v, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT v FROM t WHERE k = $1`, i).Scan(&v); err != nil || v != fmt.Sprint("v", i) {
			t.Fatalf("read %d: %q, %v", i, v, err)
		}
	}
	if got := prepared.Load() - before; got != 2 {
		t.Errorf("prepared %d statements for 2 texts run 150 times", got)
	}

	// A failed statement stays usable.
	if _, err := db.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, 1, "dup"); err == nil {
		t.Fatal("duplicate key inserted")
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, 100, "v100"); err != nil {
		t.Fatalf("insert after a failure: %v", err)
	}
	if got := prepared.Load() - before; got != 2 {
		t.Errorf("prepared %d statements after a failure, want 2", got)
	}
}

// TestStatementCacheNested runs a query again while its own rows are
// open (one transaction, one connection) and checks both read what they
// should; and that evicting a statement whose rows are open leaves them
// readable.
func TestStatementCacheNested(t *testing.T) {
	ctx := context.Background()
	db, prepared := openCaching(t, 2)
	for i := range 5 {
		if _, err := db.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT k, v FROM t WHERE k >= $1 ORDER BY k`
	rows, err := tx.QueryContext(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var (
			k int
			v string
		)
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		// The same text while its rows are open.
		var n int
		inner, err := tx.QueryContext(ctx, q, k)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			n++
		}
		if err := errors.Join(inner.Err(), inner.Close()); err != nil {
			t.Fatal(err)
		}
		// Two other texts evict the outer query's statement.
		if _, err := tx.ExecContext(ctx, `INSERT INTO u (k) VALUES ($1)`, k); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE u SET k = k WHERE k = $1`, k); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s %d", k, v, n))
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		t.Fatal(err)
	}
	want := []string{"0 v0 5", "1 v1 4", "2 v2 3", "3 v3 2", "4 v4 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// A text is prepared once, then kept.
	n0 := prepared.Load()
	for range 3 {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM u WHERE k >= $1`, 0).Scan(&n); err != nil || n != 5 {
			t.Fatalf("count: %d, %v", n, err)
		}
	}
	if got := prepared.Load() - n0; got != 1 {
		t.Errorf("prepared %d statements for one text run 3 times", got)
	}
}

// TestStatementCacheScripts checks that a text of several statements
// runs them all and is not kept.
func TestStatementCacheScripts(t *testing.T) {
	ctx := context.Background()
	db, _ := openCaching(t, 4)
	for range 2 {
		if _, err := db.ExecContext(ctx, `INSERT INTO u (k) VALUES (1); INSERT INTO u (k) VALUES (2);`); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM u`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("rows after two scripts: %d, %v", n, err)
	}
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{`SELECT 1`, true},
		{"SELECT 1;\n", true},
		{`SELECT 1; SELECT 2`, false},
		{"  ;", false},
	} {
		if got := cacheable(tc.q); got != tc.want {
			t.Errorf("cacheable(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}
