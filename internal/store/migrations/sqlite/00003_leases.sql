-- Tenant leases: which worker polls which tenant, and until when.

-- +goose Up
CREATE TABLE leases (
    tenant TEXT NOT NULL PRIMARY KEY,
    worker TEXT NOT NULL,
    until  TEXT NOT NULL
);
CREATE INDEX leases_by_worker ON leases (worker);

-- +goose Down
DROP TABLE leases;
