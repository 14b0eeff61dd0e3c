-- Full-text search of posts: a GIN index of the words of posts.source, lower case with the
-- accents of Latin letters folded (as SQLite's unicode61 tokenizer does), no stemming, so Dutch
-- and English are treated alike. Queries match every word as a prefix ("vergunning" finds
-- "vergunningen"). Built-in functions only: no extension to install.
CREATE FUNCTION gilde_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT translate(lower($1), 'àáâãäåèéêëìíîïòóôõöùúûüýÿçñ', 'aaaaaaeeeeiiiiooooouuuuyycn') $$;
CREATE INDEX posts_source_words ON posts USING GIN (to_tsvector('simple', gilde_fold(source)));
