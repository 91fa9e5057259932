package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retention says how long the store keeps what it no longer needs to
// work. Each period counts from the row's own time; 0 keeps that kind of
// row forever.
type Retention struct {
	// Events are removed this long after detection, with their outbox rows
	// once those are done (delivered this long after they were queued);
	// an event with a delivery still pending, retrying or a dead letter
	// not yet expired is kept.
	Events time.Duration
	// Revisions other than each item's first and latest are removed this
	// long after they were stored, except those a delivery still due
	// refers to (its event's revision and the one before, which its diff
	// shows).
	Revisions time.Duration
	// DeadLetters (deliveries that gave up) are removed this long after
	// they were queued.
	DeadLetters time.Duration
	// RemovedItems (gone from Microsoft's lists) are removed with all
	// their revisions and their index row this long after they were
	// marked removed, unless a delivery still due refers to them.
	RemovedItems time.Duration
	// Batch is how many rows one transaction removes (default 500): each
	// batch is short, so polls and deliveries go on in between.
	Batch int
}

// PruneStats counts what Prune removed.
type PruneStats struct {
	Events      int64 // events
	Deliveries  int64 // delivered outbox rows
	DeadLetters int64 // dead outbox rows
	Revisions   int64 // revisions other than first and latest
	Items       int64 // removed items (their revisions are counted in Revisions)
	Blobs       int64 // JSON documents nothing refers to any more
	Documents   int64 // full-text index entries no item shows any more
	// FreedPages is what SQLite's incremental vacuum returned to the file
	// system (pages of the database's page size); 0 on PostgreSQL, whose
	// autovacuum makes the space reusable instead.
	FreedPages int64
	Took       time.Duration
}

// RetentionStore is implemented by the engines of this package: it
// removes old history and reports what the store holds.
type RetentionStore interface {
	// Prune removes what p no longer keeps at now, in batches of p.Batch
	// rows per transaction, then the JSON documents and full-text entries
	// nothing refers to any more; on SQLite it returns freed pages to the
	// file system (incremental vacuum, see Vacuum). It can run while
	// workers poll and deliver.
	Prune(ctx context.Context, p Retention, now time.Time) (PruneStats, error)
	// Usage reports rows and bytes per table, and what Prune(p, now)
	// would remove.
	Usage(ctx context.Context, p Retention, now time.Time) (Usage, error)
	// Vacuum rewrites a SQLite file compactly and, once, switches a file
	// created before incremental vacuum to it (it needs as much free disk
	// as the file and blocks writers while it runs); on PostgreSQL it runs
	// VACUUM (ANALYZE).
	Vacuum(ctx context.Context) error
}

var _ RetentionStore = (*sqlStore)(nil)

func (p Retention) batch() int {
	if p.Batch <= 0 {
		return 500
	}
	return p.Batch
}

// cutoff is the time before which rows of a period are old; "" when the
// period keeps everything.
func cutoff(now time.Time, period time.Duration) string {
	if period <= 0 {
		return ""
	}
	return encodeTime(now.Add(-period))
}

// Prune removes what p no longer keeps.
func (s *sqlStore) Prune(ctx context.Context, p Retention, now time.Time) (PruneStats, error) {
	start := time.Now()
	var st PruneStats
	n := p.batch()
	var err error
	if c := cutoff(now, p.Events); c != "" {
		if st.Deliveries, err = s.pruneOutbox(ctx, DeliveryDone, c, n); err != nil {
			return st, err
		}
	}
	if c := cutoff(now, p.DeadLetters); c != "" {
		if st.DeadLetters, err = s.pruneOutbox(ctx, DeliveryDead, c, n); err != nil {
			return st, err
		}
	}
	if c := cutoff(now, p.Events); c != "" {
		if st.Events, err = s.pruneEvents(ctx, c, n); err != nil {
			return st, err
		}
	}
	if c := cutoff(now, p.RemovedItems); c != "" {
		var revs int64
		if st.Items, revs, err = s.pruneItems(ctx, c, n); err != nil {
			return st, err
		}
		st.Revisions += revs
	}
	if c := cutoff(now, p.Revisions); c != "" {
		revs, err := s.pruneRevisions(ctx, c, n)
		st.Revisions += revs
		if err != nil {
			return st, err
		}
	}
	if st.Documents, err = s.collectDocs(ctx, n); err != nil {
		return st, err
	}
	if st.Blobs, err = s.collectBlobs(ctx, n); err != nil {
		return st, err
	}
	if st.FreedPages, err = s.d.reclaim(ctx, s); err != nil {
		return st, err
	}
	st.Took = time.Since(start)
	s.log.Info("store_pruned", "events", st.Events, "deliveries", st.Deliveries, "dead_letters", st.DeadLetters,
		"revisions", st.Revisions, "items", st.Items, "blobs", st.Blobs, "documents", st.Documents,
		"freed_pages", st.FreedPages, "took", st.Took.Round(time.Millisecond))
	return st, nil
}

