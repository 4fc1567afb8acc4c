-- Staff write and read in their own language and time zone: alerts, digests, team
-- invitations and password resets use the language; digests arrive at a morning hour
-- in the zone (an IANA name such as Europe/Oslo).
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

-- The conversation on a case: what agents wrote to the customer (direction 'out', sent
-- through the outbox) and what came back (direction 'in'). `nature` tells a person's
-- reply from an automatic one: 'message' (agent), 'reply', 'auto_reply', 'bounce'.
-- `message_id` is the RFC 5322 Message-ID without brackets; replies find their case by
-- the reply address's token or by In-Reply-To/References naming one of these.
CREATE TABLE case_messages (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    case_id      BIGINT NOT NULL REFERENCES cases (id),
    direction    TEXT   NOT NULL,
    nature       TEXT   NOT NULL,
    author       TEXT   NOT NULL,
    from_address TEXT   NOT NULL,
    to_address   TEXT   NOT NULL,
    subject      TEXT   NOT NULL,
    body         TEXT   NOT NULL,
    message_id   TEXT   NOT NULL,
    in_reply_to  TEXT,
    attachments  TEXT   NOT NULL,
    outbox_key   TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX case_messages_by_case ON case_messages (case_id, created_at);
CREATE INDEX case_messages_by_message_id ON case_messages (workspace_id, message_id);

-- Every inbound email, once: `digest` (of its Message-ID, or of its bytes when it has
-- none) is unique, so a message read twice, or by two instances polling one mailbox,
-- is taken once. Matched mail points at the case message it became; unmatched mail
-- waits here (status 'unmatched') until an admin assigns it to a case or dismisses it.
-- workspace_id is NULL when nothing in the message names a workspace.
CREATE TABLE inbound_mail (
    id              BIGSERIAL PRIMARY KEY,
    workspace_id    BIGINT REFERENCES workspaces (id),
    digest          TEXT   NOT NULL UNIQUE,
    source          TEXT   NOT NULL,
    status          TEXT   NOT NULL,
    nature          TEXT   NOT NULL,
    reason          TEXT,
    message_id      TEXT,
    from_address    TEXT   NOT NULL,
    to_address      TEXT   NOT NULL,
    subject         TEXT   NOT NULL,
    body            TEXT   NOT NULL,
    in_reply_to     TEXT,
    attachments     TEXT   NOT NULL,
    size_bytes      BIGINT NOT NULL,
    case_message_id BIGINT REFERENCES case_messages (id),
    received_at     BIGINT NOT NULL,
    handled_at      BIGINT,
    handled_by      TEXT
);
CREATE INDEX inbound_mail_unmatched ON inbound_mail (workspace_id, status, received_at);

-- What agents write to customers, per score and language, when the workspace changed
-- the built-in text; language '' applies to every language without its own row.
CREATE TABLE message_templates (
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    score        INTEGER NOT NULL,
    language     TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, score, language)
);

-- A person's alerts: answers matching the filters go to one channel, at once or
-- gathered every `batch_minutes`. NULL filters match anything.
CREATE TABLE alert_subscriptions (
    id                BIGSERIAL PRIMARY KEY,
    workspace_id      BIGINT  NOT NULL REFERENCES workspaces (id),
    user_id           BIGINT  NOT NULL REFERENCES users (id),
    channel           TEXT    NOT NULL,
    target            TEXT,
    min_score         INTEGER NOT NULL,
    max_score         INTEGER NOT NULL,
    survey_id         BIGINT  REFERENCES surveys (id),
    touchpoint        TEXT,
    segment_key       TEXT,
    segment_value     TEXT,
    only_with_comment INTEGER NOT NULL,
    batch_minutes     INTEGER NOT NULL,
    created_at        BIGINT  NOT NULL
);
CREATE INDEX alert_subscriptions_by_workspace ON alert_subscriptions (workspace_id);

-- Answers waiting for a batched subscription's next message.
CREATE TABLE alert_batch_items (
    subscription_id BIGINT NOT NULL REFERENCES alert_subscriptions (id),
    answer_id       BIGINT NOT NULL REFERENCES answers (id),
    queued_at       BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, answer_id)
);

-- A member's digest in one workspace: 'off', 'daily' or 'weekly', at `digest_hour` in
-- their time zone; `digest_sent_at` keeps one digest per period across restarts.
ALTER TABLE memberships ADD COLUMN digest TEXT NOT NULL DEFAULT 'off';
ALTER TABLE memberships ADD COLUMN digest_hour INTEGER NOT NULL DEFAULT 8;
ALTER TABLE memberships ADD COLUMN digest_sent_at BIGINT;
