-- Idempotency keys and external ids are unique per workspace, but most answers have
-- neither: a table's UNIQUE constraint still indexes every row (NULLs included), so each
-- answer paid two index entries no lookup ever uses. SQLite cannot drop a table's
-- constraint, so the table is rebuilt (SQLite's documented procedure: copy, drop, rename;
-- `Store::migrate` runs migrations with foreign-key enforcement off and checks every
-- reference afterwards) with the two as partial unique indexes. Lookups by key
-- (`idempotency_key = …`, `external_id IN (…)`) imply NOT NULL, so they use them as before.
CREATE TABLE answers_rebuilt (
    id              INTEGER PRIMARY KEY,
    workspace_id    BIGINT  NOT NULL REFERENCES workspaces (id),
    survey_id       BIGINT  NOT NULL REFERENCES surveys (id),
    customer_id     BIGINT  REFERENCES customers (id),
    score           INTEGER NOT NULL,
    comment         TEXT,
    channel         TEXT    NOT NULL,
    touchpoint      TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    answered_at     BIGINT  NOT NULL,
    day             INTEGER NOT NULL,
    attributes      TEXT    NOT NULL,
    external_id     TEXT,
    idempotency_key TEXT,
    request_hash    TEXT,
    created_at      BIGINT  NOT NULL,
    anonymised_at   BIGINT
);
INSERT INTO answers_rebuilt
SELECT id, workspace_id, survey_id, customer_id, score, comment, channel, touchpoint, language,
       answered_at, day, attributes, external_id, idempotency_key, request_hash, created_at,
       anonymised_at
FROM answers;
DROP TABLE answers;
ALTER TABLE answers_rebuilt RENAME TO answers;
CREATE UNIQUE INDEX answers_by_idempotency_key ON answers (workspace_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX answers_by_external_id ON answers (workspace_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX answers_by_time ON answers (workspace_id, answered_at);
CREATE INDEX answers_by_customer ON answers (customer_id) WHERE customer_id IS NOT NULL;
