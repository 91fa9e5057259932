package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
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
// and the plain text of its body, impact description and posts.
type docText struct {
	title, body string
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
	st   *stmts
	docs map[docKey]int64
	// hexKeys: the tables are those before 00012, whose search_docs holds
	// blob keys as hex text and item_index times as text.
	hexKeys bool
	// noRelevance leaves out the relevance columns, which the schema
	// has from migration 00014 on (reindex runs in migration 00010).
	noRelevance bool
}

type docKey struct {
	hash string
	sec  int64
}

func (s *sqlStore) newIndexer(tx *sql.Tx, st *stmts) *indexer {
	return &indexer{s: s, tx: tx, st: st, docs: map[docKey]int64{}}
}

// time is the stored form of an item_index time (encodeNano), or its text
// form in tables before 00012.
func (ix *indexer) time(n int64) any {
	if ix.hexKeys {
		return encodeTime(decodeNano(n))
	}
	return n
}

// exec runs a statement, prepared once per transaction when possible.
func (ix *indexer) exec(ctx context.Context, q string, args ...any) error {
	if tx, ok := ix.tx.(*sql.Tx); ok && ix.st != nil {
		return ix.st.exec(ctx, tx, q, args...)
	}
	_, err := ix.tx.ExecContext(ctx, q, args...)
	return err
}

// doc returns the number of the document hash for items last modified in
// second sec, adding the document to the full-text index when it is new.
func (ix *indexer) doc(ctx context.Context, hash string, sec int64, f *docFields) (int64, error) {
	k := docKey{hash, sec}
	if d, ok := ix.docs[k]; ok {
		return d, nil
	}
	lo, hi := docRange(sec)
	var d int64
	err := ix.tx.QueryRowContext(ctx, `SELECT doc FROM search_docs WHERE hash = $1 AND doc BETWEEN $2 AND $3 LIMIT 1`,
		keyArg(ix.s.d, hash, ix.hexKeys), lo, hi).Scan(&d)
	if err == nil {
		ix.docs[k] = d
		return d, nil
	}
	if err != sql.ErrNoRows {
		return 0, fmt.Errorf("find document %s: %w", hash, err)
	}
	text, err := ix.translated(ctx, hash, textOf(f))
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
			ix.docs[k] = d
			return d, nil
		}
	}
	return 0, fmt.Errorf("number document %s: too many concurrent writers", hash)
}

// insertDoc adds a document to search_docs under number d and writes its
// text; false when the number is taken.
func (ix *indexer) insertDoc(ctx context.Context, d int64, hash string, t docText) (bool, error) {
	res, err := ix.tx.ExecContext(ctx, `INSERT INTO search_docs (doc, hash) VALUES ($1, $2) ON CONFLICT (doc) DO NOTHING`,
		d, keyArg(ix.s.d, hash, ix.hexKeys))
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
	if err := ix.exec(ctx, `INSERT INTO doc_fts (rowid, title, body) VALUES ($1, $2, $3)`, d, t.title, t.body); err != nil {
		return err
	}
	grams := t.grams()
	toks := make([]string, len(grams))
	for i, g := range grams {
		toks[i] = gramToken(g)
	}
	return ix.exec(ctx, `INSERT INTO doc_grams (rowid, grams) VALUES ($1, $2)`, d, strings.Join(toks, " "))
}

// docTextPostgres writes the search text and grams of document d.
func docTextPostgres(ctx context.Context, ix *indexer, d int64, t docText) error {
	return ix.exec(ctx, `UPDATE search_docs SET search = $2, grams = $3 WHERE doc = $1`,
		d, strings.ToLower(t.title+" "+t.body), t.grams())
}

// retext writes the text of every document of search_docs from its blob
// (Copy moves document numbers, not the full-text index).
func (s *sqlStore) retext(ctx context.Context, tx *sql.Tx) error {
	var st stmts
	defer st.close()
	ix := s.newIndexer(tx, &st)
	var after int64 = -1
	for {
		type row struct {
			doc  int64
			hash storedHash
			data []byte
		}
		var list []row
		rows, err := tx.QueryContext(ctx, `SELECT d.doc, d.hash, b.data FROM search_docs d JOIN blobs b ON b.hash = d.hash
			WHERE d.doc > $1 ORDER BY d.doc LIMIT 1000`, after)
		if err != nil {
			return fmt.Errorf("rebuild full-text index: %w", err)
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.doc, &r.hash, &r.data); err != nil {
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
			if err := s.d.docText(ctx, ix, r.doc, t); err != nil {
				return fmt.Errorf("rebuild full-text index: document %d: %w", r.doc, err)
			}
		}
		if len(list) < 1000 {
			return nil
		}
		after = list[len(list)-1].doc
	}
}