// inTx runs f in its own write transaction.
func (s *sqlStore) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// affectedRows is RowsAffected without its error (both engines report it).
func affectedRows(res sql.Result) int64 {
	n, _ := res.RowsAffected()
	return n
}

// pruneOutbox removes outbox rows in state queued before cut.
func (s *sqlStore) pruneOutbox(ctx context.Context, state DeliveryState, cut string, n int) (int64, error) {
	var total int64
	for {
		var got int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
				WHERE state = $1 AND created_at < $2 ORDER BY state, created_at LIMIT `+strconv.Itoa(n)+`)`, string(state), cut)
			if err != nil {
				return err
			}
			got = affectedRows(res)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("prune %s deliveries: %w", state, err)
		}
		total += got
		if got < int64(n) {
			return total, nil
		}
	}
}

// pruneEvents removes events detected before cut that no outbox row refers
// to any more. Candidates are walked once, oldest first, so that events
// kept for a pending delivery are not looked at again in every batch.
func (s *sqlStore) pruneEvents(ctx context.Context, cut string, n int) (int64, error) {
	var (
		total   int64
		afterAt = ""
		afterID int64
	)
	for {
		var ids []string
		var last string
		var lastID int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id, detected_at FROM events
				WHERE detected_at < $1 AND (detected_at > $2 OR (detected_at = $2 AND id > $3))
				ORDER BY detected_at, id LIMIT `+strconv.Itoa(n), cut, afterAt, afterID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id, &last); err != nil {
					rows.Close()
					return err
				}
				lastID = id
				ids = append(ids, strconv.FormatInt(id, 10))
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(ids) == 0 {
				return err
			}
			// The IDs are our own integers: they are written into the text.
			res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id IN (`+strings.Join(ids, ", ")+`)
				AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = events.id)`)
			if err != nil {
				return err
			}
			total += affectedRows(res)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("prune events: %w", err)
		}
		if len(ids) < n {
			return total, nil
		}
		afterAt, afterID = last, lastID
	}
}

// undelivered is the condition that a delivery still due (pending or
// retrying) refers to an event of the item $1/$2/$3, of revision rev
// (an SQL expression) when rev is not empty.
func undelivered(rev string) string {
	q := `EXISTS (SELECT 1 FROM events e JOIN outbox o ON o.event_id = e.id
		WHERE e.item_id = $3 AND e.tenant = $1 AND e.source = $2 AND o.state IN ('pending', 'retrying')`
	if rev != "" {
		q += ` AND (e.revision = ` + rev + ` OR e.revision = ` + rev + ` + 1)`
	}
	return q + `)`
}

// itemKey names one item or revision row.
type itemKey struct {
	tenant, source, id string
	revision           int
	at                 string
}

// pruneRevisions removes revisions stored before cut other than each
// item's first and latest, unless a delivery still due needs them.
func (s *sqlStore) pruneRevisions(ctx context.Context, cut string, n int) (int64, error) {
	var (
		total int64
		after itemKey
	)
	for {
		var keys []itemKey
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT tenant, source, id, revision, seen_at FROM revisions
				WHERE seen_at < $1 AND (seen_at, tenant, source, id, revision) > ($2, $3, $4, $5, $6)
				ORDER BY seen_at, tenant, source, id, revision LIMIT `+strconv.Itoa(n),
				cut, after.at, after.tenant, after.source, after.id, after.revision)
			if err != nil {
				return err
			}
			for rows.Next() {
				var k itemKey
				if err := rows.Scan(&k.tenant, &k.source, &k.id, &k.revision, &k.at); err != nil {
					rows.Close()
					return err
				}
				keys = append(keys, k)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			var st stmts
			defer st.close()
			for _, k := range keys {
				res, err := st.execResult(ctx, tx, `DELETE FROM revisions WHERE tenant = $1 AND source = $2 AND id = $3 AND revision = $4
					AND revision > (SELECT min(r.revision) FROM revisions r WHERE r.tenant = $1 AND r.source = $2 AND r.id = $3)
					AND revision < (SELECT i.revision FROM items i WHERE i.tenant = $1 AND i.source = $2 AND i.id = $3)
					AND NOT `+undelivered("$4"), k.tenant, k.source, k.id, k.revision)
				if err != nil {
					return err
				}
				total += affectedRows(res)
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("prune revisions: %w", err)
		}
		if len(keys) < n {
			return total, nil
		}
		after = keys[len(keys)-1]
	}
}

