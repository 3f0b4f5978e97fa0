//! The ledger's SQL. Shared text unless a backend needs its own (`_SQLITE` / `_PG`): the
//! PostgreSQL claim locks rows (`FOR UPDATE … SKIP LOCKED`) where SQLite relies on its
//! single writer (`BEGIN IMMEDIATE`), and JSON is edited with each engine's functions.

pub(crate) const CAMPAIGN_STATUS: &str = "SELECT status FROM atl_campaigns WHERE id = $1";

/// One pending job per (target, kind), numbered target by target in a fixed kind order
/// (voice last), idempotent through the unique (target_id, sub_agent_type). Unwanted
/// kinds are bound as NULL, which matches nothing, so the text stays constant.
pub(super) const INSERT_JOBS: &str = "INSERT INTO sub_agent_executions \
    (campaign_id, target_id, sub_agent_type, status, attempts, max_attempts, run_after, \
     created_at, updated_at) \
    SELECT $1, t.id, k.column2, 'pending', 0, $2, $3, $3, $3 \
    FROM atl_targets t \
    CROSS JOIN (VALUES (1, 'research'), (2, 'intel'), (3, 'enrichment'), (4, 'voice')) AS k \
    WHERE t.campaign_id = $1 AND k.column2 IN ($4, $5, $6, $7) \
    ORDER BY t.id, k.column1 \
    ON CONFLICT (target_id, sub_agent_type) DO NOTHING";

pub(super) const CAMPAIGN_START: &str = "UPDATE atl_campaigns SET status = 'processing', \
    started_at = COALESCE(started_at, $2), completed_at = NULL, updated_at = $2 WHERE id = $1";

pub(super) const HEARTBEAT: &str = "UPDATE sub_agent_executions \
    SET lease_expires_at = $3, updated_at = $4 \
    WHERE id = $1 AND lease_token = $2 AND status = 'running'";

pub(super) const INSERT_RESULT: &str = "INSERT INTO enrichment_results \
    (campaign_id, target_id, sub_agent_type, result_data, sources, confidence_score, \
     cost_nano_usd, latency_ms, provider, model, tokens_in, tokens_out, synthetic, completed_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

// ---- ending a lease ----------------------------------------------------------------------

macro_rules! leased_job_select {
    () => {
        "SELECT id, campaign_id, target_id, sub_agent_type, attempts, max_attempts, \
         reserved_nano_usd FROM sub_agent_executions \
         WHERE id = $1 AND lease_token = $2 AND status = 'running'"
    };
}
pub(super) const LEASED_JOB_SQLITE: &str = leased_job_select!();
// No foreign key points at a job row, but NO KEY UPDATE is the lock an UPDATE of its
// columns takes anyway, so this adds no conflict the completion would not meet later.
pub(super) const LEASED_JOB_PG: &str = concat!(leased_job_select!(), " FOR NO KEY UPDATE");

/// The lease owner and token stay on the row: they say who finished it.
pub(super) const JOB_END: &str = "UPDATE sub_agent_executions SET status = $2, \
    last_error = $3, spent_nano_usd = spent_nano_usd + $4, reserved_nano_usd = 0, \
    lease_expires_at = NULL, finished_at = $5, updated_at = $5 WHERE id = $1";

pub(super) const JOB_REQUEUE: &str = "UPDATE sub_agent_executions SET status = 'pending', \
    run_after = $2, last_error = $3, spent_nano_usd = spent_nano_usd + $4, \
    reserved_nano_usd = 0, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, \
    updated_at = $5 WHERE id = $1";

/// A released lease does not use up an attempt.
pub(super) const JOB_RELEASE: &str = "UPDATE sub_agent_executions SET status = 'pending', \
    attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, run_after = $2, \
    reserved_nano_usd = 0, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, \
    updated_at = $2 WHERE id = $1";

