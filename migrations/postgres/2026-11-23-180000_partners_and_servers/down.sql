DROP TABLE servers;
ALTER TABLE groups DROP COLUMN partner_domains;
