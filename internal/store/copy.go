package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// copyTables are the tables Copy moves, parents before children (blobs
// before the items and events that refer to them). The read index is
// copied with its numbers (item_index with each item's place in the order
// of pages, its fid; search_docs with the document numbers), but not the
// engine's full-text index (SQLite's doc_fts and doc_grams, PostgreSQL's
// search and grams columns): Copy writes it again from the documents.
var copyTables = []string{
	"tenants", "blobs", "search_docs", "search_translations", "items", "item_index", "revisions", "cursors", "events", "outbox",
	"threads", "translations", "translation_usage", "leases", "source_health",
	"workers", "graph_budgets", "managed_tenants", "item_handling",
}

// identityTables have an ID the database generates, in the named column;
// Copy keeps the source's IDs (deliveries refer to events by ID,
// idempotency keys and outbox commands to deliveries, keyset page cursors
// to fids) and moves the generator past them.
var identityTables = map[string]string{"events": "id", "outbox": "id", "item_index": "fid"}

// byteColumns hold bytes (blob keys, content hashes and documents, see
// keyArg, hashArg and packBlob), which Copy moves as bytes; keyColumns among them store an
// empty key as the engine's own empty value.
var (
	byteColumns = map[string]bool{"blobs.hash": true, "blobs.data": true, "search_docs.hash": true, "search_translations.hash": true, "items.hash": true,
		"items.data_hash": true, "revisions.hash": true, "revisions.data_hash": true, "events.data_hash": true, "outbox.key_hash": true}
	keyColumns = map[string]bool{"blobs.hash": true, "search_docs.hash": true, "search_translations.hash": true, "items.data_hash": true,
		"revisions.data_hash": true, "events.data_hash": true}
)

// CopyOptions tune Copy.
type CopyOptions struct {
	// Force empties the destination's tables first; without it Copy
	// refuses a destination that holds any row.
	Force bool
}

// CopyStats counts the rows Copy moved per table.
type CopyStats struct {
	Tables []string
	Rows   map[string]int64
}

// ErrNotEmpty is returned by Copy when the destination holds data.
var ErrNotEmpty = errors.New("destination store is not empty")

// Copy moves everything src holds to dst (both opened by Open, so both
// migrated): tenants, items with every revision, cursors, events, the
// outbox, threads, the translation memory and usage, leases, source
// health, workers, Graph budgets and managed tenants, keeping event and
// delivery IDs. It writes dst in one transaction, so a failed copy leaves
// it as it was. The engines may differ (SQLite to PostgreSQL and back).
func Copy(ctx context.Context, src, dst Store, o CopyOptions) (CopyStats, error) {
	s, ok := src.(*sqlStore)
	if !ok {
		return CopyStats{}, fmt.Errorf("copy store: source %T is not an engine of this package", src)
	}
	d, ok := dst.(*sqlStore)
	if !ok {
		return CopyStats{}, fmt.Errorf("copy store: destination %T is not an engine of this package", dst)
	}
	if s == d {
		return CopyStats{}, errors.New("copy store: source and destination are the same store")
	}
	st := CopyStats{Rows: map[string]int64{}}
	tx, err := d.wdb.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("copy store: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	for _, t := range copyTables {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return st, fmt.Errorf("copy store: count destination %s: %w", t, err)
		}
		if n > 0 && !o.Force {
			return st, fmt.Errorf("copy store: table %s holds %d rows: %w (use --force to replace it)", t, n, ErrNotEmpty)
		}
	}
	if o.Force {
		// Children first; derived rows follow their items.
		for _, t := range slices.Backward(copyTables) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
				return st, fmt.Errorf("copy store: empty destination %s: %w", t, err)
			}
		}
		if d.d.name == "sqlite" {
			for _, t := range ftsTables {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
					return st, fmt.Errorf("copy store: empty destination index: %w", err)
				}
			}
		}
	}
	for _, t := range copyTables {
		n, err := copyTable(ctx, s, d, tx, t)
		if err != nil {
			return st, fmt.Errorf("copy store: table %s: %w", t, err)
		}
		st.Tables = append(st.Tables, t)
		st.Rows[t] = n
	}
	if err := d.retext(ctx, tx); err != nil {
		return st, fmt.Errorf("copy store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("copy store: commit: %w", err)
	}
	return st, nil
}

// columnsOf returns the column names of table and whether each is a
// boolean, as the database describes them.
func columnsOf(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, table string) ([]string, map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+table+` WHERE 1 = 0`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(types))
	boolean := map[string]bool{}
	for _, ct := range types {
		names = append(names, ct.Name())
		switch strings.ToUpper(ct.DatabaseTypeName()) {
		case "BOOL", "BOOLEAN":
			boolean[ct.Name()] = true
		}
	}
	return names, boolean, rows.Err()
}

// copyTable copies the columns table has in both stores.
func copyTable(ctx context.Context, s, d *sqlStore, tx *sql.Tx, table string) (int64, error) {
	srcCols, _, err := columnsOf(ctx, s.rdb, table)
	if err != nil {
		return 0, fmt.Errorf("describe source: %w", err)
	}
	dstCols, boolean, err := columnsOf(ctx, tx, table)
	if err != nil {
		return 0, fmt.Errorf("describe destination: %w", err)
	}
	var cols []string
	for _, c := range srcCols {
		if slices.Contains(dstCols, c) {
			cols = append(cols, c)
		}
	}
	list := strings.Join(cols, ", ")
	ins := `INSERT INTO ` + table + ` (` + list + `)`
	idCol := identityTables[table]
	if idCol != "" && d.d.name == "postgres" {
		ins += ` OVERRIDING SYSTEM VALUE`
	}
	ins += ` VALUES (` + placeholders(1, len(cols)) + `)`
	stmt, err := tx.PrepareContext(ctx, ins)
	if err != nil {
		return 0, fmt.Errorf("prepare insert: %w", err)
	}
	defer stmt.Close()

	order := ""
	if idCol != "" {
		order = ` ORDER BY ` + idCol
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+list+` FROM `+table+order)
	if err != nil {
		return 0, fmt.Errorf("read source: %w", err)
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("read source row: %w", err)
		}
		args := make([]any, len(cols))
		for i, v := range vals {
			switch c := table + "." + cols[i]; {
			case keyColumns[c]:
				args[i] = convertKey(v, d.d)
			case byteColumns[c]:
				args[i] = convertBytes(v)
			default:
				args[i] = convertValue(v, boolean[cols[i]])
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return n, fmt.Errorf("insert row %d: %w", n+1, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read source: %w", err)
	}
	if idCol != "" && d.d.name == "postgres" && n > 0 {
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', '`+idCol+`'), (SELECT max(`+idCol+`) FROM `+table+`))`); err != nil {
			return n, fmt.Errorf("move id generator: %w", err)
		}
	}
	return n, nil
}

// convertBytes reads a value of a byteColumns column as bytes.
func convertBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

// convertKey adapts a stored blob key for the destination engine d, whose
// empty key may differ.
func convertKey(v any, d dialect) any {
	if b := convertBytes(v); len(b) > 0 {
		return b
	}
	return d.noKey
}

// convertValue adapts a value read from one engine for the other: SQLite
// returns booleans as integers, and text as bytes in some columns.
func convertValue(v any, boolean bool) any {
	switch x := v.(type) {
	case int64:
		if boolean {
			return x != 0
		}
	case []byte:
		return string(x)
	}
	return v
}
