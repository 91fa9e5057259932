package store

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Usage is what a store holds and what retention would remove.
type Usage struct {
	Engine string
	// Tables lists every table with its indexes, largest first.
	Tables []TableUsage
	// Bytes is the size of the database: the SQLite file without its WAL,
	// or PostgreSQL's pg_database_size.
	Bytes int64
	// FreeBytes is space inside the SQLite file that no table uses
	// (returned to the file system by the incremental vacuum of Prune).
	FreeBytes int64
	// IncrementalVacuum reports whether the SQLite file shrinks when Prune
	// frees pages; a file created before it needs Vacuum once.
	IncrementalVacuum bool
	// Prunable is what Prune with the given retention would remove now
	// (Blobs and Documents: those nothing refers to already).
	Prunable PruneStats
}

// TableUsage is one table's share of a store.
type TableUsage struct {
	Name string
	// Rows is the number of rows; -1 for SQLite's full-text tables, whose
	// entries search_docs counts.
	Rows int64
	// Bytes is the space of the table with its indexes (and, for SQLite's
	// full-text tables, their shadow tables).
	Bytes int64
}

// Usage reports rows and bytes per table and what p would remove at now.
func (s *sqlStore) Usage(ctx context.Context, p Retention, now time.Time) (Usage, error) {
	u := Usage{Engine: s.d.name}
	var err error
	if s.d.name == "sqlite" {
		err = s.sqliteUsage(ctx, &u)
	} else {
		err = s.postgresUsage(ctx, &u)
	}
	if err != nil {
		return Usage{}, err
	}
	for i := range u.Tables {
		t := &u.Tables[i]
		if t.Rows < 0 {
			continue
		}
		if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM `+t.Name).Scan(&t.Rows); err != nil {
			return Usage{}, fmt.Errorf("count rows of %s: %w", t.Name, err)
		}
	}
	sort.Slice(u.Tables, func(i, j int) bool {
		if u.Tables[i].Bytes != u.Tables[j].Bytes {
			return u.Tables[i].Bytes > u.Tables[j].Bytes
		}
		return u.Tables[i].Name < u.Tables[j].Name
	})
	if u.Prunable, err = s.prunable(ctx, p, now); err != nil {
		return Usage{}, err
	}
	return u, nil
}

// fts5Shadow are the suffixes of the shadow tables of an FTS5 table.
var fts5Shadow = map[string]bool{"data": true, "idx": true, "content": true, "docsize": true, "config": true}

// sqliteUsage sizes the tables from the dbstat virtual table, counting
// each index and each full-text shadow table with its table.
func (s *sqlStore) sqliteUsage(ctx context.Context, u *Usage) error {
	var pageSize, pages, free int64
	var mode int
	// The write connection sees the file's header as the last write left
	// it; a pooled reader may still hold an older snapshot.
	for q, dst := range map[string]any{`PRAGMA page_size`: &pageSize, `PRAGMA page_count`: &pages,
		`PRAGMA freelist_count`: &free, `PRAGMA auto_vacuum`: &mode} {
		if err := s.wdb.QueryRowContext(ctx, q).Scan(dst); err != nil {
			return fmt.Errorf("read %s: %w", q, err)
		}
	}
	u.Bytes, u.FreeBytes, u.IncrementalVacuum = pages*pageSize, free*pageSize, mode == 2
	type obj struct{ typ, table, sql string }
	objs := map[string]obj{}
	var virtual []string
	rows, err := s.rdb.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master`)
	if err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	for rows.Next() {
		var typ, name, table, text string
		if err := rows.Scan(&typ, &name, &table, &text); err != nil {
			rows.Close()
			return fmt.Errorf("read schema: %w", err)
		}
		objs[name] = obj{typ, table, text}
		if typ == "table" && strings.HasPrefix(strings.ToUpper(text), "CREATE VIRTUAL TABLE") {
			virtual = append(virtual, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	// The owner of an index is its table's owner; of a shadow table
	// (doc_fts_data) its full-text table, and doc_fts_shd is a table of
	// its own, not a shadow of doc_fts.
	var owner func(name string) string
	owner = func(name string) string {
		for _, v := range virtual {
			if rest, ok := strings.CutPrefix(name, v+"_"); ok && fts5Shadow[rest] {
				return v
			}
		}
		if o, ok := objs[name]; ok && o.table != name {
			return owner(o.table)
		}
		return name
	}
	sizes := map[string]int64{}
	rows, err = s.rdb.QueryContext(ctx, `SELECT name, sum(pgsize) FROM dbstat GROUP BY name`)
	if err != nil {
		return fmt.Errorf("read dbstat: %w", err)
	}
	for rows.Next() {
		var (
			name string
			n    int64
		)
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return fmt.Errorf("read dbstat: %w", err)
		}
		sizes[owner(name)] += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read dbstat: %w", err)
	}
	for name, o := range objs {
		if o.typ != "table" || owner(name) != name {
			continue
		}
		t := TableUsage{Name: name, Bytes: sizes[name]}
		if strings.HasPrefix(strings.ToUpper(o.sql), "CREATE VIRTUAL TABLE") {
			t.Rows = -1
		}
		u.Tables = append(u.Tables, t)
	}
	return nil
}

// postgresUsage sizes the tables of the current schema with
// pg_total_relation_size (indexes and TOAST included).
func (s *sqlStore) postgresUsage(ctx context.Context, u *Usage) error {
	if err := s.rdb.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&u.Bytes); err != nil {
		return fmt.Errorf("read database size: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname = current_schema()`)
	if err != nil {
		return fmt.Errorf("read table sizes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t TableUsage
		if err := rows.Scan(&t.Name, &t.Bytes); err != nil {
			return fmt.Errorf("read table sizes: %w", err)
		}
		u.Tables = append(u.Tables, t)
	}
	return rows.Err()
}

// prunable counts what Prune(p, now) would remove.
func (s *sqlStore) prunable(ctx context.Context, p Retention, now time.Time) (PruneStats, error) {
	var st PruneStats
	count := func(dst *int64, q string, args ...any) error {
		var n int64
		if err := s.rdb.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return err
		}
		*dst += n
		return nil
	}
	const never = math.MinInt64 // a cutoff that keeps everything
	cutE, ok := cutoff(now, p.Events)
	if !ok {
		cutE = never
	}
	cutD, ok := cutoff(now, p.DeadLetters)
	if !ok {
		cutD = never
	}
	var errs []error
	errs = append(errs,
		count(&st.Deliveries, `SELECT count(*) FROM outbox WHERE state = 'done' AND next_attempt < $1`, cutE),
		count(&st.DeadLetters, `SELECT count(*) FROM outbox WHERE state = 'dead' AND next_attempt < $1`, cutD),
		count(&st.Events, `SELECT count(*) FROM events e WHERE e.detected_at < $1 AND NOT EXISTS (SELECT 1 FROM outbox o
			WHERE o.event_id = e.id AND NOT (o.state = 'done' AND o.next_attempt < $1) AND NOT (o.state = 'dead' AND o.next_attempt < $2))`,
			cutE, cutD))
	if c, ok := cutoff(now, p.RemovedItems); ok {
		errs = append(errs,
			count(&st.Items, `SELECT count(*) FROM items i WHERE i.removed AND i.seen_at < $1 AND NOT `+itemKept, c),
			count(&st.Revisions, `SELECT count(*) FROM revisions r JOIN items i ON i.tenant = r.tenant AND i.source = r.source AND i.id = r.id
				WHERE i.removed AND i.seen_at < $1 AND NOT `+itemKept, c))
	}
	if c, ok := cutoff(now, p.Revisions); ok {
		errs = append(errs, count(&st.Revisions, `SELECT count(*) FROM revisions r
			WHERE r.seen_at < $1 AND NOT `+revisionKept, dayOf(c)))
	}
	errs = append(errs,
		count(&st.Documents, `SELECT count(*) FROM search_docs d WHERE NOT EXISTS (SELECT 1 FROM item_index x WHERE x.doc = d.doc)`),
		count(&st.Blobs, `SELECT count(*) FROM blobs WHERE NOT `+refersTo("items")+` AND NOT `+refersTo("revisions")+` AND NOT `+refersTo("events")))
	for _, err := range errs {
		if err != nil {
			return PruneStats{}, fmt.Errorf("count what retention removes: %w", err)
		}
	}
	return st, nil
}
