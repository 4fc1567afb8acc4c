-- Every workspace has its widget secret from the start (it used to be made on the first
-- signed widget request, and shown nowhere): existing workspaces get theirs now. Two
-- random UUIDs (built in since PostgreSQL 13) give 64 hex digits, 244 of them random.
INSERT INTO settings (key, value)
SELECT 'widget_secret:' || id,
       replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')
FROM workspaces WHERE true
ON CONFLICT (key) DO NOTHING;
