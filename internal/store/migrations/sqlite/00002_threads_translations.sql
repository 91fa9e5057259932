-- The route that chose each delivery, thread references of channels, the
-- translation memory and the translation usage counters.

-- +goose Up
ALTER TABLE outbox ADD COLUMN route TEXT NOT NULL DEFAULT '';

CREATE TABLE threads (
    channel    TEXT NOT NULL,
    thread_key TEXT NOT NULL,
    ref        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (channel, thread_key)
);

CREATE TABLE translations (
    hash             TEXT NOT NULL,
    source           TEXT NOT NULL,
    target           TEXT NOT NULL,
    provider         TEXT NOT NULL,
    glossary_version TEXT NOT NULL,
    text             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (hash, source, target, provider, glossary_version)
);

CREATE TABLE translation_usage (
    provider TEXT    NOT NULL,
    month    TEXT    NOT NULL,
    chars    INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    hits     INTEGER NOT NULL DEFAULT 0,
    misses   INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, month)
);

-- +goose Down
DROP TABLE translation_usage;
DROP TABLE translations;
DROP TABLE threads;
ALTER TABLE outbox DROP COLUMN route;
