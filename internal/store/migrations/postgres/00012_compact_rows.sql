-- Fewer bytes per change (issue 14), as in SQLite's 00012:
--
-- * The times of items, revisions, events, the outbox and item_index
--   (last_modified) are BIGINT
--   nanoseconds since the Unix epoch, the zero time stored as 0. The
--   other tables keep the text form. revisions_by_day indexes seen_at
--   itself (a day is a range of it).
-- * A delivery that is done or dead no longer names the process that
--   claimed it.
-- * Keys of blobs (SHA-256) are bytea, their 32 bytes instead of 64 hex
--   characters, in blobs, search_docs and the data_hash of items,
--   revisions and events (an empty bytea for a row without a blob); an
--   item's content hash too (a SHA-256 in hex as its 32 bytes, any other
--   text as its bytes, after a zero byte when it is 32 bytes long).
-- * blobs.data is bytea: new documents are stored compressed (raw DEFLATE
--   after a byte 0x01) when that makes them smaller, the others as their
--   UTF-8 text. Down fails while a compressed document is stored.
-- * An event that holds nothing but its changes stores the list alone
--   ([...] instead of {"changes":[...]}).
-- * item_index_action holds only items with an action date.
-- * revisions has the primary key (id, tenant, source, revision), which
--   also serves the lookups by item ID (revisions_by_id is dropped). The
--   indexes that find the rows referring to a blob use the first 8 bytes
--   of its key.
-- * The outbox is unique by key_hash, the first 16 bytes of the SHA-256
--   of the idempotency key, and a notice whose key is the one its event,
--   route and channel make stores no key text (NULL); the store makes it
--   again when it reads the row.

