-- A message that carries a secret link (a password reset, an invitation to join a
-- workspace) is readable by its recipient alone: the outbox keeps its body for delivery,
-- and every view of the outbox shows it redacted (see `outbox::message_for_view`).
ALTER TABLE outbox ADD COLUMN secret BIGINT NOT NULL DEFAULT 0;
