-- Fewer bytes per change (issue 14): the rows that every detected change
-- adds (a revision, an event, an outbox row) and every item.
--
-- * The times of items, revisions, events, the outbox and item_index
--   (last_modified) are integers:
--   nanoseconds since the Unix epoch (8 bytes instead of the 30 of the
--   text form of 00001), the zero time stored as 0. The other tables keep
--   the text form. revisions_by_day indexes seen_at itself (a day is a
--   range of it).
-- * A delivery that is done or dead no longer names the process that
--   claimed it (claimed_by matters only while a claim lasts).
-- * Keys of blobs (SHA-256) are stored as their 32 bytes instead of 64
--   hex characters, in blobs, search_docs and the data_hash of items,
--   revisions and events; a row without a blob keeps the empty text. An
--   item's content hash is stored as bytes too: a SHA-256 in hex as its 32
--   bytes, any other text as its bytes (with a zero byte before a text of
--   32 bytes, which would read as a SHA-256).
-- * New documents in blobs are stored compressed (raw DEFLATE after a
--   byte 0x01, a BLOB) when that makes them smaller; documents stored
--   before stay as they are (SQL cannot compress them) and read as they
--   are. Down leaves the compressed ones, which an older shdmc cannot read.
-- * An event that holds nothing but its changes stores the list alone
--   ([...] instead of {"changes":[...]}).
-- * item_index_action holds only items with an action date.
-- * revisions has the primary key (id, tenant, source, revision), which
--   also serves the lookups by item ID that revisions_by_id served (the
--   table is rebuilt; the index is gone). The indexes that find the rows
--   referring to a blob use the first 8 bytes of its key.
-- * The outbox is unique by key_hash, the first 16 bytes of the SHA-256
--   of the idempotency key, and a notice whose key is the one its event,
--   route and channel make (tenant/source/item/revision/route/channel)
--   stores no key text (NULL); the store makes it again when it reads the
--   row. The table is rebuilt without the unique index on key.

-- +goose Up
ALTER TABLE items ADD COLUMN last_modified_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN seen_at_ns INTEGER NOT NULL DEFAULT 0;
UPDATE items SET last_modified_ns = CASE WHEN last_modified >= '1678' AND last_modified < '2262' THEN unixepoch(substr(last_modified, 1, 19)) * 1000000000 + CAST(substr(last_modified, 21, 9) AS INTEGER)
        WHEN last_modified >= '2262' THEN 9223372036854775807 WHEN last_modified > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    seen_at_ns = CASE WHEN seen_at >= '1678' AND seen_at < '2262' THEN unixepoch(substr(seen_at, 1, 19)) * 1000000000 + CAST(substr(seen_at, 21, 9) AS INTEGER)
        WHEN seen_at >= '2262' THEN 9223372036854775807 WHEN seen_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END;
DROP INDEX items_removed;
ALTER TABLE items DROP COLUMN last_modified;
ALTER TABLE items RENAME COLUMN last_modified_ns TO last_modified;
ALTER TABLE items DROP COLUMN seen_at;
ALTER TABLE items RENAME COLUMN seen_at_ns TO seen_at;
CREATE INDEX items_removed ON items (seen_at) WHERE removed;

ALTER TABLE revisions ADD COLUMN last_modified_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE revisions ADD COLUMN seen_at_ns INTEGER NOT NULL DEFAULT 0;
UPDATE revisions SET last_modified_ns = CASE WHEN last_modified >= '1678' AND last_modified < '2262' THEN unixepoch(substr(last_modified, 1, 19)) * 1000000000 + CAST(substr(last_modified, 21, 9) AS INTEGER)
        WHEN last_modified >= '2262' THEN 9223372036854775807 WHEN last_modified > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    seen_at_ns = CASE WHEN seen_at >= '1678' AND seen_at < '2262' THEN unixepoch(substr(seen_at, 1, 19)) * 1000000000 + CAST(substr(seen_at, 21, 9) AS INTEGER)
        WHEN seen_at >= '2262' THEN 9223372036854775807 WHEN seen_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END;
DROP INDEX revisions_by_day;
ALTER TABLE revisions DROP COLUMN last_modified;
ALTER TABLE revisions RENAME COLUMN last_modified_ns TO last_modified;
ALTER TABLE revisions DROP COLUMN seen_at;
ALTER TABLE revisions RENAME COLUMN seen_at_ns TO seen_at;
CREATE INDEX revisions_by_day ON revisions (seen_at);

