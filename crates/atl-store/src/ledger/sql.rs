//! The ledger's SQL. Shared text unless a backend needs its own (`_SQLITE` / `_PG`): the
//! PostgreSQL claim locks rows (`FOR UPDATE … SKIP LOCKED`) where SQLite relies on its
//! single writer (`BEGIN IMMEDIATE`), and JSON is edited with each engine's functions.
//!
//! Every time bound here is the database's (`Tx::now`): PostgreSQL's `now()` read when
//! the transaction began, SQLite's one process's clock.

pub(crate) const CAMPAIGN_STATUS: &str = "SELECT status FROM atl_campaigns WHERE id = $1";

/// One pending job per (target, kind), numbered target by target in a fixed kind order
/// (voice last), idempotent through the unique (target_id, sub_agent_type). Each kind's
/// `max_attempts` is bound in its slot; an unwanted kind is bound as NULL and creates no
/// job, so the text stays constant.
pub(super) const INSERT_JOBS: &str = "INSERT INTO sub_agent_executions \
    (campaign_id, target_id, sub_agent_type, status, attempts, max_attempts, run_after, \
     created_at, updated_at) \
    SELECT $1, t.id, k.column2, 'pending', 0, k.column3, $2, $2, $2 \
    FROM atl_targets t \
    CROSS JOIN (VALUES (1, 'research', CAST($3 AS BIGINT)), (2, 'intel', CAST($4 AS BIGINT)), \
                       (3, 'enrichment', CAST($5 AS BIGINT)), (4, 'voice', CAST($6 AS BIGINT))) AS k \
    WHERE t.campaign_id = $1 AND k.column3 IS NOT NULL \
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

/// What an earlier commit of the same run recorded, if one did: a retried commit whose
/// first try reached the database (the connection dropped before the answer) finds it.
pub(super) const ATTEMPT_OUTCOME: &str =
    "SELECT outcome FROM sub_agent_attempts WHERE job_id = $1 AND run = $2";

pub(super) const JOB_RUN_AFTER: &str = "SELECT run_after FROM sub_agent_executions WHERE id = $1";

/// The lease owner and token stay on the row: they say who finished it.
pub(super) const JOB_END: &str = "UPDATE sub_agent_executions SET status = $2, \
    last_error = $3, reserved_nano_usd = 0, lease_expires_at = NULL, waiting_since = NULL, \
    finished_at = $4, updated_at = $4 WHERE id = $1";

/// A transient failure or an expired lease: the attempt counts (the claim counted it).
pub(super) const JOB_REQUEUE: &str = "UPDATE sub_agent_executions SET status = 'pending', \
    run_after = $2, last_error = $3, waiting_since = NULL, reserved_nano_usd = 0, \
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $4 \
    WHERE id = $1";

/// A provider that asked to wait or is unavailable: the attempt the claim counted is given
/// back, and the first such failure starts the job's patience.
pub(super) const JOB_WAIT: &str = "UPDATE sub_agent_executions SET status = 'pending', \
    attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, run_after = $2, \
    last_error = $3, waiting_since = COALESCE(waiting_since, $4), reserved_nano_usd = 0, \
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $4 \
    WHERE id = $1";

/// Queued for a rate slot of the worker's own limiter: the attempt is given back and the
/// patience (`waiting_since`) is left as it was.
pub(super) const JOB_QUEUE: &str = "UPDATE sub_agent_executions SET status = 'pending', \
    attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, run_after = $2, \
    last_error = $3, reserved_nano_usd = 0, lease_owner = NULL, lease_token = NULL, \
    lease_expires_at = NULL, updated_at = $4 WHERE id = $1";

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

pub(super) const TARGET_ADD_COST: &str =
    "UPDATE atl_targets SET cost_nano_usd = cost_nano_usd + $2, updated_at = $3 WHERE id = $1";

