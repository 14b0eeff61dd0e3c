-- Full-text search of posts: a GIN index of the words of posts.source, lower case with the
-- accents of Latin letters folded and everything but letters and digits taken as a space (as
-- SQLite's unicode61 tokenizer does: "Mastodon.py" is two words), no stemming, so Dutch and
-- English are treated alike. Queries match every word as a prefix ("vergunning" finds
-- "vergunningen"). Built-in functions only: no extension to install.
CREATE FUNCTION gilde_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT translate(lower($1), 'àáâãäåèéêëìíîïòóôõöùúûüýÿçñ', 'aaaaaaeeeeiiiiooooouuuuyycn') $$;
CREATE FUNCTION gilde_words(text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple', regexp_replace(gilde_fold($1), '[^[:alnum:]]+', ' ', 'g')) $$;
CREATE INDEX posts_source_words ON posts USING GIN (gilde_words(source));
