-- Which process holds each claimed delivery, so that a process that starts
-- after a crash on the same machine takes over the deliveries the dead one
-- had claimed at once, instead of waiting for their lease to end.

-- +goose Up
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE outbox DROP COLUMN claimed_by;