/// Locking the target serialises the jobs of one target on PostgreSQL, so two of them
/// finishing at once cannot both see the other still open and leave the target hanging.
///
/// `FOR NO KEY UPDATE`, not `FOR UPDATE`: by the time a completion locks its target it has
/// inserted its `enrichment_results` row, whose foreign key holds a KEY SHARE lock on the
/// same target. `FOR UPDATE` conflicts with KEY SHARE, so two sub-agents of one target
/// finishing together each waited for the other's KEY SHARE: a deadlock every time,
/// broken only after `deadlock_timeout` (1 s), which made PostgreSQL runs up to 6x slower
/// than ideal. `FOR NO KEY UPDATE` does not conflict with KEY SHARE and still excludes
/// every other writer of the row, which is all the bookkeeping needs.
pub(super) const TARGET_LOCK_SQLITE: &str =
    "SELECT enrichment_status FROM atl_targets WHERE id = $1";
pub(super) const TARGET_LOCK_PG: &str =
    "SELECT enrichment_status FROM atl_targets WHERE id = $1 FOR NO KEY UPDATE";

pub(super) const TARGET_ADD_RESULT_SQLITE: &str = "UPDATE atl_targets SET \
    cost_nano_usd = cost_nano_usd + $2, \
    enriched_data = json_set(COALESCE(enriched_data, '{}'), '$.' || $3, json($4)), \
    updated_at = $5 WHERE id = $1";
pub(super) const TARGET_ADD_RESULT_PG: &str = "UPDATE atl_targets SET \
    cost_nano_usd = cost_nano_usd + $2, \
    enriched_data = COALESCE(enriched_data, '{}'::jsonb) || jsonb_build_object($3::text, $4::jsonb), \
    updated_at = $5 WHERE id = $1";

pub(super) const TARGET_ADD_FAILURE_SQLITE: &str = "UPDATE atl_targets SET \
    cost_nano_usd = cost_nano_usd + $2, \
    failed_sub_agents = json_insert(COALESCE(failed_sub_agents, '[]'), '$[#]', $3), \
    updated_at = $4 WHERE id = $1";
pub(super) const TARGET_ADD_FAILURE_PG: &str = "UPDATE atl_targets SET \
    cost_nano_usd = cost_nano_usd + $2, \
    failed_sub_agents = COALESCE(failed_sub_agents, '[]'::jsonb) || jsonb_build_array($3::text), \
    updated_at = $4 WHERE id = $1";

pub(super) const TARGET_ADD_COST: &str =
    "UPDATE atl_targets SET cost_nano_usd = cost_nano_usd + $2, updated_at = $3 WHERE id = $1";

pub(super) const TARGET_JOB_STATUSES: &str =
    "SELECT status FROM sub_agent_executions WHERE target_id = $1";

pub(super) const TARGET_SET_STATUS: &str =
    "UPDATE atl_targets SET enrichment_status = $2, updated_at = $3 WHERE id = $1";

/// Cost, reservation release and counter deltas in one statement. The reservation never
/// goes below zero even if the books were edited by hand: a CHECK failure here would make
/// the job impossible to finish. Returns the targets still in progress after the change,
/// which tells a completion whether the campaign can possibly be done (see `end_job`).
macro_rules! campaign_add {
    ($max:literal) => {
        concat!(
            "UPDATE atl_campaigns SET cost_nano_usd = cost_nano_usd + $2, ",
            "reserved_nano_usd = ",
            $max,
            "(reserved_nano_usd - $3, 0), ",
            "unknown_cost_results = unknown_cost_results + $4, ",
            "enriched_count = enriched_count + $5, failed_count = failed_count + $6, ",
            "in_progress_count = in_progress_count + $7, updated_at = $8 WHERE id = $1 ",
            "RETURNING in_progress_count"
        )
    };
}
pub(super) const CAMPAIGN_ADD_SQLITE: &str = campaign_add!("MAX");
pub(super) const CAMPAIGN_ADD_PG: &str = campaign_add!("GREATEST");

/// Authoritative, but on PostgreSQL planned from statistics taken when every job was
/// pending: it then chooses a sequential scan that stops at the first open job, which
/// reads ever more finished rows as the campaign advances (40,000 rows per call near the
/// end of a 10,000-target campaign). Completions therefore ask it only when the campaign's
/// counters say no target is in progress.
pub(super) const CAMPAIGN_HAS_OPEN_JOB: &str = "SELECT id FROM sub_agent_executions \
    WHERE campaign_id = $1 AND status IN ('pending', 'running') LIMIT 1";

