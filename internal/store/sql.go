package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/shdmc/shdmc/internal/model"
)

//go:embed migrations
var migrationsFS embed.FS

// sqlStore is the database/sql implementation shared by the engines; what
// differs between them lives in d.
type sqlStore struct {
	d dialect
	// wdb takes every write; rdb serves reads. They are the same pool when
	// the engine needs it (an in-memory SQLite database).
	wdb, rdb *sql.DB
	now      func() time.Time
	log      *slog.Logger
	// worker names this process on the deliveries it claims.
	worker string
}

var _ Store = (*sqlStore)(nil)

// migrate applies the embedded migrations of the engine.
func (s *sqlStore) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrationsFS, s.d.migrations)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	popts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(s.log),
	}
	if s.d.lockMigrations {
		// Wait up to 5 minutes, checking every second, for another worker's
		// migration to finish; then this one finds nothing left to do.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("prepare migration lock: %w", err)
		}
		popts = append(popts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(s.d.goose, s.wdb, fsys, popts...)
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	// Several processes may open a new database at once. Each migration runs
	// in its own transaction, so a process that lost the race fails on a
	// migration the winner has just applied; looking again finds it applied.
	const attempts = 3
	for i := 1; ; i++ {
		res, err := p.Up(ctx)
		for _, r := range res {
			if r.Error == nil {
				s.log.Info("store_migrated", "version", r.Source.Version, "took", r.Duration)
			}
		}
		if err == nil {
			return nil
		}
		if i == attempts || ctx.Err() != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		s.log.Warn("store_migration_retry", "attempt", i, "err", err)
	}
}

// Close releases the database.
func (s *sqlStore) Close() error {
	var errs []error
	if s.rdb != s.wdb {
		errs = append(errs, s.rdb.Close())
	}
	errs = append(errs, s.wdb.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// UpsertTenant inserts or renames a tenant.
func (s *sqlStore) UpsertTenant(ctx context.Context, t model.Tenant) error {
	if t.ID == "" {
		return errors.New("upsert tenant: empty ID")
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
		t.ID, t.Name, encodeTime(s.now()))
	if err != nil {
		return fmt.Errorf("upsert tenant %s: %w", t.ID, err)
	}
	return nil
}

// Tenants lists the known tenants ordered by ID.
func (s *sqlStore) Tenants(ctx context.Context) ([]model.Tenant, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, name FROM tenants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	var out []model.Tenant
	for rows.Next() {
		var t model.Tenant
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}

// itemColumns are the columns of items and revisions that Commit writes:
// data is always written empty, the JSON going to blobs under data_hash.
const itemColumns = `tenant, source, id, revision, hash, last_modified, seen_at, removed, data, data_hash`

// itemSelect reads the itemColumns of items or revisions aliased i, joined
// to blobs aliased b (see itemFrom), with the JSON from the blob; scanItem
// reads it.
const itemSelect = `i.tenant, i.source, i.id, i.revision, i.hash, i.last_modified, i.seen_at, i.removed,
	coalesce(b.data, i.data)`

// itemFrom names table (items or revisions) as i with its blob as b.
func itemFrom(table string) string {
	return ` FROM ` + table + ` i LEFT JOIN blobs b ON b.hash = i.data_hash`
}

// blobHash is the key of a JSON document in blobs: the SHA-256 of its exact
// bytes, in lower-case hex (what migration 00007 computes in SQL). The
// content hash of an item is not used: it leaves out fields such as the
// last modification time, which are in the JSON.
func blobHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// scanItem reads the itemSelect of one row (items or revisions).
func scanItem(rows *sql.Rows) (Item, error) {
	var (
		it            Item
		src           string
		lastMod, seen string
		data          []byte
	)
	if err := rows.Scan(&it.Key.Tenant, &src, &it.Key.ID, &it.Revision, &it.Hash, &lastMod, &seen, &it.Removed, &data); err != nil {
		return Item{}, err
	}
	it.Key.Source = model.Source(src)
	var err error
	if it.LastModified, err = decodeTime(lastMod); err != nil {
		return Item{}, err
	}
	if it.SeenAt, err = decodeTime(seen); err != nil {
		return Item{}, err
	}
	if len(data) > 0 {
		it.Data = data
	}
	return it, nil
}

// Items returns the current state of the named items of one tenant and
// source.
func (s *sqlStore) Items(ctx context.Context, tenant string, src model.Source, ids []string) (map[string]Item, error) {
	out := make(map[string]Item, len(ids))
	collect := func(q string, args ...any) error {
		rows, err := s.rdb.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanItem(rows)
			if err != nil {
				return err
			}
			out[it.Key.ID] = it
		}
		return rows.Err()
	}
	base := `SELECT ` + itemSelect + itemFrom("items") + ` WHERE i.tenant = $1 AND i.source = $2`
	if ids == nil {
		if err := collect(base, tenant, string(src)); err != nil {
			return nil, fmt.Errorf("read items of %s/%s: %w", tenant, src, err)
		}
		return out, nil
	}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := s.d.listArg(ids)
	if err != nil {
		return nil, fmt.Errorf("read items of %s/%s: %w", tenant, src, err)
	}
	if err := collect(base+` AND `+s.d.inList("i.id", 3), tenant, string(src), list); err != nil {
		return nil, fmt.Errorf("read items of %s/%s: %w", tenant, src, err)
	}
	return out, nil
}

// ItemIDs lists the IDs of the items of a tenant and source that are not
// marked removed, in ID order.
func (s *sqlStore) ItemIDs(ctx context.Context, tenant string, src model.Source) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx,
		`SELECT id FROM items WHERE tenant = $1 AND source = $2 AND NOT removed ORDER BY id`, tenant, string(src))
	if err != nil {
		return nil, fmt.Errorf("list item ids of %s/%s: %w", tenant, src, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list item ids of %s/%s: %w", tenant, src, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list item ids of %s/%s: %w", tenant, src, err)
	}
	return out, nil
}

