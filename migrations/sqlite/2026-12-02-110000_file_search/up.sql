-- Search finds posts by their files too: a document's text (PDF, OpenDocument, Office) is kept
-- with the file, and a post's `files_text` holds its files' names, descriptions and text. The
-- full-text index covers both the post's source and its files' text.
ALTER TABLE media ADD COLUMN text TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN files_text TEXT NOT NULL DEFAULT '';
DROP TRIGGER posts_fts_insert;
DROP TRIGGER posts_fts_delete;
DROP TRIGGER posts_fts_update;
DROP TABLE posts_fts;
CREATE VIRTUAL TABLE posts_fts USING fts5(source, files_text, content = 'posts', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO posts_fts (posts_fts) VALUES ('rebuild');
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, source, files_text) VALUES (new.id, new.source, new.files_text);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, source, files_text) VALUES ('delete', old.id, old.source, old.files_text);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF source, files_text ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, source, files_text) VALUES ('delete', old.id, old.source, old.files_text);
    INSERT INTO posts_fts (rowid, source, files_text) VALUES (new.id, new.source, new.files_text);
END;
