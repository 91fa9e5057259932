package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// Search by translation. The translation memory is keyed by the hashes of
// the texts a document is split into for a translator, which only the
// translate layer knows how to make; it records here, per distinct
// document and target language, the text of the translations of the
// document's prose (search_translations, migration 00015). The read
// index appends those texts to the document's body, so that one
// full-text search finds a document by its English text, its ID or its
// translation, and every document stays indexed once.

// DocTranslation is the translated text of a document in one language:
// what search finds the document's items by in that language.
type DocTranslation struct {
	// Data is the document (Item.Data), which names it.
	Data []byte
	// Lang is the target language ("ja").
	Lang string
	// Text is the translations of the document's prose; empty when it
	// has none (the document is then known to have been looked at).
	Text string
}

// SearchDoc is a document of the full-text index with the source of an
// item that shows it ("" when none does any more, and nil Data when its
// JSON is gone).
type SearchDoc struct {
	// Key orders the documents (a cursor for SearchDocs).
	Key    string
	Source model.Source
	Data   []byte
}

// PutDocTranslations records the translated text of documents and writes
// it to the full-text index of every item that shows them; a text equal
// to the one recorded writes nothing.
func (s *sqlStore) PutDocTranslations(ctx context.Context, list []DocTranslation) error {
	if len(list) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ix := s.newIndexer(tx)
		for _, dt := range list {
			if dt.Lang == "" || len(dt.Data) == 0 {
				return fmt.Errorf("document translation needs a document and a language")
			}
			h := blobHash(dt.Data)
			key := keyArg(s.d, h, false)
			var old string
			err := tx.QueryRowContext(ctx, `SELECT text FROM search_translations WHERE hash = $1 AND lang = $2`, key, dt.Lang).Scan(&old)
			switch {
			case err == nil && old == dt.Text:
				continue
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO search_translations (hash, lang, text) VALUES ($1, $2, $3)
				ON CONFLICT (hash, lang) DO UPDATE SET text = excluded.text`, key, dt.Lang, dt.Text); err != nil {
				return err
			}
			if old == dt.Text {
				continue // a first, empty text: nothing to index
			}
			if err := ix.retextHash(ctx, h, dt.Data); err != nil {
				return fmt.Errorf("document %s: %w", h, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store document translations: %w", err)
	}
	return nil
}

// retextHash writes again the full-text index of every document numbered
// for the blob key h, whose JSON is data, with its translations.
func (ix *indexer) retextHash(ctx context.Context, h string, data []byte) error {
	f, ok := parseDoc(data)
	if !ok {
		return nil
	}
	type doc struct {
		n   int64
		src string
	}
	var docs []doc
	rows, err := ix.tx.QueryContext(ctx, `SELECT doc, source FROM search_docs WHERE hash = $1`, keyArg(ix.s.d, h, false))
	if err != nil {
		return err
	}
	for rows.Next() {
		var d doc
		if err := rows.Scan(&d.n, &d.src); err != nil {
			rows.Close()
			return err
		}
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(docs) == 0 {
		return err
	}
	t, err := ix.translated(ctx, h, textOf(&f))
	if err != nil {
		return err
	}
	for _, d := range docs {
		t.src = model.Source(d.src)
		if ix.s.d.name == "sqlite" {
			if err := deleteText(ctx, ix.tx, d.n, t.src); err != nil {
				return err
			}
		}
		if err := ix.s.d.docText(ctx, ix, d.n, t); err != nil {
			return err
		}
	}
	return nil
}

// translated appends to t the translations recorded for the document of
// blob key h. The schemas before 00015, which migrations index, have
// none.
func (ix *indexer) translated(ctx context.Context, h string, t docText) (docText, error) {
	if ix.hexKeys || ix.noRelevance {
		return t, nil
	}
	rows, err := ix.tx.QueryContext(ctx, `SELECT text FROM search_translations WHERE hash = $1 AND text <> '' ORDER BY lang`,
		keyArg(ix.s.d, h, false))
	if err != nil {
		return t, fmt.Errorf("read document translations: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	b.WriteString(t.body)
	for rows.Next() {
		var tr string
		if err := rows.Scan(&tr); err != nil {
			return t, fmt.Errorf("read document translations: %w", err)
		}
		b.WriteByte('\n')
		b.WriteString(tr)
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("read document translations: %w", err)
	}
	t.body = b.String()
	return t, nil
}

// SearchDocs returns, in key order after the key after ("" from the
// start), up to limit documents of the full-text index; with untranslated
// set, only those with no text recorded for that language.
func (s *sqlStore) SearchDocs(ctx context.Context, after string, limit int, untranslated string) ([]SearchDoc, error) {
	if limit <= 0 {
		limit = 100
	}
	var afterKey any = s.d.noKey
	if after != "" {
		afterKey = keyArg(s.d, after, false)
	}
	args := []any{afterKey}
	cond := ""
	if untranslated != "" {
		args = append(args, untranslated)
		cond = ` AND NOT EXISTS (SELECT 1 FROM search_translations t WHERE t.hash = search_docs.hash AND t.lang = $2)`
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT d.hash, b.data, coalesce((SELECT x.source FROM item_index x WHERE x.doc = d.doc LIMIT 1), '')
		FROM (SELECT hash, min(doc) AS doc FROM search_docs WHERE hash > $1`+cond+`
			GROUP BY hash ORDER BY hash LIMIT `+strconv.Itoa(limit)+`) d
		LEFT JOIN blobs b ON b.hash = d.hash ORDER BY d.hash`, args...)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var out []SearchDoc
	for rows.Next() {
		var (
			h    storedHash
			data []byte
			src  string
		)
		if err := rows.Scan(&h, &data, &src); err != nil {
			return nil, fmt.Errorf("list documents: %w", err)
		}
		if len(data) == 0 {
			out = append(out, SearchDoc{Key: h.s}) // a document without its blob: nothing to translate
			continue
		}
		doc, err := unpackBlob(data)
		if err != nil {
			return nil, fmt.Errorf("list documents: %s: %w", h.s, err)
		}
		out = append(out, SearchDoc{Key: h.s, Source: model.Source(src), Data: doc})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	return out, nil
}
