package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// Reader is the read side that the dashboard, the JSON API, the feeds and
// the metrics use. Every engine that Open returns implements it (assert
// with AsReader); it is kept apart from Store so that writers need not
// know it. The index it reads (migrations 00004 and 00009) is written by
// every Commit in the same transaction.
type Reader interface {
	// SearchItems lists the current items matching q, newest
	// modification first, with the number of matches counted up to
	// CountCap.
	SearchItems(ctx context.Context, q ItemQuery) (ItemPage, error)
	// ActiveIncident reports whether tenant has a current service health
	// issue, classified as an incident, that is not resolved.
	ActiveIncident(ctx context.Context, tenant string) (bool, error)
	// SourceStates returns the cursor of every tenant and source with the
	// time a poll last stored it, ordered by tenant and source.
	SourceStates(ctx context.Context) ([]SourceState, error)
	// Counts returns the totals the metrics export.
	Counts(ctx context.Context) (Counts, error)
	// Relevance returns whether each of the given Message Center posts
	// concerns its tenant, as the last commit of the post said; posts
	// without a verdict (never judged, other sources) are absent.
	Relevance(ctx context.Context, items []model.ItemKey) (map[model.ItemKey]model.Relevance, error)
	// CopySummaries compares, for each of the given IDs of one source,
	// the copies the tenants have of it (copies.go).
	CopySummaries(ctx context.Context, src model.Source, ids []string) (map[string]CopySummary, error)
	// ItemCopies returns every tenant's copy of one item, with the JSON
	// of each distinct version (copies.go).
	ItemCopies(ctx context.Context, src model.Source, id string) (Copies, error)
	// Verdicts lists the services of every Message Center post of a
	// tenant that is not removed, with the stored verdict on it, from the
	// read index alone: what the poller needs to judge them again.
	Verdicts(ctx context.Context, tenant string) ([]Verdict, error)
	// TicketsOf returns the tickets of several items (tickets.go).
	TicketsOf(ctx context.Context, items []model.ItemKey) (map[model.ItemKey][]Ticket, error)
}

// AsReader returns the Reader of a store opened by Open, or false when
// the engine has none.
func AsReader(s Store) (Reader, bool) {
	r, ok := s.(Reader)
	return r, ok
}

var _ Reader = (*sqlStore)(nil)

// ItemQuery filters SearchItems. Zero fields do not filter.
type ItemQuery struct {
	Tenants        []string     // any of these tenants; nil = all
	Source         model.Source // "" = every source
	Active         *bool        // open issues / current MC posts / degraded services
	Status         string       // issue or service status
	Classification string       // incident or advisory
	Category       string       // MC category
	Severity       string       // MC severity
	Service        string       // one service name (exact)
	Tag            string       // one MC tag (exact)
	Major          *bool        // MC major change
	// ActionBefore keeps MC posts whose action-required date is set and
	// before it.
	ActionBefore time.Time
	// ActionAfter keeps MC posts whose action-required date is after it.
	ActionAfter time.Time
	// HasDates keeps MC posts with an action-required, start or end date.
	HasDates bool
	// Handling keeps items in that handling state (HandlingStore); open
	// includes the items nobody acted on.
	Handling model.Handling
	// Owner keeps items assigned to this owner (exactly).
	Owner string
	// Text is a full-text search over the title, the ID and the plain
	// body text (posts of issues). Every word (split at white space) must
	// occur; words are matched as substrings, case-insensitively, so
	// Japanese text needs no word breaks and words of one or two
	// characters are found too.
	Text string
	// Relevant keeps the Message Center posts that concern their tenant
	// (true: those judged relevant and those not judged yet, which are
	// shown as relevant, as routes treat them) or that do not (false).
	Relevant *bool
	// OnlyTenant keeps the items that no other tenant has (except as
	// removed): "only in this tenant". An item removed here is not.
	OnlyTenant     bool
	IncludeRemoved bool      // also items gone from the source
	ModifiedSince  time.Time // keeps items last modified at or after it
	Limit          int       // 0 = 50; at most 1000
	Offset         int
	// After continues a listing after the page whose ItemPage.Next it is
	// (keyset paging: no rows are skipped, so deep pages cost as little
	// as the first); Offset is ignored with it.
	After string
	// NoCount leaves ItemPage.Total at 0 and Exact false: a listing that
	// walks every page needs only ItemPage.More.
	NoCount bool
}

