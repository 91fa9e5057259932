package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
)

// The read index (item_index, one row per item, and the full-text index,
// one entry per distinct document) is written by Commit in Go, from the
// JSON it already holds: nothing parses a document again in SQL.

// docFields are the parts of an item's JSON (model.Issue, model.Message
// or model.ServiceHealth) that the read index uses. Pointers tell a
// missing key (or JSON null) from an empty string, as json_extract did
// in the SQL triggers this replaces.
type docFields struct {
	ID                string   `json:"id"`
	Title             *string  `json:"title"`
	Service           *string  `json:"service"`
	Status            *string  `json:"status"`
	Classification    *string  `json:"classification"`
	Category          *string  `json:"category"`
	Severity          *string  `json:"severity"`
	Services          []string `json:"services"`
	Tags              []string `json:"tags"`
	IsMajorChange     bool     `json:"isMajorChange"`
	IsResolved        bool     `json:"isResolved"`
	ActionBy          *string  `json:"actionRequiredByDateTime"`
	Start             *string  `json:"startDateTime"`
	End               *string  `json:"endDateTime"`
	Body              *string  `json:"body"`
	ImpactDescription *string  `json:"impactDescription"`
	Posts             []struct {
		Content *string `json:"content"`
	} `json:"posts"`
}

// parseDoc reads the fields of a JSON document; false when it is not a
// JSON object, which leaves the item out of the read index.
func parseDoc(data []byte) (docFields, bool) {
	var f docFields
	if len(data) == 0 || json.Unmarshal(data, &f) != nil {
		return docFields{}, false
	}
	// json.Unmarshal accepts null for a struct; a document must be an object.
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return docFields{}, false
	}
	return f, true
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// title is the title of an issue or message, or a service's name.
func (f *docFields) title() string {
	if f.Title != nil {
		return *f.Title
	}
	return str(f.Service)
}

// bars renders a list as "|a|b|" ("" when empty), the form the Service
// and Tag filters match with LIKE.
func bars(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return "|" + strings.Join(list, "|") + "|"
}

// indexRow is one row of item_index without its fid.
type indexRow struct {
	title, status, classification, category, severity string
	services, tags                                    string
	major, active                                     bool
	actionBy, startAt, endAt                          string
	lastModified                                      int64 // encodeNano
	removed                                           bool
	doc                                               int64
}

// rowOf computes the item_index row of an item from its document.
func rowOf(src model.Source, f *docFields, lastModified time.Time, removed bool) indexRow {
	r := indexRow{
		title: f.title(), status: str(f.Status), classification: str(f.Classification),
		category: str(f.Category), severity: str(f.Severity), tags: bars(f.Tags),
		major: f.IsMajorChange, actionBy: str(f.ActionBy), startAt: str(f.Start), endAt: str(f.End),
		lastModified: encodeNano(lastModified), removed: removed,
	}
	if src == model.SourceMC {
		r.services = bars(f.Services)
	} else {
		r.services = "|" + str(f.Service) + "|"
	}
	switch src {
	case model.SourceSHD:
		r.active = !f.IsResolved && !removed
	case model.SourceMC:
		r.active = !removed
	default:
		r.active = str(f.Status) != string(model.StatusServiceOperational)
	}
	return r
}

// docText is what full-text search finds of a document: its title and ID,
// and the plain text of its body, impact description and posts; and the
// source of the items that show it, by which a search of one source walks
// only that source's documents.
type docText struct {
	title, body string
	src         model.Source
}

