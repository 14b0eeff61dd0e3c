ALTER TABLE people DROP COLUMN posts_count;
