-- A year of polling without unbounded growth (issue 14), as in SQLite's
-- 00009:
--
-- * The read index is maintained by the store in Go inside every commit:
--   the index trigger of 00004/00007 and the cursor stamp trigger are
--   dropped; cursors.updated_at is written by the commit itself.
-- * Full-text search indexes each distinct document once, shared by every
--   tenant that has it: search_docs holds per document its lower-cased
--   title and plain text (search, with a pg_trgm GIN index where the
--   extension exists) and its distinct one- and two-character substrings
--   (grams, GIN), which trigrams cannot find. item_index.doc points each
--   item at its document; item_index.search is dropped. Migration 00010
--   (Go) fills search_docs.
-- * Events keep what changed, and name the field that holds their item
--   (data_kind: issue, message, service). The item is the JSON of the
--   revision the event describes (events.revision); an event whose item
--   differs from that revision's refers to a blob of its own (data_hash).
--   Migration 00010 moves the JSON of stored events out.
-- * Indexes for retention and for collecting unreferenced blobs.

-- +goose Up
DROP TRIGGER items_index ON items;
DROP FUNCTION shdmc_index_item();
DROP TRIGGER cursors_stamp ON cursors;
DROP FUNCTION shdmc_stamp_cursor();

ALTER TABLE events ADD COLUMN data_hash TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN data_kind TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX events_by_data ON events (substr(data_hash, 1, 16)) WHERE data_hash <> '';
CREATE INDEX revisions_by_data ON revisions (substr(data_hash, 1, 16));
CREATE INDEX revisions_by_day ON revisions (substr(seen_at, 1, 10));
CREATE INDEX items_by_data ON items (substr(data_hash, 1, 16));
CREATE INDEX items_removed ON items (seen_at) WHERE removed;

DROP INDEX IF EXISTS item_index_search;
ALTER TABLE item_index DROP COLUMN search;
ALTER TABLE item_index ADD COLUMN doc BIGINT NOT NULL DEFAULT 0;
-- A search looks items up by document; the index holds what the usual
-- filters and the order of pages need, so that no row is read for it.
CREATE INDEX item_index_by_doc ON item_index (doc, source, removed, tenant, last_modified, fid);
CREATE INDEX item_index_by_modified ON item_index (last_modified, fid);

CREATE TABLE search_docs (
    doc    BIGINT NOT NULL PRIMARY KEY,
    hash   TEXT COLLATE "C" NOT NULL,
    search TEXT NOT NULL DEFAULT '',
    grams  TEXT[] NOT NULL DEFAULT '{}'
);
CREATE INDEX search_docs_by_hash ON search_docs (hash, doc);
CREATE INDEX search_docs_grams ON search_docs USING gin (grams);

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX search_docs_search ON search_docs USING gin (search gin_trgm_ops)';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE search_docs;
DROP INDEX item_index_by_modified;
DROP INDEX item_index_by_doc;
ALTER TABLE item_index DROP COLUMN doc;
ALTER TABLE item_index ADD COLUMN search TEXT NOT NULL DEFAULT '';
DROP INDEX items_removed;
DROP INDEX items_by_data;
DROP INDEX revisions_by_day;
DROP INDEX revisions_by_data;
DROP INDEX events_by_data;
ALTER TABLE events DROP COLUMN data_kind;
ALTER TABLE events DROP COLUMN data_hash;

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX item_index_search ON item_index USING gin (search gin_trgm_ops)';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION shdmc_stamp_cursor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '000Z';
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cursors_stamp BEFORE INSERT OR UPDATE ON cursors FOR EACH ROW EXECUTE FUNCTION shdmc_stamp_cursor();

-- +goose StatementBegin
CREATE FUNCTION shdmc_index_item() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d JSONB;
    svc TEXT;
    tg TEXT;
    act BOOLEAN;
    ttl TEXT;
    body TEXT;
BEGIN
    BEGIN
        d := (SELECT data FROM blobs WHERE hash = NEW.data_hash)::jsonb;
    EXCEPTION WHEN others THEN
        RETURN NULL;
    END;
    IF d IS NULL OR jsonb_typeof(d) <> 'object' THEN
        RETURN NULL;
    END IF;
    IF NEW.source = 'mc' THEN
        SELECT coalesce('|' || string_agg(v, '|') || '|', '') INTO svc
            FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(d->'services') = 'array' THEN d->'services' ELSE '[]'::jsonb END) AS v;
    ELSE
        svc := '|' || coalesce(d->>'service', '') || '|';
    END IF;
    SELECT coalesce('|' || string_agg(v, '|') || '|', '') INTO tg
        FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(d->'tags') = 'array' THEN d->'tags' ELSE '[]'::jsonb END) AS v;
    act := CASE NEW.source
        WHEN 'shd' THEN NOT coalesce((d->>'isResolved')::boolean, FALSE) AND NOT NEW.removed
        WHEN 'mc' THEN NOT NEW.removed
        ELSE coalesce(d->>'status', '') <> 'serviceOperational' END;
    ttl := coalesce(d->>'title', d->>'service', '');
    SELECT coalesce(string_agg(p->>'content', ' '), '') INTO body
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d->'posts') = 'array' THEN d->'posts' ELSE '[]'::jsonb END) AS p;
    body := coalesce(d->>'body', '') || ' ' || coalesce(d->>'impactDescription', '') || ' ' || body;
    INSERT INTO item_index AS x (tenant, source, id, title, status, classification, category, severity,
        services, tags, major, active, action_by, start_at, end_at, last_modified, removed, search)
    VALUES (NEW.tenant, NEW.source, NEW.id, ttl, coalesce(d->>'status', ''), coalesce(d->>'classification', ''),
        coalesce(d->>'category', ''), coalesce(d->>'severity', ''), svc, tg,
        coalesce((d->>'isMajorChange')::boolean, FALSE), act,
        coalesce(d->>'actionRequiredByDateTime', ''), coalesce(d->>'startDateTime', ''), coalesce(d->>'endDateTime', ''),
        NEW.last_modified, NEW.removed, lower(ttl || ' ' || shdmc_plain(body)))
    ON CONFLICT (tenant, source, id) DO UPDATE SET
        title = excluded.title, status = excluded.status, classification = excluded.classification,
        category = excluded.category, severity = excluded.severity, services = excluded.services,
        tags = excluded.tags, major = excluded.major, active = excluded.active, action_by = excluded.action_by,
        start_at = excluded.start_at, end_at = excluded.end_at, last_modified = excluded.last_modified,
        removed = excluded.removed, search = excluded.search;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER items_index AFTER INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION shdmc_index_item();

-- Rebuild the search column from the items (the trigger does it).
UPDATE items SET data_hash = data_hash;
