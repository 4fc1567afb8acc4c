-- A personal API key belongs to one person in its workspace and can do no more than
-- their role allows (an agent's key reaches only their own cases and customers). NULL:
-- a workspace key, as before.
ALTER TABLE api_keys ADD COLUMN user_id BIGINT REFERENCES users (id);
CREATE INDEX api_keys_by_user ON api_keys (user_id) WHERE user_id IS NOT NULL;
