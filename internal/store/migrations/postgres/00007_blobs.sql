-- Message Center posts are the same in every tenant that receives them:
-- the JSON of items and revisions is stored once, in blobs, keyed by the
-- SHA-256 of its exact bytes (lower-case hex; not the item's content hash,
-- which leaves out fields such as lastModifiedDateTime that are in the
-- JSON), as in SQLite's 00007. items and revisions keep the key in
-- data_hash and an empty data. The index function of 00004 now reads the
-- JSON from blobs, which a commit writes before the items that refer to it.

-- +goose Up
CREATE TABLE blobs (
    hash TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    data TEXT NOT NULL
);

ALTER TABLE items ADD COLUMN data_hash TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE revisions ADD COLUMN data_hash TEXT COLLATE "C" NOT NULL DEFAULT '';

INSERT INTO blobs (hash, data) SELECT encode(sha256(convert_to(data, 'UTF8')), 'hex'), data FROM revisions WHERE data <> ''
    ON CONFLICT (hash) DO NOTHING;
INSERT INTO blobs (hash, data) SELECT encode(sha256(convert_to(data, 'UTF8')), 'hex'), data FROM items WHERE data <> ''
    ON CONFLICT (hash) DO NOTHING;

-- item_index already holds what the rows say: the trigger need not run.
ALTER TABLE items DISABLE TRIGGER items_index;
UPDATE revisions SET data_hash = encode(sha256(convert_to(data, 'UTF8')), 'hex'), data = '' WHERE data <> '';
UPDATE items SET data_hash = encode(sha256(convert_to(data, 'UTF8')), 'hex'), data = '' WHERE data <> '';
ALTER TABLE items ENABLE TRIGGER items_index;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION shdmc_index_item() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION shdmc_index_item() RETURNS trigger LANGUAGE plpgsql AS $$
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

ALTER TABLE items DISABLE TRIGGER items_index;
UPDATE revisions SET data = (SELECT data FROM blobs WHERE hash = revisions.data_hash) WHERE data_hash <> '';
UPDATE items SET data = (SELECT data FROM blobs WHERE hash = items.data_hash) WHERE data_hash <> '';
ALTER TABLE items ENABLE TRIGGER items_index;
ALTER TABLE revisions DROP COLUMN data_hash;
ALTER TABLE items DROP COLUMN data_hash;
DROP TABLE blobs;
