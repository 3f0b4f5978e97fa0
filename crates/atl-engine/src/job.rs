//! One job from claim to commit: build the agent's input, reserve the budget its own input
//! needs, run it under a heartbeat, then complete or fail it in the ledger — always with
//! the lease token, so a worker that lost its lease writes nothing but the money it spent.
//!
//! Money: the agent adds every call's cost to the input's meter as it is made, so whatever
//! becomes of the run (completed, failed, waiting, lease lost, abandoned) the meter says
//! what it spent, and that is booked (unfenced, once per run).
//!
//! Files: a run writes them under names of its own and reports them as artefacts; they
//! are moved into place only after the completion that owns the lease committed, and
//! deleted when it was refused.

use atl_agents::{AgentError, AgentInput, CampaignOptions, SpendMeter};
use atl_domain::{AgentResult, Artefact};
use atl_store::{AttemptOutcome, AttemptSpend, ClaimedJob, FailNext, FailOutcome, Reservation};
use atl_store::{Store, StoreError};
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::EngineConfig;
use crate::health::DbHealth;
use crate::policy;
use crate::progress::{JobOutcome, ProgressEvent};
use crate::registry::AgentRegistry;

/// What a job needs besides itself.
pub(crate) struct JobContext {
    pub store: Store,
    pub registry: AgentRegistry,
    pub config: EngineConfig,
    pub health: DbHealth,
}

/// The report of one run, turned into a [`ProgressEvent`] by the caller.
pub(crate) struct JobReport {
    pub outcome: JobOutcome,
    pub cost_nano_usd: Option<i64>,
    pub error: Option<String>,
}

impl JobReport {
    fn new(outcome: JobOutcome) -> Self {
        JobReport {
            outcome,
            cost_nano_usd: None,
            error: None,
        }
    }

    fn spent(outcome: JobOutcome, spend: &AttemptSpend) -> Self {
        JobReport {
            outcome,
            cost_nano_usd: (spend.nano_usd > 0).then_some(spend.nano_usd),
            error: None,
        }
    }

    pub(crate) fn event(&self, job: &ClaimedJob) -> ProgressEvent {
        ProgressEvent::JobFinished {
            campaign_id: job.campaign_id,
            target_id: job.target_id,
            job_id: job.job_id,
            kind: job.kind,
            outcome: self.outcome,
            cost_nano_usd: self.cost_nano_usd,
            error: self.error.clone(),
        }
    }
}

enum Ran {
    Finished(Result<AgentResult, AgentError>),
    LeaseLost,
    Abandoned,
}

/// What the run's meter counted, under the run's number.
fn metered(job: &ClaimedJob, meter: &SpendMeter, at_least: i64) -> AttemptSpend {
    AttemptSpend {
        run: job.run,
        nano_usd: meter.nanos().max(at_least).max(0),
        unknown_calls: meter.unknown_calls(),
    }
}

