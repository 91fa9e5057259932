package store

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/model"
)

// Full-text search. Each distinct document is indexed once (see index.go),
// under a number whose high bits are the second of the last modification
// of the items that show it. A search walks the matching documents in
// descending number — newest first, a chunk at a time, each chunk ending at
// the end of a second — and reads the items of each chunk's documents that
// pass the other filters, in page order, until the page (and the capped
// count) is full. The work grows with the page and the count cap, not with
// the number of matches, and no match is collected beyond what the page
// needs.

// countScan is how many documents a text search reads at most to count
// its matches (its page reads as many as the page needs): the largest
// step (nextChunk). The documents of a single word all match it, so the
// bound holds back only a count whose other conditions reject most of
// them: one tenant of a hundred (a "Teams" search in one tenant counted
// by reading the whole index, 240 ms at 100,000 items), the incidents (a
// fifth of the documents), or a short word with a common long one.
var countScan = 4096

// textKeys returns the first want keys of the items matching q (whose
// conditions other than text are where/args) and every word of words, and
// the number of such items up to count (0: not counted), partial when it
// stopped counting at countScan documents. The keys are read in page
// order; the items beyond them are only counted (in any order, inside the
// database): at 100,000 items the count of a common word's thousand
// matches cost more than the page when every match came back as a key.
func (s *sqlStore) textKeys(ctx context.Context, q ItemQuery, words []string, where string, args []any, want, count int) (keys []pageKey, counted int, partial bool, err error) {
	below := int64(math.MaxInt64)
	if q.After != "" {
		lm, _, err := parseAfter(q.After)
		if err != nil {
			return nil, 0, false, err
		}
		t, err := decodeTime(lm)
		if err != nil {
			return nil, 0, false, fmt.Errorf("bad page cursor %q", q.After)
		}
		_, hi := docRange(docSecond(t))
		below = hi + 1
	}
	var floor int64
	if !q.ModifiedSince.IsZero() {
		floor, _ = docRange(docSecond(q.ModifiedSince))
	}
	cond := " WHERE "
	if where != "" {
		cond = where + " AND "
	}
	var seen, found int // documents scanned so far, and the matches they gave
	// The next step reads what the page still needs, or what the count
	// needs within countScan if that is more.
	step := func(last int) int {
		n := min(nextChunk(last, seen, found, count-counted), countScan-seen)
		if len(keys) < want {
			n = max(n, nextChunk(last, seen, found, want-len(keys)))
		}
		return n
	}
	for chunk := 64; (len(keys) < want || counted < count && seen < countScan) && below > floor; chunk = step(chunk) {
		docs, scanned, err := s.d.textSearch(ctx, s.rdb, words, q.Source, floor, below, chunk)
		if err != nil {
			return nil, 0, false, fmt.Errorf("full-text search: %w", err)
		}
		if len(scanned) == 0 {
			below = floor // nothing is left
			break
		}
		next := floor // nothing is left below a chunk that was not full
		if len(scanned) == chunk {
			last := scanned[len(scanned)-1] >> docSeqBits
			if scanned[0]>>docSeqBits == last {
				// The whole chunk is one second: take all of that second.
				lo, _ := docRange(last)
				if docs, _, err = s.d.textSearch(ctx, s.rdb, words, q.Source, max(floor, lo), below, 0); err != nil {
					return nil, 0, false, fmt.Errorf("full-text search: %w", err)
				}
				next = lo
			} else {
				// Leave the last, perhaps incomplete second to the next chunk.
				for len(docs) > 0 && docs[len(docs)-1]>>docSeqBits == last {
					docs = docs[:len(docs)-1]
				}
				next, _ = docRange(last + 1)
			}
		}
		seen += len(scanned)
		switch {
		case len(docs) > 0 && len(q.Tenants) > 0:
			// A tenant filter keeps few of the documents' items: read the
			// tenants' items of the step's seconds instead (window.go).
			ms, err := s.windowMatches(ctx, cond, args, docs)
			if err != nil {
				return nil, 0, false, err
			}
			keys = append(keys, ms[:min(len(ms), max(want-len(keys), 0))]...)
			if counted < count {
				counted += min(len(ms), count-counted)
			}
		case len(docs) > 0:
			had := len(keys)
			// The page takes the chunk's newest documents, a few at a
			// time (at least twice as many as it lacks keys, then twice
			// as many again), each batch ending at the end of a second:
			// the items of a document share its second, so the batches'
			// keys follow one another in page order. A chunk sized for
			// the count (1,844 documents for "Teams") joined all of its
			// documents to their items for the page's last ten keys.
			for rest, size := docs, max(2*(want-had), 16); len(rest) > 0 && len(keys) < want; size *= 2 {
				n := min(size, len(rest))
				for n < len(rest) && rest[n]>>docSeqBits == rest[n-1]>>docSeqBits {
					n++
				}
				if keys, err = s.pageKeys(ctx, s.rdb, s.d.byDoc, cond+docsIn(rest[:n]), args, want-len(keys), keys); err != nil {
					return nil, 0, false, err
				}
				rest = rest[n:]
			}
			switch {
			case counted >= count:
			case len(keys)-had < want-had:
				// The chunk's matches all became keys.
				counted += len(keys) - had
			default:
				var n int
				if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+s.d.byDoc+cond+docsIn(docs)+`
					LIMIT `+strconv.Itoa(count-counted)+`) AS m`, args...).Scan(&n); err != nil {
					return nil, 0, false, err
				}
				counted += n
			}
		}
		found = max(len(keys), counted)
		below = next
	}
	return keys, counted, counted < count && below > floor, nil
}