-- +goose Up
DROP INDEX revisions_by_day;
ALTER TABLE items
    ALTER COLUMN last_modified TYPE BIGINT USING CASE WHEN last_modified >= '1678' AND last_modified < '2262' THEN extract(epoch FROM (substr(last_modified, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(last_modified, 21, 9)::bigint
        WHEN last_modified >= '2262' THEN 9223372036854775807 WHEN last_modified > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    ALTER COLUMN seen_at TYPE BIGINT USING CASE WHEN seen_at >= '1678' AND seen_at < '2262' THEN extract(epoch FROM (substr(seen_at, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(seen_at, 21, 9)::bigint
        WHEN seen_at >= '2262' THEN 9223372036854775807 WHEN seen_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END;
ALTER TABLE items
    ALTER COLUMN last_modified SET DEFAULT 0,
    ALTER COLUMN seen_at SET DEFAULT 0;
ALTER TABLE revisions
    ALTER COLUMN last_modified TYPE BIGINT USING CASE WHEN last_modified >= '1678' AND last_modified < '2262' THEN extract(epoch FROM (substr(last_modified, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(last_modified, 21, 9)::bigint
        WHEN last_modified >= '2262' THEN 9223372036854775807 WHEN last_modified > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    ALTER COLUMN seen_at TYPE BIGINT USING CASE WHEN seen_at >= '1678' AND seen_at < '2262' THEN extract(epoch FROM (substr(seen_at, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(seen_at, 21, 9)::bigint
        WHEN seen_at >= '2262' THEN 9223372036854775807 WHEN seen_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END;
ALTER TABLE revisions
    ALTER COLUMN last_modified SET DEFAULT 0,
    ALTER COLUMN seen_at SET DEFAULT 0;
ALTER TABLE events
    ALTER COLUMN detected_at TYPE BIGINT USING CASE WHEN detected_at >= '1678' AND detected_at < '2262' THEN extract(epoch FROM (substr(detected_at, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(detected_at, 21, 9)::bigint
        WHEN detected_at >= '2262' THEN 9223372036854775807 WHEN detected_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END;
ALTER TABLE events
    ALTER COLUMN detected_at SET DEFAULT 0;
ALTER TABLE outbox
    ALTER COLUMN next_attempt TYPE BIGINT USING CASE WHEN next_attempt >= '1678' AND next_attempt < '2262' THEN extract(epoch FROM (substr(next_attempt, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(next_attempt, 21, 9)::bigint
        WHEN next_attempt >= '2262' THEN 9223372036854775807 WHEN next_attempt > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    ALTER COLUMN lease_until TYPE BIGINT USING CASE WHEN lease_until >= '1678' AND lease_until < '2262' THEN extract(epoch FROM (substr(lease_until, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(lease_until, 21, 9)::bigint
        WHEN lease_until >= '2262' THEN 9223372036854775807 WHEN lease_until > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    ALTER COLUMN created_at TYPE BIGINT USING CASE WHEN created_at >= '1678' AND created_at < '2262' THEN extract(epoch FROM (substr(created_at, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(created_at, 21, 9)::bigint
        WHEN created_at >= '2262' THEN 9223372036854775807 WHEN created_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    ALTER COLUMN done_at TYPE BIGINT USING CASE WHEN done_at >= '1678' AND done_at < '2262' THEN extract(epoch FROM (substr(done_at, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(done_at, 21, 9)::bigint
        WHEN done_at >= '2262' THEN 9223372036854775807 WHEN done_at > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END;
ALTER TABLE outbox
    ALTER COLUMN next_attempt SET DEFAULT 0,
    ALTER COLUMN lease_until SET DEFAULT 0,
    ALTER COLUMN created_at SET DEFAULT 0,
    ALTER COLUMN done_at SET DEFAULT 0;
CREATE INDEX revisions_by_day ON revisions (seen_at);
UPDATE outbox SET claimed_by = '' WHERE state IN ('done', 'dead');

DROP INDEX events_by_data;
DROP INDEX revisions_by_data;
DROP INDEX items_by_data;
DROP INDEX search_docs_by_hash;
ALTER TABLE blobs ALTER COLUMN hash DROP DEFAULT, ALTER COLUMN hash TYPE bytea USING decode(hash, 'hex'), ALTER COLUMN hash SET DEFAULT ''::bytea;
ALTER TABLE search_docs ALTER COLUMN hash DROP DEFAULT, ALTER COLUMN hash TYPE bytea USING decode(hash, 'hex'), ALTER COLUMN hash SET DEFAULT ''::bytea;
ALTER TABLE items ALTER COLUMN data_hash DROP DEFAULT, ALTER COLUMN data_hash TYPE bytea USING decode(data_hash, 'hex'), ALTER COLUMN data_hash SET DEFAULT ''::bytea;
ALTER TABLE revisions ALTER COLUMN data_hash DROP DEFAULT, ALTER COLUMN data_hash TYPE bytea USING decode(data_hash, 'hex'), ALTER COLUMN data_hash SET DEFAULT ''::bytea;
ALTER TABLE events ALTER COLUMN data_hash DROP DEFAULT, ALTER COLUMN data_hash TYPE bytea USING decode(data_hash, 'hex'), ALTER COLUMN data_hash SET DEFAULT ''::bytea;
ALTER TABLE items ALTER COLUMN hash DROP DEFAULT, ALTER COLUMN hash TYPE bytea USING CASE WHEN hash ~ '^[0-9a-f]{64}$' THEN decode(hash, 'hex')
    WHEN octet_length(hash) = 32 THEN '\x00'::bytea || convert_to(hash, 'UTF8') ELSE convert_to(hash, 'UTF8') END, ALTER COLUMN hash SET DEFAULT ''::bytea;
ALTER TABLE revisions ALTER COLUMN hash DROP DEFAULT, ALTER COLUMN hash TYPE bytea USING CASE WHEN hash ~ '^[0-9a-f]{64}$' THEN decode(hash, 'hex')
    WHEN octet_length(hash) = 32 THEN '\x00'::bytea || convert_to(hash, 'UTF8') ELSE convert_to(hash, 'UTF8') END, ALTER COLUMN hash SET DEFAULT ''::bytea;
CREATE INDEX events_by_data ON events (substr(data_hash, 1, 8)) WHERE data_hash <> '';
CREATE INDEX revisions_by_data ON revisions (substr(data_hash, 1, 8));
CREATE INDEX items_by_data ON items (substr(data_hash, 1, 8));
CREATE INDEX search_docs_by_hash ON search_docs (hash, doc);

UPDATE events SET data = (data::jsonb -> 'changes')::text
    WHERE data_kind <> '' AND data LIKE '{"changes":%' AND jsonb_typeof(data::jsonb -> 'changes') = 'array'
    AND (SELECT count(*) FROM jsonb_object_keys(data::jsonb)) = 1;

ALTER TABLE blobs ALTER COLUMN data TYPE bytea USING convert_to(data, 'UTF8');

ALTER TABLE revisions DROP CONSTRAINT revisions_pkey, ADD PRIMARY KEY (id, tenant, source, revision);
DROP INDEX revisions_by_id;

ALTER TABLE outbox ADD COLUMN key_hash bytea;
UPDATE outbox SET key_hash = substr(sha256(convert_to(key, 'UTF8')), 1, 16);
ALTER TABLE outbox ALTER COLUMN key_hash SET NOT NULL, ALTER COLUMN key DROP NOT NULL,
    DROP CONSTRAINT outbox_key_key, ADD CONSTRAINT outbox_key_hash_key UNIQUE (key_hash);
UPDATE outbox o SET key = NULL FROM events e
    WHERE e.id = o.event_id AND o.kind = 'notice' AND o.key = e.tenant || '/' || e.source || '/' || e.item_id || '/' || e.revision::text || '/' || o.route || '/' || o.channel;

ALTER TABLE item_index ALTER COLUMN last_modified DROP DEFAULT,
    ALTER COLUMN last_modified TYPE BIGINT USING CASE WHEN last_modified >= '1678' AND last_modified < '2262' THEN extract(epoch FROM (substr(last_modified, 1, 19) || 'Z')::timestamptz)::bigint * 1000000000 + substr(last_modified, 21, 9)::bigint
        WHEN last_modified >= '2262' THEN 9223372036854775807 WHEN last_modified > '0001-01-01T00:00:00.000000000Z' THEN -9223372036854775808 ELSE 0 END,
    ALTER COLUMN last_modified SET DEFAULT 0;
DROP INDEX item_index_action;
CREATE INDEX item_index_action ON item_index (action_by) WHERE action_by <> '';

-- +goose Down
ALTER TABLE item_index ALTER COLUMN last_modified DROP DEFAULT,
    ALTER COLUMN last_modified TYPE TEXT COLLATE "C" USING CASE WHEN last_modified = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(last_modified / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(last_modified, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END,
    ALTER COLUMN last_modified SET DEFAULT '';
DROP INDEX item_index_action;
CREATE INDEX item_index_action ON item_index (action_by);
UPDATE outbox o SET key = e.tenant || '/' || e.source || '/' || e.item_id || '/' || e.revision::text || '/' || o.route || '/' || o.channel FROM events e WHERE e.id = o.event_id AND o.key IS NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_key_hash_key, ALTER COLUMN key SET NOT NULL,
    ADD CONSTRAINT outbox_key_key UNIQUE (key), DROP COLUMN key_hash;
ALTER TABLE revisions DROP CONSTRAINT revisions_pkey, ADD PRIMARY KEY (tenant, source, id, revision);
CREATE INDEX revisions_by_id ON revisions (id);
ALTER TABLE blobs ALTER COLUMN data TYPE TEXT USING convert_from(data, 'UTF8');
UPDATE events SET data = '{"changes":' || data || '}' WHERE data LIKE '[%';
DROP INDEX events_by_data;
DROP INDEX revisions_by_data;
DROP INDEX items_by_data;
DROP INDEX search_docs_by_hash;
ALTER TABLE blobs ALTER COLUMN hash DROP DEFAULT, ALTER COLUMN hash TYPE TEXT COLLATE "C" USING encode(hash, 'hex'), ALTER COLUMN hash SET DEFAULT '';
ALTER TABLE search_docs ALTER COLUMN hash DROP DEFAULT, ALTER COLUMN hash TYPE TEXT COLLATE "C" USING encode(hash, 'hex'), ALTER COLUMN hash SET DEFAULT '';
ALTER TABLE items ALTER COLUMN data_hash DROP DEFAULT, ALTER COLUMN data_hash TYPE TEXT COLLATE "C" USING encode(data_hash, 'hex'), ALTER COLUMN data_hash SET DEFAULT '';
ALTER TABLE revisions ALTER COLUMN data_hash DROP DEFAULT, ALTER COLUMN data_hash TYPE TEXT COLLATE "C" USING encode(data_hash, 'hex'), ALTER COLUMN data_hash SET DEFAULT '';
ALTER TABLE events ALTER COLUMN data_hash DROP DEFAULT, ALTER COLUMN data_hash TYPE TEXT COLLATE "C" USING encode(data_hash, 'hex'), ALTER COLUMN data_hash SET DEFAULT '';
ALTER TABLE items ALTER COLUMN hash DROP DEFAULT, ALTER COLUMN hash TYPE TEXT COLLATE "C" USING CASE WHEN octet_length(hash) = 32 THEN encode(hash, 'hex')
    WHEN octet_length(hash) = 33 AND get_byte(hash, 0) = 0 THEN convert_from(substr(hash, 2), 'UTF8') ELSE convert_from(hash, 'UTF8') END, ALTER COLUMN hash SET DEFAULT '';
ALTER TABLE revisions ALTER COLUMN hash DROP DEFAULT, ALTER COLUMN hash TYPE TEXT COLLATE "C" USING CASE WHEN octet_length(hash) = 32 THEN encode(hash, 'hex')
    WHEN octet_length(hash) = 33 AND get_byte(hash, 0) = 0 THEN convert_from(substr(hash, 2), 'UTF8') ELSE convert_from(hash, 'UTF8') END, ALTER COLUMN hash SET DEFAULT '';
CREATE INDEX events_by_data ON events (substr(data_hash, 1, 16)) WHERE data_hash <> '';
CREATE INDEX revisions_by_data ON revisions (substr(data_hash, 1, 16));
CREATE INDEX items_by_data ON items (substr(data_hash, 1, 16));
CREATE INDEX search_docs_by_hash ON search_docs (hash, doc);

DROP INDEX revisions_by_day;
ALTER TABLE items
    ALTER COLUMN last_modified DROP DEFAULT,
    ALTER COLUMN seen_at DROP DEFAULT;
ALTER TABLE items
    ALTER COLUMN last_modified TYPE TEXT COLLATE "C" USING CASE WHEN last_modified = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(last_modified / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(last_modified, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END,
    ALTER COLUMN seen_at TYPE TEXT COLLATE "C" USING CASE WHEN seen_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(seen_at / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(seen_at, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END;
ALTER TABLE revisions
    ALTER COLUMN last_modified DROP DEFAULT,
    ALTER COLUMN seen_at DROP DEFAULT;
ALTER TABLE revisions
    ALTER COLUMN last_modified TYPE TEXT COLLATE "C" USING CASE WHEN last_modified = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(last_modified / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(last_modified, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END,
    ALTER COLUMN seen_at TYPE TEXT COLLATE "C" USING CASE WHEN seen_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(seen_at / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(seen_at, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END;
ALTER TABLE events
    ALTER COLUMN detected_at DROP DEFAULT;
ALTER TABLE events
    ALTER COLUMN detected_at TYPE TEXT COLLATE "C" USING CASE WHEN detected_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(detected_at / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(detected_at, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END;
ALTER TABLE outbox
    ALTER COLUMN next_attempt DROP DEFAULT,
    ALTER COLUMN lease_until DROP DEFAULT,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN done_at DROP DEFAULT;
ALTER TABLE outbox
    ALTER COLUMN next_attempt TYPE TEXT COLLATE "C" USING CASE WHEN next_attempt = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(next_attempt / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(next_attempt, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END,
    ALTER COLUMN lease_until TYPE TEXT COLLATE "C" USING CASE WHEN lease_until = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(lease_until / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(lease_until, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END,
    ALTER COLUMN created_at TYPE TEXT COLLATE "C" USING CASE WHEN created_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(created_at / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(created_at, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END,
    ALTER COLUMN done_at TYPE TEXT COLLATE "C" USING CASE WHEN done_at = 0 THEN '0001-01-01T00:00:00.000000000Z'
        ELSE to_char(to_timestamp(floor(done_at / 1000000000.0)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.' || lpad(mod(mod(done_at, 1000000000) + 1000000000, 1000000000)::text, 9, '0') || 'Z' END;
CREATE INDEX revisions_by_day ON revisions (substr(seen_at, 1, 10));