ALTER TABLE events ADD COLUMN detected_at_ns INTEGER NOT NULL DEFAULT 0;
UPDATE events SET detected_at_ns = CASE WHEN detected_at >= '1678' AND detected_at < '2262' THEN unixepoch(substr(detected_at, 1, 19)) * 1000000000 + CAST(substr(detected_at, 21, 9) AS INTEGER)
        WHEN detected_at >= '2262' THEN 9223372036854775807 WHEN detected_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END;
DROP INDEX events_by_tenant_time;
ALTER TABLE events DROP COLUMN detected_at;
ALTER TABLE events RENAME COLUMN detected_at_ns TO detected_at;
CREATE INDEX events_by_tenant_time ON events (tenant, detected_at);

ALTER TABLE outbox ADD COLUMN next_attempt_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN lease_until_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN created_at_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN done_at_ns INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET next_attempt_ns = CASE WHEN next_attempt >= '1678' AND next_attempt < '2262' THEN unixepoch(substr(next_attempt, 1, 19)) * 1000000000 + CAST(substr(next_attempt, 21, 9) AS INTEGER)
        WHEN next_attempt >= '2262' THEN 9223372036854775807 WHEN next_attempt > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    lease_until_ns = CASE WHEN lease_until >= '1678' AND lease_until < '2262' THEN unixepoch(substr(lease_until, 1, 19)) * 1000000000 + CAST(substr(lease_until, 21, 9) AS INTEGER)
        WHEN lease_until >= '2262' THEN 9223372036854775807 WHEN lease_until > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    created_at_ns = CASE WHEN created_at >= '1678' AND created_at < '2262' THEN unixepoch(substr(created_at, 1, 19)) * 1000000000 + CAST(substr(created_at, 21, 9) AS INTEGER)
        WHEN created_at >= '2262' THEN 9223372036854775807 WHEN created_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    done_at_ns = CASE WHEN done_at >= '1678' AND done_at < '2262' THEN unixepoch(substr(done_at, 1, 19)) * 1000000000 + CAST(substr(done_at, 21, 9) AS INTEGER)
        WHEN done_at >= '2262' THEN 9223372036854775807 WHEN done_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END;
DROP INDEX outbox_due;
ALTER TABLE outbox DROP COLUMN next_attempt;
ALTER TABLE outbox RENAME COLUMN next_attempt_ns TO next_attempt;
ALTER TABLE outbox DROP COLUMN lease_until;
ALTER TABLE outbox RENAME COLUMN lease_until_ns TO lease_until;
ALTER TABLE outbox DROP COLUMN created_at;
ALTER TABLE outbox RENAME COLUMN created_at_ns TO created_at;
ALTER TABLE outbox DROP COLUMN done_at;
ALTER TABLE outbox RENAME COLUMN done_at_ns TO done_at;
CREATE INDEX outbox_due ON outbox (state, next_attempt);
UPDATE outbox SET claimed_by = '' WHERE state IN ('done', 'dead');

UPDATE blobs SET hash = unhex(hash) WHERE hash <> '' AND length(hash) = 64 AND NOT hash GLOB '*[^0-9a-f]*';
UPDATE search_docs SET hash = unhex(hash) WHERE hash <> '' AND length(hash) = 64 AND NOT hash GLOB '*[^0-9a-f]*';
UPDATE items SET data_hash = unhex(data_hash) WHERE data_hash <> '' AND length(data_hash) = 64 AND NOT data_hash GLOB '*[^0-9a-f]*';
UPDATE revisions SET data_hash = unhex(data_hash) WHERE data_hash <> '' AND length(data_hash) = 64 AND NOT data_hash GLOB '*[^0-9a-f]*';
UPDATE events SET data_hash = unhex(data_hash) WHERE data_hash <> '' AND length(data_hash) = 64 AND NOT data_hash GLOB '*[^0-9a-f]*';
UPDATE items SET hash = CASE WHEN length(hash) = 64 AND NOT hash GLOB '*[^0-9a-f]*' THEN unhex(hash)
    WHEN length(CAST(hash AS BLOB)) = 32 THEN unhex('00' || hex(hash)) ELSE CAST(hash AS BLOB) END;
UPDATE revisions SET hash = CASE WHEN length(hash) = 64 AND NOT hash GLOB '*[^0-9a-f]*' THEN unhex(hash)
    WHEN length(CAST(hash AS BLOB)) = 32 THEN unhex('00' || hex(hash)) ELSE CAST(hash AS BLOB) END;

