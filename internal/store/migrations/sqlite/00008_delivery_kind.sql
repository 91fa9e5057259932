-- Every outbox row says what it stands for (notice, translation follow-up,
-- group notice for several tenants) instead of a prefix or suffix of its
-- idempotency key. Existing rows get theirs from the key they were given.

-- +goose Up
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'notice';
UPDATE outbox SET kind = 'group' WHERE key LIKE 'group/%';
UPDATE outbox SET kind = 'followup' WHERE key LIKE '%/translation';

-- +goose Down
ALTER TABLE outbox DROP COLUMN kind;
