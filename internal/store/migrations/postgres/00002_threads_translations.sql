-- The route that chose each delivery, thread references of channels, the
-- translation memory and the translation usage counters.

-- +goose Up
ALTER TABLE outbox ADD COLUMN route TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE TABLE threads (
    channel    TEXT COLLATE "C" NOT NULL,
    thread_key TEXT COLLATE "C" NOT NULL,
    ref        TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (channel, thread_key)
);

CREATE TABLE translations (
    hash             TEXT COLLATE "C" NOT NULL,
    source           TEXT COLLATE "C" NOT NULL,
    target           TEXT COLLATE "C" NOT NULL,
    provider         TEXT COLLATE "C" NOT NULL,
    glossary_version TEXT COLLATE "C" NOT NULL,
    text             TEXT NOT NULL,
    created_at       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (hash, source, target, provider, glossary_version)
);

CREATE TABLE translation_usage (
    provider TEXT COLLATE "C" NOT NULL,
    month    TEXT COLLATE "C" NOT NULL,
    chars    BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    hits     BIGINT NOT NULL DEFAULT 0,
    misses   BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, month)
);

-- +goose Down
DROP TABLE translation_usage;
DROP TABLE translations;
DROP TABLE threads;
ALTER TABLE outbox DROP COLUMN route;
