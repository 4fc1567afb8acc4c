-- Accounts: a person can belong to several workspaces with a role in each; sessions live
-- on the server (so signing out and expiry are real); API keys carry scopes and can be
-- revoked; one-time tokens for invitations and password resets; the audit log.

CREATE TABLE memberships (
    user_id      BIGINT NOT NULL REFERENCES users (id),
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    role         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, workspace_id)
);
CREATE INDEX memberships_by_workspace ON memberships (workspace_id);
-- Everyone who could sign in before was in charge of their workspace.
INSERT INTO memberships (user_id, workspace_id, role, created_at)
    SELECT id, workspace_id, 'admin', created_at FROM users;

-- The cookie holds a random id; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_hash      TEXT   PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    csrf_token   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'admin,ingest,read';
ALTER TABLE api_keys ADD COLUMN revoked_at BIGINT;

-- Invitations to join a workspace and password resets: single use, expiring, hashed.
CREATE TABLE user_tokens (
    token_hash   TEXT   PRIMARY KEY,
    purpose      TEXT   NOT NULL,
    email        TEXT   NOT NULL,
    workspace_id BIGINT REFERENCES workspaces (id),
    role         TEXT,
    created_by   TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);

CREATE TABLE audit_log (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    actor        TEXT   NOT NULL,
    action       TEXT   NOT NULL,
    target       TEXT   NOT NULL,
    detail       TEXT   NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, id);
