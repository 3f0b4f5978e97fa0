//! Seeded campaigns and job-ledger fixtures for the store-backed suites (the store's own,
//! the engine's, the benchmarks), so that each does not build them again.
//!
//! ```no_run
//! # async fn example(store: &atl_store::Store) {
//! use atl_testkit::seed;
//! let c = seed::campaign(store, 3, None).await;
//! store.start_campaign(c, atl_domain::SubAgentKind::ALL, 3).await.unwrap();
//! for job in store.claim_jobs(&seed::claim("w", 10)).await.unwrap() {
//!     assert!(seed::complete(store, &job, Some(10)).await);
//! }
//! seed::assert_books(store, c, "sqlite").await;
//! # }
//! ```

use atl_domain::{AgentResult, CampaignStatus, NewTarget, SubAgentKind};
use atl_store::{
    AttemptSpend, Campaign, ClaimRequest, ClaimedJob, FailNext, FailOutcome, KindCosts,
    NewCampaign, Store,
};
use serde_json::{Value, json};
use std::time::Duration;

/// How many targets one `insert_targets` call writes: large campaigns go in batches.
const IMPORT_BATCH: usize = 2000;

/// `Company 1` … `Company n`.
pub fn company_names(n: u64) -> Vec<String> {
    (1..=n).map(|i| format!("Company {i}")).collect()
}

/// The team seeded campaigns belong to (each test has a database of its own).
pub const TEAM: &str = "test";

/// A committed campaign of [`TEAM`] with one target per name (rows 2, 3, …, the name
/// lower-cased as its dedup key), these settings and this budget.
pub async fn campaign_named(
    store: &Store,
    names: &[String],
    settings: Value,
    budget_nano_usd: Option<i64>,
) -> i64 {
    let team_id = store.team_id(TEAM).await.unwrap();
    let mut import = store
        .begin_import(NewCampaign {
            team_id,
            name: "test campaign".into(),
            uploaded_file: None,
            settings,
            budget_nano_usd,
        })
        .await
        .unwrap();
    let targets: Vec<NewTarget> = (2..)
        .zip(names)
        .map(|(row_number, name)| NewTarget {
            row_number,
            company_name: name.clone(),
            dedup_key: name.to_lowercase(),
            ..Default::default()
        })
        .collect();
    for batch in targets.chunks(IMPORT_BATCH) {
        import.insert_targets(batch).await.unwrap();
    }
    import.commit(&json!({})).await.unwrap().id
}

/// A committed campaign of [`TEAM`] with `n` targets, `Company 1` … `Company n`, no settings
/// and this budget.
pub async fn campaign(store: &Store, n: u64, budget_nano_usd: Option<i64>) -> i64 {
    campaign_named(store, &company_names(n), json!({}), budget_nano_usd).await
}

/// A campaign as [`campaign`] seeds it, started with a job per target and kind of `kinds`,
/// each allowed `max_attempts`.
pub async fn started_campaign(
    store: &Store,
    n: u64,
    budget_nano_usd: Option<i64>,
    kinds: &[SubAgentKind],
    max_attempts: u32,
) -> i64 {
    let id = campaign(store, n, budget_nano_usd).await;
    store.start_campaign(id, kinds, max_attempts).await.unwrap();
    id
}

/// The campaign's row, which the test knows exists.
pub async fn campaign_row(store: &Store, campaign_id: i64) -> Campaign {
    store
        .get_campaign(None, campaign_id)
        .await
        .unwrap()
        .unwrap()
}

/// The campaign's status and how many of its targets ended enriched, partial and failed.
pub fn ended(camp: &Campaign) -> (CampaignStatus, i64, i64, i64) {
    (
        camp.status,
        camp.enriched_count,
        camp.partial_count,
        camp.failed_count,
    )
}

/// A claim by `owner` of at most `limit` jobs of any campaign, under a one-minute lease,
/// with no estimates and workers dead after an hour (so none is, unless a test says so).
pub fn claim(owner: &'static str, limit: u32) -> ClaimRequest<'static> {
    ClaimRequest {
        owner,
        lease: Duration::from_secs(60),
        limit,
        campaign_id: None,
        estimates: KindCosts::default(),
        dead_worker_after: Duration::from_secs(3600),
    }
}

/// A synthetic result of `kind` that cost `cost` (`None`: unknown).
pub fn agent_result(kind: SubAgentKind, cost: Option<i64>) -> AgentResult {
    AgentResult {
        kind,
        data: json!({"kind": kind.as_str()}),
        sources: vec!["https://example.com".into()],
        confidence: 0.5,
        cost_nano_usd: cost,
        latency_ms: 10,
        provider: "fake".into(),
        model: "fake-1".into(),
        tokens_in: 1,
        tokens_out: 2,
        synthetic: true,
        artefacts: Vec::new(),
    }
}

/// What a run spent, booked under its run number.
pub fn spent(job: &ClaimedJob, nano_usd: i64) -> AttemptSpend {
    AttemptSpend {
        run: job.run,
        nano_usd,
        unknown_calls: 0,
    }
}

/// A retry after `delay`; `counts_attempt`: whether the failed run used an attempt (a
/// transient failure) or not (a wait for a provider).
pub fn retry(delay: Duration, counts_attempt: bool) -> FailNext {
    FailNext::Retry {
        delay,
        counts_attempt,
    }
}

/// Completes `job` with a result of `cost` (and that much spent); whether the lease held.
pub async fn complete(store: &Store, job: &ClaimedJob, cost: Option<i64>) -> bool {
    store
        .complete_job(
            job.job_id,
            &job.lease_token,
            &agent_result(job.kind, cost),
            &spent(job, cost.unwrap_or(0)),
        )
        .await
        .unwrap()
}

/// Fails `job`'s run with `error`, having spent `nano_usd`, to be followed by `next`.
pub async fn fail(
    store: &Store,
    job: &ClaimedJob,
    error: &str,
    next: FailNext,
    nano_usd: i64,
) -> FailOutcome {
    store
        .fail_job(
            job.job_id,
            &job.lease_token,
            error,
            next,
            &spent(job, nano_usd),
        )
        .await
        .unwrap()
}

/// The campaign's stored counters equal what its rows say.
pub async fn assert_books(store: &Store, campaign_id: i64, backend: &str) {
    let stored = store.campaign_counters(campaign_id).await.unwrap();
    let counted = store.recount_campaign(campaign_id).await.unwrap();
    assert_eq!(stored, counted, "{backend}: counters differ from rows");
}