/// Takes the campaign row's lock (PostgreSQL only: SQLite's `BEGIN IMMEDIATE` already
/// excludes writers).
pub(super) const CAMPAIGN_LOCK_PG: &str =
    "SELECT id FROM atl_campaigns WHERE id = $1 FOR NO KEY UPDATE";

/// Every target of a campaign, locked in id order (the order claims lock targets in), so
/// that a set-based change waits for the completions in flight and holds off the rest.
pub(super) const CAMPAIGN_TARGETS_LOCK_PG: &str =
    "SELECT id FROM atl_targets WHERE campaign_id = $1 ORDER BY id FOR NO KEY UPDATE";

pub(super) const CAMPAIGN_COMPLETE: &str = "UPDATE atl_campaigns SET status = 'completed', \
    completed_at = $2, updated_at = $2 WHERE id = $1 AND status IN ('processing', 'paused') \
    RETURNING cost_nano_usd, budget_exhausted";

pub(super) const INSERT_EVENT: &str =
    "INSERT INTO atl_events (campaign_id, kind, payload, created_at) VALUES ($1, $2, $3, $4)";

// ---- claiming ----------------------------------------------------------------------------

pub(super) const ANY_EXPIRED: &str = "SELECT id FROM sub_agent_executions \
    WHERE status = 'running' AND lease_expires_at < $1 LIMIT 1";

/// Running jobs whose lease ran out (their worker died or hung). Uses the partial index
/// `sub_agent_executions_leases`.
macro_rules! expired_select {
    () => {
        "SELECT j.id, j.campaign_id, j.target_id, j.sub_agent_type, j.attempts, \
         j.max_attempts, j.reserved_nano_usd, c.status \
         FROM sub_agent_executions j JOIN atl_campaigns c ON c.id = j.campaign_id \
         WHERE j.status = 'running' AND j.lease_expires_at < $1 ORDER BY j.id LIMIT 256"
    };
}
pub(super) const EXPIRED_SQLITE: &str = expired_select!();
pub(super) const EXPIRED_PG: &str = concat!(expired_select!(), " FOR UPDATE OF j SKIP LOCKED");

/// Ready jobs in id order: pending and due, in a processing campaign, and for voice only
/// once research and enrichment of the same target have ended. It must walk the partial
/// index `sub_agent_executions_pending` in id order and stop after LIMIT matches; sorting
/// every pending row instead costs ~40 ms per claim at 40,000 jobs. Hence no join (the
/// campaigns' budgets are read separately) and, on SQLite, `INDEXED BY`.
///
/// The dependency test is a correlated COUNT rather than NOT EXISTS: PostgreSQL turns a
/// NOT EXISTS inside an OR into a hashed subplan that reads every job of the table per
/// claim (~6 ms at 40,000), where the COUNT stays a per-row probe of the unique index. The
/// claim's estimated cost would also trigger JIT compilation (~15 ms per claim), which is
/// off on every connection (see `connect_postgres`).
macro_rules! candidates_select {
    ($from:literal, $lock:literal) => {
        concat!(
            "SELECT j.id, j.campaign_id, j.target_id, j.sub_agent_type FROM ",
            $from,
            " WHERE j.status = 'pending' AND j.run_after <= $1 \
             AND j.campaign_id IN (SELECT id FROM atl_campaigns WHERE status = 'processing') \
             AND ($3 IS NULL OR j.campaign_id = $3) \
             AND (j.sub_agent_type <> 'voice' OR ( \
                 SELECT COUNT(*) FROM sub_agent_executions d WHERE d.target_id = j.target_id \
                 AND d.sub_agent_type IN ('research', 'enrichment') \
                 AND d.status IN ('pending', 'running')) = 0) \
             ORDER BY j.id LIMIT $2",
            $lock
        )
    };
}
pub(super) const CANDIDATES_SQLITE: &str = candidates_select!(
    "sub_agent_executions AS j INDEXED BY sub_agent_executions_pending",
    ""
);
pub(super) const CANDIDATES_PG: &str =
    candidates_select!("sub_agent_executions AS j", " FOR UPDATE SKIP LOCKED");