// docsIn is the condition "x.doc IN (docs)". The numbers are our own
// integers: they are written into the text.
func docsIn(docs []int64) string {
	var b strings.Builder
	b.Grow(len(docs)*18 + 16)
	b.WriteString("x.doc IN (")
	for i, d := range docs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(d, 10))
	}
	b.WriteString(")")
	return b.String()
}

// nextChunk is how many documents the next step of a text search scans: at
// least twice the last (at most 4,096), more when the documents scanned so
// far, seen, gave found matches at a rate that needs more to reach the
// matches still wanted. A search for a word in most documents, counted up
// to a thousand, scanned 64, 128, … 1,024 documents in five steps of
// three statements each; it now takes two.
func nextChunk(last, seen, found, wanted int) int {
	next := last * 2
	if found > 0 && wanted > 0 {
		// Scan a fifth more than the rate predicts, so that the estimate
		// is seldom just short.
		next = max(next, wanted*seen/found*6/5)
	}
	return min(next, 4096)
}

// splitWords sorts search words into those the trigram index answers
// (three characters or more) and the shorter ones answered by grams.
func splitWords(words []string) (long, short []string) {
	for _, w := range words {
		if utf8.RuneCountInString(w) >= 3 {
			long = append(long, w)
		} else {
			short = append(short, strings.ToLower(w))
		}
	}
	return long, short
}

// ftsPhrase quotes a word as an FTS5 phrase.
func ftsPhrase(w string) string { return `"` + strings.ReplaceAll(w, `"`, `""`) + `"` }

// searchDocsSQLite walks, newest first, up to limit (0: all) documents
// of source src ("": any) numbered in [floor, below) that contain the
// words of three characters or more (the trigram tables doc_fts) or, when
// there are none, the shorter words (doc_grams): scanned. The documents of
// scanned that contain every word are docs: with both kinds of words,
// scanned is filtered by a lookup of the short words over the same range
// of numbers. A search of every source merges the walks of both pairs of
// tables (ftsTables), which SQLite does in order, without sorting.
func searchDocsSQLite(ctx context.Context, db querier, words []string, src model.Source, floor, below int64, limit int) (docs, scanned []int64, err error) {
	long, short := splitWords(words)
	var phrases, toks []string
	for _, w := range long {
		phrases = append(phrases, ftsPhrase(w))
	}
	for _, w := range short {
		toks = append(toks, `"`+gramToken(w)+`"`)
	}
	table, match := "doc_grams", strings.Join(toks, " AND ")
	if len(phrases) > 0 {
		table, match = "doc_fts", strings.Join(phrases, " AND ")
	}
	sfx := ftsSuffixes(src)
	q := ftsWalk(table, sfx, `rowid >= $2 AND rowid < $3`) + ` ORDER BY rowid DESC`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	scanned, err = scanDocs(ctx, db, q, match, floor, below)
	if err != nil || len(scanned) == 0 || len(phrases) == 0 || len(toks) == 0 {
		return scanned, scanned, err
	}
	have, err := scanDocs(ctx, db, ftsWalk("doc_grams", sfx, `rowid >= $2 AND rowid <= $3`),
		strings.Join(toks, " AND "), scanned[len(scanned)-1], scanned[0])
	if err != nil {
		return nil, nil, err
	}
	in := make(map[int64]bool, len(have))
	for _, d := range have {
		in[d] = true
	}
	for _, d := range scanned {
		if in[d] {
			docs = append(docs, d)
		}
	}
	return docs, scanned, nil
}

// ftsWalk selects the rowids of the full-text tables named table plus
// each suffix that match $1 and cond.
func ftsWalk(table string, suffixes []string, cond string) string {
	parts := make([]string, len(suffixes))
	for i, sfx := range suffixes {
		parts[i] = `SELECT rowid FROM ` + table + sfx + ` WHERE ` + table + sfx + ` MATCH $1 AND ` + cond
	}
	return strings.Join(parts, ` UNION ALL `)
}

// searchDocsPostgres returns (twice: every document it reads matches),
// newest first, up to limit (0: all) documents of source src ("": any)
// numbered in [floor, below) that contain every word as a substring of
// their lower-cased text; words of one or two characters are looked up
// by grams, which the GIN index answers.
func searchDocsPostgres(ctx context.Context, db querier, words []string, src model.Source, floor, below int64, limit int) (docs, scanned []int64, err error) {
	long, short := splitWords(words)
	args := []any{floor, below}
	q := `SELECT doc FROM search_docs WHERE doc >= $1 AND doc < $2`
	if src != "" {
		args = append(args, string(src))
		q += ` AND source = $3`
	}
	for _, w := range long {
		args = append(args, "%"+likeEscape(strings.ToLower(w))+"%")
		q += ` AND search LIKE $` + strconv.Itoa(len(args)) + ` ESCAPE '\'`
	}
	if len(short) > 0 {
		args = append(args, short)
		q += ` AND grams @> $` + strconv.Itoa(len(args)) + `::text[]`
	}
	q += ` ORDER BY doc DESC`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	docs, err = scanDocs(ctx, db, q, args...)
	return docs, docs, err
}

func scanDocs(ctx context.Context, db querier, q string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
