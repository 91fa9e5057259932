package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// reindex rebuilds the read index of every item (after an upgrade, or in
// a copy, whose destination receives items without their index), keyset
// by item, reporting progress every few thousand items.
func (s *sqlStore) reindex(ctx context.Context, tx *sql.Tx) error {
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&total); err != nil {
		return fmt.Errorf("reindex: count items: %w", err)
	}
	ix := s.newIndexer(tx)
	ix.hexKeys = true     // only migration 00010 reindexes
	ix.noRelevance = true // migration 00010: the columns come with 00014
	ix.noSource = true    // and the source of documents with 00019
	type row struct {
		tenant, src, id string
		hash            storedHash
		lm              anyTime
		removed         bool
		data            []byte
	}
	const batch = 1000
	var (
		after [3]string
		done  int64
		start = time.Now()
	)
	for {
		rows, err := tx.QueryContext(ctx, `SELECT i.tenant, i.source, i.id, i.data_hash, i.last_modified, i.removed, b.data
			FROM items i LEFT JOIN blobs b ON b.hash = i.data_hash
			WHERE (i.tenant, i.source, i.id) > ($1, $2, $3)
			ORDER BY i.tenant, i.source, i.id LIMIT `+fmt.Sprint(batch), after[0], after[1], after[2])
		if err != nil {
			return fmt.Errorf("reindex: read items: %w", err)
		}
		var list []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.tenant, &r.src, &r.id, &r.hash, &r.lm, &r.removed, &r.data); err != nil {
				rows.Close()
				return fmt.Errorf("reindex: read items: %w", err)
			}
			list = append(list, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reindex: read items: %w", err)
		}
		work := make([]indexWork, 0, len(list))
		for _, r := range list {
			if r.data == nil {
				continue // no document: nothing to index
			}
			data, err := unpackBlob(r.data)
			if err != nil {
				return fmt.Errorf("reindex item %s: %w", r.id, err)
			}
			work = append(work, indexWork{tenant: r.tenant, src: model.Source(r.src), id: r.id, hash: r.hash.s, data: data,
				lastModified: r.lm.t, removed: r.removed})
		}
		if err := ix.items(ctx, work); err != nil {
			return fmt.Errorf("reindex: %w", err)
		}
		done += int64(len(list))
		if len(list) < batch {
			break
		}
		last := list[len(list)-1]
		after = [3]string{last.tenant, last.src, last.id}
		if done%(20*batch) == 0 {
			s.log.Info("store_reindex_progress", "items", done, "of", total, "took", time.Since(start).Round(time.Second))
		}
	}
	if total > 0 {
		s.log.Info("store_reindexed", "items", done, "documents", len(ix.docs), "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}
