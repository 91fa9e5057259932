-- Current items, as in SQLite's 00017: the default lists show the items
-- that are active and not removed, newest first, with a capped count; this
-- index holds only those, so neither walks the resolved ones.

-- +goose Up
CREATE INDEX item_index_active ON item_index (source, last_modified) WHERE active AND NOT removed;

-- +goose Down
DROP INDEX item_index_active;
