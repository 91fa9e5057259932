-- The first schema of the SQLite engine. Times are TEXT in a fixed-width
-- RFC 3339 form with nanoseconds in UTC ("2006-01-02T15:04:05.000000000Z"), so
-- that they sort as text and read well; the zero time is stored as
-- "0001-01-01T00:00:00.000000000Z", never NULL. Booleans are 0/1 integers.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE items (
    tenant        TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    hash          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL,
    seen_at       TEXT    NOT NULL,
    removed       INTEGER NOT NULL DEFAULT 0,
    data          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, source, id)
);

CREATE TABLE revisions (
    tenant        TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    hash          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL,
    seen_at       TEXT    NOT NULL,
    removed       INTEGER NOT NULL DEFAULT 0,
    data          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, source, id, revision)
);
CREATE INDEX revisions_by_id ON revisions (id);

CREATE TABLE cursors (
    tenant    TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    watermark TEXT    NOT NULL,
    last_full TEXT    NOT NULL,
    baselined INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, source)
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    item_id     TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    detected_at TEXT    NOT NULL,
    data        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_by_item ON events (item_id);
CREATE INDEX events_by_tenant_time ON events (tenant, detected_at);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     INTEGER NOT NULL REFERENCES events (id),
    channel      TEXT    NOT NULL,
    key          TEXT    NOT NULL UNIQUE,
    state        TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT    NOT NULL,
    lease_until  TEXT    NOT NULL,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    done_at      TEXT    NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);
CREATE INDEX outbox_by_event ON outbox (event_id);

-- +goose Down
DROP TABLE outbox;
DROP TABLE events;
DROP TABLE cursors;
DROP TABLE revisions;
DROP TABLE items;
DROP TABLE tenants;