// Cursor returns the polling cursor of a tenant and source.
func (s *sqlStore) Cursor(ctx context.Context, tenant string, src model.Source) (Cursor, error) {
	var (
		c            Cursor
		wm, lastFull string
	)
	err := s.rdb.QueryRowContext(ctx,
		`SELECT watermark, last_full, baselined FROM cursors WHERE tenant = $1 AND source = $2`,
		tenant, string(src)).Scan(&wm, &lastFull, &c.Baselined)
	if errors.Is(err, sql.ErrNoRows) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("read cursor of %s/%s: %w", tenant, src, err)
	}
	if c.Watermark, err = decodeTime(wm); err != nil {
		return Cursor{}, fmt.Errorf("read cursor of %s/%s: %w", tenant, src, err)
	}
	if c.LastFull, err = decodeTime(lastFull); err != nil {
		return Cursor{}, fmt.Errorf("read cursor of %s/%s: %w", tenant, src, err)
	}
	return c, nil
}

// Commit writes one poll's result in a single transaction.
func (s *sqlStore) Commit(ctx context.Context, b Batch) (ids []int64, err error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("commit batch of %s/%s: begin: %w", b.Tenant, b.Source, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if ids, err = s.commitTx(ctx, tx, b); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
	}
	return ids, nil
}