/// `failed_sub_agents` from the jobs themselves: one `{sub_agent, status, reason}` per
/// failed or skipped job, in job order; NULL when there is none.
macro_rules! missing_sub_agents {
    (sqlite) => {
        "(SELECT NULLIF(json_group_array(json_object('sub_agent', j.sub_agent_type, \
         'status', j.status, 'reason', j.last_error) ORDER BY j.id), '[]') \
         FROM sub_agent_executions j WHERE j.target_id = atl_targets.id \
         AND j.status IN ('failed', 'skipped'))"
    };
    (postgres) => {
        "(SELECT jsonb_agg(jsonb_build_object('sub_agent', j.sub_agent_type, \
         'status', j.status, 'reason', j.last_error) ORDER BY j.id) \
         FROM sub_agent_executions j WHERE j.target_id = atl_targets.id \
         AND j.status IN ('failed', 'skipped'))"
    };
}
pub(super) const TARGET_MISSING_SQLITE: &str = concat!(
    "UPDATE atl_targets SET failed_sub_agents = ",
    missing_sub_agents!(sqlite),
    ", updated_at = $2 WHERE id = $1"
);
pub(super) const TARGET_MISSING_PG: &str = concat!(
    "UPDATE atl_targets SET failed_sub_agents = ",
    missing_sub_agents!(postgres),
    ", updated_at = $2 WHERE id = $1"
);
/// The same for every target of a campaign that has (or had) a missing sub-agent, after a
/// set-based change of its jobs.
macro_rules! campaign_missing {
    ($which:tt) => {
        concat!(
            "UPDATE atl_targets SET failed_sub_agents = ",
            missing_sub_agents!($which),
            ", updated_at = $2 WHERE campaign_id = $1 AND (failed_sub_agents IS NOT NULL \
             OR EXISTS (SELECT 1 FROM sub_agent_executions j WHERE j.target_id = atl_targets.id \
             AND j.status IN ('failed', 'skipped')))"
        )
    };
}
pub(crate) const CAMPAIGN_MISSING_SQLITE: &str = campaign_missing!(sqlite);
pub(crate) const CAMPAIGN_MISSING_PG: &str = campaign_missing!(postgres);

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
            "enriched_count = enriched_count + $5, partial_count = partial_count + $6, ",
            "failed_count = failed_count + $7, ",
            "in_progress_count = in_progress_count + $8, updated_at = $9 WHERE id = $1 ",
            "RETURNING in_progress_count"
        )
    };
}
pub(super) const CAMPAIGN_ADD_SQLITE: &str = campaign_add!("MAX");
pub(super) const CAMPAIGN_ADD_PG: &str = campaign_add!("GREATEST");

// ---- booking an attempt's spend ------------------------------------------------------------

/// At most one row per (job, run): a second booking of the same run changes nothing.
pub(super) const INSERT_ATTEMPT: &str = "INSERT INTO sub_agent_attempts \
    (job_id, run, campaign_id, outcome, spent_nano_usd, unknown_cost_calls, error, booked_at) \
    SELECT id, $2, campaign_id, $3, $4, $5, $6, $7 FROM sub_agent_executions WHERE id = $1 \
    ON CONFLICT (job_id, run) DO NOTHING \
    RETURNING campaign_id";

pub(super) const JOB_ADD_SPENT: &str = "UPDATE sub_agent_executions \
    SET spent_nano_usd = spent_nano_usd + $2 WHERE id = $1 RETURNING target_id";

pub(super) const CAMPAIGN_ADD_FAILED_SPEND: &str = "UPDATE atl_campaigns SET \
    cost_nano_usd = cost_nano_usd + $2, failed_spend_nano_usd = failed_spend_nano_usd + $2, \
    unknown_cost_attempts = unknown_cost_attempts + $3, updated_at = $4 WHERE id = $1";

// ---- budget reservations for one job's own input -------------------------------------------

pub(super) const JOB_SET_ESTIMATE: &str =
    "UPDATE sub_agent_executions SET estimate_nano_usd = $2 WHERE id = $1";

pub(super) const BUDGET_ROOM: &str = "SELECT budget_nano_usd, cost_nano_usd, \
    reserved_nano_usd FROM atl_campaigns WHERE id = $1";