pub(crate) async fn run_job(
    ctx: &JobContext,
    job: &ClaimedJob,
    campaign: CampaignContext,
    abandon: &CancellationToken,
) -> JobReport {
    let started = Instant::now();
    let store = &ctx.store;
    let none = AttemptSpend {
        run: job.run,
        ..AttemptSpend::default()
    };
    let Some(agent) = ctx.registry.get(job.kind).cloned() else {
        let error = format!("no {} sub-agent is registered", job.kind);
        return fail(ctx, job, &error, FailNext::Fail, &none).await;
    };
    let input = match build_input(ctx, job, campaign).await {
        Ok(input) => input,
        Err(e) => {
            // The database is unwell: give the job back rather than fail it.
            ctx.health.failed("reading a job's input", &e);
            release(ctx, job, &none).await;
            return JobReport::new(JobOutcome::Abandoned);
        }
    };
    if job.budgeted {
        let high = agent.estimate(&input).high_nano_usd;
        match store
            .reserve_for_input(job.job_id, &job.lease_token, high)
            .await
        {
            Ok(Reservation::Held) => {}
            Ok(Reservation::OverBudget) => return JobReport::new(JobOutcome::Deferred),
            Ok(Reservation::LeaseLost) => return JobReport::new(JobOutcome::LeaseLost),
            Err(e) => {
                ctx.health.failed("reserving a job's budget", &e);
                release(ctx, job, &none).await;
                return JobReport::new(JobOutcome::Abandoned);
            }
        }
    }

    let meter = input.meter.clone();
    let ran = tokio::select! {
        r = agent.run(&input) => Ran::Finished(r),
        () = keep_lease(ctx, job) => Ran::LeaseLost,
        () = abandon.cancelled() => Ran::Abandoned,
    };
    match ran {
        Ran::LeaseLost => {
            tracing::warn!(job_id = job.job_id, "lease lost; job abandoned");
            let spend = metered(job, &meter, 0);
            book(ctx, job, AttemptOutcome::LeaseLost, &spend).await;
            JobReport::spent(JobOutcome::LeaseLost, &spend)
        }
        Ran::Abandoned => {
            let spend = metered(job, &meter, 0);
            release(ctx, job, &spend).await;
            JobReport::spent(JobOutcome::Abandoned, &spend)
        }
        Ran::Finished(Ok(result)) => complete(ctx, job, result, &meter).await,
        Ran::Finished(Err(err)) => {
            let policy = policy::effective(agent.as_ref(), &ctx.config.retry);
            let (next, reason) = policy::decide(&policy, job, &err, started.elapsed());
            let spend = metered(job, &meter, err.spent_nano_usd());
            fail(ctx, job, &reason, next, &spend).await
        }
    }
}

async fn complete(
    ctx: &JobContext,
    job: &ClaimedJob,
    result: AgentResult,
    meter: &SpendMeter,
) -> JobReport {
    let spend = AttemptSpend {
        run: job.run,
        nano_usd: result.cost_nano_usd.unwrap_or_else(|| meter.nanos()),
        unknown_calls: meter.unknown_calls(),
    };
    let committed = ctx
        .health
        .retry("committing a result", ctx.config.commit_patience, || {
            ctx.store
                .complete_job(job.job_id, &job.lease_token, &result, &spend)
        })
        .await;
    match committed {
        Ok(true) => {
            place(&result.artefacts).await;
            JobReport {
                outcome: JobOutcome::Completed,
                cost_nano_usd: result.cost_nano_usd,
                error: None,
            }
        }
        Ok(false) => {
            discard(&result.artefacts).await;
            JobReport::spent(JobOutcome::LeaseLost, &spend)
        }
        // Whether the commit reached the database is unknown: the files stay where the
        // run wrote them, and the job runs again once its lease expires (or is done).
        Err(e) => store_failure(job, e),
    }
}

async fn fail(
    ctx: &JobContext,
    job: &ClaimedJob,
    error: &str,
    next: FailNext,
    spend: &AttemptSpend,
) -> JobReport {
    let recorded = ctx
        .health
        .retry("recording a failure", ctx.config.commit_patience, || {
            ctx.store
                .fail_job(job.job_id, &job.lease_token, error, next, spend)
        })
        .await;
    let outcome = match recorded {
        Ok(FailOutcome::Retrying { .. }) => JobOutcome::Retrying,
        Ok(FailOutcome::Waiting { .. }) => JobOutcome::Waiting,
        Ok(FailOutcome::Failed) => JobOutcome::Failed,
        Ok(FailOutcome::LeaseLost) => JobOutcome::LeaseLost,
        Err(e) => return store_failure(job, e),
    };
    JobReport {
        outcome,
        cost_nano_usd: (spend.nano_usd > 0).then_some(spend.nano_usd),
        error: Some(error.to_string()),
    }
}