UPDATE events SET data = json_extract(data, '$.changes')
    WHERE data LIKE '{"changes":%' AND json_valid(data) AND json_type(data, '$.changes') = 'array'
    AND (SELECT count(*) FROM json_each(events.data)) = 1;

DROP INDEX items_by_data;
CREATE INDEX items_by_data ON items (substr(data_hash, 1, 8));
DROP INDEX events_by_data;
CREATE INDEX events_by_data ON events (substr(data_hash, 1, 8)) WHERE data_hash <> '';
CREATE TABLE revisions_new (
    tenant        TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    hash          TEXT    NOT NULL DEFAULT '',
    removed       INTEGER NOT NULL DEFAULT 0,
    data          TEXT    NOT NULL DEFAULT '',
    data_hash     TEXT    NOT NULL DEFAULT '',
    last_modified INTEGER NOT NULL DEFAULT 0,
    seen_at       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (id, tenant, source, revision)
);
INSERT INTO revisions_new (tenant, source, id, revision, hash, removed, data, data_hash, last_modified, seen_at)
    SELECT tenant, source, id, revision, hash, removed, data, data_hash, last_modified, seen_at FROM revisions;
DROP TABLE revisions;
ALTER TABLE revisions_new RENAME TO revisions;
CREATE INDEX revisions_by_data ON revisions (substr(data_hash, 1, 8));
CREATE INDEX revisions_by_day ON revisions (seen_at);

CREATE TABLE outbox_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     INTEGER NOT NULL REFERENCES events (id),
    channel      TEXT    NOT NULL,
    key          TEXT,
    key_hash     BLOB    NOT NULL UNIQUE,
    state        TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    route        TEXT    NOT NULL DEFAULT '',
    kind         TEXT    NOT NULL DEFAULT 'notice',
    claimed_by   TEXT    NOT NULL DEFAULT '',
    next_attempt INTEGER NOT NULL DEFAULT 0,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL DEFAULT 0,
    done_at      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_new (id, event_id, channel, key, key_hash, state, attempts, last_error, route, kind, claimed_by,
    next_attempt, lease_until, created_at, done_at)
SELECT o.id, o.event_id, o.channel,
    CASE WHEN o.kind = 'notice' AND o.key = e.tenant || '/' || e.source || '/' || e.item_id || '/' || e.revision || '/' || o.route || '/' || o.channel THEN NULL ELSE o.key END,
    unhex(substr(shdmc_sha256(o.key), 1, 32)), o.state, o.attempts, o.last_error, o.route, o.kind, o.claimed_by,
    o.next_attempt, o.lease_until, o.created_at, o.done_at
FROM outbox o LEFT JOIN events e ON e.id = o.event_id;
-- Identifiers are never used again: the new table goes on from the old one's.
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_new', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox_new');
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0))
    WHERE name = 'outbox_new';
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt);
CREATE INDEX outbox_by_event ON outbox (event_id);

ALTER TABLE item_index ADD COLUMN last_modified_ns INTEGER NOT NULL DEFAULT 0;
UPDATE item_index SET last_modified_ns = CASE WHEN last_modified >= '1678' AND last_modified < '2262' THEN unixepoch(substr(last_modified, 1, 19)) * 1000000000 + CAST(substr(last_modified, 21, 9) AS INTEGER)
        WHEN last_modified >= '2262' THEN 9223372036854775807 WHEN last_modified > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END;
DROP INDEX item_index_by_time;
DROP INDEX item_index_by_tenant;
DROP INDEX item_index_by_doc;
DROP INDEX item_index_by_modified;
DROP INDEX item_index_action;
ALTER TABLE item_index DROP COLUMN last_modified;
ALTER TABLE item_index RENAME COLUMN last_modified_ns TO last_modified;
CREATE INDEX item_index_by_time ON item_index (source, last_modified);
CREATE INDEX item_index_by_tenant ON item_index (tenant, source, last_modified);
CREATE INDEX item_index_by_doc ON item_index (doc, source, removed, tenant, last_modified);
CREATE INDEX item_index_by_modified ON item_index (last_modified);
CREATE INDEX item_index_action ON item_index (action_by) WHERE action_by <> '';

