ALTER TABLE groups DROP COLUMN avatar_url;
ALTER TABLE groups DROP COLUMN avatar_id;
ALTER TABLE people DROP COLUMN avatar_url;
ALTER TABLE people DROP COLUMN avatar_id;
DROP TABLE media;