pub(super) const JOB_SET_RESERVED: &str =
    "UPDATE sub_agent_executions SET reserved_nano_usd = $2 WHERE id = $1";

pub(super) const CAMPAIGN_SHIFT_RESERVED_SQLITE: &str = "UPDATE atl_campaigns SET \
    reserved_nano_usd = MAX(reserved_nano_usd + $2, 0), updated_at = $3 WHERE id = $1";
pub(super) const CAMPAIGN_SHIFT_RESERVED_PG: &str = "UPDATE atl_campaigns SET \
    reserved_nano_usd = GREATEST(reserved_nano_usd + $2, 0), updated_at = $3 WHERE id = $1";

// ---- completing a campaign -----------------------------------------------------------------

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

/// A campaign with nothing open is done: `failed` when no target produced anything and at
/// least one failed, `completed` otherwise (partial and skipped targets included; its
/// counts say how many).
pub(super) const CAMPAIGN_COMPLETE: &str = "UPDATE atl_campaigns SET status = CASE \
    WHEN enriched_count = 0 AND partial_count = 0 AND failed_count > 0 THEN 'failed' \
    ELSE 'completed' END, completed_at = $2, updated_at = $2 \
    WHERE id = $1 AND status IN ('processing', 'paused') \
    RETURNING status, cost_nano_usd, budget_exhausted, enriched_count, partial_count, \
    failed_count";

pub(super) const INSERT_EVENT: &str =
    "INSERT INTO atl_events (campaign_id, kind, payload, created_at) VALUES ($1, $2, $3, $4)";

// ---- claiming ----------------------------------------------------------------------------

/// Whether anything needs reaping: an expired lease, or a worker whose heartbeat is older
/// than its dead-after (dead, maybe with live leases). A plain read, so the common case
/// takes no write lock; outside a transaction, so PostgreSQL's text reads `now()` itself
/// ($1 = dead-after in seconds) where SQLite binds its process's time ($1) and the cutoff
/// ($2).
pub(super) const ANY_TO_REAP_SQLITE: &str = "SELECT \
    (SELECT id FROM sub_agent_executions WHERE status = 'running' AND lease_expires_at < $1 \
     LIMIT 1), \
    (SELECT id FROM atl_workers WHERE heartbeat_at < $2 LIMIT 1)";
pub(super) const ANY_TO_REAP_PG: &str = "SELECT \
    (SELECT id FROM sub_agent_executions WHERE status = 'running' \
     AND lease_expires_at < now() LIMIT 1), \
    (SELECT id FROM atl_workers WHERE heartbeat_at < now() - $1 * interval '1 second' LIMIT 1)";

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

/// Running jobs leased to one owner (a dead worker's), through `sub_agent_executions_owner`.
macro_rules! owned_select {
    () => {
        "SELECT j.id, j.campaign_id, j.target_id, j.sub_agent_type, j.attempts, \
         j.max_attempts, j.reserved_nano_usd, c.status \
         FROM sub_agent_executions j JOIN atl_campaigns c ON c.id = j.campaign_id \
         WHERE j.status = 'running' AND j.lease_owner = $1 ORDER BY j.id LIMIT 256"
    };
}
pub(super) const OWNED_SQLITE: &str = owned_select!();
pub(super) const OWNED_PG: &str = concat!(owned_select!(), " FOR UPDATE OF j SKIP LOCKED");

