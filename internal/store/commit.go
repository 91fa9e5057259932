package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// Commit writes one poll's result in a single transaction. A batch that
// changes nothing (no items, events or deliveries, and the cursor as
// stored) writes nothing, unless the cursor's stamp is older than the
// store's stamp period (WithCursorStamp).
func (s *sqlStore) Commit(ctx context.Context, b Batch) (ids []int64, err error) {
	if len(b.Items) == 0 && len(b.Events) == 0 && len(b.Deliveries) == 0 && len(b.Relevance) == 0 {
		if b.Cursor == nil {
			return nil, nil
		}
		if quiet, err := s.cursorQuiet(ctx, b); err != nil {
			return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
		} else if quiet {
			return nil, nil
		}
	}
	all, err := s.commit(ctx, []Batch{b})
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// commit writes bs as one atomic unit: through the group committer when
// the engine has one, else in a transaction of their own.
func (s *sqlStore) commit(ctx context.Context, bs []Batch) ([][]int64, error) {
	if s.group != nil {
		return s.group.commit(ctx, bs)
	}
	return s.commitBatches(ctx, bs)
}

// CommitAll implements Store. The batches are written in the order given;
// a poll gives its sources in a fixed order, and each writes its blobs in
// hash order, so that two transactions writing the same documents lock
// them in the same order. A batch with nothing to write (and a cursor as
// stored) is skipped, as by Commit.
func (s *sqlStore) CommitAll(ctx context.Context, bs []Batch) (all [][]int64, err error) {
	if len(bs) == 0 {
		return nil, nil
	}
	all = make([][]int64, len(bs))
	var todo []int
	for i, b := range bs {
		if len(b.Items) == 0 && len(b.Events) == 0 && len(b.Deliveries) == 0 && len(b.Relevance) == 0 {
			if b.Cursor == nil {
				continue
			}
			if quiet, err := s.cursorQuiet(ctx, b); err != nil {
				return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
			} else if quiet {
				continue
			}
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return all, nil
	}
	batches := make([]Batch, len(todo))
	for j, i := range todo {
		batches[j] = bs[i]
	}
	done, err := s.commit(ctx, batches)
	if err != nil {
		return nil, err
	}
	for j, i := range todo {
		all[i] = done[j]
	}
	return all, nil
}

// commitTx writes one batch in tx, with COPY through cp when it is set.
func (s *sqlStore) commitTx(ctx context.Context, tx *sql.Tx, cp *copier, b Batch) (ids []int64, err error) {
	c := s.newCommit(tx)
	c.cp = cp
	now := s.now()
	if err := s.commitItems(ctx, c, b, now); err != nil {
		return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
	}
	if err := s.commitRelevance(ctx, c, b); err != nil {
		return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
	}
	ids, err = s.commitEvents(ctx, c, b, now)
	if err != nil {
		return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
	}
	if err := s.commitDeliveries(ctx, c, b, ids, now); err != nil {
		return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
	}
	if b.Cursor != nil {
		// The stamp is the wall clock, as the database's own clock was
		// before: it says when a poll last succeeded, whatever clock the
		// store's times follow.
		_, err := tx.ExecContext(ctx, `INSERT INTO cursors (tenant, source, watermark, last_full, baselined, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant, source) DO UPDATE SET
				watermark = excluded.watermark, last_full = excluded.last_full, baselined = excluded.baselined,
				updated_at = excluded.updated_at`,
			b.Tenant, string(b.Source), encodeTime(b.Cursor.Watermark), encodeTime(b.Cursor.LastFull), b.Cursor.Baselined,
			encodeTime(time.Now()))
		if err != nil {
			return nil, fmt.Errorf("commit batch of %s/%s: store cursor: %w", b.Tenant, b.Source, err)
		}
	}
	return ids, nil
}

// cursorQuiet reports whether the cursor of b is stored as it is, with a
// stamp younger than the stamp period: then a batch with nothing else
// need not be written at all.
func (s *sqlStore) cursorQuiet(ctx context.Context, b Batch) (bool, error) {
	if s.stampEvery <= 0 {
		return false, nil
	}
	var (
		wm, full, upd string
		baselined     bool
	)
	err := s.rdb.QueryRowContext(ctx, `SELECT watermark, last_full, baselined, updated_at FROM cursors
		WHERE tenant = $1 AND source = $2`, b.Tenant, string(b.Source)).Scan(&wm, &full, &baselined, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read cursor: %w", err)
	}
	if wm != encodeTime(b.Cursor.Watermark) || full != encodeTime(b.Cursor.LastFull) || baselined != b.Cursor.Baselined {
		return false, nil
	}
	stamp, err := decodeTime(upd)
	if err != nil {
		return false, nil // an unreadable stamp is rewritten
	}
	return time.Since(stamp) < s.stampEvery, nil
}

// commitTx is one write transaction and the blobs it has stored or found.
// (Statements stay prepared on the connections: see stmtcache.go; pgx
// caches its own.)
type commitTx struct {
	s     *sqlStore
	tx    *sql.Tx
	blobs map[string]bool
	// revs are the blobs of the revisions this transaction wrote or read.
	revs   map[revKey]string
	locked bool
	// hexKeys: the tables hold blob keys as hex text (before 00012).
	hexKeys bool
	cp      *copier // nil: no COPY (insertRows)
}

// revKey names a revision.
type revKey struct {
	tenant string
	source model.Source
	id     string
	rev    int
}

func (s *sqlStore) newCommit(tx *sql.Tx) *commitTx {
	return &commitTx{s: s, tx: tx, blobs: map[string]bool{}, revs: map[revKey]string{}}
}

// key is the stored form of the blob key h (keyArg).
func (c *commitTx) key(h string) any { return keyArg(c.s.d, h, c.hexKeys) }

// blob is the stored form of a document: packBlob's, or the text itself
// for tables of an older schema (hexKeys).
func (c *commitTx) blob(doc []byte) (any, error) {
	if c.hexKeys {
		return string(doc), nil
	}
	return c.s.packBlob(doc)
}

func (c *commitTx) exec(ctx context.Context, q string, args ...any) error {
	_, err := c.tx.ExecContext(ctx, q, args...)
	return err
}

func (c *commitTx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return c.tx.QueryRowContext(ctx, q, args...)
}

// share takes the shared side of the lock that Prune's collection of
// unreferenced blobs and documents takes exclusively (PostgreSQL; SQLite's
// writers are serialized anyway), so that nothing is collected that this
// transaction is about to refer to.
func (c *commitTx) share(ctx context.Context) error {
	if c.locked || c.s.d.gcLockShared == "" {
		return nil
	}
	if _, err := c.tx.ExecContext(ctx, c.s.d.gcLockShared); err != nil {
		return fmt.Errorf("lock against collection: %w", err)
	}
	c.locked = true
	return nil
}

// putBlobs stores documents (keyed by blobHash) not stored yet, in hash
// order: two transactions writing the same documents (workers polling
// tenants that share Message Center posts) then wait for each other in the
// same order and cannot deadlock. Tenants share most documents, so the
// stored ones are looked up first and only the others sent: a tenant's
// baseline no longer sends a megabyte of JSON the database already holds.
// (A document found here cannot be collected before this transaction
// ends: share holds off Prune's collection.)
func (c *commitTx) putBlobs(ctx context.Context, docs map[string][]byte) error {
	if len(docs) == 0 {
		return nil
	}
	if err := c.share(ctx); err != nil {
		return err
	}
	var want []string
	for h := range docs {
		if !c.blobs[h] {
			want = append(want, h)
		}
	}
	if err := c.storedBlobs(ctx, want); err != nil {
		return err
	}
	var args []any
	for _, h := range slices.Sorted(maps.Keys(docs)) {
		if !c.blobs[h] {
			data, err := c.blob(docs[h])
			if err != nil {
				return fmt.Errorf("store data %s: %w", h, err)
			}
			args = append(args, c.key(h), data)
		}
	}
	if err := c.s.execRows(ctx, c.tx, `blobs (hash, data)`, ` ON CONFLICT (hash) DO NOTHING`, 2, args); err != nil {
		return fmt.Errorf("store data: %w", err)
	}
	for h := range docs {
		c.blobs[h] = true
	}
	return nil
}

// storedBlobs marks those of hashes that blobs holds as stored.
func (c *commitTx) storedBlobs(ctx context.Context, hashes []string) error {
	if len(hashes) == 0 {
		return nil
	}
	list, err := c.s.d.listArg(hashes)
	if err != nil {
		return fmt.Errorf("find stored data: %w", err)
	}
	rows, err := c.tx.QueryContext(ctx, `SELECT hash FROM blobs WHERE `+keyIn(c.s.d, "hash", 1, c.hexKeys), list)
	if err != nil {
		return fmt.Errorf("find stored data: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h storedHash
		if err := rows.Scan(&h); err != nil {
			return fmt.Errorf("find stored data: %w", err)
		}
		c.blobs[h.s] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find stored data: %w", err)
	}
	return nil
}

// commitItems upserts b.Items, appending a revision row for every new
// revision, and writes their read index.
func (s *sqlStore) commitItems(ctx context.Context, c *commitTx, b Batch, now time.Time) error {
	if len(b.Items) == 0 {
		return nil
	}
	if err := c.share(ctx); err != nil {
		return err
	}
	keys := make([]string, 0, len(b.Items))
	for i, it := range b.Items {
		if it.Key.Tenant != "" && it.Key.Tenant != b.Tenant || it.Key.Source != "" && it.Key.Source != b.Source {
			return fmt.Errorf("item %d (%s/%s/%s) is not of the batch's tenant and source", i, it.Key.Tenant, it.Key.Source, it.Key.ID)
		}
		if it.Key.ID == "" {
			return fmt.Errorf("item %d has no ID", i)
		}
		if it.Revision < 1 {
			return fmt.Errorf("item %s: invalid revision %d", it.Key.ID, it.Revision)
		}
		keys = append(keys, it.Key.ID)
	}

	type storedItem struct {
		rev  int
		hash string // of its blob
	}
	stored := make(map[string]storedItem, len(keys))
	list, err := s.d.listArg(keys)
	if err != nil {
		return fmt.Errorf("read stored revisions: %w", err)
	}
	rows, err := c.tx.QueryContext(ctx, `SELECT id, revision, data_hash FROM items WHERE tenant = $1 AND source = $2 AND `+
		s.d.inList("id", 3), b.Tenant, string(b.Source), list)
	if err != nil {
		return fmt.Errorf("read stored revisions: %w", err)
	}
	for rows.Next() {
		var (
			id string
			si storedItem
			h  storedHash
		)
		if err := rows.Scan(&id, &si.rev, &h); err != nil {
			rows.Close()
			return fmt.Errorf("read stored revisions: %w", err)
		}
		si.hash = h.s
		stored[id] = si
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read stored revisions: %w", err)
	}

	// The JSON of every new revision goes to blobs first, once per distinct
	// document.
	hashes := make([]string, len(b.Items))
	docs := map[string][]byte{}
	for i, it := range b.Items {
		if prev, ok := stored[it.Key.ID]; len(it.Data) > 0 && (!ok || it.Revision > prev.rev) {
			hashes[i] = blobHash(it.Data)
			docs[hashes[i]] = it.Data
		}
	}
	if err := c.putBlobs(ctx, docs); err != nil {
		return err
	}
	ix := s.newIndexer(c.tx)
	ix.hexKeys, ix.cp = c.hexKeys, c.cp
	rels := batchRelevance(b)
	var w itemWrites
	for i, it := range b.Items {
		if w.ids[it.Key.ID] {
			// An item twice in one batch: what comes first is written first.
			if err := w.flush(ctx, c, ix, b.Tenant, b.Source); err != nil {
				return err
			}
		}
		w.add(it.Key.ID)
		seen := it.SeenAt
		if seen.IsZero() {
			seen = now
		}
		full := []any{b.Tenant, string(b.Source), it.Key.ID, it.Revision, hashArg(it.Hash),
			encodeNano(it.LastModified), encodeNano(seen), it.Removed, "", c.key(hashes[i])}
		prev, ok := stored[it.Key.ID]
		switch {
		case !ok:
			w.inserts = append(w.inserts, full...)
		case it.Revision > prev.rev:
			w.updates = append(w.updates, full)
		case it.Revision == prev.rev:
			w.touches = append(w.touches, []any{b.Tenant, string(b.Source), it.Key.ID, encodeNano(it.LastModified), it.Removed})
			if prev.hash != "" {
				w.index = append(w.index, indexWork{tenant: b.Tenant, src: b.Source, id: it.Key.ID, hash: prev.hash,
					lastModified: it.LastModified, removed: it.Removed, rel: rels[it.Key.ID]})
			}
			continue
		default:
			return fmt.Errorf("item %s: revision %d is older than the stored revision %d", it.Key.ID, it.Revision, prev.rev)
		}
		if ok {
			w.superseded = append(w.superseded, it.Key.ID)
		}
		c.revs[revKey{b.Tenant, b.Source, it.Key.ID, it.Revision}] = hashes[i]
		if hashes[i] != "" {
			w.index = append(w.index, indexWork{tenant: b.Tenant, src: b.Source, id: it.Key.ID, hash: hashes[i], data: it.Data,
				lastModified: it.LastModified, removed: it.Removed, rel: rels[it.Key.ID], fresh: !ok})
		}
		stored[it.Key.ID] = storedItem{it.Revision, hashes[i]}
	}
	return w.flush(ctx, c, ix, b.Tenant, b.Source)
}

// itemWrites are the writes of items that commitItems collects, each item
// at most once, to write them in multi-row statements.
type itemWrites struct {
	ids     map[string]bool
	inserts []any   // items rows (itemColumns) of new items
	updates [][]any // items rows of items with a new revision
	touches [][]any // tenant, source, id, last_modified, removed of items whose revision stays
	// superseded are the IDs of the items in updates: their stored row
	// moves to revisions before updates overwrite it (since migration
	// 00018 an item's latest revision is its items row alone).
	superseded []string
	index      []indexWork
}

func (w *itemWrites) add(id string) {
	if w.ids == nil {
		w.ids = map[string]bool{}
	}
	w.ids[id] = true
}

// itemColumnCount is the number of itemColumns.
const itemColumnCount = 10

// flush writes what w holds (items of tenant and src) and empties it.
func (w *itemWrites) flush(ctx context.Context, c *commitTx, ix *indexer, tenant string, src model.Source) error {
	if err := c.s.insertRows(ctx, c.tx, c.cp, `items (`+itemColumns+`)`, itemColumnCount, w.inserts); err != nil {
		return fmt.Errorf("insert items: %w", err)
	}
	if len(w.superseded) > 0 {
		list, err := c.s.d.listArg(w.superseded)
		if err != nil {
			return fmt.Errorf("keep superseded revisions: %w", err)
		}
		// The revision as it was stored (rev_modified, rev_removed). A
		// binary from before 00018 run on this store wrote the latest
		// revision to revisions as well: that row stays as it is.
		if err := c.exec(ctx, `INSERT INTO revisions (`+itemColumns+`) SELECT tenant, source, id, revision, hash,
				coalesce(rev_modified, last_modified), seen_at, coalesce(rev_removed, removed), data, data_hash FROM items
				WHERE tenant = $1 AND source = $2 AND `+c.s.d.inList("id", 3)+` ON CONFLICT DO NOTHING`,
			tenant, string(src), list); err != nil {
			return fmt.Errorf("keep superseded revisions: %w", err)
		}
	}
	for _, full := range w.updates {
		if err := c.exec(ctx, `UPDATE items SET revision = $4, hash = $5, last_modified = $6, seen_at = $7,
				removed = $8, data = $9, data_hash = $10, rev_modified = NULL, rev_removed = NULL
				WHERE tenant = $1 AND source = $2 AND id = $3`, full...); err != nil {
			return fmt.Errorf("update item %s: %w", full[2], err)
		}
	}
	for _, t := range w.touches {
		// The revision keeps what it said (rev_modified, rev_removed).
		if err := c.exec(ctx, `UPDATE items SET rev_modified = coalesce(rev_modified, last_modified),
				rev_removed = coalesce(rev_removed, removed), last_modified = $4, removed = $5
				WHERE tenant = $1 AND source = $2 AND id = $3`, t...); err != nil {
			return fmt.Errorf("update item %s: %w", t[2], err)
		}
	}
	if err := ix.items(ctx, w.index); err != nil {
		return err
	}
	*w = itemWrites{}
	return nil
}

// commitRelevance writes the verdicts of b.Relevance on items that are not
// in b.Items (commitItems writes those): posts judged again because what
// is known of the tenant's services changed.
func (s *sqlStore) commitRelevance(ctx context.Context, c *commitTx, b Batch) error {
	if len(b.Relevance) == 0 {
		return nil
	}
	inItems := make(map[string]bool, len(b.Items))
	for _, it := range b.Items {
		inItems[it.Key.ID] = true
	}
	ids := slices.Sorted(maps.Keys(b.Relevance))
	for _, id := range ids {
		if inItems[id] {
			continue
		}
		r := b.Relevance[id]
		text, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode relevance of %s: %w", id, err)
		}
		if err := c.exec(ctx, `UPDATE item_index SET relevant = $4, relevance = $5 WHERE tenant = $1 AND source = $2 AND id = $3`,
			b.Tenant, string(b.Source), id, r.Relevant, string(text)); err != nil {
			return fmt.Errorf("store relevance of %s: %w", id, err)
		}
	}
	return nil
}

// batchRelevance is the relevance of each item of b that has one: its
// entry in b.Relevance, else that of its last event in b.Events.
func batchRelevance(b Batch) map[string]*model.Relevance {
	out := map[string]*model.Relevance{}
	for i := range b.Events {
		if ev := &b.Events[i]; ev.Relevance != nil && (ev.Source == "" || ev.Source == b.Source) {
			out[ev.ItemID] = ev.Relevance
		}
	}
	for id, r := range b.Relevance {
		out[id] = &r
	}
	return out
}

// Event payloads: the item an event describes is stored as a blob (the
// same one as the item's revision, when the event carries that revision's
// JSON, as detect's events do), and the event row keeps what changed.
const (
	kindIssue   = "issue"
	kindMessage = "message"
	kindService = "service"
)

// eventColumnKeys are the JSON keys of model.Event that the events table
// holds in columns (or, for the payload, in blobs): they are left out of
// its stored JSON.
var eventColumnKeys = []string{"id", "tenant", "source", "itemId", "type", "revision", "detectedAt", "issue", "message", "service"}

// splitEvent returns the stored JSON of ev (what changed, and anything
// else model.Event may carry: an object, or the list of its changes when
// it carries nothing else) and its payload: the JSON of its Issue,
// Message or Service and which of them it is.
func splitEvent(ev model.Event) (data string, kind string, payload []byte, err error) {
	var v any
	switch {
	case ev.Issue != nil:
		kind, v = kindIssue, ev.Issue
	case ev.Message != nil:
		kind, v = kindMessage, ev.Message
	case ev.Service != nil:
		kind, v = kindService, ev.Service
	}
	if v != nil {
		if payload, err = json.Marshal(v); err != nil {
			return "", "", nil, err
		}
	}
	ev.Issue, ev.Message, ev.Service = nil, nil, nil
	b, err := json.Marshal(ev)
	if err != nil {
		return "", "", nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return "", "", nil, err
	}
	for _, k := range eventColumnKeys {
		delete(m, k)
	}
	if len(m) == 0 {
		return "", kind, payload, nil
	}
	if c, ok := m["changes"]; ok && len(m) == 1 {
		// What most events hold: their changes alone, stored as the list.
		return string(c), kind, payload, nil
	}
	if b, err = json.Marshal(m); err != nil {
		return "", "", nil, err
	}
	return string(b), kind, payload, nil
}

// commitEvents inserts b.Events and returns their IDs in order. An
// event's item is usually the JSON of the revision it describes (detect's
// events carry it): the event then refers to that revision and keeps no
// hash of its own; any other item is stored as a blob of the event's.
func (s *sqlStore) commitEvents(ctx context.Context, c *commitTx, b Batch, now time.Time) ([]int64, error) {
	if len(b.Events) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(b.Events))
	type split struct {
		data, kind, hash string
	}
	splits := make([]split, len(b.Events))
	payloads := map[string][]byte{}
	for i, ev := range b.Events {
		if ev.Tenant == "" {
			ev.Tenant = b.Tenant
		}
		if ev.Source == "" {
			ev.Source = b.Source
		}
		data, kind, payload, err := splitEvent(ev)
		if err != nil {
			return nil, fmt.Errorf("encode event %d (%s of %s): %w", i, ev.Type, ev.ItemID, err)
		}
		splits[i] = split{data: data, kind: kind}
		if payload == nil {
			continue
		}
		h := blobHash(payload)
		rev, err := c.revisionHash(ctx, ev.Tenant, ev.Source, ev.ItemID, ev.Revision)
		if err != nil {
			return nil, fmt.Errorf("event %d (%s of %s): %w", i, ev.Type, ev.ItemID, err)
		}
		if rev != h {
			splits[i].hash = h
			payloads[h] = payload
		}
	}
	if err := c.putBlobs(ctx, payloads); err != nil {
		return nil, err
	}
	for i, ev := range b.Events {
		if ev.Tenant == "" {
			ev.Tenant = b.Tenant
		}
		if ev.Source == "" {
			ev.Source = b.Source
		}
		if ev.DetectedAt.IsZero() {
			ev.DetectedAt = now
		}
		var id int64
		err := c.queryRow(ctx, `INSERT INTO events (tenant, source, item_id, type, revision, detected_at, data, data_hash, data_kind)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			ev.Tenant, string(ev.Source), ev.ItemID, string(ev.Type), ev.Revision, encodeNano(ev.DetectedAt),
			splits[i].data, c.key(splits[i].hash), splits[i].kind).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("insert event %d (%s of %s): %w", i, ev.Type, ev.ItemID, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// revisionHash returns the blob of a stored revision ("" when there is no
// such revision or it has no JSON), from this transaction's commits first.
func (c *commitTx) revisionHash(ctx context.Context, tenant string, src model.Source, id string, rev int) (string, error) {
	k := revKey{tenant, src, id, rev}
	if h, ok := c.revs[k]; ok {
		return h, nil
	}
	var h storedHash
	err := c.queryRow(ctx, `SELECT data_hash FROM revisions WHERE tenant = $1 AND source = $2 AND id = $3 AND revision = $4
		UNION ALL SELECT data_hash FROM items WHERE tenant = $1 AND source = $2 AND id = $3 AND revision = $4`,
		tenant, string(src), id, rev).Scan(&h)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read revision %d of %s: %w", rev, id, err)
	}
	c.revs[k] = h.s
	return h.s, nil
}

// commitDeliveries inserts the outbox rows of b, skipping those whose key is
// already stored.
func (s *sqlStore) commitDeliveries(ctx context.Context, c *commitTx, b Batch, ids []int64, now time.Time) error {
	zero, at := encodeNano(time.Time{}), encodeNano(now)
	for i, d := range b.Deliveries {
		if d.Event < 0 || d.Event >= len(ids) {
			return fmt.Errorf("delivery %d refers to event %d of %d", i, d.Event, len(ids))
		}
		if d.Key == "" || d.Channel == "" {
			return fmt.Errorf("delivery %d needs a channel and a key", i)
		}
		ev := b.Events[d.Event]
		if ev.Tenant == "" {
			ev.Tenant = b.Tenant
		}
		if ev.Source == "" {
			ev.Source = b.Source
		}
		err := c.exec(ctx, `INSERT INTO outbox
			(event_id, channel, route, key, key_hash, state, attempts, next_attempt, lease_until, last_error, created_at, done_at, kind)
			VALUES ($1, $2, $7, $3, $9, $4, 0, $5, $6, '', $5, $6, $8)
			ON CONFLICT (key_hash) DO NOTHING`,
			ids[d.Event], d.Channel, storedKey(kindOr(d.Kind), d.Key, &ev, d.Route, d.Channel), string(DeliveryPending),
			at, zero, d.Route, string(kindOr(d.Kind)), keyHash(d.Key))
		if err != nil {
			return fmt.Errorf("insert delivery %s: %w", d.Key, err)
		}
	}
	return nil
}
