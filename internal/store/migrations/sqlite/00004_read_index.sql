-- The read side of the dashboard, API and feeds: item_index holds the
-- fields that lists filter on, one row per item, and item_fts the title and
-- plain body text of every item for full-text search (FTS5 with the trigram
-- tokenizer, which finds Japanese words that unicode61 cannot split). Both
-- are kept in step by triggers on items, so that they change in the very
-- transaction that commits a poll. shdmc_plain is the HTML-to-text function
-- the store registers with the driver. cursors.updated_at records when a
-- poll last stored its cursor (the last success of a tenant and source).

-- +goose Up
CREATE TABLE item_index (
    fid            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant         TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    title          TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL DEFAULT '',
    classification TEXT    NOT NULL DEFAULT '',
    category       TEXT    NOT NULL DEFAULT '',
    severity       TEXT    NOT NULL DEFAULT '',
    services       TEXT    NOT NULL DEFAULT '',
    tags           TEXT    NOT NULL DEFAULT '',
    major          INTEGER NOT NULL DEFAULT 0,
    active         INTEGER NOT NULL DEFAULT 0,
    action_by      TEXT    NOT NULL DEFAULT '',
    start_at       TEXT    NOT NULL DEFAULT '',
    end_at         TEXT    NOT NULL DEFAULT '',
    last_modified  TEXT    NOT NULL DEFAULT '',
    removed        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant, source, id)
);
CREATE INDEX item_index_by_time ON item_index (source, last_modified);
CREATE INDEX item_index_by_tenant ON item_index (tenant, source, last_modified);
CREATE INDEX item_index_action ON item_index (action_by);

CREATE VIRTUAL TABLE item_fts USING fts5 (title, body, tokenize = 'trigram');

-- +goose StatementBegin
CREATE TRIGGER items_index_insert AFTER INSERT ON items WHEN json_valid(new.data) BEGIN
    INSERT INTO item_index (tenant, source, id, title, status, classification, category, severity,
        services, tags, major, active, action_by, start_at, end_at, last_modified, removed)
    VALUES (new.tenant, new.source, new.id,
        coalesce(json_extract(new.data, '$.title'), json_extract(new.data, '$.service'), ''),
        coalesce(json_extract(new.data, '$.status'), ''),
        coalesce(json_extract(new.data, '$.classification'), ''),
        coalesce(json_extract(new.data, '$.category'), ''),
        coalesce(json_extract(new.data, '$.severity'), ''),
        CASE WHEN new.source = 'mc'
            THEN coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each(new.data, '$.services')), '')
            ELSE '|' || coalesce(json_extract(new.data, '$.service'), '') || '|' END,
        coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each(new.data, '$.tags')), ''),
        coalesce(json_extract(new.data, '$.isMajorChange'), 0),
        CASE new.source
            WHEN 'shd' THEN NOT coalesce(json_extract(new.data, '$.isResolved'), 0) AND NOT new.removed
            WHEN 'mc' THEN NOT new.removed
            ELSE coalesce(json_extract(new.data, '$.status'), '') <> 'serviceOperational' END,
        coalesce(json_extract(new.data, '$.actionRequiredByDateTime'), ''),
        coalesce(json_extract(new.data, '$.startDateTime'), ''),
        coalesce(json_extract(new.data, '$.endDateTime'), ''),
        new.last_modified, new.removed);
    INSERT INTO item_fts (rowid, title, body) SELECT fid,
        coalesce(json_extract(new.data, '$.title'), json_extract(new.data, '$.service'), ''),
        shdmc_plain(coalesce(json_extract(new.data, '$.body'), '') || ' ' ||
            coalesce(json_extract(new.data, '$.impactDescription'), '') || ' ' ||
            coalesce((SELECT group_concat(json_extract(value, '$.content'), ' ') FROM json_each(new.data, '$.posts')), ''))
        FROM item_index WHERE tenant = new.tenant AND source = new.source AND id = new.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER items_index_update AFTER UPDATE ON items WHEN json_valid(new.data) BEGIN
    UPDATE item_index SET
        title = coalesce(json_extract(new.data, '$.title'), json_extract(new.data, '$.service'), ''),
        status = coalesce(json_extract(new.data, '$.status'), ''),
        classification = coalesce(json_extract(new.data, '$.classification'), ''),
        category = coalesce(json_extract(new.data, '$.category'), ''),
        severity = coalesce(json_extract(new.data, '$.severity'), ''),
        services = CASE WHEN new.source = 'mc'
            THEN coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each(new.data, '$.services')), '')
            ELSE '|' || coalesce(json_extract(new.data, '$.service'), '') || '|' END,
        tags = coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each(new.data, '$.tags')), ''),
        major = coalesce(json_extract(new.data, '$.isMajorChange'), 0),
        active = CASE new.source
            WHEN 'shd' THEN NOT coalesce(json_extract(new.data, '$.isResolved'), 0) AND NOT new.removed
            WHEN 'mc' THEN NOT new.removed
            ELSE coalesce(json_extract(new.data, '$.status'), '') <> 'serviceOperational' END,
        action_by = coalesce(json_extract(new.data, '$.actionRequiredByDateTime'), ''),
        start_at = coalesce(json_extract(new.data, '$.startDateTime'), ''),
        end_at = coalesce(json_extract(new.data, '$.endDateTime'), ''),
        last_modified = new.last_modified,
        removed = new.removed
    WHERE tenant = new.tenant AND source = new.source AND id = new.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER items_fts_update AFTER UPDATE OF data ON items WHEN json_valid(new.data) AND old.data IS NOT new.data BEGIN
    DELETE FROM item_fts WHERE rowid = (SELECT fid FROM item_index WHERE tenant = new.tenant AND source = new.source AND id = new.id);
    INSERT INTO item_fts (rowid, title, body) SELECT fid,
        coalesce(json_extract(new.data, '$.title'), json_extract(new.data, '$.service'), ''),
        shdmc_plain(coalesce(json_extract(new.data, '$.body'), '') || ' ' ||
            coalesce(json_extract(new.data, '$.impactDescription'), '') || ' ' ||
            coalesce((SELECT group_concat(json_extract(value, '$.content'), ' ') FROM json_each(new.data, '$.posts')), ''))
        FROM item_index WHERE tenant = new.tenant AND source = new.source AND id = new.id;