func textOf(f *docFields) docText {
	var b strings.Builder
	b.WriteString(str(f.Body))
	b.WriteByte(' ')
	b.WriteString(str(f.ImpactDescription))
	b.WriteByte(' ')
	first := true
	for _, p := range f.Posts {
		if p.Content == nil {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(*p.Content)
	}
	title := f.title()
	if f.ID != "" {
		title += " " + f.ID
	}
	return docText{title: title, body: htmltext.Text(b.String())}
}

// grams returns the distinct one- and two-character substrings of the
// lower-cased text (none spanning white space), in order of first
// appearance: what a search word of one or two characters is looked up
// by, since the trigram index cannot find it.
func (t docText) grams() []string {
	seen := map[string]bool{}
	var out []string
	add := func(g string) {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	for _, s := range []string{t.title, t.body} {
		var prev rune = -1
		for _, r := range strings.ToLower(s) {
			if unicode.IsSpace(r) {
				prev = -1
				continue
			}
			add(string(r))
			if prev >= 0 {
				add(string([]rune{prev, r}))
			}
			prev = r
		}
	}
	return out
}

// gramToken is how a gram is written to SQLite's doc_grams: hex, so that
// the ascii tokenizer keeps every gram, punctuation and Japanese included,
// as one token.
func gramToken(g string) string { return hex.EncodeToString([]byte(g)) }

// Document numbers: the second of the last modification of the items that
// show a document (clamped at the Unix epoch) in the bits above docSeqBits,
// a sequence number below. Search walks documents in descending number,
// which is newest first; an item always points at a document of the second
// of its own last modification (indexItem keeps that so), so a search can
// stop as soon as the page is full at the end of a second.
const docSeqBits = 22

// docSecond is the second a document number stands for.
func docSecond(t time.Time) int64 {
	return max(t.Unix(), 0)
}

// docRange is the range of document numbers of a second.
func docRange(sec int64) (lo, hi int64) {
	return sec << docSeqBits, (sec+1)<<docSeqBits - 1
}

// querier is what *sql.Tx and *sql.DB have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// indexer writes the read index inside one transaction, remembering the
// documents it has looked up.
type indexer struct {
	s    *sqlStore
	tx   querier
	docs map[docKey]int64
	// hexKeys: the tables are those before 00012, whose search_docs holds
	// blob keys as hex text and item_index times as text.
	hexKeys bool
	// noRelevance leaves out the relevance columns, which the schema
	// has from migration 00014 on (reindex runs in migration 00010).
	noRelevance bool
	// noSource: search_docs has no source column and the full-text
	// tables no source marker (before 00019).
	noSource bool
	cp       *copier // nil: no COPY (insertRows)
}

// docKey names a document: its blob, the second of its items' last
// modification and their source ("" in the schema before 00019).
type docKey struct {
	hash string
	sec  int64
	src  model.Source
}

// keyOf is the key of the document of w.
func (ix *indexer) keyOf(w indexWork) docKey {
	k := docKey{hash: w.hash, sec: docSecond(w.lastModified)}
	if !ix.noSource {
		k.src = w.src
	}
	return k
}

func (s *sqlStore) newIndexer(tx querier) *indexer {
	return &indexer{s: s, tx: tx, docs: map[docKey]int64{}}
}

// time is the stored form of an item_index time (encodeNano), or its text
// form in tables before 00012.
func (ix *indexer) time(n int64) any {
	if ix.hexKeys {
		return encodeTime(decodeNano(n))
	}
	return n
}

// exec runs a statement.
func (ix *indexer) exec(ctx context.Context, q string, args ...any) error {
	_, err := ix.tx.ExecContext(ctx, q, args...)
	return err
}

// newDoc numbers the new document hash for items last modified in second
// sec and adds it, with its text, to the full-text index.
func (ix *indexer) newDoc(ctx context.Context, hash string, sec int64, text docText) (int64, error) {
	lo, hi := docRange(sec)
	var d int64
	text, err := ix.translated(ctx, hash, text)
	if err != nil {
		return 0, fmt.Errorf("index document %s: %w", hash, err)
	}
	// Another writer (PostgreSQL) may take the same number: try the next.
	for range 100 {
		if err := ix.tx.QueryRowContext(ctx, `SELECT coalesce(max(doc), CAST($1 AS BIGINT) - 1) + 1 FROM search_docs WHERE doc BETWEEN $1 AND $2`,
			lo, hi).Scan(&d); err != nil {
			return 0, fmt.Errorf("number document %s: %w", hash, err)
		}
		if d > hi {
			return 0, fmt.Errorf("number document %s: more than %d documents in one second", hash, hi-lo+1)
		}
		ok, err := ix.insertDoc(ctx, d, hash, text)
		if err != nil {
			return 0, fmt.Errorf("index document %s: %w", hash, err)
		}
		if ok {
			return d, nil
		}
	}
	return 0, fmt.Errorf("number document %s: too many concurrent writers", hash)
}

// insertDoc adds a document to search_docs under number d and writes its
// text; false when the number is taken.
func (ix *indexer) insertDoc(ctx context.Context, d int64, hash string, t docText) (bool, error) {
	q, args := `INSERT INTO search_docs (doc, hash, source) VALUES ($1, $2, $3) ON CONFLICT (doc) DO NOTHING`,
		[]any{d, keyArg(ix.s.d, hash, ix.hexKeys), string(t.src)}
	if ix.noSource {
		q, args = `INSERT INTO search_docs (doc, hash) VALUES ($1, $2) ON CONFLICT (doc) DO NOTHING`, args[:2]
	}
	res, err := ix.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	return true, ix.s.d.docText(ctx, ix, d, t)
}

// docTextSQLite writes the text of document d to SQLite's full-text
// tables.
func docTextSQLite(ctx context.Context, ix *indexer, d int64, t docText) error {
	grams := t.grams()
	toks := make([]string, len(grams))
	for i, g := range grams {
		toks[i] = gramToken(g)
	}
	sfx := ftsSuffix(t.src)
	if ix.noSource {
		sfx = ""
	}
	if err := ix.exec(ctx, `INSERT INTO doc_fts`+sfx+` (rowid, title, body) VALUES ($1, $2, $3)`, d, t.title, t.body); err != nil {
		return err
	}
	return ix.exec(ctx, `INSERT INTO doc_grams`+sfx+` (rowid, grams) VALUES ($1, $2)`, d, strings.Join(toks, " "))
}

// SQLite's full-text tables come in two pairs (migration 00019): doc_fts
// and doc_grams index the documents of the Message Center and of service
// health, doc_fts_shd and doc_grams_shd those of incidents and advisories
// (SHD). A search of one source walks its own documents alone: a search of
// the incidents walked every document and kept one in five, and a search
// of the Message Center skipped the incidents' fifth.
var ftsTables = []string{"doc_fts", "doc_grams", "doc_fts_shd", "doc_grams_shd"}

// ftsSuffix is the suffix of the names of the full-text tables that index
// the documents of source src.
func ftsSuffix(src model.Source) string {
	if src == model.SourceSHD {
		return "_shd"
	}
	return ""
}

// ftsSuffixes are the suffixes of the full-text tables a search of source
// src ("": every source) walks.
func ftsSuffixes(src model.Source) []string {
	if src == "" {
		return []string{"", "_shd"}
	}
	return []string{ftsSuffix(src)}
}

// docTextPostgres writes the search text and grams of document d.
func docTextPostgres(ctx context.Context, ix *indexer, d int64, t docText) error {
	return ix.exec(ctx, `UPDATE search_docs SET search = $2, grams = $3 WHERE doc = $1`,
		d, strings.ToLower(t.title+" "+t.body), t.grams())
}

// retext writes the text of every document of search_docs from its blob
// (Copy moves document numbers, not the full-text index).
func (s *sqlStore) retext(ctx context.Context, tx *sql.Tx) error {
	return s.newIndexer(tx).retext(ctx)
}

// retext writes the text of every document of search_docs from its blob.
func (ix *indexer) retext(ctx context.Context) error {
	tx := ix.tx
	var after int64 = -1
	for {
		type row struct {
			doc  int64
			hash storedHash
			src  string
			data []byte
		}
		var list []row
		rows, err := tx.QueryContext(ctx, `SELECT d.doc, d.hash, d.source, b.data FROM search_docs d JOIN blobs b ON b.hash = d.hash
			WHERE d.doc > $1 ORDER BY d.doc LIMIT 1000`, after)
		if err != nil {
			return fmt.Errorf("rebuild full-text index: %w", err)
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.doc, &r.hash, &r.src, &r.data); err != nil {
				rows.Close()
				return fmt.Errorf("rebuild full-text index: %w", err)
			}
			list = append(list, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("rebuild full-text index: %w", err)
		}
		for _, r := range list {
			data, err := unpackBlob(r.data)
			if err != nil {
				return fmt.Errorf("rebuild full-text index: document %d: %w", r.doc, err)
			}
			f, ok := parseDoc(data)
			if !ok {
				continue
			}
			t, err := ix.translated(ctx, r.hash.s, textOf(&f))
			if err != nil {
				return fmt.Errorf("rebuild full-text index: document %d: %w", r.doc, err)
			}
			t.src = model.Source(r.src)
			if err := ix.s.d.docText(ctx, ix, r.doc, t); err != nil {
				return fmt.Errorf("rebuild full-text index: document %d: %w", r.doc, err)
			}
		}
		if len(list) < 1000 {
			return nil
		}
		after = list[len(list)-1].doc
	}
}

// deleteDocsSQLite removes documents from the full-text index: from the
// tables of their source, which search_docs says.
func deleteDocsSQLite(ctx context.Context, tx querier, docs []int64) error {
	if len(docs) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT x.doc, x.source FROM search_docs x WHERE `+docsIn(docs))
	if err != nil {
		return err
	}
	src := map[int64]model.Source{}
	for rows.Next() {
		var (
			d int64
			s string
		)
		if err := rows.Scan(&d, &s); err != nil {
			rows.Close()
			return err
		}
		src[d] = model.Source(s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for d, s := range src {
		if err := deleteText(ctx, tx, d, s); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_docs WHERE doc = $1`, d); err != nil {
			return err
		}
	}
	return nil
}

