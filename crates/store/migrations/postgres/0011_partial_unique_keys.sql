-- Idempotency keys and external ids are unique per workspace, but most answers have
-- neither: the table's UNIQUE constraints indexed every row (NULLs included), so each
-- answer paid two index entries no lookup ever uses. Partial unique indexes keep the same
-- rule for the answers that have a key; lookups by key (`= …`, `IN (…)`) imply NOT NULL.
ALTER TABLE answers DROP CONSTRAINT answers_workspace_id_idempotency_key_key;
ALTER TABLE answers DROP CONSTRAINT answers_workspace_id_external_id_key;
CREATE UNIQUE INDEX answers_by_idempotency_key ON answers (workspace_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX answers_by_external_id ON answers (workspace_id, external_id)
    WHERE external_id IS NOT NULL;
