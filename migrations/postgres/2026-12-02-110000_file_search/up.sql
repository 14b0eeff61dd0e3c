-- Search finds posts by their files too: a document's text (PDF, OpenDocument, Office) is kept
-- with the file, and a post's `files_text` holds its files' names, descriptions and text. The
-- full-text index covers both the post's source and its files' text.
ALTER TABLE media ADD COLUMN text TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN files_text TEXT NOT NULL DEFAULT '';
DROP INDEX posts_source_words;
CREATE INDEX posts_words ON posts USING GIN (gilde_words(source || ' ' || files_text));
