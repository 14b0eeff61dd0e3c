DROP TRIGGER posts_fts_insert;
DROP TRIGGER posts_fts_delete;
DROP TRIGGER posts_fts_update;
DROP TABLE posts_fts;
ALTER TABLE posts DROP COLUMN files_text;
ALTER TABLE media DROP COLUMN text;
CREATE VIRTUAL TABLE posts_fts USING fts5(source, content = 'posts', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO posts_fts (posts_fts) VALUES ('rebuild');
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, source) VALUES (new.id, new.source);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, source) VALUES ('delete', old.id, old.source);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF source ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, source) VALUES ('delete', old.id, old.source);
    INSERT INTO posts_fts (rowid, source) VALUES (new.id, new.source);
END;
