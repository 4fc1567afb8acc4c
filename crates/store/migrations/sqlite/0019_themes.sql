-- What customers write about (issue 18). The taxonomy itself lives in core; a workspace
-- keeps only its changes to it.

-- One row per theme an answer's comment mentions, with that mention's sentiment
-- (positive, neutral, negative). Written with the answer, rewritten when the taxonomy
-- changes; rows tagged by hand (manual = 1) survive re-tagging.
CREATE TABLE answer_themes (
    answer_id    BIGINT  NOT NULL REFERENCES answers (id),
    workspace_id BIGINT  NOT NULL,
    theme        TEXT    NOT NULL,
    sentiment    TEXT    NOT NULL,
    manual       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (answer_id, theme)
);
CREATE INDEX answer_themes_by_theme ON answer_themes (workspace_id, theme, answer_id);

-- The comment's own sentiment, and the taxonomy version (the last theme_edits id, 0 for
-- the built-in taxonomy) it was tagged with; NULL: not analysed (no comment, or a
-- language Advocate does not read).
ALTER TABLE answers ADD COLUMN sentiment TEXT;
ALTER TABLE answers ADD COLUMN themes_version BIGINT;

-- A workspace's changes to the built-in taxonomy (core TaxonomyEdit as JSON), applied in
-- id order.
CREATE TABLE theme_edits (
    id           INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    edit         TEXT   NOT NULL,
    actor        TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX theme_edits_by_workspace ON theme_edits (workspace_id, id);

-- Re-tagging in the background after the taxonomy changed, resumable, with progress.
CREATE TABLE theme_retag (
    workspace_id   BIGINT PRIMARY KEY REFERENCES workspaces (id),
    version        BIGINT NOT NULL,
    total          BIGINT NOT NULL,
    done           BIGINT NOT NULL,
    last_answer_id BIGINT NOT NULL,
    started_at     BIGINT NOT NULL,
    finished_at    BIGINT
);
