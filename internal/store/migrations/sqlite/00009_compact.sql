-- A year of polling without unbounded growth (issue 14):
--
-- * The read index is maintained by the store in Go inside every commit:
--   the triggers of 00004/00007 (which parsed each JSON document many
--   times) and the cursor stamp triggers are dropped; cursors.updated_at is
--   written by the commit itself.
-- * Full-text search indexes each distinct document once, shared by every
--   tenant that has it: search_docs numbers the documents (a doc number
--   carries the second of the item's last modification in its high bits, so
--   that matches stream newest first), doc_fts holds the title and plain
--   text (FTS5 trigram, contentless) and doc_grams the distinct one- and
--   two-character substrings (hex tokens, detail=none) that trigrams cannot
--   find. item_index.doc points each item at its document. The old
--   per-item item_fts is dropped; migration 00010 (Go) fills the new tables.
-- * Events keep what changed, and name the field that holds their item
--   (data_kind: issue, message, service). The item is the JSON of the
--   revision the event describes (events.revision); an event whose item
--   differs from that revision's refers to a blob of its own (data_hash).
--   Migration 00010 moves the JSON of stored events out.
-- * Indexes for retention (the day revisions were stored, removed items;
--   events are found through events_by_tenant_time, outbox rows through
--   outbox_due) and for collecting unreferenced blobs (a 16-character
--   prefix of the hash is enough to find the rows that refer to a blob).

-- +goose Up
DROP TRIGGER items_fts_update;
DROP TRIGGER items_index_update;
DROP TRIGGER items_index_insert;
DROP TRIGGER cursors_stamp_update;
DROP TRIGGER cursors_stamp_insert;
DROP TABLE item_fts;

ALTER TABLE events ADD COLUMN data_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN data_kind TEXT NOT NULL DEFAULT '';
CREATE INDEX events_by_data ON events (substr(data_hash, 1, 16)) WHERE data_hash <> '';
CREATE INDEX revisions_by_data ON revisions (substr(data_hash, 1, 16));
CREATE INDEX revisions_by_day ON revisions (substr(seen_at, 1, 10));
CREATE INDEX items_by_data ON items (substr(data_hash, 1, 16));
CREATE INDEX items_removed ON items (seen_at) WHERE removed;

ALTER TABLE item_index ADD COLUMN doc INTEGER NOT NULL DEFAULT 0;
-- A search looks items up by document; the index holds what the usual
-- filters and the order of pages need, so that no row is read for it.
CREATE INDEX item_index_by_doc ON item_index (doc, source, removed, tenant, last_modified);
CREATE INDEX item_index_by_modified ON item_index (last_modified);

