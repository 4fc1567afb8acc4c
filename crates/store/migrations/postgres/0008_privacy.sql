-- Privacy: erasure of one person, answer retention and eNPS anonymity.

-- Set when an answer was anonymised (its person erased, or older than the workspace's
-- retention): comment, customer link, attribute snapshot and ids are gone, the score is
-- still counted in the rollups, and the score can no longer change (the rollup rows it
-- was counted under are no longer known).
ALTER TABLE answers ADD COLUMN anonymised_at BIGINT;

-- eNPS answers are anonymous: undo any link stored before this rule existed.
UPDATE invitations SET answer_id = NULL
 WHERE survey_id IN (SELECT id FROM surveys WHERE kind = 'enps');
UPDATE answers SET customer_id = NULL, idempotency_key = NULL
 WHERE survey_id IN (SELECT id FROM surveys WHERE kind = 'enps');
