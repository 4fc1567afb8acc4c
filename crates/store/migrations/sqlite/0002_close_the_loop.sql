-- Closing the loop: playbooks, routing, cases, promoter engagements, and the outbox that
-- delivers every alert, email and webhook at least once.

-- Workspace settings as one JSON document (see models::WorkspaceSettings).
CREATE TABLE workspace_settings (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces (id),
    settings     TEXT   NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- Playbooks the workspace changed; a score without a row uses the built-in default.
-- language '' applies to every language without its own row.
CREATE TABLE playbooks (
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    score        INTEGER NOT NULL,
    language     TEXT    NOT NULL,
    steps        TEXT    NOT NULL,
    priority     TEXT,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, score, language)
);

-- Who gets a case when the customer has no account manager: the first matching rule
-- (by position); a NULL condition matches anything.
CREATE TABLE routing_rules (
    id           INTEGER PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    position     INTEGER NOT NULL,
    attribute    TEXT,
    value        TEXT,
    touchpoint   TEXT,
    language     TEXT,
    assignee     TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX routing_rules_by_position ON routing_rules (workspace_id, position);

CREATE TABLE cases (
    id                 INTEGER PRIMARY KEY,
    workspace_id       BIGINT  NOT NULL REFERENCES workspaces (id),
    customer_id        BIGINT  REFERENCES customers (id),
    answer_id          BIGINT  NOT NULL REFERENCES answers (id),
    survey_id          BIGINT  NOT NULL REFERENCES surveys (id),
    score              INTEGER NOT NULL,
    priority           TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    assignee           TEXT    NOT NULL,
    language           TEXT    NOT NULL,
    sla_due_at         BIGINT  NOT NULL,
    first_contact_at   BIGINT,
    resolved_at        BIGINT,
    closed_at          BIGINT,
    outcome            TEXT,
    compensation       TEXT,
    escalated_at       BIGINT,
    resurvey_answer_id BIGINT  REFERENCES answers (id),
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL
);
CREATE INDEX cases_by_status ON cases (workspace_id, status, sla_due_at);
CREATE INDEX cases_by_customer ON cases (workspace_id, customer_id);
CREATE INDEX cases_by_assignee ON cases (workspace_id, assignee, status);

-- The playbook's steps as the case's checklist.
CREATE TABLE case_steps (
    case_id  BIGINT  NOT NULL REFERENCES cases (id),
    position INTEGER NOT NULL,
    text     TEXT    NOT NULL,
    done_at  BIGINT,
    done_by  TEXT,
    PRIMARY KEY (case_id, position)
);

-- Later answers of the customer, linked to their open case instead of opening another.
CREATE TABLE case_answers (
    case_id   BIGINT NOT NULL REFERENCES cases (id),
    answer_id BIGINT NOT NULL REFERENCES answers (id),
    PRIMARY KEY (case_id, answer_id)
);

CREATE TABLE case_notes (
    id           INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    case_id      BIGINT NOT NULL REFERENCES cases (id),
    author       TEXT   NOT NULL,
    body         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes (case_id, created_at);

-- "Follow up at next contact": visible to anyone who talks to the customer until cleared.
ALTER TABLE customers ADD COLUMN follow_up_note TEXT;
ALTER TABLE customers ADD COLUMN follow_up_set_at BIGINT;

CREATE TABLE engagements (
    id            INTEGER PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id),
    customer_id   BIGINT REFERENCES customers (id),
    answer_id     BIGINT NOT NULL REFERENCES answers (id),
    kind          TEXT   NOT NULL,
    status        TEXT   NOT NULL,
    discount_code TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX engagements_by_customer ON engagements (workspace_id, customer_id);

-- Single-use discount codes: imported into a pool or generated; each is given out once.
CREATE TABLE discount_codes (
    id            INTEGER PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id),
    code          TEXT   NOT NULL,
    source        TEXT   NOT NULL,
    engagement_id BIGINT REFERENCES engagements (id),
    assigned_at   BIGINT,
    redeemed_at   BIGINT,
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, code)
);
CREATE INDEX discount_codes_free ON discount_codes (workspace_id, engagement_id);

CREATE TABLE webhook_endpoints (
    id           INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    url          TEXT   NOT NULL,
    secret       TEXT   NOT NULL,
    -- Comma-separated event names, or '*' for all.
    events       TEXT   NOT NULL,
    active       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- Everything that must be delivered because of a write, written in the same transaction.
-- kind: email | slack | webhook. status: pending | delivered | dead.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id),
    kind            TEXT   NOT NULL,
    event           TEXT   NOT NULL,
    target          TEXT   NOT NULL,
    endpoint_id     BIGINT REFERENCES webhook_endpoints (id),
    payload         TEXT   NOT NULL,
    idempotency_key TEXT   NOT NULL UNIQUE,
    status          TEXT   NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_workspace ON outbox (workspace_id, status, id);

CREATE TABLE outbox_attempts (
    id           INTEGER PRIMARY KEY,
    outbox_id    BIGINT NOT NULL REFERENCES outbox (id),
    attempted_at BIGINT NOT NULL,
    ok           BIGINT NOT NULL,
    error        TEXT,
    duration_ms  BIGINT NOT NULL
);
CREATE INDEX outbox_attempts_by_message ON outbox_attempts (outbox_id, id);
