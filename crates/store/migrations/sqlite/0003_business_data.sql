-- What loyalty is worth: customer lifecycle, orders, contacts and loyalty membership.
-- Money is stored in minor units (cents) of the workspace's reporting currency; an order in
-- another currency keeps its original amount and currency alongside.

-- A customer's relationship as spells: acquired (or reactivated) at started_at, churned at
-- ended_at. A churned customer who returns gets a new spell.
CREATE TABLE customer_spells (
    id           INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    started_at   BIGINT NOT NULL,
    ended_at     BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX customer_spells_by_customer ON customer_spells (workspace_id, customer_id, started_at);
CREATE INDEX customer_spells_by_time ON customer_spells (workspace_id, started_at, ended_at);

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces (id),
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    external_id     TEXT,
    amount_minor    BIGINT NOT NULL,
    original_amount_minor BIGINT NOT NULL,
    original_currency     TEXT   NOT NULL,
    ordered_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (workspace_id, external_id)
);
CREATE INDEX orders_by_time ON orders (workspace_id, ordered_at);
CREATE INDEX orders_by_customer ON orders (workspace_id, customer_id, ordered_at);

-- Complaints and other contacts. channel: email, chat, phone, social, sms, chatbot, video,
-- forum, meeting, self_service.
CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    workspace_id   BIGINT NOT NULL REFERENCES workspaces (id),
    customer_id    BIGINT REFERENCES customers (id),
    external_id    TEXT,
    channel        TEXT   NOT NULL,
    is_complaint   BIGINT NOT NULL,
    opened_at      BIGINT NOT NULL,
    first_reply_at BIGINT,
    resolved_at    BIGINT,
    created_at     BIGINT NOT NULL,
    UNIQUE (workspace_id, external_id)
);
CREATE INDEX contacts_by_time ON contacts (workspace_id, opened_at);

CREATE TABLE loyalty_memberships (
    id           INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    joined_at    BIGINT NOT NULL,
    left_at      BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX loyalty_by_customer ON loyalty_memberships (workspace_id, customer_id, joined_at);
