package store

import (
	"context"
	"fmt"
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
