ALTER TABLE memberships DROP COLUMN follow_ap_id;
DROP TABLE jobs;
