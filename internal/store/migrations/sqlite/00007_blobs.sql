-- Message Center posts are the same in every tenant that receives them:
-- the JSON of items and revisions is stored once, in blobs, keyed by the
-- SHA-256 of its exact bytes (lower-case hex; not the item's content hash,
-- which leaves out fields such as lastModifiedDateTime that are in the
-- JSON). items and revisions keep the key in data_hash and an empty data.
-- The triggers of 00004 are recreated to read the JSON from blobs, which a
-- commit writes before the items that refer to it. shdmc_sha256 is the
-- function the store registers with the driver.

-- +goose Up
CREATE TABLE blobs (
    hash TEXT NOT NULL PRIMARY KEY,
    data TEXT NOT NULL
);

ALTER TABLE items ADD COLUMN data_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE revisions ADD COLUMN data_hash TEXT NOT NULL DEFAULT '';

DROP TRIGGER items_fts_update;
DROP TRIGGER items_index_update;
DROP TRIGGER items_index_insert;

INSERT INTO blobs (hash, data) SELECT shdmc_sha256(data), data FROM revisions WHERE data <> ''
    ON CONFLICT (hash) DO NOTHING;
INSERT INTO blobs (hash, data) SELECT shdmc_sha256(data), data FROM items WHERE data <> ''
    ON CONFLICT (hash) DO NOTHING;
UPDATE revisions SET data_hash = shdmc_sha256(data), data = '' WHERE data <> '';
UPDATE items SET data_hash = shdmc_sha256(data), data = '' WHERE data <> '';

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

-- +goose Down
DROP TRIGGER items_fts_update;
DROP TRIGGER items_index_update;
DROP TRIGGER items_index_insert;

UPDATE revisions SET data = (SELECT data FROM blobs WHERE hash = revisions.data_hash) WHERE data_hash <> '';
UPDATE items SET data = (SELECT data FROM blobs WHERE hash = items.data_hash) WHERE data_hash <> '';
ALTER TABLE revisions DROP COLUMN data_hash;
ALTER TABLE items DROP COLUMN data_hash;
DROP TABLE blobs;

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
