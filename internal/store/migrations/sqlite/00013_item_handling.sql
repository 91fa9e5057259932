-- Ownership and acknowledgement (issue 16): per tenant and item, who owns
-- it, how far its handling has got (open, acknowledged, done,
-- not_applicable), the note and author of the last action and when it was
-- taken. seq counts the actions, so that an action taken on what a page
-- showed fails when someone else acted in between. Every action is also an
-- event of the item (events.type item.*). Escalation looks up the first
-- notice a route sent of an item by the outbox's route.

-- +goose Up
CREATE TABLE item_handling (
    tenant  TEXT    NOT NULL,
    source  TEXT    NOT NULL,
    item_id TEXT    NOT NULL,
    status  TEXT    NOT NULL DEFAULT 'open',
    owner   TEXT    NOT NULL DEFAULT '',
    note    TEXT    NOT NULL DEFAULT '',
    actor   TEXT    NOT NULL DEFAULT '',
    acted_at TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (tenant, source, item_id)
);
CREATE INDEX item_handling_by_owner ON item_handling (owner) WHERE owner <> '';
CREATE INDEX outbox_by_route ON outbox (route, event_id);

-- +goose Down
DROP INDEX outbox_by_route;
DROP TABLE item_handling;
