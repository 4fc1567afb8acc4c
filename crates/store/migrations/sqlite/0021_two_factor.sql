-- Two-factor sign-in (TOTP, RFC 6238). One row per person who started enrolment: the
-- base32 secret their authenticator app holds (the server must compute codes from it, so
-- it cannot be hashed), pending until confirmed_at is set by a first correct code.
-- last_step is the time step of the last code accepted: a code is never accepted twice.
CREATE TABLE two_factor (
    user_id      BIGINT PRIMARY KEY REFERENCES users (id),
    secret       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT
);

-- One-time recovery codes, only their SHA-256 stored (like session secrets), each used
-- at most once.
CREATE TABLE recovery_codes (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    code_hash  TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
