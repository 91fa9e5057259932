-- The first schema of the PostgreSQL engine, the same tables as SQLite's.
-- Times are TEXT in the fixed-width RFC 3339 form with nanoseconds in UTC
-- that both engines share ("2006-01-02T15:04:05.000000000Z"): timestamptz
-- keeps only microseconds, and the text sorts correctly. Every text column
-- uses the "C" collation, so that ordering and comparison are bytewise, as
-- in SQLite, whatever the database's locale.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE items (
    tenant        TEXT COLLATE "C" NOT NULL,
    source        TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    hash          TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_modified TEXT COLLATE "C" NOT NULL,
    seen_at       TEXT COLLATE "C" NOT NULL,
    removed       BOOLEAN NOT NULL DEFAULT FALSE,
    data          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, source, id)
);

CREATE TABLE revisions (
    tenant        TEXT COLLATE "C" NOT NULL,
    source        TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    hash          TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_modified TEXT COLLATE "C" NOT NULL,
    seen_at       TEXT COLLATE "C" NOT NULL,
    removed       BOOLEAN NOT NULL DEFAULT FALSE,
    data          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, source, id, revision)
);
CREATE INDEX revisions_by_id ON revisions (id);

CREATE TABLE cursors (
    tenant    TEXT COLLATE "C" NOT NULL,
    source    TEXT COLLATE "C" NOT NULL,
    watermark TEXT COLLATE "C" NOT NULL,
    last_full TEXT COLLATE "C" NOT NULL,
    baselined BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (tenant, source)
);

CREATE TABLE events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant      TEXT COLLATE "C" NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    item_id     TEXT COLLATE "C" NOT NULL,
    type        TEXT COLLATE "C" NOT NULL,
    revision    INTEGER NOT NULL,
    detected_at TEXT COLLATE "C" NOT NULL,
    data        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_item ON events (item_id);
CREATE INDEX events_by_tenant_time ON events (tenant, detected_at);

CREATE TABLE outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     BIGINT  NOT NULL REFERENCES events (id),
    channel      TEXT COLLATE "C" NOT NULL,
    key          TEXT COLLATE "C" NOT NULL UNIQUE,
    state        TEXT COLLATE "C" NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT COLLATE "C" NOT NULL,
    lease_until  TEXT COLLATE "C" NOT NULL,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TEXT COLLATE "C" NOT NULL,
    done_at      TEXT COLLATE "C" NOT NULL
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
