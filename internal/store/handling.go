package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// ErrConflict is returned by Act when someone acted on the item after the
// caller read its handling.
var ErrConflict = errors.New("the item's handling changed meanwhile")

// HandlingStore keeps the ownership of items: per tenant and item, its
// owner and how far its handling has got (model.Handling). Every action is
// also stored as an event of the item, so that the history shows it and
// routes may announce it.
type HandlingStore interface {
	// Handling returns the handling of an item; an item nobody acted on
	// is open, with Seq 0 (and no error).
	Handling(ctx context.Context, item model.ItemKey) (ItemHandling, error)
	// Handlings returns the handling of those of the given items that
	// someone acted on; the others are absent (open).
	Handlings(ctx context.Context, items []model.ItemKey) (map[model.ItemKey]ItemHandling, error)
	// Act stores h as its item's handling, provided nobody acted on the
	// item since the caller read it: h.Seq must be one more than the
	// stored Seq (1 for an item nobody acted on), else ErrConflict and
	// nothing is stored. In the same transaction it stores ev, the
	// action's event (an event of h.Item, stored as Commit stores a
	// poll's), and ds, the deliveries of it (NewDelivery.Event 0). It
	// returns the event's ID.
	Act(ctx context.Context, h ItemHandling, ev model.Event, ds []NewDelivery) (int64, error)
	// FirstNotices returns, for each of the given items of a tenant and
	// source, when route first queued a notice of it: the creation of its
	// earliest outbox row of kind notice for an event that is not of
	// ownership. Items the route never announced are absent.
	FirstNotices(ctx context.Context, tenant string, src model.Source, route string, ids []string) (map[string]time.Time, error)
}

// ItemHandling is the ownership of one item of one tenant.
type ItemHandling struct {
	Item model.ItemKey
	// Status is how far the handling has got; open for an item nobody
	// acted on.
	Status model.Handling
	// Owner is who the item is assigned to ("" for nobody).
	Owner string
	// Note is the note of the last action ("" when it had none).
	Note string
	// By is who took the last action, At when.
	By string
	At time.Time
	// Seq counts the actions taken on the item; 0 for none.
	Seq int
}

// Open reports whether nobody acknowledged the item, or it was reopened.
func (h ItemHandling) Open() bool { return h.Status == "" || h.Status == model.HandlingOpen }

// The limits of what Act stores, in characters.
const (
	MaxOwner = 100
	MaxNote  = 2000
)

const handlingColumns = `tenant, source, item_id, status, owner, note, actor, acted_at, seq`

func scanHandling(sc interface{ Scan(...any) error }) (ItemHandling, error) {
	var (
		h        ItemHandling
		src, st  string
		acted    string
		tenantID string
	)
	if err := sc.Scan(&tenantID, &src, &h.Item.ID, &st, &h.Owner, &h.Note, &h.By, &acted, &h.Seq); err != nil {
		return h, err
	}
	h.Item.Tenant, h.Item.Source, h.Status = tenantID, model.Source(src), model.Handling(st)
	at, err := decodeTime(acted)
	if err != nil {
		return h, err
	}
	h.At = at
	return h, nil
}

// Handling returns the handling of an item.
func (s *sqlStore) Handling(ctx context.Context, item model.ItemKey) (ItemHandling, error) {
	row := s.rdb.QueryRowContext(ctx, `SELECT `+handlingColumns+` FROM item_handling
		WHERE tenant = $1 AND source = $2 AND item_id = $3`, item.Tenant, string(item.Source), item.ID)
	h, err := scanHandling(row)
	if errors.Is(err, sql.ErrNoRows) {
		return ItemHandling{Item: item, Status: model.HandlingOpen}, nil
	}
	if err != nil {
		return ItemHandling{}, fmt.Errorf("read handling of %s: %w", ThreadKey(item), err)
	}
	return h, nil
}

