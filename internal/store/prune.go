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
	// Events are removed this long after detection, with their delivered
	// outbox rows (this long after their last attempt was due); an event
	// with a delivery still pending or retrying, or a dead letter not yet
	// expired, is kept.
	Events time.Duration
	// Revisions other than each item's first and latest are removed this
	// long after they were stored (counted in whole days), except those an
	// event shows as its item and those a delivery still due refers to
	// (its event's revision and the one before, which its diff shows).
	Revisions time.Duration
	// DeadLetters (deliveries that gave up) are removed this long after
	// they gave up.
	DeadLetters time.Duration
	// RemovedItems (gone from Microsoft's lists) are removed with all
	// their revisions and their index row this long after they were
	// marked removed, unless a delivery still due refers to them or an
	// event still shows one of their revisions.
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

// cutoff is the time before which rows of a period are old (an integer
// time, see encodeNano); false when the period keeps everything.
func cutoff(now time.Time, period time.Duration) (int64, bool) {
	if period <= 0 {
		return 0, false
	}
	return encodeNano(now.Add(-period)), true
}

// dayOf is the start of the UTC day of the integer time cut: revisions are
// removed in whole days.
func dayOf(cut int64) int64 {
	return encodeNano(decodeNano(cut).Truncate(24 * time.Hour))
}

