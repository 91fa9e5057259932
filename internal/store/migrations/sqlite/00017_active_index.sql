-- Current items (issue 14): the default lists of the dashboard, the API
-- and the feeds show the items that are active and not removed, newest
-- first, with a count of up to 1,000. Through (source, last_modified) that
-- walk read every resolved issue's row as well: with 2,000 active issues
-- among 20,000, counting them read about 10,000 rows (25–45 ms). This
-- index holds only the current items; the statements name its predicate
-- as written here (dialect activeNow).

-- +goose Up
CREATE INDEX item_index_active ON item_index (source, last_modified) WHERE active = 1 AND removed = 0;

-- +goose Down
DROP INDEX item_index_active;