END;
-- +goose StatementEnd

-- Items stored before this migration: index them once.
INSERT INTO item_index (tenant, source, id, title, status, classification, category, severity,
    services, tags, major, active, action_by, start_at, end_at, last_modified, removed)
SELECT tenant, source, id,
    coalesce(json_extract(data, '$.title'), json_extract(data, '$.service'), ''),
    coalesce(json_extract(data, '$.status'), ''),
    coalesce(json_extract(data, '$.classification'), ''),
    coalesce(json_extract(data, '$.category'), ''),
    coalesce(json_extract(data, '$.severity'), ''),
    CASE WHEN source = 'mc'
        THEN coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each(data, '$.services')), '')
        ELSE '|' || coalesce(json_extract(data, '$.service'), '') || '|' END,
    coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each(data, '$.tags')), ''),
    coalesce(json_extract(data, '$.isMajorChange'), 0),
    CASE source
        WHEN 'shd' THEN NOT coalesce(json_extract(data, '$.isResolved'), 0) AND NOT removed
        WHEN 'mc' THEN NOT removed
        ELSE coalesce(json_extract(data, '$.status'), '') <> 'serviceOperational' END,
    coalesce(json_extract(data, '$.actionRequiredByDateTime'), ''),
    coalesce(json_extract(data, '$.startDateTime'), ''),
    coalesce(json_extract(data, '$.endDateTime'), ''),
    last_modified, removed
FROM items WHERE json_valid(data);

INSERT INTO item_fts (rowid, title, body)
SELECT x.fid,
    coalesce(json_extract(i.data, '$.title'), json_extract(i.data, '$.service'), ''),
    shdmc_plain(coalesce(json_extract(i.data, '$.body'), '') || ' ' ||
        coalesce(json_extract(i.data, '$.impactDescription'), '') || ' ' ||
        coalesce((SELECT group_concat(json_extract(value, '$.content'), ' ') FROM json_each(i.data, '$.posts')), ''))
FROM item_index x JOIN items i ON i.tenant = x.tenant AND i.source = x.source AND i.id = x.id;

ALTER TABLE cursors ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';

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

-- +goose Down
DROP TRIGGER cursors_stamp_update;
DROP TRIGGER cursors_stamp_insert;
ALTER TABLE cursors DROP COLUMN updated_at;
DROP TRIGGER items_fts_update;
DROP TRIGGER items_index_update;
DROP TRIGGER items_index_insert;
DROP TABLE item_fts;
DROP TABLE item_index;
