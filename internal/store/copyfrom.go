package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// On PostgreSQL a commit writes the rows that are plain inserts — the
// items rows of new items and the item_index rows of new
// items — with binary COPY instead of multi-row INSERTs: the server then
// neither parses nor plans a statement of hundreds of parameters, and
// decodes each value from its binary form. (A tenant's baseline spent 45 %
// of the server's statement time in the INSERT of item_index rows.) COPY
// runs on the connection of the commit's transaction, so it commits or
// rolls back with everything else the commit writes. SQLite keeps
// execRows.

// copyMinRows is the fewest rows written with COPY: a COPY is a round trip
// of its own with its own setup, and a quiet poll's few rows cost no less
// that way than in one INSERT.
const copyMinRows = 8

// copier writes rows with COPY on the connection that holds a
// transaction (PostgreSQL through pgx's database/sql adapter).
type copier struct {
	conn *sql.Conn
}

// beginCommit begins the transaction of a commit. With an engine that has
// COPY (dialect.copyFrom), the transaction runs on a connection of its own and cp
// writes on it; end, which must be called once the transaction is over,
// returns that connection to the pool. Otherwise cp is nil.
func (s *sqlStore) beginCommit(ctx context.Context) (tx *sql.Tx, cp *copier, end func(), err error) {
	if !s.d.copyFrom {
		tx, err := s.wdb.BeginTx(ctx, nil)
		return tx, nil, func() {}, err
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	tx, err = conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	return tx, &copier{conn: conn}, func() { conn.Close() }, nil
}

// insertRows inserts the rows in args (cols values per row) into into
// ("table (columns)"), as execRows does without a tail: with COPY when cp
// is set and there are at least copyMinRows rows. The values are those
// execRows would send; pgx encodes them for the columns' types.
func (s *sqlStore) insertRows(ctx context.Context, tx querier, cp *copier, into string, cols int, args []any) error {
	if cp == nil || len(args)/cols < copyMinRows {
		return s.execRows(ctx, tx, into, "", cols, args)
	}
	return cp.copyRows(ctx, into, cols, args)
}

// copyRows writes the rows in args (cols values per row) into into
// ("table (columns)") with one COPY.
func (cp *copier) copyRows(ctx context.Context, into string, cols int, args []any) error {
	table, columns := splitInto(into)
	if len(columns) != cols || len(args)%cols != 0 {
		return fmt.Errorf("copy into %s: %d columns named, rows of %d values given", table, len(columns), cols)
	}
	n := len(args) / cols
	return cp.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy into %s: the connection is a %T, not pgx's", table, dc)
		}
		got, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			return args[i*cols : (i+1)*cols], nil
		}))
		if err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
		if got != int64(n) {
			return fmt.Errorf("copy into %s: %w: %d of %d rows written", table, errShortCopy, got, n)
		}
		return nil
	})
}

// errShortCopy: a COPY wrote fewer rows than it was given.
var errShortCopy = errors.New("short copy")

// splitInto splits "table (a, b, c)" into the table and its columns.
func splitInto(into string) (table string, columns []string) {
	table, list, _ := strings.Cut(into, "(")
	list, _, _ = strings.Cut(list, ")")
	for c := range strings.SplitSeq(list, ",") {
		columns = append(columns, strings.TrimSpace(c))
	}
	return strings.TrimSpace(table), columns
}