// maxTenantParams is how many tenants of an ItemQuery are parameters of
// their own; a longer list is one parameter.
const maxTenantParams = 16

// CountCap is how far SearchItems counts matches beyond Offset: counting
// every match of a broad filter over 100,000 items cost more than the
// page itself, and a reader needs "1,000+" rather than the exact number.
const CountCap = 1000

// ItemPage is one page of SearchItems.
type ItemPage struct {
	Items []Item
	// Total is the number of matches when Exact; otherwise there are more
	// than Total: Offset + CountCap, or fewer when a text search stopped
	// counting at the documents it reads for a count (countScan).
	Total int
	Exact bool
	// More reports whether matches follow this page.
	More bool
	// Next is the ItemQuery.After of the following page, "" at the end.
	Next string
}

// SourceState is the polling state of one tenant and source.
type SourceState struct {
	Tenant string
	Source model.Source
	Cursor Cursor
	// UpdatedAt is when a poll last stored the cursor (the database's
	// clock): the last successful poll.
	UpdatedAt time.Time
}

// Counts are the store's totals for metrics.
type Counts struct {
	// Items counts current, not removed items by source and kind (issue
	// classification, MC category, or "" for services) and active flag.
	Items []ItemCount
	// Events counts stored events by type.
	Events map[model.EventType]int64
	// Deliveries counts outbox rows by channel and state.
	Deliveries []DeliveryCount
	// OldestPending is the creation time of the oldest delivery that is
	// pending or retrying; zero when there is none.
	OldestPending time.Time
}

// ItemCount is one row of Counts.Items.
type ItemCount struct {
	Source model.Source
	Kind   string
	Active bool
	N      int64
}

// DeliveryCount is one row of Counts.Deliveries.
type DeliveryCount struct {
	Channel string
	State   DeliveryState
	N       int64
}

