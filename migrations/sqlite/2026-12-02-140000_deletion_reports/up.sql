-- When a person was deleted (kept on the person's row, which stays so that the name stays
-- taken): their actor answers 410 Gone, and a deleted person of another server never returns.
ALTER TABLE people ADD COLUMN deleted_at TIMESTAMP;

-- Account deletions, for the admin: who, when, and per server whether the Delete arrived.
CREATE TABLE account_deletions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id BIGINT NOT NULL REFERENCES people (id),
    username TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    deleted_at TIMESTAMP NOT NULL
);
CREATE INDEX account_deletions_activity ON account_deletions (activity_id);

CREATE TABLE deletion_deliveries (
    deletion_id BIGINT NOT NULL REFERENCES account_deletions (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    -- waiting, delivered, refused (the server answered 4xx) or failed (given up)
    state TEXT NOT NULL,
    detail TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (deletion_id, domain)
);
