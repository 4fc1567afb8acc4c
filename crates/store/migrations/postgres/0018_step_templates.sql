-- A workspace may keep a template for one step of a score's playbook (`step`, its
-- position from 1) besides the score's own (`step` 0), so the key gains the step.
ALTER TABLE message_templates ADD COLUMN step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_templates DROP CONSTRAINT message_templates_pkey;
ALTER TABLE message_templates ADD PRIMARY KEY (workspace_id, score, step, language);