// deleteText removes the text of document d of source src from SQLite's
// full-text tables (a contentless row is replaced by deleting it first).
func deleteText(ctx context.Context, tx querier, d int64, src model.Source) error {
	sfx := ftsSuffix(src)
	for _, q := range []string{`DELETE FROM doc_fts` + sfx + ` WHERE rowid = $1`, `DELETE FROM doc_grams` + sfx + ` WHERE rowid = $1`} {
		if _, err := tx.ExecContext(ctx, q, d); err != nil {
			return err
		}
	}
	return nil
}

func deleteDocsPostgres(ctx context.Context, tx querier, docs []int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM search_docs WHERE doc = ANY($1::bigint[])`, docs)
	return err
}

// indexWork is an item whose item_index row a commit writes.
type indexWork struct {
	tenant       string
	src          model.Source
	id           string
	hash         string // the blob of its document
	data         []byte // the document; nil: read from blobs when needed
	lastModified time.Time
	removed      bool
	rel          *model.Relevance // nil: the row keeps the relevance it has
	fresh        bool             // a new item, without an item_index row
}

// itemIndexColumns are the columns of item_index an indexer writes
// without relevance (which two more columns hold from migration 00014 on).
const itemIndexColumns = 18

// The multi-row upserts of item_index (execRows): indexInto/indexTail
// without relevance, indexIntoRelevance/indexTailRelevance with it, which
// keep the relevance a row has when none is given.
const (
	indexInto = `item_index (tenant, source, id, title, status, classification, category, severity,
		services, tags, major, active, action_by, start_at, end_at, last_modified, removed, doc)`
	indexIntoRelevance = `item_index (tenant, source, id, title, status, classification, category, severity,
		services, tags, major, active, action_by, start_at, end_at, last_modified, removed, doc, relevant, relevance)`
	indexTail          = ` ON CONFLICT (tenant, source, id) DO UPDATE SET ` + indexSet
	indexTailRelevance = indexTail + `,
			relevant = CASE WHEN excluded.relevance = '' THEN item_index.relevant ELSE excluded.relevant END,
			relevance = CASE WHEN excluded.relevance = '' THEN item_index.relevance ELSE excluded.relevance END`
	indexSet = `title = excluded.title, status = excluded.status, classification = excluded.classification,
			category = excluded.category, severity = excluded.severity, services = excluded.services,
			tags = excluded.tags, major = excluded.major, active = excluded.active, action_by = excluded.action_by,
			start_at = excluded.start_at, end_at = excluded.end_at, last_modified = excluded.last_modified,
			removed = excluded.removed, doc = excluded.doc`
)

// items writes the item_index rows of work, which names each item at most
// once, in multi-row statements: the documents' fields are parsed once per
// store (parsedDocs), their numbers looked up in one statement, and only
// documents new to the index are numbered and their text indexed, one by
// one. An item whose document is not a JSON object (or is missing) leaves
// the index as it was.
func (ix *indexer) items(ctx context.Context, work []indexWork) error {
	if len(work) == 0 {
		return nil
	}
	fields := make([]*docFields, len(work))
	var unknown []string
	for i, w := range work {
		if w.data != nil {
			fields[i] = ix.s.parsed.parse(w.hash, w.data)
		} else if f, ok := ix.s.parsed.get(w.hash); ok {
			fields[i] = f
		} else if w.hash != "" {
			unknown = append(unknown, w.hash)
		}
	}
	read := map[string][]byte{}
	if len(unknown) > 0 {
		if err := ix.readBlobs(ctx, unknown, read); err != nil {
			return err
		}
		for i, w := range work {
			if data, ok := read[w.hash]; ok && w.data == nil && fields[i] == nil {
				fields[i] = ix.s.parsed.parse(w.hash, data)
			}
		}
	}

	// The numbers of the documents, for the second of each item's last
	// modification.
	var want []string
	asked := map[string]bool{}
	for i, w := range work {
		if fields[i] == nil || asked[w.hash] {
			continue
		}
		if _, ok := ix.docs[ix.keyOf(w)]; !ok {
			asked[w.hash] = true
			want = append(want, w.hash)
		}
	}
	if err := ix.findDocs(ctx, want, work); err != nil {
		return err
	}
	for i, w := range work {
		if fields[i] == nil {
			continue
		}
		k := ix.keyOf(w)
		if _, ok := ix.docs[k]; ok {
			continue
		}
		data := w.data
		if data == nil {
			if _, ok := read[w.hash]; !ok {
				if err := ix.readBlobs(ctx, []string{w.hash}, read); err != nil {
					return err
				}
			}
			data = read[w.hash]
		}
		full, ok := parseDoc(data)
		if !ok {
			continue
		}
		t := textOf(&full)
		t.src = k.src
		d, err := ix.newDoc(ctx, w.hash, k.sec, t)
		if err != nil {
			return err
		}
		ix.docs[k] = d
	}

	cols := itemIndexColumns
	if !ix.noRelevance {
		cols += 2
	}
	// New items get a plain INSERT: an upsert costs PostgreSQL a look into
	// the unique index before each row (a quarter of an onboarding's
	// item_index time). Commit and Prune add and remove an item's items and
	// item_index rows together, so a new item has no read-index row.
	var args, fresh []any
	for i, w := range work {
		f := fields[i]
		if f == nil {
			continue
		}
		d, ok := ix.docs[ix.keyOf(w)]
		if !ok {
			continue // its document did not parse after all
		}
		r := rowOf(w.src, f, w.lastModified, w.removed)
		start := len(args)
		args = append(args, w.tenant, string(w.src), w.id, r.title, r.status, r.classification, r.category, r.severity,
			r.services, r.tags, r.major, r.active, r.actionBy, r.startAt, r.endAt, ix.time(r.lastModified), r.removed, d)
		if !ix.noRelevance {
			var (
				relevant any // NULL: not known
				relText  string
			)
			if w.rel != nil {
				b, err := json.Marshal(w.rel)
				if err != nil {
					return fmt.Errorf("index item %s: encode relevance: %w", w.id, err)
				}
				relevant, relText = w.rel.Relevant, string(b)
			}
			args = append(args, relevant, relText)
		}
		if w.fresh {
			fresh = append(fresh, args[start:]...)
			args = args[:start]
		}
	}
	into, tail := indexInto, indexTail
	if !ix.noRelevance {
		into, tail = indexIntoRelevance, indexTailRelevance
	}
	if err := ix.s.insertRows(ctx, ix.tx, ix.cp, into, cols, fresh); err != nil {
		return fmt.Errorf("index new items: %w", err)
	}
	if err := ix.s.execRows(ctx, ix.tx, into, tail, cols, args); err != nil {
		return fmt.Errorf("index items: %w", err)
	}
	return nil
}

// findDocs looks up the documents of the given hashes in search_docs, in
// the seconds of the work's last modifications, and remembers the lowest
// number of each hash and second.
func (ix *indexer) findDocs(ctx context.Context, hashes []string, work []indexWork) error {
	if len(hashes) == 0 {
		return nil
	}
	list, err := ix.s.d.listArg(hashes)
	if err != nil {
		return fmt.Errorf("find documents: %w", err)
	}
	first, last := docSecond(work[0].lastModified), docSecond(work[0].lastModified)
	for _, w := range work[1:] {
		sec := docSecond(w.lastModified)
		first, last = min(first, sec), max(last, sec)
	}
	lo, _ := docRange(first)
	_, hi := docRange(last)
	src := "source"
	if ix.noSource {
		src = "''"
	}
	rows, err := ix.tx.QueryContext(ctx, `SELECT hash, `+src+`, doc FROM search_docs WHERE `+keyIn(ix.s.d, "hash", 1, ix.hexKeys)+
		` AND doc BETWEEN $2 AND $3`, list, lo, hi)
	if err != nil {
		return fmt.Errorf("find documents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			h   storedHash
			src string
			d   int64
		)
		if err := rows.Scan(&h, &src, &d); err != nil {
			return fmt.Errorf("find documents: %w", err)
		}
		k := docKey{h.s, d >> docSeqBits, model.Source(src)}
		if cur, ok := ix.docs[k]; !ok || d < cur {
			ix.docs[k] = d
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find documents: %w", err)
	}
	return nil
}

// readBlobs adds the documents of the given hashes that blobs holds to
// into.
func (ix *indexer) readBlobs(ctx context.Context, hashes []string, into map[string][]byte) error {
	list, err := ix.s.d.listArg(hashes)
	if err != nil {
		return fmt.Errorf("read documents: %w", err)
	}
	rows, err := ix.tx.QueryContext(ctx, `SELECT hash, data FROM blobs WHERE `+keyIn(ix.s.d, "hash", 1, ix.hexKeys), list)
	if err != nil {
		return fmt.Errorf("read documents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			h      storedHash
			packed []byte
		)
		if err := rows.Scan(&h, &packed); err != nil {
			return fmt.Errorf("read documents: %w", err)
		}
		data, err := unpackBlob(packed)
		if err != nil {
			return fmt.Errorf("read document %s: %w", h.s, err)
		}
		if data == nil {
			data = []byte{}
		}
		into[h.s] = data
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read documents: %w", err)
	}
	return nil
}
