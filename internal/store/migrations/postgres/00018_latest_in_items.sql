-- An item's latest revision is its items row alone, as in SQLite's 00018:
-- revisions holds the earlier ones, and a baseline writes no revisions
-- row. rev_modified and rev_removed keep what the revision said when a
-- touch (no new revision) has changed last_modified or removed since.

-- +goose Up
ALTER TABLE items ADD COLUMN rev_modified BIGINT;
ALTER TABLE items ADD COLUMN rev_removed BOOLEAN;
UPDATE items i SET rev_modified = r.last_modified, rev_removed = r.removed
    FROM revisions r WHERE r.tenant = i.tenant AND r.source = i.source AND r.id = i.id
    AND r.revision = i.revision AND (r.last_modified <> i.last_modified OR r.removed <> i.removed);
DELETE FROM revisions r USING items i WHERE i.tenant = r.tenant AND i.source = r.source AND i.id = r.id
    AND i.revision = r.revision;

-- +goose Down
INSERT INTO revisions (tenant, source, id, revision, hash, last_modified, seen_at, removed, data, data_hash)
    SELECT tenant, source, id, revision, hash, coalesce(rev_modified, last_modified), seen_at,
        coalesce(rev_removed, removed), data, data_hash FROM items
    ON CONFLICT DO NOTHING;
ALTER TABLE items DROP COLUMN rev_removed;
ALTER TABLE items DROP COLUMN rev_modified;
