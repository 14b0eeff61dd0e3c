-- A federated group may narrow whom it federates with to some domains or *.suffixes (one per
-- line); empty means: as the instance allows.
ALTER TABLE groups ADD COLUMN partner_domains TEXT NOT NULL DEFAULT '';
-- Other servers as deliveries find them: one that keeps failing for days is marked dead and
-- then tried rarely, until a delivery or an incoming activity shows it is back.
CREATE TABLE servers (
    domain TEXT PRIMARY KEY,
    failing_since TIMESTAMP,
    dead_since TIMESTAMP,
    last_success_at TIMESTAMP,
    -- What the server runs (NodeInfo software.name), once known: whether it shows threads
    -- with their replies (Gilde, Lemmy) or only top-level posts to group followers (Mastodon).
    software TEXT
);
-- The server a delivery goes to (its domain), so that its waiting deliveries can be sent at
-- once when a dead server shows it is back.
ALTER TABLE jobs ADD COLUMN target TEXT;
CREATE INDEX jobs_target ON jobs (target) WHERE done_at IS NULL;
