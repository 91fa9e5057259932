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
	"log/slog"
	"strings"
	"sync"
	"time"

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
	// stampEvery: see WithCursorStamp.
	stampEvery time.Duration
	// zw holds the *flate.Writer of packBlob for reuse.
	zw sync.Pool
	// parsed remembers the read-index fields of documents; texts the
	// texts of multi-row statements.
	parsed *parsedDocs
	texts  batchTexts
	// group takes concurrent commits together (SQLite); nil: each in a
	// transaction of its own.
	group *groupCommitter
	// file is the path of a SQLite database file ("" otherwise), for the
	// progress reports of migrations, which come every progressEvery.
	file          string
	progressEvery time.Duration
}

var _ Store = (*sqlStore)(nil)

// Close releases the database.
func (s *sqlStore) Close() error {
	if s.group != nil {
		s.group.shutdown()
	}
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
// to blobs aliased b (see itemFrom), with the JSON from the blob (stored
// by packBlob; items.data is empty since migration 00007); scanItem reads
// it.
const itemSelect = `i.tenant, i.source, i.id, i.revision, i.hash, i.last_modified, i.seen_at, i.removed,
	b.data`

// latestSelect is itemSelect for the latest revision of items aliased i:
// its time and removal as the revision said them when it was stored (see
// migration 00018), as revisions holds the earlier ones.
const latestSelect = `i.tenant, i.source, i.id, i.revision, i.hash, coalesce(i.rev_modified, i.last_modified), i.seen_at,
	coalesce(i.rev_removed, i.removed), b.data`

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
		lastMod, seen int64
		hash          storedHash
		data          []byte
	)
	if err := rows.Scan(&it.Key.Tenant, &src, &it.Key.ID, &it.Revision, &hash, &lastMod, &seen, &it.Removed, &data); err != nil {
		return Item{}, err
	}
	it.Hash = hash.s
	it.Key.Source = model.Source(src)
	it.LastModified, it.SeenAt = decodeNano(lastMod), decodeNano(seen)
	if len(data) > 0 {
		var err error
		if it.Data, err = unpackBlob(data); err != nil {
			return Item{}, err
		}
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

// History returns every stored revision of an item, oldest first.
func (s *sqlStore) History(ctx context.Context, tenant, itemID string) ([]Revision, error) {
	// The latest revision is the items row; revisions holds the others.
	where := ` WHERE i.id = $1`
	args := []any{itemID}
	if tenant != "" {
		where += ` AND i.tenant = $2`
		args = append(args, tenant)
	} else {
		// The tables are keyed by tenant first: the tenants that have the
		// ID come from the read index (by source and ID) and from the
		// earlier revisions (by ID), and each is looked up by its key. A
		// scan of items for the ID took 0.10 s at 100,000 items, and grows
		// with the store. (An item without a read-index row, whose JSON is
		// not an object, and without an earlier revision is not found.)
		where += ` AND i.source IN ('` + string(model.SourceSHD) + `', '` + string(model.SourceMC) + `', '` + string(model.SourceHealth) + `')
			AND i.tenant IN (SELECT x.tenant FROM item_index x WHERE x.source IN ('` + string(model.SourceSHD) + `', '` +
			string(model.SourceMC) + `', '` + string(model.SourceHealth) + `') AND x.id = $1
				UNION SELECT r.tenant FROM revisions r WHERE r.id = $1)`
	}
	// (A binary from before 00018 writes the latest to revisions too: that
	// row is read once.)
	q := `SELECT ` + itemSelect + itemFrom("revisions") + where + ` UNION ALL SELECT ` + latestSelect + itemFrom("items") + where +
		` AND NOT EXISTS (SELECT 1 FROM revisions r WHERE r.tenant = i.tenant AND r.source = i.source AND r.id = i.id
			AND r.revision = i.revision) ORDER BY 1, 2, 4`
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

// eventSelect reads an event row aliased e with its item's JSON (see
// eventJoin); eventRow scans it.
const eventSelect = `e.id, e.tenant, e.source, e.item_id, e.type, e.revision, e.detected_at, e.data, e.data_kind, eb.data`

// eventJoin joins the JSON of the item of events aliased e: the blob of
// the revision the event describes (ev aliased in revisions, or ei in
// items when it is the latest), or the event's own blob when its item
// differs from that revision's.
const eventJoin = ` LEFT JOIN revisions ev ON e.data_kind <> '' AND e.data_hash = ''
		AND ev.tenant = e.tenant AND ev.source = e.source AND ev.id = e.item_id AND ev.revision = e.revision
	LEFT JOIN items ei ON e.data_kind <> '' AND e.data_hash = ''
		AND ei.tenant = e.tenant AND ei.source = e.source AND ei.id = e.item_id AND ei.revision = e.revision
	LEFT JOIN blobs eb ON eb.hash = CASE WHEN e.data_hash <> '' THEN e.data_hash WHEN ev.data_hash IS NOT NULL THEN ev.data_hash
		ELSE ei.data_hash END`

// eventRow holds the eventSelect columns of one row.
type eventRow struct {
	id                          int64
	tenant, source, itemID, typ string
	det                         anyTime
	revision                    int
	data                        []byte
	kind                        string
	payload                     []byte
}

func (r *eventRow) dest() []any {
	return []any{&r.id, &r.tenant, &r.source, &r.itemID, &r.typ, &r.revision, &r.det, &r.data, &r.kind, &r.payload}
}

// event rebuilds the model.Event a caller committed: what changed from the
// stored JSON, the identifying fields from the columns, the item from its
// blob. Rows stored before migration 00010 carry everything in the JSON.
func (r *eventRow) event() (model.Event, error) {
	var ev model.Event
	if len(r.data) > 0 {
		var dst any = &ev
		if r.data[0] == '[' { // the changes alone (splitEvent)
			dst = &ev.Changes
		}
		if err := json.Unmarshal(r.data, dst); err != nil {
			return model.Event{}, fmt.Errorf("decode event %d: %w", r.id, err)
		}
	}
	ev.ID, ev.Tenant, ev.Source, ev.ItemID = r.id, r.tenant, model.Source(r.source), r.itemID
	ev.Type, ev.Revision = model.EventType(r.typ), r.revision
	ev.DetectedAt = r.det.t
	if r.kind == "" {
		return ev, nil
	}
	if r.payload == nil {
		return model.Event{}, fmt.Errorf("decode event %d: the data of its %s is missing", r.id, r.kind)
	}
	payload, err := unpackBlob(r.payload)
	if err != nil {
		return model.Event{}, fmt.Errorf("decode event %d: %w", r.id, err)
	}
	var v any
	switch r.kind {
	case kindIssue:
		ev.Issue = new(model.Issue)
		v = ev.Issue
	case kindMessage:
		ev.Message = new(model.Message)
		v = ev.Message
	case kindService:
		ev.Service = new(model.ServiceHealth)
		v = ev.Service
	default:
		return model.Event{}, fmt.Errorf("decode event %d: unknown data kind %q", r.id, r.kind)
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return model.Event{}, fmt.Errorf("decode event %d: %w", r.id, err)
	}
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
		add("e.tenant = $%d", q.Tenant)
	}
	if q.ItemID != "" {
		add("e.item_id = $%d", q.ItemID)
	}
	if !q.Since.IsZero() {
		add("e.detected_at >= $%d", encodeNano(q.Since))
	}
	sqlText := `SELECT ` + eventSelect + ` FROM events e` + eventJoin
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, " AND ")
	}
	sqlText += ` ORDER BY e.id`
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
		var r eventRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		ev, err := r.event()
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
