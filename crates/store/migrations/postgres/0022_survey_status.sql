-- A survey is active (collecting answers), paused (closed for now, may be reactivated)
-- or archived (closed, kept for its answers). Every survey so far was active.
ALTER TABLE surveys ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'paused', 'archived'));
