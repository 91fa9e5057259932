-- The read side of the dashboard, API and feeds, as in SQLite's 00004:
-- item_index holds the fields lists filter on, one row per item, with
-- "search", the lower-cased title and plain body text, for full-text
-- search by substring (ILIKE), which finds Japanese words as well as
-- English ones; a pg_trgm GIN index speeds it up where the extension can be
-- created (Debian's postgresql ships it in contrib). A trigger on items keeps
-- the row in step inside the transaction that commits a poll.
-- cursors.updated_at records when a poll last stored its cursor.

-- +goose Up
CREATE TABLE item_index (
    fid            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant         TEXT COLLATE "C" NOT NULL,
    source         TEXT COLLATE "C" NOT NULL,
    id             TEXT COLLATE "C" NOT NULL,
    title          TEXT NOT NULL DEFAULT '',
    status         TEXT COLLATE "C" NOT NULL DEFAULT '',
    classification TEXT COLLATE "C" NOT NULL DEFAULT '',
    category       TEXT COLLATE "C" NOT NULL DEFAULT '',
    severity       TEXT COLLATE "C" NOT NULL DEFAULT '',
    services       TEXT COLLATE "C" NOT NULL DEFAULT '',
    tags           TEXT COLLATE "C" NOT NULL DEFAULT '',
    major          BOOLEAN NOT NULL DEFAULT FALSE,
    active         BOOLEAN NOT NULL DEFAULT FALSE,
    action_by      TEXT COLLATE "C" NOT NULL DEFAULT '',
    start_at       TEXT COLLATE "C" NOT NULL DEFAULT '',
    end_at         TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_modified  TEXT COLLATE "C" NOT NULL DEFAULT '',
    removed        BOOLEAN NOT NULL DEFAULT FALSE,
    search         TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant, source, id)
);
CREATE INDEX item_index_by_time ON item_index (source, last_modified);
CREATE INDEX item_index_by_tenant ON item_index (tenant, source, last_modified);
CREATE INDEX item_index_action ON item_index (action_by);

-- +goose StatementBegin
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN others THEN
        RAISE NOTICE 'pg_trgm is not available: text search scans item_index';
    END;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX item_index_search ON item_index USING gin (search gin_trgm_ops)';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION shdmc_plain(s TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace(replace(replace(replace(
        regexp_replace(coalesce(s, ''), '<[^>]*>', ' ', 'g'),
        '&nbsp;', ' '), '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&amp;', '&')
$$;
-- +goose StatementEnd

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
        d := NEW.data::jsonb;
    EXCEPTION WHEN others THEN
        RETURN NULL;
    END;
    IF jsonb_typeof(d) <> 'object' THEN
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

-- Items stored before this migration: index them once (the trigger does it).
UPDATE items SET data = data;

ALTER TABLE cursors ADD COLUMN updated_at TEXT COLLATE "C" NOT NULL DEFAULT '';

-- +goose StatementBegin
CREATE FUNCTION shdmc_stamp_cursor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '000Z';
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cursors_stamp BEFORE INSERT OR UPDATE ON cursors FOR EACH ROW EXECUTE FUNCTION shdmc_stamp_cursor();

-- +goose Down
DROP TRIGGER cursors_stamp ON cursors;
DROP FUNCTION shdmc_stamp_cursor();
ALTER TABLE cursors DROP COLUMN updated_at;
DROP TRIGGER items_index ON items;
DROP FUNCTION shdmc_index_item();
DROP FUNCTION shdmc_plain(TEXT);
DROP TABLE item_index;
