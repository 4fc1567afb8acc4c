-- Every change of an answer's score (a respondent may change it for a while after
-- answering), so the customer's timeline shows it and the reaction to it can be traced.
CREATE TABLE score_changes (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    answer_id    BIGINT  NOT NULL REFERENCES answers (id),
    from_score   INTEGER NOT NULL,
    to_score     INTEGER NOT NULL,
    changed_at   BIGINT  NOT NULL
);
CREATE INDEX score_changes_by_answer ON score_changes (answer_id, changed_at);
