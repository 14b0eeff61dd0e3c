-- The persistent work queue: effects of changes (to be turned into deliveries) and deliveries.
-- A job is written in the same transaction as the change that caused it.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL;
-- The id of the Follow a remote person sent to join (an Accept names it).
ALTER TABLE memberships ADD COLUMN follow_ap_id TEXT;