// CommitAll implements Store. The batches are written in the order given;
// a poll gives its sources in a fixed order, and each writes its blobs in
// hash order, so that two transactions writing the same documents lock
// them in the same order.
func (s *sqlStore) CommitAll(ctx context.Context, bs []Batch) (all [][]int64, err error) {
	if len(bs) == 0 {
		return nil, nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("commit %d batches of %s: begin: %w", len(bs), bs[0].Tenant, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	all = make([][]int64, len(bs))
	for i, b := range bs {
		if all[i], err = s.commitTx(ctx, tx, b); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit %d batches of %s: %w", len(bs), bs[0].Tenant, err)
	}
	return all, nil
}

// commitTx writes one batch in tx.
func (s *sqlStore) commitTx(ctx context.Context, tx *sql.Tx, b Batch) ([]int64, error) {
	now := s.now()
	if err := s.commitItems(ctx, tx, b, now); err != nil {
		return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
	}
	ids, err := s.commitEvents(ctx, tx, b, now)
	if err != nil {
		return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
	}
	if err := s.commitDeliveries(ctx, tx, b, ids, now); err != nil {
		return nil, fmt.Errorf("commit batch of %s/%s: %w", b.Tenant, b.Source, err)
	}
	if b.Cursor != nil {
		_, err := tx.ExecContext(ctx, `INSERT INTO cursors (tenant, source, watermark, last_full, baselined)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant, source) DO UPDATE SET
				watermark = excluded.watermark, last_full = excluded.last_full, baselined = excluded.baselined`,
			b.Tenant, string(b.Source), encodeTime(b.Cursor.Watermark), encodeTime(b.Cursor.LastFull), b.Cursor.Baselined)
		if err != nil {
			return nil, fmt.Errorf("commit batch of %s/%s: store cursor: %w", b.Tenant, b.Source, err)
		}
	}
	return ids, nil
}

// commitItems upserts b.Items, appending a revision row for every new
// revision.
func (s *sqlStore) commitItems(ctx context.Context, tx *sql.Tx, b Batch, now time.Time) error {
	if len(b.Items) == 0 {
		return nil
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

	stored := make(map[string]int, len(keys))
	list, err := s.d.listArg(keys)
	if err != nil {
		return fmt.Errorf("read stored revisions: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, revision FROM items WHERE tenant = $1 AND source = $2 AND `+
		s.d.inList("id", 3), b.Tenant, string(b.Source), list)
	if err != nil {
		return fmt.Errorf("read stored revisions: %w", err)
	}
	for rows.Next() {
		var (
			id  string
			rev int
		)
		if err := rows.Scan(&id, &rev); err != nil {
			rows.Close()
			return fmt.Errorf("read stored revisions: %w", err)
		}
		stored[id] = rev
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read stored revisions: %w", err)
	}

	var st stmts
	defer st.close()
	// The JSON of every new revision goes to blobs first, once per distinct
	// document, in hash order: two transactions writing the same documents
	// (workers polling tenants that share Message Center posts) then wait
	// for each other in the same order and cannot deadlock.
	hashes := make([]string, len(b.Items))
	blobs := map[string][]byte{}
	for i, it := range b.Items {
		if prev, ok := stored[it.Key.ID]; len(it.Data) > 0 && (!ok || it.Revision > prev) {
			hashes[i] = blobHash(it.Data)
			blobs[hashes[i]] = it.Data
		}
	}
	for _, h := range slices.Sorted(maps.Keys(blobs)) {
		if err := st.exec(ctx, tx, `INSERT INTO blobs (hash, data) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING`,
			h, string(blobs[h])); err != nil {
			return fmt.Errorf("store data %s: %w", h, err)
		}
	}
	for i, it := range b.Items {
		seen := it.SeenAt
		if seen.IsZero() {
			seen = now
		}
		full := []any{b.Tenant, string(b.Source), it.Key.ID, it.Revision, it.Hash,
			encodeTime(it.LastModified), encodeTime(seen), it.Removed, "", hashes[i]}
		prev, ok := stored[it.Key.ID]
		switch {
		case !ok:
			if err := st.exec(ctx, tx, `INSERT INTO items (`+itemColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, full...); err != nil {
				return fmt.Errorf("insert item %s: %w", it.Key.ID, err)
			}
		case it.Revision > prev:
			if err := st.exec(ctx, tx, `UPDATE items SET revision = $4, hash = $5, last_modified = $6, seen_at = $7,
				removed = $8, data = $9, data_hash = $10 WHERE tenant = $1 AND source = $2 AND id = $3`, full...); err != nil {
				return fmt.Errorf("update item %s: %w", it.Key.ID, err)
			}
		case it.Revision == prev:
			if err := st.exec(ctx, tx, `UPDATE items SET last_modified = $4, removed = $5
				WHERE tenant = $1 AND source = $2 AND id = $3`,
				b.Tenant, string(b.Source), it.Key.ID, encodeTime(it.LastModified), it.Removed); err != nil {
				return fmt.Errorf("update item %s: %w", it.Key.ID, err)
			}
			continue
		default:
			return fmt.Errorf("item %s: revision %d is older than the stored revision %d", it.Key.ID, it.Revision, prev)
		}
		if err := st.exec(ctx, tx, `INSERT INTO revisions (`+itemColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, full...); err != nil {
			return fmt.Errorf("insert revision %d of item %s: %w", it.Revision, it.Key.ID, err)
		}
		stored[it.Key.ID] = it.Revision
	}
	return nil
}

// stmts prepares each statement of a transaction once, for batches that run
// the same statement many times.
type stmts struct {
	m map[string]*sql.Stmt
}

func (st *stmts) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
	if st.m == nil {
		st.m = make(map[string]*sql.Stmt)
	}
	p, ok := st.m[q]
	if !ok {
		var err error
		if p, err = tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		st.m[q] = p
	}
	_, err := p.ExecContext(ctx, args...)
	return err
}

func (st *stmts) close() {
	for _, p := range st.m {
		p.Close()
	}
}

// commitEvents inserts b.Events and returns their IDs in order. The stored
// JSON carries the assigned ID.
func (s *sqlStore) commitEvents(ctx context.Context, tx *sql.Tx, b Batch, now time.Time) ([]int64, error) {
	if len(b.Events) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(b.Events))
	var st stmts
	defer st.close()
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
		ev.DetectedAt = ev.DetectedAt.UTC()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO events (tenant, source, item_id, type, revision, detected_at, data)
			VALUES ($1, $2, $3, $4, $5, $6, '') RETURNING id`,
			ev.Tenant, string(ev.Source), ev.ItemID, string(ev.Type), ev.Revision, encodeTime(ev.DetectedAt)).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("insert event %d (%s of %s): %w", i, ev.Type, ev.ItemID, err)
		}
		ev.ID = id
		data, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode event %d (%s of %s): %w", i, ev.Type, ev.ItemID, err)
		}
		if err := st.exec(ctx, tx, `UPDATE events SET data = $1 WHERE id = $2`, string(data), id); err != nil {
			return nil, fmt.Errorf("store event %d (%s of %s): %w", i, ev.Type, ev.ItemID, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// commitDeliveries inserts the outbox rows of b, skipping those whose key is
// already stored.
func (s *sqlStore) commitDeliveries(ctx context.Context, tx *sql.Tx, b Batch, ids []int64, now time.Time) error {
	var st stmts
	defer st.close()
	zero, at := encodeTime(time.Time{}), encodeTime(now)
	for i, d := range b.Deliveries {
		if d.Event < 0 || d.Event >= len(ids) {
			return fmt.Errorf("delivery %d refers to event %d of %d", i, d.Event, len(ids))
		}
		if d.Key == "" || d.Channel == "" {
			return fmt.Errorf("delivery %d needs a channel and a key", i)
		}
		err := st.exec(ctx, tx, `INSERT INTO outbox
			(event_id, channel, route, key, state, attempts, next_attempt, lease_until, last_error, created_at, done_at, kind)
			VALUES ($1, $2, $7, $3, $4, 0, $5, $6, '', $5, $6, $8)
			ON CONFLICT (key) DO NOTHING`,
			ids[d.Event], d.Channel, d.Key, string(DeliveryPending), at, zero, d.Route, string(kindOr(d.Kind)))
		if err != nil {
			return fmt.Errorf("insert delivery %s: %w", d.Key, err)
		}
	}
	return nil
}

// History returns every stored revision of an item, oldest first.
func (s *sqlStore) History(ctx context.Context, tenant, itemID string) ([]Revision, error) {
	q := `SELECT ` + itemSelect + itemFrom("revisions") + ` WHERE i.id = $1`
	args := []any{itemID}
	if tenant != "" {
		q += ` AND i.tenant = $2`
		args = append(args, tenant)
	}
	q += ` ORDER BY i.tenant, i.source, i.revision`
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", itemID, err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("read history of %s: %w", itemID, err)
		}
		out = append(out, Revision(it))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history of %s: %w", itemID, err)
	}
	if len(out) == 0 {
		if tenant != "" {
			return nil, fmt.Errorf("read history of %s in tenant %s: %w", itemID, tenant, ErrNotFound)
		}
		return nil, fmt.Errorf("read history of %s: %w", itemID, ErrNotFound)
	}
	return out, nil
}

// decodeEvent parses a stored event; id is authoritative over the JSON.
func decodeEvent(id int64, data []byte) (model.Event, error) {
	var ev model.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return model.Event{}, fmt.Errorf("decode event %d: %w", id, err)
	}
	ev.ID = id
	return ev, nil
}

// Events returns stored events matching q, oldest first.
func (s *sqlStore) Events(ctx context.Context, q EventQuery) ([]model.Event, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.Tenant != "" {
		add("tenant = $%d", q.Tenant)
	}
	if q.ItemID != "" {
		add("item_id = $%d", q.ItemID)
	}
	if !q.Since.IsZero() {
		add("detected_at >= $%d", encodeTime(q.Since))
	}
	sqlText := `SELECT id, data FROM events`
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, " AND ")
	}
	sqlText += ` ORDER BY id`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		sqlText += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.rdb.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []model.Event
	for rows.Next() {
		var (
			id   int64
			data []byte
		)
		if err := rows.Scan(&id, &data); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		ev, err := decodeEvent(id, data)
		if err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

const deliveryColumns = `o.id, o.channel, o.route, o.key, o.kind, o.state, o.attempts, o.next_attempt, o.last_error,
	o.created_at, o.done_at, o.event_id, e.data`

// scanDelivery reads the deliveryColumns of one row.
func scanDelivery(rows *sql.Rows) (Delivery, error) {
	var (
		d                     Delivery
		state, kind           string
		next, created, doneAt string
		eventID               int64
		data                  []byte
	)
	if err := rows.Scan(&d.ID, &d.Channel, &d.Route, &d.Key, &kind, &state, &d.Attempts, &next, &d.LastError,
		&created, &doneAt, &eventID, &data); err != nil {
		return Delivery{}, err
	}
	d.State, d.Kind = DeliveryState(state), DeliveryKind(kind)
	var err error
	if d.NextAttempt, err = decodeTime(next); err != nil {
		return Delivery{}, err
	}
	if d.CreatedAt, err = decodeTime(created); err != nil {
		return Delivery{}, err
	}
	if d.DoneAt, err = decodeTime(doneAt); err != nil {
		return Delivery{}, err
	}
	if d.Event, err = decodeEvent(eventID, data); err != nil {
		return Delivery{}, err
	}
	return d, nil
}

// ClaimDeliveries leases up to limit due deliveries of the given channels.
func (s *sqlStore) ClaimDeliveries(ctx context.Context, channels []string, now time.Time, lease time.Duration, limit int) (out []Delivery, err error) {
	if limit <= 0 {
		return nil, nil
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim deliveries: lease %v is not positive", lease)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	at := encodeTime(now)
	args := []any{at, string(DeliveryPending), string(DeliveryRetrying)}
	q := `SELECT ` + deliveryColumns + ` FROM outbox o JOIN events e ON e.id = o.event_id
		WHERE o.state IN ($2, $3) AND o.next_attempt <= $1 AND o.lease_until <= $1`
	if len(channels) > 0 {
		q += ` AND o.channel IN (` + placeholders(len(args)+1, len(channels)) + `)`
		for _, c := range channels {
			args = append(args, c)
		}
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY o.id LIMIT $%d`, len(args)) + s.d.claimLock
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if len(out) == 0 {
		return nil, tx.Commit()
	}
	upd := []any{encodeTime(now.Add(lease)), s.worker}
	for _, d := range out {
		upd = append(upd, d.ID)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET lease_until = $1, claimed_by = $2 WHERE id IN (`+
		placeholders(3, len(out))+`)`, upd...); err != nil {
		return nil, fmt.Errorf("claim deliveries: lease: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// CompleteDelivery marks a claimed delivery as sent.
func (s *sqlStore) CompleteDelivery(ctx context.Context, id int64, at time.Time) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE outbox SET state = $1, done_at = $2, attempts = attempts + 1,
		lease_until = $3 WHERE id = $4`,
		string(DeliveryDone), encodeTime(at), encodeTime(time.Time{}), id)
	if err != nil {
		return fmt.Errorf("complete delivery %d: %w", id, err)
	}
	return affected(res, fmt.Sprintf("complete delivery %d", id))
}

// FailDelivery records a failed attempt.
func (s *sqlStore) FailDelivery(ctx context.Context, id int64, at time.Time, lastErr string, retryAt time.Time, dead bool) error {
	state := DeliveryRetrying
	if dead {
		state = DeliveryDead
	}
	res, err := s.wdb.ExecContext(ctx, `UPDATE outbox SET state = $1, next_attempt = $2, last_error = $3,
		attempts = attempts + 1, lease_until = $4 WHERE id = $5`,
		string(state), encodeTime(retryAt), lastErr, encodeTime(time.Time{}), id)
	if err != nil {
		return fmt.Errorf("fail delivery %d: %w", id, err)
	}
	return affected(res, fmt.Sprintf("fail delivery %d", id))
}

// affected turns "no row updated" into ErrNotFound.
func affected(res sql.Result, action string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", action, ErrNotFound)
	}
	return nil
}

// Deliveries lists deliveries in the given states, newest first.
func (s *sqlStore) Deliveries(ctx context.Context, states []DeliveryState, limit int) ([]Delivery, error) {
	var args []any
	q := `SELECT ` + deliveryColumns + ` FROM outbox o JOIN events e ON e.id = o.event_id`
	if len(states) > 0 {
		q += ` WHERE o.state IN (` + placeholders(1, len(states)) + `)`
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	q += ` ORDER BY o.id DESC`
	if limit > 0 {
		args = append(args, limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}