/// Ready jobs in id order: pending and due, in a processing campaign, intel only once
/// research of the same target has ended, voice only once research and enrichment have.
/// It must walk the partial index `sub_agent_executions_pending` in id order and stop
/// after LIMIT matches; sorting every pending row instead costs ~40 ms per claim at 40,000
/// jobs. Hence no join (the campaigns' budgets are read separately) and, on SQLite,
/// `INDEXED BY`.
///
/// The dependency test is a correlated COUNT rather than NOT EXISTS: PostgreSQL turns a
/// NOT EXISTS inside an OR into a hashed subplan that reads every job of the table per
/// claim (~6 ms at 40,000), where the COUNT stays a per-row probe of the unique index. The
/// claim's estimated cost would also trigger JIT compilation (~15 ms per claim), which is
/// off on every connection (see `connect_postgres`).
macro_rules! candidates_select {
    ($from:literal, $lock:literal) => {
        concat!(
            "SELECT j.id, j.campaign_id, j.target_id, j.sub_agent_type, j.estimate_nano_usd \
             FROM ",
            $from,
            " WHERE j.status = 'pending' AND j.run_after <= $1 \
             AND j.campaign_id IN (SELECT id FROM atl_campaigns WHERE status = 'processing') \
             AND ($3 IS NULL OR j.campaign_id = $3) \
             AND (j.sub_agent_type NOT IN ('intel', 'voice') OR ( \
                 SELECT COUNT(*) FROM sub_agent_executions d WHERE d.target_id = j.target_id \
                 AND (d.sub_agent_type = 'research' \
                      OR (j.sub_agent_type = 'voice' AND d.sub_agent_type = 'enrichment')) \
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
    attempts = attempts + 1, runs = runs + 1, lease_owner = $2, lease_token = $3, \
    lease_expires_at = $4, reserved_nano_usd = $5, started_at = COALESCE(started_at, $6), \
    updated_at = $6 WHERE id = $1 AND status = 'pending' \
    RETURNING attempts, max_attempts, runs, waiting_since";

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
    last_error = $2, waiting_since = NULL, finished_at = $3, updated_at = $3 \
    WHERE campaign_id = $1 AND status = 'pending'";

pub(super) const MARK_BUDGET_EXHAUSTED: &str =
    "UPDATE atl_campaigns SET budget_exhausted = TRUE, updated_at = $2 WHERE id = $1";

// ---- workers -------------------------------------------------------------------------------

pub(super) const WORKER_UPSERT: &str = "INSERT INTO atl_workers \
    (id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $4) \
    ON CONFLICT (id) DO UPDATE SET heartbeat_at = $4";

pub(super) const WORKER_HEARTBEAT: &str = "UPDATE atl_workers SET heartbeat_at = $2 WHERE id = $1";

pub(super) const WORKER_DELETE: &str = "DELETE FROM atl_workers WHERE id = $1";

pub(super) const DEAD_WORKERS: &str =
    "SELECT id FROM atl_workers WHERE heartbeat_at < $1 ORDER BY id LIMIT 64";

/// Owners of running jobs: on SQLite, whoever is not a live coordinator of this process
/// holds an orphaned lease.
pub(super) const LEASE_OWNERS: &str = "SELECT DISTINCT lease_owner FROM sub_agent_executions \
    WHERE status = 'running' AND lease_owner IS NOT NULL";

pub(super) const OTHER_WORKERS: &str = "SELECT id FROM atl_workers";

// ---- set-based settling (control operations, budget) -------------------------------------

/// Targets with no open job left take their final status: completed if every sub-agent
/// produced a result, partial if some did, failed if none did but one failed, cancelled if
/// nothing ran (a target of a campaign cancelled before it started has no job at all).
pub(crate) const SETTLE_TARGETS: &str = "UPDATE atl_targets SET enrichment_status = CASE \
    WHEN EXISTS (SELECT 1 FROM sub_agent_executions j WHERE j.target_id = atl_targets.id \
                 AND j.status = 'completed') THEN CASE \
        WHEN EXISTS (SELECT 1 FROM sub_agent_executions j WHERE j.target_id = atl_targets.id \
                     AND j.status <> 'completed') THEN 'partial' ELSE 'completed' END \
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
    partial_count = (SELECT COUNT(*) FROM atl_targets t WHERE t.campaign_id = atl_campaigns.id \
                     AND t.enrichment_status = 'partial'), \
    failed_count = (SELECT COUNT(*) FROM atl_targets t WHERE t.campaign_id = atl_campaigns.id \
                    AND t.enrichment_status = 'failed'), \
    in_progress_count = (SELECT COUNT(*) FROM atl_targets t \
                         WHERE t.campaign_id = atl_campaigns.id \
                         AND t.enrichment_status = 'processing'), \
    updated_at = $2 WHERE id = $1";
