-- no-transaction
-- Partial targets, every attempt's spend, jobs that wait for a provider, and the worker
-- table. Mirrors ../postgres/0003_partial_targets_and_attempts.sql column for column.
--
-- SQLite cannot change a CHECK constraint in place, so atl_targets is rebuilt with the
-- twelve-step procedure of the SQLite documentation ("Making Other Kinds Of Table Schema
-- Changes"). Foreign keys must be off while the old table is dropped, or the drop would
-- delete every result and job through their ON DELETE CASCADE; the pragma is a no-op
-- inside a transaction, hence `no-transaction` above and the explicit BEGIN/COMMIT below.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE atl_targets_new (
    id                   INTEGER PRIMARY KEY,
    campaign_id          INTEGER NOT NULL REFERENCES atl_campaigns (id) ON DELETE CASCADE,
    row_number           INTEGER NOT NULL,
    company_name         TEXT NOT NULL,
    contact_name         TEXT,
    contact_email        TEXT,
    contact_title        TEXT,
    linkedin_url         TEXT,
    website              TEXT,
    domain               TEXT,
    extra                TEXT NOT NULL DEFAULT '{}'
                         CHECK (json_valid(extra) AND json_type(extra) = 'object'),
    dedup_key            TEXT NOT NULL,
    enrichment_status    TEXT NOT NULL DEFAULT 'pending'
                         CHECK (enrichment_status IN ('pending', 'processing', 'completed', 'partial', 'failed', 'cancelled')),
    enriched_data        TEXT CHECK (enriched_data IS NULL OR json_valid(enriched_data)),
    assigned_sub_agents  TEXT NOT NULL DEFAULT '["research","intel","enrichment","voice"]'
                         CHECK (json_valid(assigned_sub_agents)),
    failed_sub_agents    TEXT CHECK (failed_sub_agents IS NULL OR json_valid(failed_sub_agents)),
    cost_nano_usd        INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (campaign_id, dedup_key)
);
INSERT INTO atl_targets_new (id, campaign_id, row_number, company_name, contact_name,
    contact_email, contact_title, linkedin_url, website, domain, extra, dedup_key,
    enrichment_status, enriched_data, assigned_sub_agents, failed_sub_agents, cost_nano_usd,
    created_at, updated_at)
SELECT id, campaign_id, row_number, company_name, contact_name, contact_email,
    contact_title, linkedin_url, website, domain, extra, dedup_key, enrichment_status,
    enriched_data, assigned_sub_agents, failed_sub_agents, cost_nano_usd, created_at,
    updated_at
FROM atl_targets;
DROP TABLE atl_targets;
ALTER TABLE atl_targets_new RENAME TO atl_targets;
CREATE INDEX atl_targets_campaign_status ON atl_targets (campaign_id, enrichment_status);
CREATE INDEX atl_targets_campaign_row ON atl_targets (campaign_id, row_number);

-- Targets with some but not all results.
ALTER TABLE atl_campaigns ADD COLUMN partial_count INTEGER NOT NULL DEFAULT 0
    CHECK (partial_count >= 0);
-- What attempts that produced no committed result spent (failed, retried, snoozed, lease
-- lost, abandoned): the part of cost_nano_usd that bought nothing.
ALTER TABLE atl_campaigns ADD COLUMN failed_spend_nano_usd INTEGER NOT NULL DEFAULT 0
    CHECK (failed_spend_nano_usd >= 0);
-- Such attempts that made a call of unknown price: never counted as zero.
ALTER TABLE atl_campaigns ADD COLUMN unknown_cost_attempts INTEGER NOT NULL DEFAULT 0
    CHECK (unknown_cost_attempts >= 0);

-- Claims of this job so far, never decreased (attempts is, when a run only waited for a
-- provider): numbers each run, for its booked spend and the names of the files it writes.
ALTER TABLE sub_agent_executions ADD COLUMN runs INTEGER NOT NULL DEFAULT 0
    CHECK (runs >= 0);
-- When a provider first became unavailable to this job (rate limit, open circuit, outage);
-- cleared by any other outcome. The job gives up once this is older than its patience.
ALTER TABLE sub_agent_executions ADD COLUMN waiting_since TEXT;
-- The agent's high estimate for this job's own input, once known: what a budgeted claim
-- reserves (a typical estimate stands in before the first run).
ALTER TABLE sub_agent_executions ADD COLUMN estimate_nano_usd INTEGER
    CHECK (estimate_nano_usd IS NULL OR estimate_nano_usd >= 0);
-- Releasing a dead worker's leases finds them by owner.
CREATE INDEX sub_agent_executions_owner ON sub_agent_executions (lease_owner)
    WHERE status = 'running';

-- One row per run of a job, booked whatever became of the run, at most once.
CREATE TABLE sub_agent_attempts (
    job_id              INTEGER NOT NULL REFERENCES sub_agent_executions (id) ON DELETE CASCADE,
    run                 INTEGER NOT NULL CHECK (run >= 1),
    campaign_id         INTEGER NOT NULL REFERENCES atl_campaigns (id) ON DELETE CASCADE,
    outcome             TEXT NOT NULL
                        CHECK (outcome IN ('completed', 'retrying', 'waiting', 'failed', 'lease_lost', 'abandoned')),
    spent_nano_usd      INTEGER NOT NULL DEFAULT 0 CHECK (spent_nano_usd >= 0),
    unknown_cost_calls  INTEGER NOT NULL DEFAULT 0 CHECK (unknown_cost_calls >= 0),
    error               TEXT,
    booked_at           TEXT NOT NULL,
    PRIMARY KEY (job_id, run)
);
CREATE INDEX sub_agent_attempts_campaign ON sub_agent_attempts (campaign_id);

-- Coordinators that hold (or may hold) leases. The heartbeat is stamped with the
-- database's clock; a worker without one for long enough is dead and its leases are
-- freed at once.
CREATE TABLE atl_workers (
    id            TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL
);
CREATE INDEX atl_workers_heartbeat ON atl_workers (heartbeat_at);

-- Existing rows under the new rules.
UPDATE sub_agent_executions SET runs = attempts;
UPDATE atl_targets SET enrichment_status = 'partial'
WHERE enrichment_status = 'completed' AND EXISTS (
    SELECT 1 FROM sub_agent_executions j WHERE j.target_id = atl_targets.id
    AND j.status IN ('failed', 'skipped'));
UPDATE atl_targets SET failed_sub_agents = (
    SELECT NULLIF(json_group_array(json_object('sub_agent', j.sub_agent_type,
                                               'status', j.status, 'reason', j.last_error)
                                   ORDER BY j.id), '[]')
    FROM sub_agent_executions j
    WHERE j.target_id = atl_targets.id AND j.status IN ('failed', 'skipped'));
UPDATE atl_campaigns SET
    enriched_count = (SELECT COUNT(*) FROM atl_targets t WHERE t.campaign_id = atl_campaigns.id
                      AND t.enrichment_status = 'completed'),
    partial_count = (SELECT COUNT(*) FROM atl_targets t WHERE t.campaign_id = atl_campaigns.id
                     AND t.enrichment_status = 'partial'),
    failed_spend_nano_usd = (SELECT COALESCE(SUM(j.spent_nano_usd), 0)
                             FROM sub_agent_executions j
                             WHERE j.campaign_id = atl_campaigns.id);
UPDATE atl_campaigns SET status = 'failed'
WHERE status = 'completed' AND enriched_count = 0 AND partial_count = 0 AND failed_count > 0;

PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
