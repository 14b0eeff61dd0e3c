DROP TABLE deletion_deliveries;
DROP TABLE account_deletions;
ALTER TABLE people DROP COLUMN deleted_at;
