-- Times are Unix seconds (UTC); `day` is days since 1970-01-01 (UTC), the rollup unit.
CREATE TABLE workspaces (
    id               INTEGER PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    default_language TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id),
    email         TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    name         TEXT   NOT NULL,
    prefix       TEXT   NOT NULL,
    key_hash     TEXT   NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);

-- Installation-wide values Advocate generates once, such as the session-signing key.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE surveys (
    id               INTEGER PRIMARY KEY,
    workspace_id     BIGINT NOT NULL REFERENCES workspaces (id),
    slug             TEXT   NOT NULL,
    public_id        TEXT   NOT NULL UNIQUE,
    kind             TEXT   NOT NULL,
    name             TEXT   NOT NULL,
    touchpoint       TEXT,
    default_language TEXT   NOT NULL,
    texts            TEXT   NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (workspace_id, slug)
);

CREATE TABLE customers (
    id              INTEGER PRIMARY KEY,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id),
    external_id     TEXT   NOT NULL,
    name            TEXT,
    email           TEXT,
    phone           TEXT,
    language        TEXT,
    attributes      TEXT   NOT NULL,
    account_manager TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (workspace_id, external_id)
);

CREATE TABLE answers (
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
    UNIQUE (workspace_id, idempotency_key),
    UNIQUE (workspace_id, external_id)
);
CREATE INDEX answers_by_time ON answers (workspace_id, answered_at);
CREATE INDEX answers_by_customer ON answers (customer_id);

-- Answer counts per day and dimension, kept in the same transaction as each answer so
-- that reports never scan raw answers. '' stands for "none" in text dimensions.
CREATE TABLE nps_rollup (
    workspace_id BIGINT  NOT NULL,
    survey_id    BIGINT  NOT NULL,
    day          INTEGER NOT NULL,
    touchpoint   TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    language     TEXT    NOT NULL,
    score        INTEGER NOT NULL,
    n            BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, survey_id, day, touchpoint, channel, language, score)
) WITHOUT ROWID;

-- The same counts per segment attribute value (one row per attribute of the answer).
CREATE TABLE segment_rollup (
    workspace_id BIGINT  NOT NULL,
    attribute    TEXT    NOT NULL,
    survey_id    BIGINT  NOT NULL,
    day          INTEGER NOT NULL,
    value        TEXT    NOT NULL,
    score        INTEGER NOT NULL,
    n            BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, attribute, survey_id, day, value, score)
) WITHOUT ROWID;