// pruneItems removes items marked removed before cut with all their
// revisions and their index row, unless a delivery still due refers to
// them.
func (s *sqlStore) pruneItems(ctx context.Context, cut string, n int) (items, revisions int64, err error) {
	var after itemKey
	for {
		var keys []itemKey
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT tenant, source, id, seen_at FROM items
				WHERE removed AND seen_at < $1 AND (seen_at, tenant, source, id) > ($2, $3, $4, $5)
				ORDER BY seen_at, tenant, source, id LIMIT `+strconv.Itoa(n),
				cut, after.at, after.tenant, after.source, after.id)
			if err != nil {
				return err
			}
			for rows.Next() {
				var k itemKey
				if err := rows.Scan(&k.tenant, &k.source, &k.id, &k.at); err != nil {
					rows.Close()
					return err
				}
				keys = append(keys, k)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			var st stmts
			defer st.close()
			for _, k := range keys {
				res, err := st.execResult(ctx, tx, `DELETE FROM items WHERE tenant = $1 AND source = $2 AND id = $3
					AND removed AND NOT `+undelivered(""), k.tenant, k.source, k.id)
				if err != nil {
					return err
				}
				if affectedRows(res) == 0 {
					continue
				}
				items++
				res, err = st.execResult(ctx, tx, `DELETE FROM revisions WHERE tenant = $1 AND source = $2 AND id = $3`, k.tenant, k.source, k.id)
				if err != nil {
					return err
				}
				revisions += affectedRows(res)
				if err := st.exec(ctx, tx, `DELETE FROM item_index WHERE tenant = $1 AND source = $2 AND id = $3`, k.tenant, k.source, k.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return items, revisions, fmt.Errorf("prune removed items: %w", err)
		}
		if len(keys) < n {
			return items, revisions, nil
		}
		after = keys[len(keys)-1]
	}
}

// collectDocs removes the documents of the full-text index that no item
// shows any more (an item's new revision leaves its old document behind).
func (s *sqlStore) collectDocs(ctx context.Context, n int) (int64, error) {
	var (
		total int64
		after int64 = -1
	)
	for {
		var docs []int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if s.d.gcLock != "" {
				if _, err := tx.ExecContext(ctx, s.d.gcLock); err != nil {
					return err
				}
			}
			var err error
			if docs, err = scanDocs(ctx, tx, `SELECT doc FROM search_docs WHERE doc > $1 ORDER BY doc LIMIT `+strconv.Itoa(n), after); err != nil || len(docs) == 0 {
				return err
			}
			list := make([]string, len(docs))
			for i, d := range docs {
				list[i] = strconv.FormatInt(d, 10)
			}
			used, err := scanDocs(ctx, tx, `SELECT DISTINCT doc FROM item_index WHERE doc IN (`+strings.Join(list, ", ")+`)`)
			if err != nil {
				return err
			}
			in := make(map[int64]bool, len(used))
			for _, d := range used {
				in[d] = true
			}
			var gone []int64
			for _, d := range docs {
				if !in[d] {
					gone = append(gone, d)
				}
			}
			if len(gone) == 0 {
				return nil
			}
			total += int64(len(gone))
			return s.d.deleteDocs(ctx, tx, gone)
		})
		if err != nil {
			return total, fmt.Errorf("collect unused documents: %w", err)
		}
		if len(docs) < n {
			return total, nil
		}
		after = docs[len(docs)-1]
	}
}

// refersTo is the condition that a row of table refers to the blob
// blobs.hash, through the index on the first 16 characters of data_hash.
func refersTo(table string) string {
	return `EXISTS (SELECT 1 FROM ` + table + ` r WHERE substr(r.data_hash, 1, 16) = substr(blobs.hash, 1, 16) AND r.data_hash = blobs.hash)`
}

// collectBlobs removes the JSON documents no item, revision or event
// refers to any more.
func (s *sqlStore) collectBlobs(ctx context.Context, n int) (int64, error) {
	var (
		total int64
		after string
	)
	for {
		var hashes []string
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if s.d.gcLock != "" {
				if _, err := tx.ExecContext(ctx, s.d.gcLock); err != nil {
					return err
				}
			}
			rows, err := tx.QueryContext(ctx, `SELECT hash FROM blobs WHERE hash > $1 ORDER BY hash LIMIT `+strconv.Itoa(n), after)
			if err != nil {
				return err
			}
			for rows.Next() {
				var h string
				if err := rows.Scan(&h); err != nil {
					rows.Close()
					return err
				}
				hashes = append(hashes, h)
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(hashes) == 0 {
				return err
			}
			list, err := s.d.listArg(hashes)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE `+s.d.inList("hash", 1)+`
				AND NOT `+refersTo("items")+` AND NOT `+refersTo("revisions")+` AND NOT `+refersTo("events"), list)
			if err != nil {
				return err
			}
			total += affectedRows(res)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("collect unused blobs: %w", err)
		}
		if len(hashes) < n {
			return total, nil
		}
		after = hashes[len(hashes)-1]
	}
}

