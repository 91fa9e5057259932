-- Search by translation (issue 14): what full-text search finds of a
-- document includes its translations. search_translations holds, per
-- distinct document (its blob key, as search_docs.hash) and target
-- language, the text of the translations the translation memory has of
-- the document's prose, recorded by the translate layer (the store cannot
-- split a document into the texts the memory is keyed by). The indexer
-- appends these texts to the document's body in doc_fts and doc_grams. A
-- row with empty text marks a document looked at that has no translation.
-- Existing documents are filled in Go (translate.IndexSearch) by the
-- dashboard when it starts.

-- +goose Up
CREATE TABLE search_translations (
    hash BLOB NOT NULL,
    lang TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (hash, lang)
);

-- +goose Down
DROP TABLE search_translations;
