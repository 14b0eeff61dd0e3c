DROP INDEX jobs_target;
ALTER TABLE jobs DROP COLUMN target;
DROP TABLE servers;
ALTER TABLE groups DROP COLUMN partner_domains;
