-- Invitations on every channel, schedules, event triggers and unsubscribes (issue 4).

-- Set once the customer unsubscribes; from then on nothing is sent to them.
ALTER TABLE customers ADD COLUMN unsubscribed_at BIGINT;

-- One ask of one customer on one channel. `status` is scheduled → sent, or skipped (with
-- the reason: quiet period, unsubscribed, no address, sampled out) or cancelled.
CREATE TABLE invitations (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT  NOT NULL REFERENCES workspaces (id),
    survey_id     BIGINT  NOT NULL REFERENCES surveys (id),
    customer_id   BIGINT  NOT NULL REFERENCES customers (id),
    channel       TEXT    NOT NULL,
    language      TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    schedule_id   BIGINT,
    event_id      BIGINT,
    send_at       BIGINT  NOT NULL,
    status        TEXT    NOT NULL,
    skip_reason   TEXT,
    sent_at       BIGINT,
    delivered_at  BIGINT,
    opened_at     BIGINT,
    answered_at   BIGINT,
    reminded_at   BIGINT,
    answer_id     BIGINT,
    short_code    TEXT    NOT NULL UNIQUE,
    expires_at    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX invitations_due ON invitations (status, send_at);
CREATE INDEX invitations_by_customer ON invitations (customer_id, sent_at);
CREATE INDEX invitations_by_survey ON invitations (workspace_id, sent_at, survey_id, channel);
CREATE INDEX invitations_unanswered ON invitations (status, reminded_at, answered_at, sent_at);

-- Recurring relationship surveys: every eligible customer at most every `every_days`,
-- each on their own day of the cycle so sends are spread evenly.
CREATE TABLE schedules (
    id             BIGSERIAL PRIMARY KEY,
    workspace_id   BIGINT  NOT NULL REFERENCES workspaces (id),
    survey_id      BIGINT  NOT NULL REFERENCES surveys (id),
    channel        TEXT    NOT NULL,
    every_days     BIGINT  NOT NULL,
    sample_percent BIGINT  NOT NULL,
    active         BIGINT  NOT NULL,
    last_run_day   BIGINT,
    created_at     BIGINT  NOT NULL
);

-- Transactional surveys: an event with this name invites its customer after a delay.
CREATE TABLE event_triggers (
    id             BIGSERIAL PRIMARY KEY,
    workspace_id   BIGINT  NOT NULL REFERENCES workspaces (id),
    event          TEXT    NOT NULL,
    survey_id      BIGINT  NOT NULL REFERENCES surveys (id),
    channel        TEXT    NOT NULL,
    delay_minutes  BIGINT  NOT NULL,
    sample_percent BIGINT  NOT NULL,
    active         BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    UNIQUE (workspace_id, event, survey_id)
);

CREATE TABLE events (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    name         TEXT   NOT NULL,
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    attributes   TEXT   NOT NULL,
    occurred_at  BIGINT NOT NULL,
    external_id  TEXT,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, external_id)
);

-- The workspace's own wording of invitation emails and SMS, per language (JSON of
-- advocate_core::invitation::InvitationTextOverrides).
CREATE TABLE invitation_texts (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    language     TEXT   NOT NULL,
    texts        TEXT   NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, language)
);
