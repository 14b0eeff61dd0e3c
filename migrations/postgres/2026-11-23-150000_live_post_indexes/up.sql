-- Counting and listing a person's posts reads only this index (deleted posts are left out).
DROP INDEX posts_author;
CREATE INDEX posts_author_live ON posts (author_id, id) WHERE deleted_at IS NULL;
-- Instance statistics count local, live posts.
CREATE INDEX posts_local_live ON posts (id) WHERE ap_id IS NULL AND deleted_at IS NULL;
