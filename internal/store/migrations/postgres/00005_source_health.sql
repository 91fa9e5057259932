-- Source health: per tenant and source, the health state machine's state
-- (JSON, see internal/health), so that an outage survives a restart.

-- +goose Up
CREATE TABLE source_health (
    tenant     TEXT COLLATE "C" NOT NULL,
    source     TEXT COLLATE "C" NOT NULL,
    data       TEXT NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, source)
);

-- +goose Down
DROP TABLE source_health;