// likeEscape escapes the LIKE wildcards of s with backslashes.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// itemWhere renders the conditions of q over item_index x, with the
// arguments starting at $1.
func (s *sqlStore) itemWhere(q ItemQuery) (string, []any, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch {
	case q.Tenants == nil:
	case len(q.Tenants) > 0 && len(q.Tenants) <= maxTenantParams:
		// A few tenants are parameters of their own, so that the planner
		// counts them: SQLite guessed that a list read through json_each
		// was long and walked every tenant's posts by time for one
		// tenant's page (9 ms instead of 0.2 at 100,000 items).
		ps := make([]string, len(q.Tenants))
		for i, tn := range q.Tenants {
			ps[i] = arg(tn)
		}
		conds = append(conds, "x.tenant IN ("+strings.Join(ps, ", ")+")")
	default:
		list, err := s.d.listArg(q.Tenants)
		if err != nil {
			return "", nil, err
		}
		args = append(args, list)
		conds = append(conds, s.d.inList("x.tenant", len(args)))
	}
	eq := func(col, v string) {
		if v != "" {
			conds = append(conds, col+" = "+arg(v))
		}
	}
	eq("x.source", string(q.Source))
	eq("x.status", q.Status)
	eq("x.classification", q.Classification)
	eq("x.category", q.Category)
	eq("x.severity", q.Severity)
	activeNow := q.Active != nil && *q.Active && !q.IncludeRemoved
	switch {
	case activeNow:
		conds = append(conds, s.d.activeNow)
	case q.Active != nil:
		conds = append(conds, "x.active = "+arg(*q.Active))
	}
	if q.Major != nil {
		conds = append(conds, "x.major = "+arg(*q.Major))
	}
	if q.Service != "" {
		conds = append(conds, `x.services LIKE `+arg("%|"+likeEscape(q.Service)+"|%")+` ESCAPE '\'`)
	}
	if q.Tag != "" {
		conds = append(conds, `x.tags LIKE `+arg("%|"+likeEscape(q.Tag)+"|%")+` ESCAPE '\'`)
	}
	if !q.ActionBefore.IsZero() {
		// Graph's times are RFC 3339 in UTC ("2025-03-01T00:00:00Z"), which
		// compare correctly as text with the stored time layout.
		conds = append(conds, "x.action_by <> '' AND x.action_by < "+arg(encodeTime(q.ActionBefore)))
	}
	if !q.ActionAfter.IsZero() {
		// "<> ''" (implied) lets the partial index item_index_action serve.
		conds = append(conds, "x.action_by <> '' AND x.action_by > "+arg(encodeTime(q.ActionAfter)))
	}
	if q.HasDates {
		conds = append(conds, "(x.action_by <> '' OR x.start_at <> '' OR x.end_at <> '')")
	}
	const handled = "SELECT 1 FROM item_handling h WHERE h.tenant = x.tenant AND h.source = x.source AND h.item_id = x.id"
	switch q.Handling {
	case "":
	case model.HandlingOpen:
		conds = append(conds, "NOT EXISTS ("+handled+" AND h.status <> "+arg(string(model.HandlingOpen))+")")
	default:
		conds = append(conds, "EXISTS ("+handled+" AND h.status = "+arg(string(q.Handling))+")")
	}
	if q.Owner != "" {
		conds = append(conds, "EXISTS ("+handled+" AND h.owner = "+arg(q.Owner)+")")
	}
	if q.Relevant != nil {
		if *q.Relevant {
			conds = append(conds, "(x.relevant IS NULL OR x.relevant = "+arg(true)+")")
		} else {
			conds = append(conds, "x.relevant = "+arg(false))
		}
	}
	if q.OnlyTenant {
		// The IDs that one tenant has, listed once through
		// item_index_by_id (no row is read). A probe per row of the page
		// walk instead costs one for every item of the tenants filtered
		// when few are alone, and reads each row for its tenant.
		if q.Source != "" {
			conds = append(conds, `NOT x.removed AND x.id IN (SELECT y.id FROM item_index y
				WHERE y.source = `+arg(string(q.Source))+` AND NOT y.removed GROUP BY y.id HAVING count(*) = 1)`)
		} else {
			conds = append(conds, `NOT x.removed AND (x.source, x.id) IN (SELECT y.source, y.id FROM item_index y
				WHERE NOT y.removed GROUP BY y.source, y.id HAVING count(*) = 1)`)
		}
	}
	if !q.IncludeRemoved && !activeNow {
		conds = append(conds, "NOT x.removed")
	}
	if !q.ModifiedSince.IsZero() {
		conds = append(conds, "x.last_modified >= "+arg(encodeNano(q.ModifiedSince)))
	}
	if q.After != "" {
		lm, fid, err := parseAfter(q.After)
		if err != nil {
			return "", nil, err
		}
		t, err := decodeTime(lm)
		if err != nil {
			return "", nil, fmt.Errorf("bad page cursor %q", q.After)
		}
		a, b := arg(encodeNano(t)), arg(fid)
		conds = append(conds, "(x.last_modified < "+a+" OR (x.last_modified = "+a+" AND x.fid < "+b+"))")
	}
	if len(conds) == 0 {
		return "", args, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// parseAfter reads a keyset cursor of ItemPage.Next.
func parseAfter(after string) (string, int64, error) {
	lm, n, ok := strings.Cut(after, "|")
	fid, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil {
		return "", 0, fmt.Errorf("bad page cursor %q", after)
	}
	return lm, fid, nil
}

// ActiveIncident implements Reader.
func (s *sqlStore) ActiveIncident(ctx context.Context, tenant string) (bool, error) {
	// The tenant's issues, through the (tenant, source, id) key: a page
	// query would walk every tenant's items in the order of a page.
	var one int
	err := s.rdb.QueryRowContext(ctx, `SELECT 1 FROM item_index WHERE tenant = $1 AND source = $2
		AND classification = $3 AND active = $4 AND NOT removed LIMIT 1`,
		tenant, string(model.SourceSHD), string(model.ClassificationIncident), true).Scan(&one)
	switch {
	case err == sql.ErrNoRows:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look for active incidents of %s: %w", tenant, err)
	}
	return true, nil
}

// SearchItems lists the current items matching q.
//
// Without text, one statement walks the index in the order of the page
// (last modification, then fid, which the (source, last_modified) index
// holds in that order, so no sort is needed for one source) and stops
// after Offset + CountCap + 1 keys: it yields the page, whether more
// follow, and the capped count. With text, the matching documents are
// walked newest first and their items read in the same order until as
// many keys are found (search.go). Only then are the page's items (with
// their large data) read.
func (s *sqlStore) SearchItems(ctx context.Context, q ItemQuery) (ItemPage, error) {
	where, args, err := s.itemWhere(q)
	if err != nil {
		return ItemPage{}, fmt.Errorf("search items: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	offset := max(q.Offset, 0)
	if q.After != "" {
		offset = 0
	}
	want := offset + limit + 1
	if !q.NoCount {
		want = max(want, offset+CountCap+1)
	}
	var (
		keys    []pageKey
		counted = -1 // the matches counted apart from the keys, up to want
		partial bool // counting stopped short of want (countScan)
	)
	if words := strings.Fields(q.Text); len(words) > 0 {
		count := 0
		if !q.NoCount {
			count = want
		}
		keys, counted, partial, err = s.textKeys(ctx, q, words, where, args, offset+limit+1, count)
	} else {
		// Without text the page's keys are walked in page order and the
		// matches counted apart, in any order: walking a thousand keys in
		// order read a thousand rows (6 ms at 100,000 items), the capped
		// count an index only (0.2 ms).
		keys, err = s.pageKeys(ctx, s.rdb, "item_index x", where, args, offset+limit+1, keys)
		if err == nil && !q.NoCount {
			err = s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM item_index x`+where+`
				LIMIT `+strconv.Itoa(want)+`) AS m`, args...).Scan(&counted)
		}
	}
	if err != nil {
		return ItemPage{}, fmt.Errorf("search items: %w", err)
	}
	var page ItemPage
	if !q.NoCount {
		n := len(keys)
		if counted >= 0 {
			// A row added between the two statements can make the count
			// lag the keys by one.
			n = max(counted, n)
		}
		page.Total, page.Exact = min(n, offset+CountCap), n <= offset+CountCap && !partial
	}
	if offset >= len(keys) {
		return page, nil
	}
	keys = keys[offset:]
	page.More = len(keys) > limit
	keys = keys[:min(len(keys), limit)]
	if page.More {
		last := keys[len(keys)-1]
		// The cursor keeps the text form of the time (stable for clients).
		page.Next = encodeTime(decodeNano(last.lm)) + "|" + strconv.FormatInt(last.fid, 10)
	}
	fids := make([]string, len(keys))
	pos := make(map[int64]int, len(keys))
	for i, k := range keys {
		fids[i] = strconv.FormatInt(k.fid, 10)
		pos[k.fid] = i
	}
	// The fids are our own integers, so they are written into the text.
	irows, err := s.rdb.QueryContext(ctx, `SELECT x.fid, `+itemSelect+` FROM item_index x
		JOIN items i ON i.tenant = x.tenant AND i.source = x.source AND i.id = x.id
		LEFT JOIN blobs b ON b.hash = i.data_hash
		WHERE x.fid IN (`+strings.Join(fids, ", ")+`)`)
	if err != nil {
		return ItemPage{}, fmt.Errorf("search items: %w", err)
	}
	defer irows.Close()
	page.Items = make([]Item, len(keys))
	found := 0
	for irows.Next() {
		fid, it, err := scanIndexedItem(irows)
		if err != nil {
			return ItemPage{}, fmt.Errorf("search items: %w", err)
		}
		if i, ok := pos[fid]; ok {
			page.Items[i] = it
			found++
		}
	}
	if err := irows.Err(); err != nil {
		return ItemPage{}, fmt.Errorf("search items: %w", err)
	}
	if found != len(keys) {
		// An item changed between the two statements (a concurrent poll
		// has no effect on fids, only a removal of the row could): keep
		// what was read, in order.
		out := page.Items[:0]
		for _, it := range page.Items {
			if it.Key.ID != "" {
				out = append(out, it)
			}
		}
		page.Items = out
	}
	return page, nil
}

// pageKey is where an item stands in the order of pages.
type pageKey struct {
	fid int64
	lm  int64 // item_index.last_modified (encodeNano)
}

// pageKeys appends to keys the first n keys of the items of from
// (item_index aliased x) matching where, in page order.
func (s *sqlStore) pageKeys(ctx context.Context, db querier, from, where string, args []any, n int, keys []pageKey) ([]pageKey, error) {
	rows, err := db.QueryContext(ctx, `SELECT x.fid, x.last_modified FROM `+from+where+`
		ORDER BY x.last_modified DESC, x.fid DESC LIMIT `+strconv.Itoa(n), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k pageKey
		if err := rows.Scan(&k.fid, &k.lm); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// scanIndexedItem reads a row of fid followed by the itemSelect.
func scanIndexedItem(rows *sql.Rows) (int64, Item, error) {
	var (
		fid           int64
		it            Item
		src           string
		lastMod, seen int64
		hash          storedHash
		data          []byte
	)
	if err := rows.Scan(&fid, &it.Key.Tenant, &src, &it.Key.ID, &it.Revision, &hash, &lastMod, &seen, &it.Removed, &data); err != nil {
		return 0, Item{}, err
	}
	it.Hash = hash.s
	it.Key.Source = model.Source(src)
	it.LastModified, it.SeenAt = decodeNano(lastMod), decodeNano(seen)
	if len(data) > 0 {
		var err error
		if it.Data, err = unpackBlob(data); err != nil {
			return 0, Item{}, err
		}
	}
	return fid, it, nil
}

// SourceStates returns the cursor of every tenant and source.
func (s *sqlStore) SourceStates(ctx context.Context) ([]SourceState, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT tenant, source, watermark, last_full, baselined, updated_at
		FROM cursors ORDER BY tenant, source`)
	if err != nil {
		return nil, fmt.Errorf("list source states: %w", err)
	}
	defer rows.Close()
	var out []SourceState
	for rows.Next() {
		var (
			st                 SourceState
			src, wm, full, upd string
		)
		if err := rows.Scan(&st.Tenant, &src, &wm, &full, &st.Cursor.Baselined, &upd); err != nil {
			return nil, fmt.Errorf("list source states: %w", err)
		}
		st.Source = model.Source(src)
		if st.Cursor.Watermark, err = decodeTime(wm); err != nil {
			return nil, fmt.Errorf("list source states: %w", err)
		}
		if st.Cursor.LastFull, err = decodeTime(full); err != nil {
			return nil, fmt.Errorf("list source states: %w", err)
		}
		if upd != "" {
			if st.UpdatedAt, err = decodeTime(upd); err != nil {
				return nil, fmt.Errorf("list source states: %w", err)
			}
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list source states: %w", err)
	}
	return out, nil
}

// Counts returns the totals for metrics.
func (s *sqlStore) Counts(ctx context.Context) (Counts, error) {
	c := Counts{Events: map[model.EventType]int64{}}
	each := func(q string, scan func(rows interface{ Scan(...any) error }) error) error {
		rows, err := s.rdb.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err := each(`SELECT source, CASE source WHEN 'shd' THEN classification WHEN 'mc' THEN category ELSE '' END AS kind,
		active, count(*) FROM item_index WHERE NOT removed GROUP BY source, kind, active ORDER BY source, kind, active`,
		func(r interface{ Scan(...any) error }) error {
			var ic ItemCount
			var src string
			if err := r.Scan(&src, &ic.Kind, &ic.Active, &ic.N); err != nil {
				return err
			}
			ic.Source = model.Source(src)
			c.Items = append(c.Items, ic)
			return nil
		})
	if err != nil {
		return Counts{}, fmt.Errorf("count items: %w", err)
	}
	err = each(`SELECT type, count(*) FROM events GROUP BY type`, func(r interface{ Scan(...any) error }) error {
		var (
			t string
			n int64
		)
		if err := r.Scan(&t, &n); err != nil {
			return err
		}
		c.Events[model.EventType(t)] = n
		return nil
	})
	if err != nil {
		return Counts{}, fmt.Errorf("count events: %w", err)
	}
	err = each(`SELECT channel, state, count(*) FROM outbox GROUP BY channel, state ORDER BY channel, state`,
		func(r interface{ Scan(...any) error }) error {
			var dc DeliveryCount
			var st string
			if err := r.Scan(&dc.Channel, &st, &dc.N); err != nil {
				return err
			}
			dc.State = DeliveryState(st)
			c.Deliveries = append(c.Deliveries, dc)
			return nil
		})
	if err != nil {
		return Counts{}, fmt.Errorf("count deliveries: %w", err)
	}
	var oldest *int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT min(created_at) FROM outbox WHERE state IN ('pending', 'retrying')`).Scan(&oldest); err != nil {
		return Counts{}, fmt.Errorf("find oldest pending delivery: %w", err)
	}
	if oldest != nil {
		c.OldestPending = decodeNano(*oldest)
	}
	return c, nil
}
