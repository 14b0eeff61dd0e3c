ALTER TABLE follows DROP COLUMN follow_ap_id;
ALTER TABLE servers DROP COLUMN last_refusal_at;
ALTER TABLE servers DROP COLUMN last_refusal;
DROP TABLE sent_activities;
