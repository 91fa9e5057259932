-- Tenant leases: which worker polls which tenant, and until when.

-- +goose Up
CREATE TABLE leases (
    tenant TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    worker TEXT COLLATE "C" NOT NULL,
    until  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX leases_by_worker ON leases (worker);

-- +goose Down
DROP TABLE leases;