-- +goose Down
ALTER TABLE item_index ADD COLUMN last_modified_text TEXT NOT NULL DEFAULT '';
UPDATE item_index SET last_modified_text = CASE WHEN last_modified = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', last_modified / 1000000000 - (last_modified % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (last_modified % 1000000000 + 1000000000) % 1000000000) || 'Z' END;
DROP INDEX item_index_by_time;
DROP INDEX item_index_by_tenant;
DROP INDEX item_index_by_doc;
DROP INDEX item_index_by_modified;
DROP INDEX item_index_action;
ALTER TABLE item_index DROP COLUMN last_modified;
ALTER TABLE item_index RENAME COLUMN last_modified_text TO last_modified;
CREATE INDEX item_index_by_time ON item_index (source, last_modified);
CREATE INDEX item_index_by_tenant ON item_index (tenant, source, last_modified);
CREATE INDEX item_index_by_doc ON item_index (doc, source, removed, tenant, last_modified);
CREATE INDEX item_index_by_modified ON item_index (last_modified);
CREATE INDEX item_index_action ON item_index (action_by);
CREATE TABLE outbox_old (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     INTEGER NOT NULL REFERENCES events (id),
    channel      TEXT    NOT NULL,
    key          TEXT    NOT NULL UNIQUE,
    state        TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    route        TEXT    NOT NULL DEFAULT '',
    kind         TEXT    NOT NULL DEFAULT 'notice',
    claimed_by   TEXT    NOT NULL DEFAULT '',
    next_attempt INTEGER NOT NULL DEFAULT 0,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL DEFAULT 0,
    done_at      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_old (id, event_id, channel, key, state, attempts, last_error, route, kind, claimed_by,
    next_attempt, lease_until, created_at, done_at)
SELECT o.id, o.event_id, o.channel, coalesce(o.key, e.tenant || '/' || e.source || '/' || e.item_id || '/' || e.revision || '/' || o.route || '/' || o.channel), o.state, o.attempts, o.last_error, o.route, o.kind,
    o.claimed_by, o.next_attempt, o.lease_until, o.created_at, o.done_at
FROM outbox o LEFT JOIN events e ON e.id = o.event_id;
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_old', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox_old');
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0))
    WHERE name = 'outbox_old';
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt);
CREATE INDEX outbox_by_event ON outbox (event_id);
CREATE TABLE revisions_old (
    tenant        TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    hash          TEXT    NOT NULL DEFAULT '',
    removed       INTEGER NOT NULL DEFAULT 0,
    data          TEXT    NOT NULL DEFAULT '',
    data_hash     TEXT    NOT NULL DEFAULT '',
    last_modified INTEGER NOT NULL DEFAULT 0,
    seen_at       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, source, id, revision)
);
INSERT INTO revisions_old (tenant, source, id, revision, hash, removed, data, data_hash, last_modified, seen_at)
    SELECT tenant, source, id, revision, hash, removed, data, data_hash, last_modified, seen_at FROM revisions;
DROP TABLE revisions;
ALTER TABLE revisions_old RENAME TO revisions;
CREATE INDEX revisions_by_id ON revisions (id);
CREATE INDEX revisions_by_data ON revisions (substr(data_hash, 1, 16));
CREATE INDEX revisions_by_day ON revisions (seen_at);
DROP INDEX items_by_data;
CREATE INDEX items_by_data ON items (substr(data_hash, 1, 16));
DROP INDEX events_by_data;
CREATE INDEX events_by_data ON events (substr(data_hash, 1, 16)) WHERE data_hash <> '';
UPDATE events SET data = '{"changes":' || data || '}' WHERE data LIKE '[%';
UPDATE blobs SET hash = lower(hex(hash)) WHERE typeof(hash) = 'blob';
UPDATE search_docs SET hash = lower(hex(hash)) WHERE typeof(hash) = 'blob';
UPDATE items SET data_hash = lower(hex(data_hash)) WHERE typeof(data_hash) = 'blob';
UPDATE revisions SET data_hash = lower(hex(data_hash)) WHERE typeof(data_hash) = 'blob';
UPDATE events SET data_hash = lower(hex(data_hash)) WHERE typeof(data_hash) = 'blob';
UPDATE items SET hash = CASE WHEN length(hash) = 32 THEN lower(hex(hash))
    WHEN length(hash) = 33 AND substr(hash, 1, 1) = x'00' THEN CAST(substr(hash, 2) AS TEXT) ELSE CAST(hash AS TEXT) END
    WHERE typeof(hash) = 'blob';
UPDATE revisions SET hash = CASE WHEN length(hash) = 32 THEN lower(hex(hash))
    WHEN length(hash) = 33 AND substr(hash, 1, 1) = x'00' THEN CAST(substr(hash, 2) AS TEXT) ELSE CAST(hash AS TEXT) END
    WHERE typeof(hash) = 'blob';

