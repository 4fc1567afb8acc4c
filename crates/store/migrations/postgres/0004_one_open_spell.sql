-- At most one open spell and one active loyalty membership per customer, so two writers
-- racing to open one cannot both succeed (the loser gets a unique violation and retries).
CREATE UNIQUE INDEX customer_spells_one_open
    ON customer_spells (workspace_id, customer_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX loyalty_one_active
    ON loyalty_memberships (workspace_id, customer_id) WHERE left_at IS NULL;
