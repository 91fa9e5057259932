package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
)

// BlobStats describes the content-addressed JSON documents of a store: the
// JSON of every item revision is stored once per distinct document, however
// many tenants and revisions refer to it.
type BlobStats struct {
	Blobs int64 // distinct documents stored
	Bytes int64 // their total size in bytes
	Refs  int64 // item and revision rows that refer to a document
}

// BlobStore is implemented by the engines of this package: it reports how
// item JSON is shared, for tests, benchmarks and operators.
type BlobStore interface {
	BlobStats(ctx context.Context) (BlobStats, error)
}

var _ BlobStore = (*sqlStore)(nil)

// BlobStats counts the stored documents and the rows that refer to them.
func (s *sqlStore) BlobStats(ctx context.Context) (BlobStats, error) {
	var st BlobStats
	err := s.rdb.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM blobs),
		(SELECT coalesce(sum(length(data)), 0) FROM blobs),
		(SELECT count(*) FROM items WHERE data_hash <> '') + (SELECT count(*) FROM revisions WHERE data_hash <> '')`).
		Scan(&st.Blobs, &st.Bytes, &st.Refs)
	if err != nil {
		return BlobStats{}, fmt.Errorf("count blobs: %w", err)
	}
	return st, nil
}

// Keys of blobs (blobHash, lower-case hex in Go) are stored as their 32
// bytes (migration 00012) in blobs.hash, search_docs.hash and the
// data_hash of items, revisions and events; a row without a blob keeps the
// engine's empty value (dialect.noKey), so that "data_hash <> ''" still
// tells rows with a blob. The migrations written in Go before 00012 run on
// tables that hold the hex text: they pass hex (hexKeys).

// keyArg is the stored form of the blob key h.
func keyArg(d dialect, h string, hexKeys bool) any {
	if hexKeys {
		return h
	}
	if h == "" {
		return d.noKey
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return []byte(h) // not a key of ours: stored as it is
	}
	return b
}

// hashArg is the stored form of an item's content hash (Item.Hash): the
// 32 bytes of a SHA-256 in lower-case hex, any other text as its bytes,
// with a zero byte before it when it is 32 bytes long (which would read
// as a SHA-256).
func hashArg(h string) []byte {
	if len(h) == 64 && strings.ToLower(h) == h {
		if b, err := hex.DecodeString(h); err == nil {
			return b
		}
	}
	if len(h) == 32 {
		return append([]byte{0}, h...)
	}
	return []byte(h)
}

// storedHash scans a blob key or content hash stored by keyArg, hashArg,
// or as text by an older schema, back into its text.
type storedHash struct{ s string }

// Scan implements sql.Scanner.
func (h *storedHash) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		h.s = ""
	case string:
		h.s = x
	case []byte:
		switch {
		case len(x) == 32:
			h.s = hex.EncodeToString(x)
		case len(x) == 33 && x[0] == 0:
			h.s = string(x[1:])
		default:
			h.s = string(x)
		}
	default:
		return fmt.Errorf("scan stored hash: unexpected %T", v)
	}
	return nil
}
