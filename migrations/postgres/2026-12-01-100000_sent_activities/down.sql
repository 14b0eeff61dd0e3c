ALTER TABLE servers DROP COLUMN last_refusal_at;
ALTER TABLE servers DROP COLUMN last_refusal;
DROP TABLE sent_activities;