ALTER TABLE items ADD COLUMN last_modified_text TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN seen_at_text TEXT NOT NULL DEFAULT '';
UPDATE items SET last_modified_text = CASE WHEN last_modified = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', last_modified / 1000000000 - (last_modified % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (last_modified % 1000000000 + 1000000000) % 1000000000) || 'Z' END,
    seen_at_text = CASE WHEN seen_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', seen_at / 1000000000 - (seen_at % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (seen_at % 1000000000 + 1000000000) % 1000000000) || 'Z' END;
DROP INDEX items_removed;
ALTER TABLE items DROP COLUMN last_modified;
ALTER TABLE items RENAME COLUMN last_modified_text TO last_modified;
ALTER TABLE items DROP COLUMN seen_at;
ALTER TABLE items RENAME COLUMN seen_at_text TO seen_at;
CREATE INDEX items_removed ON items (seen_at) WHERE removed;

ALTER TABLE revisions ADD COLUMN last_modified_text TEXT NOT NULL DEFAULT '';
ALTER TABLE revisions ADD COLUMN seen_at_text TEXT NOT NULL DEFAULT '';
UPDATE revisions SET last_modified_text = CASE WHEN last_modified = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', last_modified / 1000000000 - (last_modified % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (last_modified % 1000000000 + 1000000000) % 1000000000) || 'Z' END,
    seen_at_text = CASE WHEN seen_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', seen_at / 1000000000 - (seen_at % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (seen_at % 1000000000 + 1000000000) % 1000000000) || 'Z' END;
DROP INDEX revisions_by_day;
ALTER TABLE revisions DROP COLUMN last_modified;
ALTER TABLE revisions RENAME COLUMN last_modified_text TO last_modified;
ALTER TABLE revisions DROP COLUMN seen_at;
ALTER TABLE revisions RENAME COLUMN seen_at_text TO seen_at;
CREATE INDEX revisions_by_day ON revisions (substr(seen_at, 1, 10));

ALTER TABLE events ADD COLUMN detected_at_text TEXT NOT NULL DEFAULT '';
UPDATE events SET detected_at_text = CASE WHEN detected_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', detected_at / 1000000000 - (detected_at % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (detected_at % 1000000000 + 1000000000) % 1000000000) || 'Z' END;
DROP INDEX events_by_tenant_time;
ALTER TABLE events DROP COLUMN detected_at;
ALTER TABLE events RENAME COLUMN detected_at_text TO detected_at;
CREATE INDEX events_by_tenant_time ON events (tenant, detected_at);

ALTER TABLE outbox ADD COLUMN next_attempt_text TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN lease_until_text TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN created_at_text TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN done_at_text TEXT NOT NULL DEFAULT '';
UPDATE outbox SET next_attempt_text = CASE WHEN next_attempt = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', next_attempt / 1000000000 - (next_attempt % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (next_attempt % 1000000000 + 1000000000) % 1000000000) || 'Z' END,
    lease_until_text = CASE WHEN lease_until = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', lease_until / 1000000000 - (lease_until % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (lease_until % 1000000000 + 1000000000) % 1000000000) || 'Z' END,
    created_at_text = CASE WHEN created_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', created_at / 1000000000 - (created_at % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (created_at % 1000000000 + 1000000000) % 1000000000) || 'Z' END,
    done_at_text = CASE WHEN done_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE strftime('%Y-%m-%dT%H:%M:%S', done_at / 1000000000 - (done_at % 1000000000 < 0), 'unixepoch') || '.' || printf('%09d', (done_at % 1000000000 + 1000000000) % 1000000000) || 'Z' END;
DROP INDEX outbox_due;
ALTER TABLE outbox DROP COLUMN next_attempt;
ALTER TABLE outbox RENAME COLUMN next_attempt_text TO next_attempt;
ALTER TABLE outbox DROP COLUMN lease_until;
ALTER TABLE outbox RENAME COLUMN lease_until_text TO lease_until;
ALTER TABLE outbox DROP COLUMN created_at;
ALTER TABLE outbox RENAME COLUMN created_at_text TO created_at;
ALTER TABLE outbox DROP COLUMN done_at;
ALTER TABLE outbox RENAME COLUMN done_at_text TO done_at;
CREATE INDEX outbox_due ON outbox (state, next_attempt);
