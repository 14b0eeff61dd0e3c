-- Every activity this instance sends, so that its id can be fetched and returns it (other
-- servers look up what they are sent). `public`: anyone may fetch it; otherwise only signed
-- requests from the servers it went to (`audience`: their domains, one per line).
CREATE TABLE sent_activities (
    ap_id TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    audience TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
-- The last time a server refused a delivery (answered 4xx): the status and the start of its
-- answer, for the admin (a refusal is final and is not retried).
ALTER TABLE servers ADD COLUMN last_refusal TEXT;
ALTER TABLE servers ADD COLUMN last_refusal_at TIMESTAMP;
-- People follow people across servers: the id of a remote follower's Follow, to answer it
-- (Accept) and to recognise its Undo.
ALTER TABLE follows ADD COLUMN follow_ap_id TEXT;