// Prune removes what p no longer keeps.
func (s *sqlStore) Prune(ctx context.Context, p Retention, now time.Time) (PruneStats, error) {
	start := time.Now()
	var st PruneStats
	n := p.batch()
	var err error
	if c, ok := cutoff(now, p.Events); ok {
		if st.Deliveries, err = s.pruneOutbox(ctx, DeliveryDone, c, n); err != nil {
			return st, err
		}
	}
	if c, ok := cutoff(now, p.DeadLetters); ok {
		if st.DeadLetters, err = s.pruneOutbox(ctx, DeliveryDead, c, n); err != nil {
			return st, err
		}
	}
	if c, ok := cutoff(now, p.Events); ok {
		if st.Events, err = s.pruneEvents(ctx, c, n); err != nil {
			return st, err
		}
	}
	if c, ok := cutoff(now, p.RemovedItems); ok {
		var revs int64
		if st.Items, revs, err = s.pruneItems(ctx, c, n); err != nil {
			return st, err
		}
		st.Revisions += revs
	}
	if c, ok := cutoff(now, p.Revisions); ok {
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

// deleteBatches runs a DELETE of at most n rows until it removes fewer,
// each in its own short transaction.
func (s *sqlStore) deleteBatches(ctx context.Context, n int, q string, args ...any) (int64, error) {
	var total int64
	for {
		var got int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			got = affectedRows(res)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += got
		if got < int64(n) {
			return total, nil
		}
	}
}

// pruneOutbox removes outbox rows in state whose last attempt was due
// before cut (outbox_due): a delivered row's, or a dead letter's, which
// gave up then.
func (s *sqlStore) pruneOutbox(ctx context.Context, state DeliveryState, cut int64, n int) (int64, error) {
	got, err := s.deleteBatches(ctx, n, `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
		WHERE state = $1 AND next_attempt < $2 LIMIT `+strconv.Itoa(n)+`)`, string(state), cut)
	if err != nil {
		return got, fmt.Errorf("prune %s deliveries: %w", state, err)
	}
	return got, nil
}

// pruneEvents removes events detected before cut that no outbox row refers
// to any more, tenant by tenant through events_by_tenant_time.
func (s *sqlStore) pruneEvents(ctx context.Context, cut int64, n int) (int64, error) {
	var (
		total  int64
		tenant string
	)
	for {
		var next sql.NullString
		if err := s.rdb.QueryRowContext(ctx, `SELECT min(tenant) FROM events WHERE tenant > $1`, tenant).Scan(&next); err != nil {
			return total, fmt.Errorf("prune events: %w", err)
		}
		if !next.Valid {
			return total, nil
		}
		tenant = next.String
		got, err := s.deleteBatches(ctx, n, `DELETE FROM events WHERE id IN (SELECT e.id FROM events e
			WHERE e.tenant = $1 AND e.detected_at < $2 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id)
			LIMIT `+strconv.Itoa(n)+`)`, tenant, cut)
		total += got
		if err != nil {
			return total, fmt.Errorf("prune events of %s: %w", tenant, err)
		}
	}
}

// undelivered is the condition that a delivery still due (pending or
// retrying) refers to an event of the item $1/$2/$3, of revision rev
// (an SQL expression) or the one after it, when rev is not empty.
func undelivered(rev string) string {
	q := `EXISTS (SELECT 1 FROM events e JOIN outbox o ON o.event_id = e.id
		WHERE e.item_id = $3 AND e.tenant = $1 AND e.source = $2 AND o.state IN ('pending', 'retrying')`
	if rev != "" {
		q += ` AND (e.revision = ` + rev + ` OR e.revision = ` + rev + ` + 1)`
	}
	return q + `)`
}

// shown is the condition that an event shows the JSON of a revision of
// the item $1/$2/$3 (of revision rev, when not empty) as its item.
func shown(rev string) string {
	q := `EXISTS (SELECT 1 FROM events e WHERE e.item_id = $3 AND e.tenant = $1 AND e.source = $2
		AND e.data_kind <> '' AND e.data_hash = ''`
	if rev != "" {
		q += ` AND e.revision = ` + rev
	}
	return q + `)`
}

// revisionKept is the condition under which a revision r (tenant, source,
// id, revision) that is old enough stays: it is its item's first or
// latest, a delivery still due needs it, or an event shows it. (Since
// migration 00018 the latest is the items row alone, which prune does not
// touch; the second condition keeps it in a store from before.)
const revisionKept = `(r.revision <= (SELECT min(r2.revision) FROM revisions r2 WHERE r2.tenant = r.tenant AND r2.source = r.source AND r2.id = r.id)
	OR r.revision >= coalesce((SELECT i.revision FROM items i WHERE i.tenant = r.tenant AND i.source = r.source AND i.id = r.id), r.revision)
	OR EXISTS (SELECT 1 FROM events e JOIN outbox o ON o.event_id = e.id
		WHERE e.item_id = r.id AND e.tenant = r.tenant AND e.source = r.source AND o.state IN ('pending', 'retrying')
		AND (e.revision = r.revision OR e.revision = r.revision + 1))
	OR EXISTS (SELECT 1 FROM events e WHERE e.item_id = r.id AND e.tenant = r.tenant AND e.source = r.source
		AND e.data_kind <> '' AND e.data_hash = '' AND e.revision = r.revision))`

// pruneRevisions removes revisions stored before the day of cut
// (revisions_by_day, on seen_at) that are not kept (revisionKept).
func (s *sqlStore) pruneRevisions(ctx context.Context, cut int64, n int) (int64, error) {
	got, err := s.deleteBatches(ctx, n, `DELETE FROM revisions WHERE (tenant, source, id, revision) IN (
		SELECT r.tenant, r.source, r.id, r.revision FROM revisions r
		WHERE r.seen_at < $1 AND NOT `+revisionKept+` LIMIT `+strconv.Itoa(n)+`)`, dayOf(cut))
	if err != nil {
		return got, fmt.Errorf("prune revisions: %w", err)
	}
	return got, nil
}

// itemKept is the condition under which an item i marked removed long
// enough ago stays: a delivery still due refers to it, or an event shows
// one of its revisions.
var itemKept = strings.NewReplacer("$1", "i.tenant", "$2", "i.source", "$3", "i.id").Replace(
	`(` + undelivered("") + ` OR ` + shown("") + `)`)

// pruneItems removes items marked removed before cut with all their
// revisions and their index row, unless they are kept (itemKept).
func (s *sqlStore) pruneItems(ctx context.Context, cut int64, n int) (items, revisions int64, err error) {
	for {
		var keys [][3]string
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT i.tenant, i.source, i.id FROM items i
				WHERE i.removed AND i.seen_at < $1 AND NOT `+itemKept+` LIMIT `+strconv.Itoa(n), cut)
			if err != nil {
				return err
			}
			for rows.Next() {
				var k [3]string
				if err := rows.Scan(&k[0], &k[1], &k[2]); err != nil {
					rows.Close()
					return err
				}
				keys = append(keys, k)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, k := range keys {
				for _, q := range []string{`DELETE FROM revisions WHERE tenant = $1 AND source = $2 AND id = $3`,
					`DELETE FROM item_index WHERE tenant = $1 AND source = $2 AND id = $3`,
					`DELETE FROM item_handling WHERE tenant = $1 AND source = $2 AND item_id = $3`,
					`DELETE FROM items WHERE tenant = $1 AND source = $2 AND id = $3`} {
					res, err := tx.ExecContext(ctx, q, k[0], k[1], k[2])
					if err != nil {
						return err
					}
					if strings.HasPrefix(q, "DELETE FROM revisions") {
						revisions += affectedRows(res)
					}
				}
				items++
			}
			return nil
		})
		if err != nil {
			return items, revisions, fmt.Errorf("prune removed items: %w", err)
		}
		if len(keys) < n {
			return items, revisions, nil
		}
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
// blobs.hash, through the index on the first 8 bytes of data_hash (of
// events: those with a blob of their own).
func refersTo(table string) string {
	return `EXISTS (SELECT 1 FROM ` + table + ` r WHERE substr(r.data_hash, 1, 8) = substr(blobs.hash, 1, 8)
		AND r.data_hash = blobs.hash AND r.data_hash <> '')`
}

// collectBlobs removes the JSON documents no item, revision or event
// refers to any more.
func (s *sqlStore) collectBlobs(ctx context.Context, n int) (int64, error) {
	var (
		total int64
		after = s.d.noKey // before every key
	)
	for {
		// The stored keys (bytes, see keyArg), in order: a batch is the
		// range from the first to the last.
		var hashes [][]byte
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
				var h []byte
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
			// No key can join the range meanwhile: writers wait for
			// gcLock (PostgreSQL) or for this transaction (SQLite).
			res, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE hash >= $1 AND hash <= $2
				AND NOT `+refersTo("items")+` AND NOT `+refersTo("revisions")+` AND NOT `+refersTo("events"),
				hashes[0], hashes[len(hashes)-1])
			if err != nil {
				return err
			}
			total += affectedRows(res)
			// The recorded translations of documents that are gone.
			res, err = tx.ExecContext(ctx, `DELETE FROM search_translations WHERE hash >= $1 AND hash <= $2
				AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = search_translations.hash)`,
				hashes[0], hashes[len(hashes)-1])
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

// reclaimSQLite merges the full-text index (mergeFTS) and returns free
// pages to the file system when the file uses incremental vacuum, a few
// thousand pages per statement.
func reclaimSQLite(ctx context.Context, s *sqlStore) (int64, error) {
	if err := s.mergeFTS(ctx); err != nil {
		return 0, err
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
			if freed > 0 {
				// The file shrinks when the WAL is checkpointed; do it now
				// rather than when the WAL next fills, without waiting for
				// readers (what they still need is checkpointed later).
				if _, err := s.wdb.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
					return freed, fmt.Errorf("checkpoint: %w", err)
				}
			}
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

// ftsMergePages is the work of one merge step of the full-text index, in
// leaf pages: a step holds the SQLite writer for about a quarter of a
// second on this project's 2-core test machine.
const ftsMergePages = 500

// ftsMergeAt is the number of segments from which a prune merges an index
// (the _idx table of an FTS5 index has rows for each segment's leaves).
const ftsMergeAt = 8

// mergeFTS merges each SQLite full-text index into one segment, a step at
// a time, each in a transaction of its own so that commits of polls go on
// between them. FTS5 adds a segment per transaction and merges only four
// segments of a level at a time: after an onboarding, the index of 100,000
// documents was 20 segments, and a search looked each word up in every
// one. Merged into one, searches took 1.1–2× less time (BENCHMARKS.md).
// A merge with a negative page count merges segments of every level, as
// 'optimize' does, but incrementally; a step that changes fewer than two
// rows found nothing left to merge (FTS5's documentation of 'merge').
func (s *sqlStore) mergeFTS(ctx context.Context) error {
	for _, t := range ftsTables {
		// Merging rewrites the whole index: only when segments piled up
		// (FTS5's own automerge keeps a steady state to a few per level).
		var segs int
		if err := s.wdb.QueryRowContext(ctx, `SELECT count(DISTINCT segid) FROM `+t+`_idx`).Scan(&segs); err != nil {
			return fmt.Errorf("count the segments of the full-text index %s: %w", t, err)
		}
		if segs < ftsMergeAt {
			continue
		}
		for {
			more, err := s.mergeStep(ctx, t)
			if err != nil {
				return fmt.Errorf("merge the full-text index %s: %w", t, err)
			}
			if !more {
				break
			}
		}
	}
	return nil
}

// mergeStep runs one merge step of FTS5 table t and reports whether it
// found work to do.
func (s *sqlStore) mergeStep(ctx context.Context, t string) (bool, error) {
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var before, after int64
	if err := conn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO `+t+` (`+t+`, rank) VALUES ('merge', -`+strconv.Itoa(ftsMergePages)+`)`); err != nil {
		return false, err
	}
	if err := conn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
		return false, err
	}
	return after-before >= 2, nil
}

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
