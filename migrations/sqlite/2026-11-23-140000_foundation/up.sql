-- People: local accounts and (from federation on) remote actors. Local rows leave the AP fields NULL:
-- they are derived from the instance domain. Remote rows store them.
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    domain TEXT,
    display_name TEXT NOT NULL DEFAULT '',
    bio TEXT NOT NULL DEFAULT '',
    bio_html TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    ap_id TEXT UNIQUE,
    inbox_url TEXT,
    shared_inbox_url TEXT,
    public_key TEXT,
    private_key TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_fetched_at TIMESTAMP
);
CREATE UNIQUE INDEX people_username_domain ON people (username, coalesce(domain, ''));
CREATE INDEX people_department ON people (department);

CREATE TABLE local_accounts (
    person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT 0,
    locale TEXT,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE person_expertise (
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (person_id, tag)
);
CREATE INDEX person_expertise_tag ON person_expertise (tag);

CREATE TABLE follows (
    follower_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    followed_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    accepted BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (follower_id, followed_id)
);
CREATE INDEX follows_followed ON follows (followed_id);

CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT,
    display_name TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    note_html TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL,
    visibility TEXT NOT NULL,
    announcements_only BOOLEAN NOT NULL DEFAULT 0,
    ap_id TEXT UNIQUE,
    inbox_url TEXT,
    shared_inbox_url TEXT,
    public_key TEXT,
    private_key TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_fetched_at TIMESTAMP
);
CREATE UNIQUE INDEX groups_name_domain ON groups (name, coalesce(domain, ''));

CREATE TABLE memberships (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    state TEXT NOT NULL,
    invited_by_id INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX memberships_person ON memberships (person_id, state);
CREATE INDEX memberships_group_state ON memberships (group_id, state);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    ap_id TEXT UNIQUE,
    author_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    group_id INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    in_reply_to_id INTEGER REFERENCES posts (id) ON DELETE SET NULL,
    root_id INTEGER REFERENCES posts (id) ON DELETE CASCADE,
    visibility TEXT NOT NULL,
    source TEXT NOT NULL,
    content_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE INDEX posts_group_threads ON posts (group_id, id) WHERE root_id IS NULL AND deleted_at IS NULL;
CREATE INDEX posts_author ON posts (author_id, id);
CREATE INDEX posts_root ON posts (root_id, id);
CREATE INDEX posts_in_reply_to ON posts (in_reply_to_id);

CREATE TABLE favourites (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (post_id, person_id)
);
CREATE INDEX favourites_person ON favourites (person_id);

CREATE TABLE mentions (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, person_id)
);
CREATE INDEX mentions_person ON mentions (person_id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    recipient_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE,
    group_id INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_recipient ON notifications (recipient_id, id);

CREATE TABLE oauth_apps (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,
    name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    scopes TEXT NOT NULL,
    website TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE oauth_codes (
    id INTEGER PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    app_id INTEGER NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE oauth_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    app_id INTEGER REFERENCES oauth_apps (id) ON DELETE CASCADE,
    person_id INTEGER REFERENCES people (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