// Handlings returns the handling of the given items that someone acted
// on, one query per source, each item read by tenant and ID.
func (s *sqlStore) Handlings(ctx context.Context, items []model.ItemKey) (map[model.ItemKey]ItemHandling, error) {
	type pairs struct{ tenants, ids []string }
	bySource := map[model.Source]*pairs{}
	var order []model.Source
	seen := map[model.ItemKey]bool{}
	for _, k := range items {
		if seen[k] {
			continue
		}
		seen[k] = true
		p := bySource[k.Source]
		if p == nil {
			p = &pairs{}
			bySource[k.Source] = p
			order = append(order, k.Source)
		}
		p.tenants, p.ids = append(p.tenants, k.Tenant), append(p.ids, k.ID)
	}
	out := make(map[model.ItemKey]ItemHandling)
	for _, src := range order {
		p := bySource[src]
		arg, err := pairsArg(p.tenants, p.ids)
		if err != nil {
			return nil, fmt.Errorf("read handling of %d %s items: %w", len(p.ids), src, err)
		}
		if err := s.collectHandlings(ctx, out, `SELECT `+handlingColumns+` FROM item_handling
			WHERE source = $1 AND `+s.d.inPairs("tenant", "item_id", 2), string(src), arg); err != nil {
			return nil, fmt.Errorf("read handling of %d %s items: %w", len(p.ids), src, err)
		}
	}
	return out, nil
}

func (s *sqlStore) collectHandlings(ctx context.Context, out map[model.ItemKey]ItemHandling, q string, args ...any) error {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		h, err := scanHandling(rows)
		if err != nil {
			return err
		}
		out[h.Item] = h
	}
	return rows.Err()
}

// checkAction refuses a handling Act cannot store.
func checkAction(h ItemHandling, ev model.Event) error {
	k := h.Item
	switch {
	case k.Tenant == "" || k.Source == "" || k.ID == "":
		return errors.New("the item needs a tenant, a source and an ID")
	case !h.Status.Known():
		return fmt.Errorf("unknown handling %q", h.Status)
	case h.Seq < 1:
		return fmt.Errorf("sequence %d: the first action is 1", h.Seq)
	case len([]rune(h.Owner)) > MaxOwner:
		return fmt.Errorf("the owner is longer than %d characters", MaxOwner)
	case len([]rune(h.Note)) > MaxNote:
		return fmt.Errorf("the note is longer than %d characters", MaxNote)
	case strings.TrimSpace(h.By) == "":
		return errors.New("no one took the action")
	case ev.Key() != k:
		return fmt.Errorf("the event is of %s, not of the item", ThreadKey(ev.Key()))
	case !ev.Type.IsOwnership():
		return fmt.Errorf("event type %s is no ownership action", ev.Type)
	}
	return nil
}

// Act stores an action: the new handling (if the sequence follows the
// stored one), its event and the event's deliveries, in one transaction.
func (s *sqlStore) Act(ctx context.Context, h ItemHandling, ev model.Event, ds []NewDelivery) (id int64, err error) {
	what := "record " + string(ev.Type) + " of " + ThreadKey(h.Item)
	if err := checkAction(h, ev); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if h.At.IsZero() {
		h.At = s.now()
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("%s: begin: %w", what, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	args := []any{h.Item.Tenant, string(h.Item.Source), h.Item.ID, string(h.Status), h.Owner, h.Note, h.By, encodeTime(h.At), h.Seq}
	var res sql.Result
	if h.Seq == 1 {
		res, err = tx.ExecContext(ctx, `INSERT INTO item_handling (`+handlingColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant, source, item_id) DO NOTHING`, args...)
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE item_handling SET status = $4, owner = $5, note = $6, actor = $7,
			acted_at = $8, seq = $9 WHERE tenant = $1 AND source = $2 AND item_id = $3 AND seq = $9 - 1`, args...)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	} else if n == 0 {
		return 0, fmt.Errorf("%s: %w", what, ErrConflict)
	}
	if ev.DetectedAt.IsZero() {
		ev.DetectedAt = h.At
	}
	ids, err := s.commitTx(ctx, tx, nil, Batch{Tenant: h.Item.Tenant, Source: h.Item.Source, Events: []model.Event{ev}, Deliveries: ds})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return ids[0], nil
}

// FirstNotices returns when route first queued a notice of each of the
// given items.
func (s *sqlStore) FirstNotices(ctx context.Context, tenant string, src model.Source, route string, ids []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := s.d.listArg(ids)
	if err != nil {
		return nil, fmt.Errorf("read first notices of route %s: %w", route, err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT e.item_id, min(o.created_at) FROM events e
		JOIN outbox o ON o.event_id = e.id
		WHERE e.tenant = $1 AND e.source = $2 AND `+s.d.inList("e.item_id", 3)+` AND e.type NOT LIKE 'item.%'
			AND o.route = $4 AND o.kind = $5
		GROUP BY e.item_id`, tenant, string(src), list, route, string(KindNotice))
	if err != nil {
		return nil, fmt.Errorf("read first notices of route %s: %w", route, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("read first notices of route %s: %w", route, err)
		}
		out[id] = decodeNano(at)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read first notices of route %s: %w", route, err)
	}
	return out, nil
}
