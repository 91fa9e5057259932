package store

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
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
// Bytes is the size of the documents themselves, compressed or not (it
// reads the head of every blob).
func (s *sqlStore) BlobStats(ctx context.Context) (BlobStats, error) {
	var st BlobStats
	err := s.rdb.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM items WHERE data_hash <> '') + (SELECT count(*) FROM revisions WHERE data_hash <> '')`).
		Scan(&st.Refs)
	if err != nil {
		return BlobStats{}, fmt.Errorf("count blobs: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT substr(data, 1, 5), length(data) FROM blobs`)
	if err != nil {
		return BlobStats{}, fmt.Errorf("count blobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			head []byte
			n    int64
		)
		if err := rows.Scan(&head, &n); err != nil {
			return BlobStats{}, fmt.Errorf("count blobs: %w", err)
		}
		st.Blobs++
		st.Bytes += blobSize(head, n)
	}
	if err := rows.Err(); err != nil {
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

// keyIn renders "column IN <the list of blob keys passed as parameter
// $n>", a list of hex keys made by listArg, for tables that store keys as
// keyArg does with hexKeys.
func keyIn(d dialect, column string, n int, hexKeys bool) string {
	if hexKeys {
		return d.inList(column, n)
	}
	return d.inKeys(column, n)
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

// Blob documents are stored compressed (migration 00012) when that makes
// them smaller: the byte blobDeflate, the document's length (4 bytes, big
// endian), then the document in raw DEFLATE. A JSON document never starts
// with that byte, so documents stored before, or too short to gain, stay
// as they are and read back as they are.
const blobDeflate = 0x01

// blobLevel is the compression level: as fast as the lowest levels on
// Message Center JSON, and within 2 % of the best ratio (3.2×).
const blobLevel = 4

// packBlob returns the stored form of a JSON document.
func (s *sqlStore) packBlob(data []byte) ([]byte, error) {
	if len(data) < 64 || len(data) > math.MaxUint32 {
		return data, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(data)/3 + 16)
	buf.WriteByte(blobDeflate)
	buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(data))))
	w, _ := s.zw.Get().(*flate.Writer)
	if w == nil {
		var err error
		if w, err = flate.NewWriter(&buf, blobLevel); err != nil {
			return nil, fmt.Errorf("compress document: %w", err)
		}
	} else {
		w.Reset(&buf)
	}
	defer s.zw.Put(w)
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("compress document: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compress document: %w", err)
	}
	if buf.Len() >= len(data) {
		return data, nil
	}
	return buf.Bytes(), nil
}

// unpackBlob returns the JSON document of a stored blob (packBlob).
func unpackBlob(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != blobDeflate {
		return b, nil
	}
	if len(b) < 5 {
		return nil, errors.New("decompress document: truncated")
	}
	size := binary.BigEndian.Uint32(b[1:5])
	if size > maxUnpacked {
		return nil, fmt.Errorf("decompress document: its header says %d bytes, over %d", size, maxUnpacked)
	}
	// A list page unpacks 50 documents: each flate reader carries a 32 KB
	// window, so they are reused, and the document is read into a slice
	// of its known size (bytes.Buffer doubled it to look for the end).
	src := bytes.NewReader(b[5:])
	zr, _ := inflaters.Get().(io.ReadCloser)
	if zr == nil {
		zr = flate.NewReader(src)
	} else if err := zr.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, fmt.Errorf("decompress document: %w", err)
	}
	defer inflaters.Put(zr)
	out := make([]byte, size)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("decompress document: %w", err)
	}
	var one [1]byte
	if n, err := zr.Read(one[:]); n > 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = errors.New("longer than its header says")
		}
		return nil, fmt.Errorf("decompress document: %w", err)
	}
	return out, nil
}

// maxUnpacked bounds the size a stored document's header may claim: far
// above any document Graph sends (pages are cut to graph's limits).
const maxUnpacked = 256 << 20

// inflaters holds flate readers for reuse by unpackBlob.
var inflaters sync.Pool

// blobSize is the length of the document of a stored blob whose first
// bytes (at least 5, when there are) are head.
func blobSize(head []byte, stored int64) int64 {
	if len(head) >= 5 && head[0] == blobDeflate {
		return int64(binary.BigEndian.Uint32(head[1:5]))
	}
	return stored
}