CREATE TABLE search_docs (
    doc  INTEGER NOT NULL PRIMARY KEY,
    hash TEXT    NOT NULL
);
CREATE INDEX search_docs_by_hash ON search_docs (hash, doc);
CREATE VIRTUAL TABLE doc_fts USING fts5 (title, body, content = '', contentless_delete = 1, tokenize = 'trigram');
CREATE VIRTUAL TABLE doc_grams USING fts5 (grams, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii');

-- +goose Down
DROP TABLE doc_grams;
DROP TABLE doc_fts;
DROP TABLE search_docs;
DROP INDEX item_index_by_modified;
DROP INDEX item_index_by_doc;
ALTER TABLE item_index DROP COLUMN doc;
DROP INDEX items_removed;
DROP INDEX items_by_data;
DROP INDEX revisions_by_day;
DROP INDEX revisions_by_data;
DROP INDEX events_by_data;
ALTER TABLE events DROP COLUMN data_kind;
ALTER TABLE events DROP COLUMN data_hash;

CREATE VIRTUAL TABLE item_fts USING fts5 (title, body, tokenize = 'trigram');
INSERT INTO item_fts (rowid, title, body)
SELECT x.fid,
    coalesce(json_extract(b.data, '$.title'), json_extract(b.data, '$.service'), ''),
    shdmc_plain(coalesce(json_extract(b.data, '$.body'), '') || ' ' ||
        coalesce(json_extract(b.data, '$.impactDescription'), '') || ' ' ||
        coalesce((SELECT group_concat(json_extract(value, '$.content'), ' ') FROM json_each(b.data, '$.posts')), ''))
FROM item_index x JOIN items i ON i.tenant = x.tenant AND i.source = x.source AND i.id = x.id
JOIN blobs b ON b.hash = i.data_hash WHERE json_valid(b.data);

-- +goose StatementBegin
CREATE TRIGGER cursors_stamp_insert AFTER INSERT ON cursors BEGIN
    UPDATE cursors SET updated_at = strftime('%Y-%m-%dT%H:%M:%f000000Z', 'now')
    WHERE tenant = new.tenant AND source = new.source;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER cursors_stamp_update AFTER UPDATE OF watermark, last_full, baselined ON cursors BEGIN
    UPDATE cursors SET updated_at = strftime('%Y-%m-%dT%H:%M:%f000000Z', 'now')
    WHERE tenant = new.tenant AND source = new.source;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER items_index_insert AFTER INSERT ON items WHEN json_valid((SELECT data FROM blobs WHERE hash = new.data_hash)) BEGIN
    INSERT INTO item_index (tenant, source, id, title, status, classification, category, severity,
        services, tags, major, active, action_by, start_at, end_at, last_modified, removed)
    VALUES (new.tenant, new.source, new.id,
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.title'), json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.service'), ''),
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.status'), ''),
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.classification'), ''),
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.category'), ''),
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.severity'), ''),
        CASE WHEN new.source = 'mc'
            THEN coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each((SELECT data FROM blobs WHERE hash = new.data_hash), '$.services')), '')
            ELSE '|' || coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.service'), '') || '|' END,
        coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each((SELECT data FROM blobs WHERE hash = new.data_hash), '$.tags')), ''),
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.isMajorChange'), 0),
        CASE new.source
            WHEN 'shd' THEN NOT coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.isResolved'), 0) AND NOT new.removed
            WHEN 'mc' THEN NOT new.removed
            ELSE coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.status'), '') <> 'serviceOperational' END,
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.actionRequiredByDateTime'), ''),
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.startDateTime'), ''),
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.endDateTime'), ''),
        new.last_modified, new.removed);
    INSERT INTO item_fts (rowid, title, body) SELECT fid,
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.title'), json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.service'), ''),
        shdmc_plain(coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.body'), '') || ' ' ||
            coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.impactDescription'), '') || ' ' ||
            coalesce((SELECT group_concat(json_extract(value, '$.content'), ' ') FROM json_each((SELECT data FROM blobs WHERE hash = new.data_hash), '$.posts')), ''))
        FROM item_index WHERE tenant = new.tenant AND source = new.source AND id = new.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER items_index_update AFTER UPDATE ON items WHEN json_valid((SELECT data FROM blobs WHERE hash = new.data_hash)) BEGIN
    UPDATE item_index SET
        title = coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.title'), json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.service'), ''),
        status = coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.status'), ''),
        classification = coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.classification'), ''),
        category = coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.category'), ''),
        severity = coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.severity'), ''),
        services = CASE WHEN new.source = 'mc'
            THEN coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each((SELECT data FROM blobs WHERE hash = new.data_hash), '$.services')), '')
            ELSE '|' || coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.service'), '') || '|' END,
        tags = coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each((SELECT data FROM blobs WHERE hash = new.data_hash), '$.tags')), ''),
        major = coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.isMajorChange'), 0),
        active = CASE new.source
            WHEN 'shd' THEN NOT coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.isResolved'), 0) AND NOT new.removed
            WHEN 'mc' THEN NOT new.removed
            ELSE coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.status'), '') <> 'serviceOperational' END,
        action_by = coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.actionRequiredByDateTime'), ''),
        start_at = coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.startDateTime'), ''),
        end_at = coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.endDateTime'), ''),
        last_modified = new.last_modified,
        removed = new.removed
    WHERE tenant = new.tenant AND source = new.source AND id = new.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER items_fts_update AFTER UPDATE OF data_hash ON items WHEN json_valid((SELECT data FROM blobs WHERE hash = new.data_hash)) AND old.data_hash IS NOT new.data_hash BEGIN
    DELETE FROM item_fts WHERE rowid = (SELECT fid FROM item_index WHERE tenant = new.tenant AND source = new.source AND id = new.id);
    INSERT INTO item_fts (rowid, title, body) SELECT fid,
        coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.title'), json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.service'), ''),
        shdmc_plain(coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.body'), '') || ' ' ||
            coalesce(json_extract((SELECT data FROM blobs WHERE hash = new.data_hash), '$.impactDescription'), '') || ' ' ||
            coalesce((SELECT group_concat(json_extract(value, '$.content'), ' ') FROM json_each((SELECT data FROM blobs WHERE hash = new.data_hash), '$.posts')), ''))
        FROM item_index WHERE tenant = new.tenant AND source = new.source AND id = new.id;
END;
-- +goose StatementEnd
