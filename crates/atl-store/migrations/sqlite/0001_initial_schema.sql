-- ATL data model, SQLite flavour. Mirrors ../postgres/0001_initial_schema.sql column for column.
--
-- Conventions (see README.md):
--   * ids: INTEGER PRIMARY KEY (the rowid). AUTOINCREMENT where an id must never be reused
--     (campaigns are addressed by id in URLs, events are resumption cursors for SSE).
--   * timestamps: TEXT, always UTC, fixed width `YYYY-MM-DDTHH:MM:SS.ffffffZ`, written by the
--     application, so text order is time order.
--   * JSON: TEXT checked with json_valid().
--   * money: INTEGER nano-dollars (1e-9 USD), so sums are exact.

CREATE TABLE atl_teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE atl_api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id     INTEGER NOT NULL REFERENCES atl_teams (id) ON DELETE CASCADE,
    key_hash    TEXT NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    label       TEXT,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX atl_api_keys_team ON atl_api_keys (team_id);

CREATE TABLE atl_campaigns (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id            INTEGER NOT NULL REFERENCES atl_teams (id),
    name               TEXT NOT NULL,
    uploaded_file      TEXT,
    total_targets      INTEGER NOT NULL DEFAULT 0 CHECK (total_targets >= 0),
    enriched_count     INTEGER NOT NULL DEFAULT 0 CHECK (enriched_count >= 0),
    in_progress_count  INTEGER NOT NULL DEFAULT 0 CHECK (in_progress_count >= 0),
    failed_count       INTEGER NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    status             TEXT NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'processing', 'paused', 'completed', 'failed', 'cancelled')),
    settings           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    import_report      TEXT CHECK (import_report IS NULL OR json_valid(import_report)),
    budget_nano_usd    INTEGER CHECK (budget_nano_usd IS NULL OR budget_nano_usd >= 0),
    cost_nano_usd      INTEGER NOT NULL DEFAULT 0,
    started_at         TEXT,
    completed_at       TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX atl_campaigns_team_id ON atl_campaigns (team_id, id DESC);

CREATE TABLE atl_targets (
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
                         CHECK (enrichment_status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    enriched_data        TEXT CHECK (enriched_data IS NULL OR json_valid(enriched_data)),
    assigned_sub_agents  TEXT NOT NULL DEFAULT '["research","intel","enrichment","voice"]'
                         CHECK (json_valid(assigned_sub_agents)),
    failed_sub_agents    TEXT CHECK (failed_sub_agents IS NULL OR json_valid(failed_sub_agents)),
    cost_nano_usd        INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (campaign_id, dedup_key)
);
CREATE INDEX atl_targets_campaign_status ON atl_targets (campaign_id, enrichment_status);
CREATE INDEX atl_targets_campaign_row ON atl_targets (campaign_id, row_number);

CREATE TABLE enrichment_results (
    id                INTEGER PRIMARY KEY,
    campaign_id       INTEGER NOT NULL REFERENCES atl_campaigns (id) ON DELETE CASCADE,
    target_id         INTEGER NOT NULL REFERENCES atl_targets (id) ON DELETE CASCADE,
    sub_agent_type    TEXT NOT NULL CHECK (sub_agent_type IN ('research', 'intel', 'enrichment', 'voice')),
    result_data       TEXT NOT NULL CHECK (json_valid(result_data)),
    sources           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources)),
    confidence_score  REAL,
    -- NULL means the provider did not report a cost; 0 means it was free.
    cost_nano_usd     INTEGER,
    latency_ms        INTEGER,
    provider          TEXT,
    model             TEXT,
    tokens_in         INTEGER NOT NULL DEFAULT 0,
    tokens_out        INTEGER NOT NULL DEFAULT 0,
    synthetic         INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
    completed_at      TEXT NOT NULL,
    UNIQUE (target_id, sub_agent_type)
);
CREATE INDEX enrichment_results_campaign ON enrichment_results (campaign_id, sub_agent_type);

CREATE TABLE sub_agent_executions (
    id                INTEGER PRIMARY KEY,
    campaign_id       INTEGER NOT NULL REFERENCES atl_campaigns (id) ON DELETE CASCADE,
    target_id         INTEGER NOT NULL REFERENCES atl_targets (id) ON DELETE CASCADE,
    sub_agent_type    TEXT NOT NULL CHECK (sub_agent_type IN ('research', 'intel', 'enrichment', 'voice')),
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    lease_owner       TEXT,
    lease_token       TEXT,
    lease_expires_at  TEXT,
    run_after         TEXT NOT NULL,
    last_error        TEXT,
    started_at        TEXT,
    finished_at       TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (target_id, sub_agent_type)
);
CREATE INDEX sub_agent_executions_ready ON sub_agent_executions (status, run_after);
CREATE INDEX sub_agent_executions_campaign ON sub_agent_executions (campaign_id, status);
-- The reaper looks only at running jobs whose lease has expired.
CREATE INDEX sub_agent_executions_leases ON sub_agent_executions (lease_expires_at)
    WHERE status = 'running';

CREATE TABLE atl_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id  INTEGER NOT NULL REFERENCES atl_campaigns (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    created_at   TEXT NOT NULL
);
CREATE INDEX atl_events_campaign ON atl_events (campaign_id, id);
