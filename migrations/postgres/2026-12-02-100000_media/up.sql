-- Files people upload (images and documents), and those of remote posts (kept as links).
-- A local upload belongs to its owner until it is attached to a post (`post_id`); an upload
-- left unattached for a day is removed. Who may fetch a file follows its post.
CREATE TABLE media (
    id BIGSERIAL PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    post_id BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    position BIGINT NOT NULL DEFAULT 0,
    -- `image` or `document`.
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    width BIGINT,
    height BIGINT,
    preview_width BIGINT,
    preview_height BIGINT,
    -- Alt text of an image; a document's description.
    description TEXT NOT NULL DEFAULT '',
    -- Mastodon's focal point, `x,y` in -1..1; empty for the centre.
    focus TEXT NOT NULL DEFAULT '',
    blurhash TEXT,
    -- Where the bytes are kept (a key in the storage; NULL for a remote file).
    file_key TEXT,
    preview_key TEXT,
    -- The unguessable part of the file's address.
    token TEXT NOT NULL UNIQUE,
    -- A remote post's attachment: its address on its own server.
    remote_url TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX media_post ON media (post_id, position);
CREATE INDEX media_unattached ON media (created_at) WHERE post_id IS NULL;
-- A picture of a person or a group: an upload here, or the address of a remote actor's icon.
ALTER TABLE people ADD COLUMN avatar_id BIGINT REFERENCES media (id) ON DELETE SET NULL;
ALTER TABLE people ADD COLUMN avatar_url TEXT;
ALTER TABLE groups ADD COLUMN avatar_id BIGINT REFERENCES media (id) ON DELETE SET NULL;
ALTER TABLE groups ADD COLUMN avatar_url TEXT;
