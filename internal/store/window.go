package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// windowMatches returns the items passing cond (the search's conditions
// but text, ending in " AND " or " WHERE ") whose documents are among
// docs, in page order: a step of a text search, its documents newest
// first and whole seconds. It reads the items modified in the seconds the
// documents span, through the filter's own index (one tenant's items by
// time), and keeps those of the documents, rather than looking up each
// document's items: a tenant filter keeps about one document in a
// hundred, and looking up 8,000 documents to find 80 of them was most of a
// search in one tenant.
func (s *sqlStore) windowMatches(ctx context.Context, cond string, args []any, docs []int64) ([]pageKey, error) {
	lo, hi := docs[len(docs)-1]>>docSeqBits, docs[0]>>docSeqBits
	// The items of a document were modified in its second (docSecond,
	// encodeNano): seconds before 1970 are second 0, times past 2262 the
	// largest nanosecond.
	const lastSec = math.MaxInt64 / int64(time.Second)
	from := int64(math.MinInt64)
	if lo > lastSec {
		from = math.MaxInt64
	} else if lo > 0 {
		from = lo * int64(time.Second)
	}
	a := append(args[:len(args):len(args)], from)
	q := `SELECT x.doc, x.fid, x.last_modified FROM item_index x` + cond + `x.last_modified >= $` + strconv.Itoa(len(a))
	if hi+1 <= lastSec {
		a = append(a, (hi+1)*int64(time.Second))
		q += ` AND x.last_modified < $` + strconv.Itoa(len(a))
	}
	in := make(map[int64]struct{}, len(docs))
	for _, d := range docs {
		in[d] = struct{}{}
	}
	rows, err := s.rdb.QueryContext(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("search items: %w", err)
	}
	defer rows.Close()
	var out []pageKey
	for rows.Next() {
		var (
			d int64
			k pageKey
		)
		if err := rows.Scan(&d, &k.fid, &k.lm); err != nil {
			return nil, fmt.Errorf("search items: %w", err)
		}
		if _, ok := in[d]; ok {
			out = append(out, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search items: %w", err)
	}
	// Page order: newest first, then the higher fid.
	slices.SortFunc(out, func(a, b pageKey) int { return cmp.Or(cmp.Compare(b.lm, a.lm), cmp.Compare(b.fid, a.fid)) })
	return out, nil
}
