DROP INDEX IF EXISTS posts_source_words;
DROP FUNCTION IF EXISTS gilde_words(text);
DROP FUNCTION IF EXISTS gilde_fold(text);
