DROP INDEX posts_local_live;
DROP INDEX posts_author_live;
CREATE INDEX posts_author ON posts (author_id, id);
