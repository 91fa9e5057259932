package store

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/shdmc/shdmc/internal/model"
)

// dialect holds everything that differs between the SQL engines. The SQL
// text itself is shared: both SQLite (modernc) and PostgreSQL accept $n
// placeholders, ON CONFLICT, RETURNING and NOT on a boolean column.
type dialect struct {
	// name is the engine's name in errors and logs.
	name string
	// goose is the migration dialect.
	goose goose.Dialect
	// migrations is the folder of the embedded migrations for this engine.
	migrations string
	// claimLock ends the SELECT that picks deliveries to claim. SQLite
	// serializes writers (BEGIN IMMEDIATE), so it needs nothing; PostgreSQL
	// will use " FOR UPDATE OF o SKIP LOCKED" so that workers never wait
	// on each other's rows.
	claimLock string
	// rowLock ends a single-table SELECT whose rows the transaction will
	// update: " FOR UPDATE SKIP LOCKED" on PostgreSQL, nothing on SQLite.
	rowLock string
	// inList renders "column IN <the list passed as parameter $n>", and
	// listArg turns the list into that parameter. One parameter instead of
	// one per ID keeps long lookups fast and under every parameter limit:
	// SQLite reads a JSON array through json_each; PostgreSQL will use
	// "column = ANY($n)" with a text[] argument.
	inList  func(column string, n int) string
	listArg func(ids []string) (any, error)
	// activeNow is the condition "active and not removed" on item_index x,
	// written as the predicate of the partial index item_index_active
	// (00017) so that either engine's planner can use that index: the
	// default lists of current issues and posts, and their counts.
	activeNow string
	// inPairs renders "(a, b) IN <the pairs passed as parameter $n>",
	// and pairsArg turns the pairs (as[i], bs[i]) into that parameter (a
	// JSON array of two-element arrays, read by json_each or
	// jsonb_array_elements): a page's items looked up by tenant and ID
	// exactly, not every tenant of the page with every ID of it.
	inPairs func(a, b string, n int) string
	// inKeys is inList for a column of blob keys (keyArg) and a list of
	// their hex texts.
	inKeys func(column string, n int) string
	// listTable renders a table expression with one row per element of the
	// list passed as parameter $n (made by listArg), in list order, in a
	// column named value.
	listTable func(n int) string
	// lockMigrations makes migrate hold goose's session lock (a PostgreSQL
	// advisory lock) so that workers starting together migrate once. SQLite
	// needs none: its writers are serialized by the database file's lock.
	lockMigrations bool
	// gcLockShared and gcLock take a transaction-scoped lock, shared by
	// writers and exclusive for Prune's collection of unreferenced blobs
	// and documents, so that nothing is collected that a concurrent
	// commit is about to refer to. Empty for SQLite, whose writers are
	// serialized.
	gcLockShared, gcLock string
	// docText writes the text of document d to the full-text index;
	// deleteDocs removes documents.
	docText    func(ctx context.Context, ix *indexer, d int64, t docText) error
	deleteDocs func(ctx context.Context, tx querier, docs []int64) error
	// byDoc names item_index aliased x for a lookup by document numbers:
	// SQLite would otherwise walk a (source, last_modified) index for the
	// order of the page and test every row against the few documents.
	byDoc string
	// noKey is the stored blob key of a row without a blob (see keyArg):
	// SQLite keeps the empty text in the column of blobs, PostgreSQL an
	// empty bytea.
	noKey any
	// reclaim returns space after Prune (SQLite: incremental vacuum).
	reclaim func(ctx context.Context, s *sqlStore) (int64, error)
	// anonParams: the parameters of the multi-row statements that
	// execRows writes are "?" (SQLite), not "$n".
	anonParams bool
	// copyFrom: a commit writes its plain inserts of many rows with COPY
	// (copyfrom.go; PostgreSQL through pgx).
	copyFrom bool
	// textSearch walks the documents of the full-text index numbered in
	// [floor, below), newest first, at most limit (0: all) of them
	// (scanned), and returns those that contain every word (docs).
	textSearch func(ctx context.Context, q querier, words []string, src model.Source, floor, below int64, limit int) (docs, scanned []int64, err error)
}

// sqliteDialect describes modernc.org/sqlite.
func sqliteDialect() dialect {
	return dialect{
		name:       "sqlite",
		goose:      goose.DialectSQLite3,
		migrations: "migrations/sqlite",
		claimLock:  "",
		inList: func(column string, n int) string {
			return column + " IN (SELECT value FROM json_each($" + strconv.Itoa(n) + "))"
		},
		listArg: func(ids []string) (any, error) {
			if ids == nil {
				ids = []string{}
			}
			b, err := json.Marshal(ids)
			return string(b), err
		},
		inKeys: func(column string, n int) string {
			return column + " IN (SELECT unhex(value) FROM json_each($" + strconv.Itoa(n) + "))"
		},
		inPairs: func(a, b string, n int) string {
			return "(" + a + ", " + b + ") IN (SELECT value->>0, value->>1 FROM json_each($" + strconv.Itoa(n) + "))"
		},
		activeNow: "x.active = 1 AND x.removed = 0",
		listTable: func(n int) string {
			return "json_each($" + strconv.Itoa(n) + ")"
		},
		docText:    docTextSQLite,
		deleteDocs: deleteDocsSQLite,
		textSearch: searchDocsSQLite,
		reclaim:    reclaimSQLite,
		byDoc:      "item_index x INDEXED BY item_index_by_doc",
		noKey:      "",
		anonParams: true,
	}
}

// postgresDialect describes PostgreSQL through pgx.
func postgresDialect() dialect {
	return dialect{
		name:       "postgres",
		goose:      goose.DialectPostgres,
		migrations: "migrations/postgres",
		claimLock:  " FOR UPDATE OF o SKIP LOCKED",
		rowLock:    " FOR UPDATE SKIP LOCKED",
		inList: func(column string, n int) string {
			return column + " = ANY($" + strconv.Itoa(n) + "::text[])"
		},
		listArg: func(ids []string) (any, error) {
			if ids == nil {
				ids = []string{}
			}
			return ids, nil
		},
		inKeys: func(column string, n int) string {
			return column + " = ANY(ARRAY(SELECT decode(k, 'hex') FROM unnest($" + strconv.Itoa(n) + "::text[]) AS l(k)))"
		},
		inPairs: func(a, b string, n int) string {
			return "(" + a + ", " + b + ") IN (SELECT k->>0, k->>1 FROM jsonb_array_elements($" + strconv.Itoa(n) + "::jsonb) AS l(k))"
		},
		activeNow: "x.active AND NOT x.removed",
		listTable: func(n int) string {
			return "unnest($" + strconv.Itoa(n) + "::text[]) AS l(value)"
		},
		lockMigrations: true,
		gcLockShared:   `SELECT pg_advisory_xact_lock_shared(7310593858020615012)`,
		gcLock:         `SELECT pg_advisory_xact_lock(7310593858020615012)`,
		docText:        docTextPostgres,
		deleteDocs:     deleteDocsPostgres,
		textSearch:     searchDocsPostgres,
		reclaim:        reclaimPostgres,
		byDoc:          "item_index x",
		noKey:          []byte{},
		copyFrom:       true,
	}
}

// placeholders returns "$from, $from+1, …" for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// pairsArg is the parameter of inPairs: the pairs (as[i], bs[i]) as a
// JSON array of two-element arrays.
func pairsArg(as, bs []string) (string, error) {
	pairs := make([][2]string, len(as))
	for i := range as {
		pairs[i] = [2]string{as[i], bs[i]}
	}
	b, err := json.Marshal(pairs)
	return string(b), err
}
