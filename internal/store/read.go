package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/model"
)

// Reader is the read side that the dashboard, the JSON API, the feeds and
// the metrics use. Every engine that Open returns implements it (assert
// with AsReader); it is kept apart from Store so that writers need not
// know it. The index it reads (migration 00004) is maintained by triggers
// inside the transaction of every Commit.
type Reader interface {
	// SearchItems lists the current items matching q, newest
	// modification first, with the number of all matches.
	SearchItems(ctx context.Context, q ItemQuery) (ItemPage, error)
	// SourceStates returns the cursor of every tenant and source with the
	// time a poll last stored it, ordered by tenant and source.
	SourceStates(ctx context.Context) ([]SourceState, error)
	// Counts returns the totals the metrics export.
	Counts(ctx context.Context) (Counts, error)
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
	// HasDates keeps MC posts with an action-required, start or end date.
	HasDates bool
	// Text is a full-text search over the title and the plain body text
	// (posts of issues). Every word (split at white space) must occur;
	// words are matched as substrings, so Japanese text needs no word
	// breaks.
	Text           string
	IncludeRemoved bool // also items gone from the source
	Limit          int  // 0 = 50; at most 1000
	Offset         int
}

// ItemPage is one page of SearchItems.
type ItemPage struct {
	Items []Item
	Total int // every match, ignoring Limit and Offset
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
	if q.Tenants != nil {
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
	if q.Active != nil {
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
	if q.HasDates {
		conds = append(conds, "(x.action_by <> '' OR x.start_at <> '' OR x.end_at <> '')")
	}
	if !q.IncludeRemoved {
		conds = append(conds, "NOT x.removed")
	}
	for _, w := range strings.Fields(q.Text) {
		conds = append(conds, s.textCond(w, arg))
	}
	if len(conds) == 0 {
		return "", args, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// textCond is the condition that word occurs in an item's text.
func (s *sqlStore) textCond(word string, arg func(any) string) string {
	if s.d.name == "postgres" {
		return `x.search LIKE ` + arg("%"+likeEscape(strings.ToLower(word))+"%") + ` ESCAPE '\'`
	}
	if utf8.RuneCountInString(word) >= 3 {
		// The trigram index answers a phrase of three or more characters.
		return "x.fid IN (SELECT rowid FROM item_fts WHERE item_fts MATCH " +
			arg(`"`+strings.ReplaceAll(word, `"`, `""`)+`"`) + ")"
	}
	// Shorter words have no trigram: scan.
	p := arg("%" + likeEscape(word) + "%")
	return "x.fid IN (SELECT rowid FROM item_fts WHERE title LIKE " + p + ` ESCAPE '\' OR body LIKE ` + p + ` ESCAPE '\')`
}

// SearchItems lists the current items matching q.
func (s *sqlStore) SearchItems(ctx context.Context, q ItemQuery) (ItemPage, error) {
	where, args, err := s.itemWhere(q)
	if err != nil {
		return ItemPage{}, fmt.Errorf("search items: %w", err)
	}
	var page ItemPage
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM item_index x`+where, args...).Scan(&page.Total); err != nil {
		return ItemPage{}, fmt.Errorf("search items: count: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	offset := max(q.Offset, 0)
	// The page's keys are chosen from the index alone; only then are the
	// items (with their large data) read.
	cols := "i." + strings.ReplaceAll(itemColumns, ", ", ", i.")
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+cols+` FROM (SELECT x.tenant, x.source, x.id, x.last_modified FROM item_index x`+where+`
		ORDER BY x.last_modified DESC, x.tenant, x.source, x.id LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset)+`) k
		JOIN items i ON i.tenant = k.tenant AND i.source = k.source AND i.id = k.id
		ORDER BY k.last_modified DESC, k.tenant, k.source, k.id`, args...)
	if err != nil {
		return ItemPage{}, fmt.Errorf("search items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return ItemPage{}, fmt.Errorf("search items: %w", err)
		}
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return ItemPage{}, fmt.Errorf("search items: %w", err)
	}
	return page, nil
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
	var oldest *string
	if err := s.rdb.QueryRowContext(ctx, `SELECT min(created_at) FROM outbox WHERE state IN ('pending', 'retrying')`).Scan(&oldest); err != nil {
		return Counts{}, fmt.Errorf("find oldest pending delivery: %w", err)
	}
	if oldest != nil && *oldest != "" {
		t, err := decodeTime(*oldest)
		if err != nil {
			return Counts{}, fmt.Errorf("find oldest pending delivery: %w", err)
		}
		c.OldestPending = t
	}
	return c, nil
}
