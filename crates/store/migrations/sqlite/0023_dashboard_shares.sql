-- A read-only link to one dashboard view, for a wall screen or someone without an
-- account. Only the SHA-256 of its token is kept (a copy of the database opens nothing);
-- `view` is the dashboard's query string it shows, checked when the link is made. A link
-- ends at `expires_at` or when revoked, whichever comes first.
CREATE TABLE dashboard_shares (
    id           INTEGER   PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    token_hash   TEXT   NOT NULL UNIQUE,
    view         TEXT   NOT NULL,
    label        TEXT   NOT NULL,
    created_by   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX dashboard_shares_by_workspace ON dashboard_shares (workspace_id, created_at);
