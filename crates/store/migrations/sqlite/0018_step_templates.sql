-- A workspace may keep a template for one step of a score's playbook (`step`, its
-- position from 1) besides the score's own (`step` 0), so the key gains the step.
CREATE TABLE message_templates_by_step (
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    score        INTEGER NOT NULL,
    step         INTEGER NOT NULL DEFAULT 0,
    language     TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, score, step, language)
);
INSERT INTO message_templates_by_step (workspace_id, score, step, language, subject, body, updated_at)
    SELECT workspace_id, score, 0, language, subject, body, updated_at FROM message_templates;
DROP TABLE message_templates;
ALTER TABLE message_templates_by_step RENAME TO message_templates;