// reclaimSQLite returns free pages to the file system when the file uses
// incremental vacuum, a few thousand pages per statement, and lets the
// full-text index merge away what deleted documents left.
func reclaimSQLite(ctx context.Context, s *sqlStore) (int64, error) {
	for _, t := range []string{"doc_fts", "doc_grams"} {
		if _, err := s.wdb.ExecContext(ctx, `INSERT INTO `+t+` (`+t+`, rank) VALUES ('merge', 500)`); err != nil {
			return 0, fmt.Errorf("merge %s: %w", t, err)
		}
	}
	var mode int
	if err := s.wdb.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return 0, fmt.Errorf("read auto_vacuum: %w", err)
	}
	if mode != 2 {
		return 0, nil
	}
	var freed int64
	for {
		var free int64
		if err := s.wdb.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
			return freed, fmt.Errorf("read freelist_count: %w", err)
		}
		if free == 0 {
			return freed, nil
		}
		step := min(free, 2000)
		if _, err := s.wdb.ExecContext(ctx, `PRAGMA incremental_vacuum(`+strconv.FormatInt(step, 10)+`)`); err != nil {
			return freed, fmt.Errorf("incremental vacuum: %w", err)
		}
		freed += step
		if err := ctx.Err(); err != nil {
			return freed, err
		}
	}
}

func reclaimPostgres(context.Context, *sqlStore) (int64, error) { return 0, nil }

// Vacuum rewrites the database (see RetentionStore).
func (s *sqlStore) Vacuum(ctx context.Context) error {
	if s.d.name != "sqlite" {
		if _, err := s.wdb.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
		return nil
	}
	// auto_vacuum takes effect for an existing file only with a VACUUM.
	for _, q := range []string{`PRAGMA auto_vacuum = INCREMENTAL`, `VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := s.wdb.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("vacuum: %s: %w", q, err)
		}
	}
	return nil
}
