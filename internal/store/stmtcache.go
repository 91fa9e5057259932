package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"sync"
)

// SQLite parses a statement's text every time a connection runs it
// unprepared; for a commit of a few hundred rows, or a quiet poll's
// handful of reads, parsing was a large part of the work. Every SQLite
// connection of the store therefore keeps the statements it ran, prepared,
// in a small cache keyed by their text: database/sql hands the driver plain
// Exec and Query calls, and the connection answers them from its cache. No
// call site changes, and a transaction uses the statements its connection
// prepared before. (PostgreSQL needs none of this: pgx caches the
// statements of each connection itself.)

// stmtCacheSize is how many statements a connection keeps prepared. The
// store's texts are constants or built from a few shapes (multi-row
// inserts in power-of-two sizes, search filters), so a few hundred cover
// them; a text beyond that evicts the one used longest ago.
const stmtCacheSize = 256

// cachingConnector opens connections that keep their statements prepared.
type cachingConnector struct {
	driver.Connector
	size int
}

// Connect opens a connection of the wrapped connector; one that lacks an
// interface the cache needs is returned as it is.
func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(innerConn)
	if !ok {
		return conn, nil
	}
	return &cachingConn{inner: inner, size: c.size, byText: map[string]*list.Element{}, lru: list.New()}, nil
}

// innerConn is what a wrapped connection must implement (modernc's does).
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachedStmt is a prepared statement of a cachingConn.
type cachedStmt struct {
	text string
	st   driver.Stmt
	// busy: rows of the statement are open, so it cannot run again until
	// they are closed; a query of the same text meanwhile (a nested loop
	// in one transaction) prepares a statement of its own.
	busy bool
	// evicted: dropped from the cache while busy; closed with its rows.
	evicted bool
}

// cachingConn is a connection with its cache of prepared statements.
// database/sql never uses one connection from two goroutines at once; the
// mutex only keeps the cache consistent should a driver call rows.Close
// from elsewhere.
type cachingConn struct {
	inner  innerConn
	size   int
	mu     sync.Mutex
	byText map[string]*list.Element // of *cachedStmt
	lru    *list.List               // most recently used first
}

var (
	_ driver.Conn               = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

// cacheable reports whether a text is one statement worth keeping: a
// script (migrations) runs unprepared, as SQLite runs its statements one
// after the other anyway.
func cacheable(q string) bool {
	q = strings.TrimRight(q, " \t\r\n;")
	return q != "" && !strings.Contains(q, ";")
}

// stmt returns the prepared statement of q, preparing it when it is not
// cached; temp is true for a statement prepared for one use only (its
// cached twin is busy), which the caller closes.
func (c *cachingConn) stmt(ctx context.Context, q string) (cs *cachedStmt, temp bool, err error) {
	c.mu.Lock()
	if e, ok := c.byText[q]; ok {
		cs = e.Value.(*cachedStmt)
		if !cs.busy {
			c.lru.MoveToFront(e)
			c.mu.Unlock()
			return cs, false, nil
		}
		temp = true
	}
	c.mu.Unlock()
	st, err := c.inner.PrepareContext(ctx, q)
	if err != nil {
		return nil, false, err
	}
	if _, ok := st.(driver.StmtExecContext); !ok {
		_ = st.Close()
		return nil, false, errors.New("sqlite: prepared statement without ExecContext")
	}
	if _, ok := st.(driver.StmtQueryContext); !ok {
		_ = st.Close()
		return nil, false, errors.New("sqlite: prepared statement without QueryContext")
	}
	cs = &cachedStmt{text: q, st: st}
	if temp {
		return cs, true, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byText[q] = c.lru.PushFront(cs)
	for c.lru.Len() > c.size {
		old := c.lru.Back()
		c.lru.Remove(old)
		ocs := old.Value.(*cachedStmt)
		delete(c.byText, ocs.text)
		if ocs.busy {
			ocs.evicted = true
		} else {
			_ = ocs.st.Close()
		}
	}
	return cs, false, nil
}

// ExecContext runs q from the cache.
func (c *cachingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if !cacheable(q) {
		return c.inner.ExecContext(ctx, q, args)
	}
	cs, temp, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if temp {
		defer cs.st.Close()
	}
	return cs.st.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext runs q from the cache; the statement is busy until its
// rows are closed.
func (c *cachingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if !cacheable(q) {
		return c.inner.QueryContext(ctx, q, args)
	}
	cs, temp, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := cs.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		if temp {
			_ = cs.st.Close()
		}
		return nil, err
	}
	if !temp {
		c.mu.Lock()
		cs.busy = true
		c.mu.Unlock()
	}
	return &cachedRows{Rows: rows, c: c, cs: cs, temp: temp}, nil
}

// release is called when the rows of cs are closed.
func (c *cachingConn) release(cs *cachedStmt, temp bool) error {
	if temp {
		return cs.st.Close()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.busy = false
	if cs.evicted {
		return cs.st.Close()
	}
	return nil
}

// PrepareContext prepares a statement outside the cache: the caller
// closes it.
func (c *cachingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, q)
}

// Prepare prepares a statement outside the cache.
func (c *cachingConn) Prepare(q string) (driver.Stmt, error) {
	return c.inner.PrepareContext(context.Background(), q)
}

// BeginTx begins a transaction on the connection.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}

// Begin begins a transaction on the connection.
//
// Deprecated: database/sql calls BeginTx.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.inner.BeginTx(context.Background(), driver.TxOptions{})
}

// Ping checks the connection.
func (c *cachingConn) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

// ResetSession is called before the connection is reused.
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }

// IsValid reports whether the connection may go back to the pool.
func (c *cachingConn) IsValid() bool { return c.inner.IsValid() }

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		if cs := e.Value.(*cachedStmt); !cs.busy {
			errs = append(errs, cs.st.Close())
		}
	}
	c.lru.Init()
	clear(c.byText)
	c.mu.Unlock()
	errs = append(errs, c.inner.Close())
	return errors.Join(errs...)
}

// cachedRows are the rows of a cached statement. The optional column type
// interfaces of the driver's rows are passed on.
type cachedRows struct {
	driver.Rows
	c      *cachingConn
	cs     *cachedStmt
	temp   bool
	closed bool
}

// Close closes the rows and makes their statement available again.
func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close()
	return errors.Join(err, r.c.release(r.cs, r.temp))
}

// ColumnTypeDatabaseTypeName passes on the driver's column type.
func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

// ColumnTypeLength passes on the driver's column length.
func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

// ColumnTypeNullable passes on the driver's nullability.
func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

// ColumnTypePrecisionScale passes on the driver's precision and scale.
func (r *cachedRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

// ColumnTypeScanType passes on the driver's scan type.
func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
