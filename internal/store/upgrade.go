package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/shdmc/shdmc/internal/model"
)

// goMigrations are the migrations written in Go, because they compute what
// SQL cannot do alike on both engines: 00010 moves the item JSON of stored
// events to blobs (the exact bytes Commit would store, so that an event
// shares the blob of its item's revision) and builds the read index of
// 00009 (plain text, grams and document numbers) from every item; 00016
// packs old blobs; 00019 rebuilds SQLite's full-text tables with the
// source of each document (upgrade_source.go).
func (s *sqlStore) goMigrations() []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(10,
			&goose.GoFunc{RunTx: s.upgradeCompact},
			&goose.GoFunc{RunTx: s.downgradeCompact}),
		goose.NewGoMigration(16,
			&goose.GoFunc{RunTx: s.packOldBlobs},
			&goose.GoFunc{RunTx: unpackNothing}),
		goose.NewGoMigration(19,
			&goose.GoFunc{RunTx: s.upgradeDocSource},
			&goose.GoFunc{RunTx: s.downgradeDocSource}),
	}
}

// upgradeCompact is migration 00010.
func (s *sqlStore) upgradeCompact(ctx context.Context, tx *sql.Tx) error {
	if err := s.moveEventData(ctx, tx); err != nil {
		return err
	}
	return s.reindex(ctx, tx)
}

// moveEventData rewrites every event stored with its item's JSON inside:
// the JSON goes to blobs, the row keeps what changed, data_hash and
// data_kind.
func (s *sqlStore) moveEventData(ctx context.Context, tx *sql.Tx) error {
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE data_kind = ''`).Scan(&total); err != nil {
		return fmt.Errorf("move event data: count: %w", err)
	}
	if total == 0 {
		return nil
	}
	c := s.newCommit(tx)
	c.hexKeys = true // 00012 stores keys as bytes
	const batch = 1000
	var (
		after, done int64
		start       = time.Now()
	)
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, tenant, source, item_id, revision, data FROM events
			WHERE id > $1 AND data_kind = '' ORDER BY id LIMIT `+fmt.Sprint(batch), after)
		if err != nil {
			return fmt.Errorf("move event data: read: %w", err)
		}
		type row struct {
			id                     int64
			tenant, source, itemID string
			revision               int
			data                   []byte
		}
		var list []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.tenant, &r.source, &r.itemID, &r.revision, &r.data); err != nil {
				rows.Close()
				return fmt.Errorf("move event data: read: %w", err)
			}
			list = append(list, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("move event data: read: %w", err)
		}
		for _, r := range list {
			if len(r.data) == 0 {
				continue
			}
			var ev model.Event
			if err := json.Unmarshal(r.data, &ev); err != nil {
				// An event that does not decode never read back either:
				// leave it as it is.
				s.log.Warn("store_event_undecodable", "id", r.id, "err", err)
				continue
			}
			data, kind, payload, err := splitEvent(ev)
			if err != nil {
				return fmt.Errorf("move event data: event %d: %w", r.id, err)
			}
			hash := ""
			if payload != nil {
				hash = blobHash(payload)
				rev, err := c.revisionHash(ctx, r.tenant, model.Source(r.source), r.itemID, r.revision)
				if err != nil {
					return fmt.Errorf("move event data: event %d: %w", r.id, err)
				}
				if rev == hash {
					hash = "" // the revision's blob
				} else if err := c.putBlobs(ctx, map[string][]byte{hash: payload}); err != nil {
					return fmt.Errorf("move event data: event %d: %w", r.id, err)
				}
			}
			if err := c.exec(ctx, `UPDATE events SET data = $1, data_hash = $2, data_kind = $3 WHERE id = $4`,
				data, c.key(hash), kind, r.id); err != nil {
				return fmt.Errorf("move event data: event %d: %w", r.id, err)
			}
		}
		done += int64(len(list))
		if len(list) < batch {
			break
		}
		after = list[len(list)-1].id
		if done%(20*batch) == 0 {
			s.log.Info("store_upgrade_progress", "events", done, "of", total, "took", time.Since(start).Round(time.Second))
		}
	}
	s.log.Info("store_event_data_moved", "events", done, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// downgradeCompact undoes 00010: events get their item's JSON back, and
// the search tables of 00009 are emptied (its Down rebuilds what it
// replaced).
func (s *sqlStore) downgradeCompact(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+eventSelect+` FROM events e`+eventJoin+` WHERE e.data_kind <> '' OR e.data NOT LIKE '%"itemId"%'`)
	if err != nil {
		return fmt.Errorf("restore event data: %w", err)
	}
	var evs []model.Event
	for rows.Next() {
		var r eventRow
		if err := rows.Scan(r.dest()...); err != nil {
			rows.Close()
			return fmt.Errorf("restore event data: %w", err)
		}
		ev, err := r.event()
		if err != nil {
			rows.Close()
			return fmt.Errorf("restore event data: %w", err)
		}
		evs = append(evs, ev)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("restore event data: %w", err)
	}
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("restore event data: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET data = $1, data_hash = '', data_kind = '' WHERE id = $2`, string(b), ev.ID); err != nil {
			return fmt.Errorf("restore event data: %w", err)
		}
	}
	q := []string{`UPDATE item_index SET doc = 0`, `DELETE FROM search_docs`}
	if s.d.name == "sqlite" {
		q = append(q, `DELETE FROM doc_fts`, `DELETE FROM doc_grams`)
	}
	for _, stmt := range q {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("clear the search index: %w", err)
		}
	}
	return nil
}
