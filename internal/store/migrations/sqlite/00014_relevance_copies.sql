-- Message Center relevance and the copies of an item across tenants on the
-- read index (issue 16):
--
-- * item_index.relevant says whether a Message Center post concerns its
--   tenant (NULL: not known), relevance holds the verdict as JSON
--   (model.Relevance: relevant, basis, reason). Commit writes them from
--   the batch; until now they lived only in the events, so the newest
--   event of each post that carries one fills them here.
-- * item_index_by_id finds every tenant's copy of an item by its ID, for
--   the "across tenants" view and the "only in this tenant" filter, in one
--   index range however many tenants there are; it holds what a list
--   compares (version, relevance, action date), so that comparing the
--   copies of a page's items reads no row of the table.
-- * threads_by_key finds the tickets of the items a page lists (the ticket
--   channels keep them as thread references, store.Tickets) without
--   reading every thread of every channel.

-- +goose Up
ALTER TABLE item_index ADD COLUMN relevant BOOLEAN;
ALTER TABLE item_index ADD COLUMN relevance TEXT NOT NULL DEFAULT '';
CREATE INDEX item_index_by_id ON item_index (source, id, removed, doc, relevant, action_by, tenant);
CREATE INDEX threads_by_key ON threads (thread_key);

UPDATE item_index SET relevant = json_extract(e.data, '$.relevance.relevant'), relevance = json_extract(e.data, '$.relevance')
FROM events e JOIN (SELECT max(id) AS id FROM events
    WHERE source = 'mc' AND data LIKE '%"relevance"%' AND json_valid(data) AND json_type(data, '$.relevance') = 'object'
    GROUP BY tenant, item_id) l ON l.id = e.id
WHERE item_index.source = 'mc' AND item_index.tenant = e.tenant AND item_index.id = e.item_id;

-- +goose Down
DROP INDEX threads_by_key;
DROP INDEX item_index_by_id;
ALTER TABLE item_index DROP COLUMN relevance;
ALTER TABLE item_index DROP COLUMN relevant;
