-- How many posts (not deleted) each person wrote, kept as posts are written and deleted, so
-- that writing a post no longer counts the author's whole history.
ALTER TABLE people ADD COLUMN posts_count BIGINT NOT NULL DEFAULT 0;
UPDATE people SET posts_count = (SELECT COUNT(*) FROM posts WHERE posts.author_id = people.id AND posts.deleted_at IS NULL);
