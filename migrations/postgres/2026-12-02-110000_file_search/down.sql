DROP INDEX posts_words;
CREATE INDEX posts_source_words ON posts USING GIN (gilde_words(source));
ALTER TABLE posts DROP COLUMN files_text;
ALTER TABLE media DROP COLUMN text;
