-- Single sign-on with OpenID Connect, one provider per workspace. The client secret is
-- kept as given (it is sent to the provider's token endpoint, so it cannot be hashed);
-- it is never shown back in full. allowed_domains: one per line, empty for any domain.
-- password_sign_in = 0: members of the workspace cannot sign in with a password.
CREATE TABLE workspace_sso (
    workspace_id     BIGINT PRIMARY KEY REFERENCES workspaces (id),
    issuer           TEXT   NOT NULL,
    client_id        TEXT   NOT NULL,
    client_secret    TEXT   NOT NULL,
    allowed_domains  TEXT   NOT NULL,
    required_group   TEXT,
    default_role     TEXT   NOT NULL,
    password_sign_in BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
