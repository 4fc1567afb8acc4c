-- Rate limits several instances share (PostgreSQL): per limit and key (a client address,
-- an email tried), the instant in milliseconds since the Unix epoch at which the key's
-- allowance is whole again (GCRA's "theoretical arrival time"). A row whose `full_at` has
-- passed is the same as no row, so old rows are deleted in small batches. On SQLite one
-- process owns the file and limits in memory; the table stays empty.
CREATE TABLE rate_limits (
    name    TEXT   NOT NULL,
    subject TEXT   NOT NULL,
    full_at BIGINT NOT NULL,
    PRIMARY KEY (name, subject)
);
CREATE INDEX rate_limits_by_full_at ON rate_limits (full_at);
