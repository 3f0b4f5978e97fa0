-- ATL data model, PostgreSQL flavour. Mirrors ../sqlite/0001_initial_schema.sql column for column.
--
-- Conventions (see README.md):
--   * ids: BIGINT identity (never reused).
--   * timestamps: TIMESTAMPTZ, written by the application (never now()), so the SQL that
--     reads and writes them is shared with SQLite.
--   * JSON: JSONB.
--   * money: BIGINT nano-dollars (1e-9 USD), so sums are exact.
--   * statuses: TEXT with CHECK rather than enum types, so adding a value is a plain
--     constraint swap on both backends.

CREATE TABLE atl_teams (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE atl_api_keys (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id     BIGINT NOT NULL REFERENCES atl_teams (id) ON DELETE CASCADE,
    key_hash    TEXT NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    label       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX atl_api_keys_team ON atl_api_keys (team_id);

CREATE TABLE atl_campaigns (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id            BIGINT NOT NULL REFERENCES atl_teams (id),
    name               TEXT NOT NULL,
    uploaded_file      TEXT,
    total_targets      BIGINT NOT NULL DEFAULT 0 CHECK (total_targets >= 0),
    enriched_count     BIGINT NOT NULL DEFAULT 0 CHECK (enriched_count >= 0),
    in_progress_count  BIGINT NOT NULL DEFAULT 0 CHECK (in_progress_count >= 0),
    failed_count       BIGINT NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    status             TEXT NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'processing', 'paused', 'completed', 'failed', 'cancelled')),
    settings           JSONB NOT NULL DEFAULT '{}',
    import_report      JSONB,
    budget_nano_usd    BIGINT CHECK (budget_nano_usd IS NULL OR budget_nano_usd >= 0),
    cost_nano_usd      BIGINT NOT NULL DEFAULT 0,
    started_at         TIMESTAMPTZ,
    completed_at       TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX atl_campaigns_team_id ON atl_campaigns (team_id, id DESC);

CREATE TABLE atl_targets (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id          BIGINT NOT NULL REFERENCES atl_campaigns (id) ON DELETE CASCADE,
    row_number           BIGINT NOT NULL,
    company_name         TEXT NOT NULL,
    contact_name         TEXT,
    contact_email        TEXT,
    contact_title        TEXT,
    linkedin_url         TEXT,
    website              TEXT,
    domain               TEXT,
    extra                JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(extra) = 'object'),
    dedup_key            TEXT NOT NULL,
    enrichment_status    TEXT NOT NULL DEFAULT 'pending'
                         CHECK (enrichment_status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    enriched_data        JSONB,
    assigned_sub_agents  JSONB NOT NULL DEFAULT '["research","intel","enrichment","voice"]',
    failed_sub_agents    JSONB,
    cost_nano_usd        BIGINT NOT NULL DEFAULT 0,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    UNIQUE (campaign_id, dedup_key)
);
CREATE INDEX atl_targets_campaign_status ON atl_targets (campaign_id, enrichment_status);
CREATE INDEX atl_targets_campaign_row ON atl_targets (campaign_id, row_number);

CREATE TABLE enrichment_results (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id       BIGINT NOT NULL REFERENCES atl_campaigns (id) ON DELETE CASCADE,
    target_id         BIGINT NOT NULL REFERENCES atl_targets (id) ON DELETE CASCADE,
    sub_agent_type    TEXT NOT NULL CHECK (sub_agent_type IN ('research', 'intel', 'enrichment', 'voice')),
    result_data       JSONB NOT NULL,
    sources           JSONB NOT NULL DEFAULT '[]',
    confidence_score  DOUBLE PRECISION,
    -- NULL means the provider did not report a cost; 0 means it was free.
    cost_nano_usd     BIGINT,
    latency_ms        BIGINT,
    provider          TEXT,
    model             TEXT,
    tokens_in         BIGINT NOT NULL DEFAULT 0,
    tokens_out        BIGINT NOT NULL DEFAULT 0,
    synthetic         BOOLEAN NOT NULL DEFAULT FALSE,
    completed_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (target_id, sub_agent_type)
);
CREATE INDEX enrichment_results_campaign ON enrichment_results (campaign_id, sub_agent_type);

CREATE TABLE sub_agent_executions (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id       BIGINT NOT NULL REFERENCES atl_campaigns (id) ON DELETE CASCADE,
    target_id         BIGINT NOT NULL REFERENCES atl_targets (id) ON DELETE CASCADE,
    sub_agent_type    TEXT NOT NULL CHECK (sub_agent_type IN ('research', 'intel', 'enrichment', 'voice')),
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped')),
    attempts          BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      BIGINT NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    lease_owner       TEXT,
    lease_token       TEXT,
    lease_expires_at  TIMESTAMPTZ,
    run_after         TIMESTAMPTZ NOT NULL,
    last_error        TEXT,
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (target_id, sub_agent_type)
);
CREATE INDEX sub_agent_executions_ready ON sub_agent_executions (status, run_after);
CREATE INDEX sub_agent_executions_campaign ON sub_agent_executions (campaign_id, status);
-- The reaper looks only at running jobs whose lease has expired.
CREATE INDEX sub_agent_executions_leases ON sub_agent_executions (lease_expires_at)
    WHERE status = 'running';

CREATE TABLE atl_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  BIGINT NOT NULL REFERENCES atl_campaigns (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    payload      JSONB NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX atl_events_campaign ON atl_events (campaign_id, id);