/// The commit failed even after retrying for the commit patience. Nothing may have been
/// written; the lease will expire and the job run again, so the work is redone rather
/// than lost.
fn store_failure(job: &ClaimedJob, e: StoreError) -> JobReport {
    tracing::error!(job_id = job.job_id, error = %e, "cannot record the job; it will run again");
    JobReport {
        outcome: JobOutcome::LeaseLost,
        cost_nano_usd: None,
        error: Some(e.to_string()),
    }
}

async fn release(ctx: &JobContext, job: &ClaimedJob, spend: &AttemptSpend) {
    if let Err(e) = ctx
        .store
        .release_job(job.job_id, &job.lease_token, spend)
        .await
    {
        tracing::warn!(job_id = job.job_id, error = %e, "cannot release the lease; it will expire");
    }
}

async fn book(ctx: &JobContext, job: &ClaimedJob, outcome: AttemptOutcome, spend: &AttemptSpend) {
    let booked = ctx
        .health
        .retry("booking a run's spend", ctx.config.commit_patience, || {
            ctx.store.book_spend(job.job_id, outcome, spend)
        })
        .await;
    if let Err(e) = booked {
        tracing::error!(job_id = job.job_id, error = %e, nano_usd = spend.nano_usd, "cannot book what a run spent");
    }
}

/// Moves committed artefacts into place.
async fn place(artefacts: &[Artefact]) {
    for a in artefacts {
        if let Some(dir) = a.final_path.parent() {
            let _ = tokio::fs::create_dir_all(dir).await;
        }
        if let Err(e) = tokio::fs::rename(&a.temp_path, &a.final_path).await {
            tracing::error!(
                from = %a.temp_path.display(), to = %a.final_path.display(), error = %e,
                "cannot move a committed file into place"
            );
        }
    }
}

/// Deletes the files of a run whose completion was refused (its lease was lost).
async fn discard(artefacts: &[Artefact]) {
    for a in artefacts {
        match tokio::fs::remove_file(&a.temp_path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %a.temp_path.display(), error = %e, "cannot delete a refused run's file")
            }
        }
    }
}

/// Renews the lease every `heartbeat_every`; returns only when the lease is lost, or when
/// the database could not be reached for a whole lease (someone else may own it by now).
async fn keep_lease(ctx: &JobContext, job: &ClaimedJob) {
    let config = &ctx.config;
    let mut last_ok = Instant::now();
    loop {
        tokio::time::sleep(config.heartbeat_every).await;
        match ctx
            .store
            .heartbeat(job.job_id, &job.lease_token, config.lease)
            .await
        {
            Ok(true) => {
                ctx.health.ok();
                last_ok = Instant::now();
            }
            Ok(false) => return,
            Err(e) => {
                ctx.health.failed("renewing a lease", &e);
                if last_ok.elapsed() >= config.lease {
                    return;
                }
            }
        }
    }
}

async fn build_input(
    ctx: &JobContext,
    job: &ClaimedJob,
    campaign: CampaignContext,
) -> Result<AgentInput, StoreError> {
    let (target, prior) = ctx.store.job_input(job.target_id).await?;
    Ok(AgentInput {
        target_id: target.id,
        company_name: target.company_name,
        contact_name: target.contact_name,
        contact_email: target.contact_email,
        contact_title: target.contact_title,
        linkedin_url: target.linkedin_url,
        website: target.website,
        domain: target.domain,
        extra: target.extra,
        options: campaign.options,
        cache_scope: campaign.cache_scope,
        prior,
        data_dir: ctx.config.data_dir.clone(),
        // The run's number: unique among the job's runs, so files named after it never
        // collide with a committed run's.
        attempt: job.run,
        meter: SpendMeter::default(),
        cached: Default::default(),
    })
}

/// What every job of one campaign shares: its options (seller, audio mode, cache use)
/// and whose evidence cache it reads (the campaign's team).
#[derive(Debug, Clone, Default)]
pub(crate) struct CampaignContext {
    pub options: CampaignOptions,
    pub cache_scope: String,
}

/// Keeps `Arc<JobContext>` readable at the call sites.
pub(crate) type SharedContext = Arc<JobContext>;