// deleteDocs removes documents from the full-text index.
func deleteDocsSQLite(ctx context.Context, tx querier, docs []int64) error {
	for _, q := range []string{`DELETE FROM doc_fts WHERE rowid = $1`, `DELETE FROM doc_grams WHERE rowid = $1`, `DELETE FROM search_docs WHERE doc = $1`} {
		for _, d := range docs {
			if _, err := tx.ExecContext(ctx, q, d); err != nil {
				return err
			}
		}
	}
	return nil
}

func deleteDocsPostgres(ctx context.Context, tx querier, docs []int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM search_docs WHERE doc = ANY($1::bigint[])`, docs)
	return err
}

// indexUpsert writes an item_index row; indexUpsertRelevance also its
// relevance, kept when none is given.
const (
	indexUpsert = `INSERT INTO item_index (tenant, source, id, title, status, classification, category, severity,
		services, tags, major, active, action_by, start_at, end_at, last_modified, removed, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT (tenant, source, id) DO UPDATE SET ` + indexSet
	indexUpsertRelevance = `INSERT INTO item_index (tenant, source, id, title, status, classification, category, severity,
		services, tags, major, active, action_by, start_at, end_at, last_modified, removed, doc, relevant, relevance)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (tenant, source, id) DO UPDATE SET ` + indexSet + `,
			relevant = CASE WHEN excluded.relevance = '' THEN item_index.relevant ELSE excluded.relevant END,
			relevance = CASE WHEN excluded.relevance = '' THEN item_index.relevance ELSE excluded.relevance END`
	indexSet = `title = excluded.title, status = excluded.status, classification = excluded.classification,
			category = excluded.category, severity = excluded.severity, services = excluded.services,
			tags = excluded.tags, major = excluded.major, active = excluded.active, action_by = excluded.action_by,
			start_at = excluded.start_at, end_at = excluded.end_at, last_modified = excluded.last_modified,
			removed = excluded.removed, doc = excluded.doc`
)

// item writes the item_index row of one item whose document is data
// (stored as blob hash), with its relevance when rel is not nil (else the
// row keeps the relevance it has). A document that is not a JSON object
// leaves the index as it was.
func (ix *indexer) item(ctx context.Context, tenant string, src model.Source, id string, hash string, data []byte,
	lastModified time.Time, removed bool, rel *model.Relevance) error {
	f, ok := parseDoc(data)
	if !ok {
		return nil
	}
	r := rowOf(src, &f, lastModified, removed)
	d, err := ix.doc(ctx, hash, docSecond(lastModified), &f)
	if err != nil {
		return err
	}
	r.doc = d
	var (
		relevant any // NULL: not known
		relText  string
	)
	if rel != nil {
		b, err := json.Marshal(rel)
		if err != nil {
			return fmt.Errorf("index item %s: encode relevance: %w", id, err)
		}
		relevant, relText = rel.Relevant, string(b)
	}
	args := []any{tenant, string(src), id, r.title, r.status, r.classification, r.category, r.severity,
		r.services, r.tags, r.major, r.active, r.actionBy, r.startAt, r.endAt, ix.time(r.lastModified), r.removed, r.doc}
	q := indexUpsert
	if !ix.noRelevance {
		q, args = indexUpsertRelevance, append(args, relevant, relText)
	}
	err = ix.exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("index item %s: %w", id, err)
	}
	return nil
}

// reindex rebuilds the read index of every item (after an upgrade, or in
// a copy, whose destination receives items without their index), keyset
// by item, reporting progress every few thousand items.
func (s *sqlStore) reindex(ctx context.Context, tx *sql.Tx) error {
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&total); err != nil {
		return fmt.Errorf("reindex: count items: %w", err)
	}
	var st stmts
	defer st.close()
	ix := s.newIndexer(tx, &st)
	ix.hexKeys = true     // only migration 00010 reindexes
	ix.noRelevance = true // migration 00010: the columns come with 00014
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
		for _, r := range list {
			data, err := unpackBlob(r.data)
			if err != nil {
				return fmt.Errorf("reindex item %s: %w", r.id, err)
			}
			if err := ix.item(ctx, r.tenant, model.Source(r.src), r.id, r.hash.s, data, r.lm.t, r.removed, nil); err != nil {
				return fmt.Errorf("reindex: %w", err)
			}
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

// sortedDocs returns the distinct values of m in ascending order.
func sortedDocs(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for d := range m {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}
