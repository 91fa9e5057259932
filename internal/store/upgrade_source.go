package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Migration 00019 records the source of each document (search_docs.source,
// the source of the items that show it) and, in SQLite, indexes the text
// of incidents and advisories in full-text tables of their own
// (ftsTables). It builds SQLite's full-text tables again from the
// documents, as Copy does: deleting the incidents' rows from the old
// tables left them in the index as tombstones, which every search of the
// Message Center then read and skipped (a fifth more work than before).

// sqliteFTS creates the full-text tables of SQLite; from migration 00019
// with the two of SHD documents.
var sqliteFTS = []string{
	`CREATE VIRTUAL TABLE doc_fts USING fts5 (title, body, content = '', contentless_delete = 1, tokenize = 'trigram')`,
	`CREATE VIRTUAL TABLE doc_grams USING fts5 (grams, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii')`,
	`CREATE VIRTUAL TABLE doc_fts_shd USING fts5 (title, body, content = '', contentless_delete = 1, tokenize = 'trigram')`,
	`CREATE VIRTUAL TABLE doc_grams_shd USING fts5 (grams, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii')`,
}

// upgradeDocSource is migration 00019.
func (s *sqlStore) upgradeDocSource(ctx context.Context, tx *sql.Tx) error {
	q := []string{
		`ALTER TABLE search_docs ADD COLUMN source TEXT NOT NULL DEFAULT ''`,
		`UPDATE search_docs SET source = coalesce((SELECT x.source FROM item_index x WHERE x.doc = search_docs.doc LIMIT 1), '')`,
	}
	if s.d.name == "sqlite" {
		q = append(q, `DROP TABLE doc_fts`, `DROP TABLE doc_grams`)
		q = append(q, sqliteFTS...)
	}
	if err := execAll(ctx, tx, q); err != nil {
		return fmt.Errorf("record the source of documents: %w", err)
	}
	if s.d.name != "sqlite" {
		return nil
	}
	if err := s.newIndexer(tx).retext(ctx); err != nil {
		return err
	}
	return optimizeFTS(ctx, tx, ftsTables)
}

// optimizeFTS merges each of the full-text tables into one segment: a
// rebuild inside one transaction leaves several, and a search looks each
// word up in every one.
func optimizeFTS(ctx context.Context, tx *sql.Tx, tables []string) error {
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+t+` (`+t+`) VALUES ('optimize')`); err != nil {
			return fmt.Errorf("merge the full-text index %s: %w", t, err)
		}
	}
	return nil
}

// downgradeDocSource undoes migration 00019.
func (s *sqlStore) downgradeDocSource(ctx context.Context, tx *sql.Tx) error {
	var q []string
	if s.d.name == "sqlite" {
		for _, t := range ftsTables {
			q = append(q, `DROP TABLE `+t)
		}
		q = append(q, sqliteFTS[:2]...)
	}
	if err := execAll(ctx, tx, q); err != nil {
		return fmt.Errorf("forget the source of documents: %w", err)
	}
	if s.d.name == "sqlite" {
		ix := s.newIndexer(tx)
		ix.noSource = true
		if err := ix.retext(ctx); err != nil {
			return err
		}
		if err := optimizeFTS(ctx, tx, ftsTables[:2]); err != nil {
			return err
		}
	}
	if err := execAll(ctx, tx, []string{`ALTER TABLE search_docs DROP COLUMN source`}); err != nil {
		return fmt.Errorf("forget the source of documents: %w", err)
	}
	return nil
}

// execAll runs statements in order.
func execAll(ctx context.Context, tx *sql.Tx, q []string) error {
	for _, stmt := range q {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}
