//! `retry-failed`: quote exactly the failed and skipped jobs, confirm, reopen them, run.

use crate::running::run_campaign;
use crate::{AppError, ProviderMode, Providers, RetryQuote};
use atl_domain::CampaignStatus;
use atl_engine::{Coordinator, EngineConfig, RunSummary};
use atl_store::Store;
use tokio_util::sync::CancellationToken;

/// What `retry_failed` did.
#[derive(Debug)]
pub enum RetryOutcome {
    NotFound,
    /// Nothing failed or was skipped: nothing to run.
    NothingToRetry {
        status: CampaignStatus,
    },
    /// The quote was not confirmed: nothing ran.
    Declined,
    /// The store refused to reopen the jobs (the campaign is running, say).
    Refused(String),
    /// It ran on providers in `mode`.
    Ran {
        summary: RunSummary,
        mode: ProviderMode,
    },
}

/// `retry-failed`: quotes exactly the failed and skipped jobs, asks `confirm`, reopens
/// them (completed results are kept) and runs the campaign. `providers` is called once
/// the campaign is known to exist; `on_start` as for [`run_campaign`].
#[allow(clippy::too_many_arguments)]
pub async fn retry_failed(
    store: &Store,
    providers: impl AsyncFnOnce() -> Result<Providers, AppError>,
    engine: EngineConfig,
    campaign_id: i64,
    confirm: impl FnOnce(&RetryQuote) -> Result<bool, AppError>,
    cancel: CancellationToken,
    on_start: impl FnOnce(&Coordinator),
) -> Result<RetryOutcome, AppError> {
    let Some(campaign) = store.get_campaign(None, campaign_id).await? else {
        return Ok(RetryOutcome::NotFound);
    };
    let providers = providers().await?;
    let quote = crate::retry_quote(store, &providers, None, campaign_id).await?;
    if quote.jobs == 0 {
        return Ok(RetryOutcome::NothingToRetry {
            status: campaign.status,
        });
    }
    if !confirm(&quote)? {
        return Ok(RetryOutcome::Declined);
    }
    if let Err(e) = store.retry_failed(campaign_id).await {
        return Ok(RetryOutcome::Refused(e.to_string()));
    }
    let summary = run_campaign(store, &providers, engine, campaign_id, cancel, on_start).await?;
    Ok(RetryOutcome::Ran {
        summary,
        mode: providers.mode.clone(),
    })
}
