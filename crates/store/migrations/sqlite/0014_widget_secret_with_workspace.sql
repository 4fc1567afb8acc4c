-- Every workspace has its widget secret from the start (it used to be made on the first
-- signed widget request, and shown nowhere): existing workspaces get theirs now.
INSERT INTO settings (key, value)
SELECT 'widget_secret:' || id, lower(hex(randomblob(32))) FROM workspaces WHERE true
ON CONFLICT (key) DO NOTHING;
