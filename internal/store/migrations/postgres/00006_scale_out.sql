-- Scale-out, as in SQLite's 00006: the workers sharing the tenants (each renews its row while it
-- lives), the request logs of the Graph budgets (so that a tenant's new
-- holder starts from what the last one spent), and the tenants managed in
-- the database (`shdmc tenants add`; secrets by reference only).

-- +goose Up
CREATE TABLE workers (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    started_at TEXT COLLATE "C" NOT NULL,
    until      TEXT COLLATE "C" NOT NULL
);

CREATE TABLE graph_budgets (
    key        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    data       TEXT NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE managed_tenants (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    data       TEXT    NOT NULL,
    disabled   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);

-- +goose Down
DROP TABLE managed_tenants;
DROP TABLE graph_budgets;
DROP TABLE workers;
