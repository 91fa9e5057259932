-- An item's latest revision is its items row alone (issue 14): revisions
-- holds the earlier ones. A commit moves the items row into revisions when
-- a new revision replaces it, instead of writing every revision to both
-- tables; a baseline (every item new) writes no revisions row at all, a
-- third of its rows. Reads of a revision (History, events, retention)
-- look in both tables.
--
-- An items row's last_modified and removed follow Graph without a new
-- revision (a touch); rev_modified and rev_removed keep what they were
-- when the revision was stored (NULL: the same as now), which is what
-- the revision says once it moves to revisions.

-- +goose Up
ALTER TABLE items ADD COLUMN rev_modified INTEGER;
ALTER TABLE items ADD COLUMN rev_removed INTEGER;
UPDATE items SET rev_modified = r.last_modified, rev_removed = r.removed
    FROM revisions r WHERE r.tenant = items.tenant AND r.source = items.source AND r.id = items.id
    AND r.revision = items.revision AND (r.last_modified <> items.last_modified OR r.removed <> items.removed);
DELETE FROM revisions WHERE EXISTS (SELECT 1 FROM items i WHERE i.tenant = revisions.tenant
    AND i.source = revisions.source AND i.id = revisions.id AND i.revision = revisions.revision);

-- +goose Down
INSERT INTO revisions (tenant, source, id, revision, hash, last_modified, seen_at, removed, data, data_hash)
    SELECT tenant, source, id, revision, hash, coalesce(rev_modified, last_modified), seen_at,
        coalesce(rev_removed, removed), data, data_hash FROM items WHERE true
    ON CONFLICT DO NOTHING;
ALTER TABLE items DROP COLUMN rev_removed;
ALTER TABLE items DROP COLUMN rev_modified;