pub(super) const BUDGET_OF: &str = "SELECT budget_nano_usd, cost_nano_usd, reserved_nano_usd \
    FROM atl_campaigns WHERE id = $1";

/// After a bulk insert of jobs PostgreSQL's statistics still say the table is empty, and
/// with them the planner sorts every pending row per claim instead of walking the index.
pub(super) const ANALYZE_JOBS_PG: &str = "ANALYZE sub_agent_executions";

pub(super) const CLAIM_JOB: &str = "UPDATE sub_agent_executions SET status = 'running', \
    attempts = attempts + 1, lease_owner = $2, lease_token = $3, lease_expires_at = $4, \
    reserved_nano_usd = $5, started_at = COALESCE(started_at, $6), updated_at = $6 \
    WHERE id = $1 AND status = 'pending' RETURNING attempts, max_attempts";

pub(super) const TARGET_START: &str = "UPDATE atl_targets SET enrichment_status = 'processing', \
    updated_at = $2 WHERE id = $1 AND enrichment_status = 'pending'";

/// Takes the reservation only if it still fits: another worker may have reserved since
/// this one read the campaign (then the whole claim is retried).
pub(super) const CAMPAIGN_RESERVE: &str = "UPDATE atl_campaigns SET \
    reserved_nano_usd = reserved_nano_usd + $2, in_progress_count = in_progress_count + $3, \
    updated_at = $4 WHERE id = $1 AND ($2 = 0 OR budget_nano_usd IS NULL \
    OR cost_nano_usd + reserved_nano_usd + $2 <= budget_nano_usd)";

pub(super) const BUDGET_STATE: &str = "SELECT status, budget_nano_usd, cost_nano_usd, \
    reserved_nano_usd FROM atl_campaigns WHERE id = $1";

pub(crate) const SKIP_PENDING: &str = "UPDATE sub_agent_executions SET status = 'skipped', \
    last_error = $2, finished_at = $3, updated_at = $3 \
    WHERE campaign_id = $1 AND status = 'pending'";

pub(super) const MARK_BUDGET_EXHAUSTED: &str =
    "UPDATE atl_campaigns SET budget_exhausted = TRUE, updated_at = $2 WHERE id = $1";

// ---- set-based settling (control operations, budget) -------------------------------------

/// Targets with no open job left take their final status: completed if any sub-agent
/// produced a result, failed if none did but one failed, cancelled if nothing ran.
pub(crate) const SETTLE_TARGETS: &str = "UPDATE atl_targets SET enrichment_status = CASE \
    WHEN EXISTS (SELECT 1 FROM sub_agent_executions j WHERE j.target_id = atl_targets.id \
                 AND j.status = 'completed') THEN 'completed' \
    WHEN EXISTS (SELECT 1 FROM sub_agent_executions j WHERE j.target_id = atl_targets.id \
                 AND j.status = 'failed') THEN 'failed' \
    ELSE 'cancelled' END, updated_at = $2 \
    WHERE campaign_id = $1 AND enrichment_status IN ('pending', 'processing') \
    AND NOT EXISTS (SELECT 1 FROM sub_agent_executions j WHERE j.target_id = atl_targets.id \
                    AND j.status IN ('pending', 'running'))";

/// Counters recomputed from the target rows (after set-based changes).
pub(crate) const REFRESH_COUNTERS: &str = "UPDATE atl_campaigns SET \
    enriched_count = (SELECT COUNT(*) FROM atl_targets t WHERE t.campaign_id = atl_campaigns.id \
                      AND t.enrichment_status = 'completed'), \
    failed_count = (SELECT COUNT(*) FROM atl_targets t WHERE t.campaign_id = atl_campaigns.id \
                    AND t.enrichment_status = 'failed'), \
    in_progress_count = (SELECT COUNT(*) FROM atl_targets t \
                         WHERE t.campaign_id = atl_campaigns.id \
                         AND t.enrichment_status = 'processing'), \
    updated_at = $2 WHERE id = $1";
