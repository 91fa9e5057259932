package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
)

// packOldBlobs is migration 00016: it compresses the JSON documents
// stored before documents were compressed (00012 changed how new ones are
// stored, not the rows already there), a thousand at a time in key order.
// A store upgraded from before 00012 holds them uncompressed for as long
// as an item, a revision or an event refers to them; compressed they take
// about a third. Documents too short or that do not shrink stay as they
// are, as packBlob leaves them; unpackBlob reads both forms.
func (s *sqlStore) packOldBlobs(ctx context.Context, tx *sql.Tx) error {
	const batch = 1000
	var after []byte
	packed := 0
	for {
		q, args := `SELECT hash, data FROM blobs ORDER BY hash LIMIT `+fmt.Sprint(batch), []any(nil)
		if after != nil {
			q, args = `SELECT hash, data FROM blobs WHERE hash > $1 ORDER BY hash LIMIT `+fmt.Sprint(batch), []any{after}
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("compress old documents: %w", err)
		}
		type blob struct{ hash, data []byte }
		var todo []blob
		n := 0
		for rows.Next() {
			var b blob
			if err := rows.Scan(&b.hash, &b.data); err != nil {
				rows.Close()
				return fmt.Errorf("compress old documents: %w", err)
			}
			n++
			after = b.hash
			if len(b.data) > 0 && b.data[0] != blobDeflate {
				todo = append(todo, b)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("compress old documents: %w", err)
		}
		for _, b := range todo {
			p, err := s.packBlob(b.data)
			if err != nil {
				return fmt.Errorf("compress old documents: %w", err)
			}
			if bytes.Equal(p, b.data) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE blobs SET data = $1 WHERE hash = $2`, p, b.hash); err != nil {
				return fmt.Errorf("compress old documents: %w", err)
			}
			packed++
		}
		if n < batch {
			break
		}
	}
	if packed > 0 {
		s.log.Info("store_documents_compressed", "documents", packed)
	}
	return nil
}

// unpackNothing is the way down from 00016: every version since 00012
// reads compressed documents.
func unpackNothing(context.Context, *sql.Tx) error { return nil }
