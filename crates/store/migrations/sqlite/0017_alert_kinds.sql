-- An alert subscription watches one kind of survey: customer NPS (what every
-- subscription so far watched), CSAT (1–5) or eNPS (anonymous, gathered only).
ALTER TABLE alert_subscriptions ADD COLUMN survey_kind TEXT NOT NULL DEFAULT 'nps';
