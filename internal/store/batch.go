package store

import (
	"context"
	"strconv"
	"strings"
	"sync"
)

// A commit writes its rows in multi-row statements: one INSERT of up to
// maxBatchRows rows instead of a statement per row, which on SQLite saves
// the per-statement work of the driver and database/sql, and on PostgreSQL
// a round trip per row.

// maxBatchVars bounds the parameters of one statement. SQLite builds before
// 3.32 allowed 999 (today's allow 32,766, PostgreSQL 65,535); beyond a few
// dozen rows a longer statement saves nothing more.
const (
	maxBatchVars = 999
	maxBatchRows = 64
)

// batchRows returns how many of n remaining rows of cols values the next
// statement writes: the largest power of two that fits, so that a commit
// of any size uses at most a handful of distinct texts (each prepared once
// per connection).
func batchRows(n, cols int) int {
	limit := min(maxBatchRows, maxBatchVars/cols, n)
	k := 1
	for k*2 <= limit {
		k *= 2
	}
	return k
}

// batchTexts memoizes the texts of multi-row statements.
type batchTexts struct {
	m sync.Map // batchKey → string
}

type batchKey struct {
	head, tail string
	cols, rows int
	anon       bool
}

// text returns head + " VALUES ($1, …), (…)" for rows rows of cols
// parameters + tail; with anon, the parameters are written "?" (head and
// tail must then have none of their own). SQLite binds a "?" by its
// position, but looks the name of every "$n" up in a list, which made the
// binding of a statement of a thousand parameters quadratic.
func (bt *batchTexts) text(head, tail string, cols, rows int, anon bool) string {
	k := batchKey{head, tail, cols, rows, anon}
	if q, ok := bt.m.Load(k); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(" VALUES ")
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			if anon {
				b.WriteByte('?')
				continue
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(r*cols + c + 1))
		}
		b.WriteByte(')')
	}
	b.WriteString(tail)
	q := b.String()
	bt.m.Store(k, q)
	return q
}

// execRows inserts the rows in args (cols values per row, in order) into
// into ("table (columns)"), followed by tail (an ON CONFLICT clause), in as
// few statements as batchRows allows. into and tail take no parameters.
func (s *sqlStore) execRows(ctx context.Context, tx querier, into, tail string, cols int, args []any) error {
	n := len(args) / cols
	head := "INSERT INTO " + into
	for done := 0; done < n; {
		k := batchRows(n-done, cols)
		if _, err := tx.ExecContext(ctx, s.texts.text(head, tail, cols, k, s.d.anonParams), args[done*cols:(done+k)*cols]...); err != nil {
			return err
		}
		done += k
	}
	return nil
}
