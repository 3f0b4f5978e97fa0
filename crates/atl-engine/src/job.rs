//! One job from claim to commit: build the agent's input, run it under a heartbeat, then
//! complete or fail it in the ledger — always with the lease token, so a worker that lost
//! its lease writes nothing.

use atl_agents::{AgentError, AgentInput, CampaignOptions};
use atl_domain::AgentResult;
use atl_store::{ClaimedJob, FailOutcome, Store, StoreError};
use std::sync::Arc;
use std::time::Instant;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::config::EngineConfig;
use crate::progress::{JobOutcome, ProgressEvent};
use crate::registry::AgentRegistry;

/// What a job needs besides itself.
pub(crate) struct JobContext {
    pub store: Store,
    pub registry: AgentRegistry,
    pub config: EngineConfig,
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

pub(crate) async fn run_job(
    ctx: &JobContext,
    job: &ClaimedJob,
    campaign: CampaignContext,
    abandon: &CancellationToken,
) -> JobReport {
    let store = &ctx.store;
    let Some(agent) = ctx.registry.get(job.kind).cloned() else {
        let error = format!("no {} sub-agent is registered", job.kind);
        return fail(ctx, job, &error, None, 0).await;
    };
    let input = match build_input(ctx, job, campaign).await {
        Ok(input) => input,
        Err(e) => {
            // The database is unwell: give the job back rather than fail it.
            tracing::warn!(job_id = job.job_id, error = %e, "cannot read the job's input");
            release(store, job).await;
            return JobReport::new(JobOutcome::Abandoned);
        }
    };

    let ran = tokio::select! {
        r = agent.run(&input) => Ran::Finished(r),
        () = keep_lease(store, job, &ctx.config) => Ran::LeaseLost,
        () = abandon.cancelled() => Ran::Abandoned,
    };
    match ran {
        Ran::LeaseLost => {
            tracing::warn!(job_id = job.job_id, "lease lost; job abandoned");
            JobReport::new(JobOutcome::LeaseLost)
        }
        Ran::Abandoned => {
            release(store, job).await;
            JobReport::new(JobOutcome::Abandoned)
        }
        Ran::Finished(Ok(result)) => match store
            .complete_job(job.job_id, &job.lease_token, &result)
            .await
        {
            Ok(true) => JobReport {
                outcome: JobOutcome::Completed,
                cost_nano_usd: result.cost_nano_usd,
                error: None,
            },
            Ok(false) => JobReport::new(JobOutcome::LeaseLost),
            Err(e) => store_failure(job, e),
        },
        Ran::Finished(Err(err)) => {
            let retry_at = match &err {
                e if e.is_retryable() && job.attempt < job.max_attempts => {
                    let delay = crate::backoff::retry_delay(
                        job.attempt,
                        ctx.config.retry_base,
                        ctx.config.retry_cap,
                        e.retry_after,
                    );
                    time::Duration::try_from(delay)
                        .ok()
                        .and_then(|d| OffsetDateTime::now_utc().checked_add(d))
                }
                _ => None,
            };
            fail(ctx, job, &err.to_string(), retry_at, err.spent_nano_usd()).await
        }
    }
}

async fn fail(
    ctx: &JobContext,
    job: &ClaimedJob,
    error: &str,
    retry_at: Option<OffsetDateTime>,
    spent: i64,
) -> JobReport {
    let outcome = match ctx
        .store
        .fail_job(job.job_id, &job.lease_token, error, retry_at, spent)
        .await
    {
        Ok(FailOutcome::Retrying { .. }) => JobOutcome::Retrying,
        Ok(FailOutcome::Failed) => JobOutcome::Failed,
        Ok(FailOutcome::LeaseLost) => JobOutcome::LeaseLost,
        Err(e) => return store_failure(job, e),
    };
    JobReport {
        outcome,
        cost_nano_usd: (spent > 0).then_some(spent),
        error: Some(error.to_string()),
    }
}

/// The commit failed even after the store's own retries. Nothing was written; the lease
/// will expire and the job run again, so the work is redone rather than lost.
fn store_failure(job: &ClaimedJob, e: StoreError) -> JobReport {
    tracing::error!(job_id = job.job_id, error = %e, "cannot record the job; it will run again");
    JobReport {
        outcome: JobOutcome::LeaseLost,
        cost_nano_usd: None,
        error: Some(e.to_string()),
    }
}

async fn release(store: &Store, job: &ClaimedJob) {
    if let Err(e) = store.release_job(job.job_id, &job.lease_token).await {
        tracing::warn!(job_id = job.job_id, error = %e, "cannot release the lease; it will expire");
    }
}

/// Renews the lease every `heartbeat_every`; returns only when the lease is lost, or when
/// the database could not be reached for a whole lease (someone else may own it by now).
async fn keep_lease(store: &Store, job: &ClaimedJob, config: &EngineConfig) {
    let mut last_ok = Instant::now();
    loop {
        tokio::time::sleep(config.heartbeat_every).await;
        match store
            .heartbeat(job.job_id, &job.lease_token, config.lease)
            .await
        {
            Ok(true) => last_ok = Instant::now(),
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(job_id = job.job_id, error = %e, "heartbeat failed");
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
        attempt: job.attempt,
        meter: Default::default(),
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
