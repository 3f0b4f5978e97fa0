//! The claim loop: claim as many ready jobs as there are free permits, run each on its own
//! task, and wake up the moment one finishes (so voice starts as soon as its dependencies
//! end) or after `poll_idle` when nothing was ready.

use atl_agents::CampaignOptions;
use atl_domain::CampaignStatus;
use atl_store::{ClaimRequest, ClaimedJob, Store};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, broadcast};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::job::{CampaignContext, JobContext, SharedContext, run_job};
use crate::progress::{JobOutcome, ProgressEvent};
use crate::registry::AgentRegistry;

/// Consecutive failed claims after which a run gives up (the campaign stays resumable).
const MAX_CLAIM_ERRORS: u32 = 50;
const SNAPSHOT_EVERY: Duration = Duration::from_secs(1);
const SETTLE_CHECK_EVERY: Duration = Duration::from_secs(1);
const PROGRESS_CAPACITY: usize = 1024;

/// Why a run returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The campaign has no open job left (completed, possibly with failures or skips).
    Finished,
    Paused,
    /// The campaign was cancelled.
    Cancelled,
    /// The caller's cancellation token fired; the campaign continues on the next run.
    Interrupted,
}

/// What one run did (this process only; the ledger has the whole story).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub campaign_id: Option<i64>,
    pub stop: StopReason,
    pub status: Option<CampaignStatus>,
    pub completed: u64,
    pub failed: u64,
    pub retried: u64,
    pub lease_lost: u64,
    pub abandoned: u64,
    pub elapsed: Duration,
}

#[derive(Default)]
struct Counts {
    completed: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    lease_lost: AtomicU64,
    abandoned: AtomicU64,
}

impl Counts {
    fn add(&self, outcome: JobOutcome) {
        let slot = match outcome {
            JobOutcome::Completed => &self.completed,
            JobOutcome::Retrying => &self.retried,
            JobOutcome::Failed => &self.failed,
            JobOutcome::LeaseLost => &self.lease_lost,
            JobOutcome::Abandoned => &self.abandoned,
        };
        slot.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs campaigns' jobs with bounded concurrency. Cheap to share (`Arc` inside).
pub struct Coordinator {
    ctx: SharedContext,
    progress: broadcast::Sender<ProgressEvent>,
    campaigns: Mutex<HashMap<i64, CampaignContext>>,
}

impl std::fmt::Debug for Coordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coordinator")
            .field("owner", &self.ctx.config.owner)
            .field("registry", &self.ctx.registry)
            .finish()
    }
}

impl Coordinator {
    pub fn new(store: Store, registry: AgentRegistry, config: EngineConfig) -> Self {
        let (progress, _) = broadcast::channel(PROGRESS_CAPACITY);
        Coordinator {
            ctx: Arc::new(JobContext {
                store,
                registry,
                config,
            }),
            progress,
            campaigns: Mutex::new(HashMap::new()),
        }
    }

    /// Job and campaign progress. Slow subscribers miss events (`Lagged`) rather than
    /// slowing the work down.
    pub fn subscribe(&self) -> broadcast::Receiver<ProgressEvent> {
        self.progress.subscribe()
    }

    pub fn config(&self) -> &EngineConfig {
        &self.ctx.config
    }

    /// Starts the campaign if it is pending, then works on it until it has no open job,
    /// is paused or cancelled, or `cancel` fires. Other coordinators may work on it at the
    /// same time.
    pub async fn run_campaign(
        &self,
        campaign_id: i64,
        cancel: CancellationToken,
    ) -> Result<RunSummary, EngineError> {
        let store = &self.ctx.store;
        let campaign = store
            .get_campaign(None, campaign_id)
            .await?
            .ok_or(EngineError::CampaignNotFound(campaign_id))?;
        if campaign.status == CampaignStatus::Pending {
            let kinds = self.ctx.registry.kinds();
            if kinds.is_empty() {
                return Err(EngineError::NoAgents);
            }
            store
                .start_campaign(campaign_id, &kinds, self.ctx.config.max_attempts)
                .await?;
        }
        self.run_loop(Some(campaign_id), cancel).await
    }

    /// Works on every processing campaign until `cancel` fires (`atl worker`).
    pub async fn run_worker(&self, cancel: CancellationToken) -> Result<RunSummary, EngineError> {
        self.run_loop(None, cancel).await
    }

    async fn run_loop(
        &self,
        scope: Option<i64>,
        cancel: CancellationToken,
    ) -> Result<RunSummary, EngineError> {
        let started = Instant::now();
        let cfg = &self.ctx.config;
        let permits = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
        let tracker = TaskTracker::new();
        let abandon = CancellationToken::new();
        let wake = Arc::new(Notify::new());
        let counts = Arc::new(Counts::default());
        let reservations = self.ctx.registry.reservations();
        let mut claim_errors = 0;
        let mut last_snapshot = Instant::now();
        let mut last_settle_check: Option<Instant> = None;

        let stop = loop {
            if cancel.is_cancelled() {
                break StopReason::Interrupted;
            }
            let free = permits.available_permits();
            let mut claimed = 0;
            if free > 0 {
                let req = ClaimRequest {
                    owner: &cfg.owner,
                    lease: cfg.lease,
                    limit: u32::try_from(free).unwrap_or(u32::MAX),
                    now: time::OffsetDateTime::now_utc(),
                    campaign_id: scope,
                    estimates: reservations,
                };
                match self.ctx.store.claim_jobs(&req).await {
                    Ok(jobs) => {
                        claim_errors = 0;
                        claimed = jobs.len();
                        for job in jobs {
                            self.spawn_job(job, &permits, &tracker, &abandon, &wake, &counts)
                                .await;
                        }
                    }
                    Err(e) => {
                        claim_errors += 1;
                        tracing::warn!(error = %e, claim_errors, "claim failed");
                        if claim_errors >= MAX_CLAIM_ERRORS {
                            cancel.cancel();
                            abandon.cancel();
                            tracker.close();
                            tracker.wait().await;
                            return Err(e.into());
                        }
                    }
                }
            }
            if let Some(campaign_id) = scope {
                if last_snapshot.elapsed() >= SNAPSHOT_EVERY {
                    last_snapshot = Instant::now();
                    self.snapshot(campaign_id).await;
                }
                if claimed == 0 && tracker.is_empty() {
                    if let Some(stop) = self.campaign_stopped(campaign_id).await? {
                        break stop;
                    }
                    // Nothing ran or could be claimed, yet the campaign is open: either
                    // jobs wait for a retry time, or its completion was missed. Checked at
                    // most once a second, since waiting for a retry loops here.
                    if last_settle_check.is_none_or(|t| t.elapsed() >= SETTLE_CHECK_EVERY) {
                        last_settle_check = Some(Instant::now());
                        if self.ctx.store.settle_if_done(campaign_id).await? {
                            tracing::warn!(
                                campaign_id,
                                "campaign had no open job left but was not completed: completed it now \
                                 (its counters were off)"
                            );
                            continue;
                        }
                    }
                }
            }
            // Everything asked for was ready: there may be more, and permits are free.
            if claimed > 0 && claimed == free && permits.available_permits() > 0 {
                continue;
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(cfg.poll_idle) => {}
                () = cancel.cancelled() => {}
            }
        };

        tracker.close();
        if stop == StopReason::Interrupted
            && tokio::time::timeout(cfg.shutdown_grace, tracker.wait())
                .await
                .is_err()
        {
            abandon.cancel();
        }
        tracker.wait().await;

        let status = match scope {
            Some(id) => {
                self.snapshot(id).await;
                self.ctx
                    .store
                    .get_campaign(None, id)
                    .await?
                    .map(|c| c.status)
            }
            None => None,
        };
        Ok(RunSummary {
            campaign_id: scope,
            stop,
            status,
            completed: counts.completed.load(Ordering::Relaxed),
            failed: counts.failed.load(Ordering::Relaxed),
            retried: counts.retried.load(Ordering::Relaxed),
            lease_lost: counts.lease_lost.load(Ordering::Relaxed),
            abandoned: counts.abandoned.load(Ordering::Relaxed),
            elapsed: started.elapsed(),
        })
    }

    async fn spawn_job(
        &self,
        job: ClaimedJob,
        permits: &Arc<Semaphore>,
        tracker: &TaskTracker,
        abandon: &CancellationToken,
        wake: &Arc<Notify>,
        counts: &Arc<Counts>,
    ) {
        // The claim asked for at most the free permits and only this loop takes them.
        let permit = permits.clone().try_acquire_owned().ok();
        let campaign = self.campaign_context(job.campaign_id).await;
        let ctx = Arc::clone(&self.ctx);
        let abandon = abandon.clone();
        let wake = Arc::clone(wake);
        let counts = Arc::clone(counts);
        let progress = self.progress.clone();
        tracker.spawn(async move {
            let report = run_job(&ctx, &job, campaign, &abandon).await;
            counts.add(report.outcome);
            // No subscriber is fine.
            let _ = progress.send(report.event(&job));
            drop(permit);
            wake.notify_one();
        });
    }

    /// The campaign's options and cache scope, read once per campaign and coordinator.
    async fn campaign_context(&self, campaign_id: i64) -> CampaignContext {
        if let Some(c) = self
            .campaigns
            .lock()
            .ok()
            .and_then(|m| m.get(&campaign_id).cloned())
        {
            return c;
        }
        let context = match self.ctx.store.get_campaign(None, campaign_id).await {
            Ok(Some(c)) => CampaignContext {
                options: CampaignOptions::from_settings(&c.settings),
                cache_scope: format!("team:{}", c.team_id),
            },
            _ => CampaignContext::default(),
        };
        if let Ok(mut m) = self.campaigns.lock() {
            m.insert(campaign_id, context.clone());
        }
        context
    }

    /// `Some(reason)` once a campaign with nothing running here should stop being worked
    /// on; `None` while it is processing (retries not yet due, or jobs leased elsewhere).
    async fn campaign_stopped(&self, campaign_id: i64) -> Result<Option<StopReason>, EngineError> {
        let campaign = self
            .ctx
            .store
            .get_campaign(None, campaign_id)
            .await?
            .ok_or(EngineError::CampaignNotFound(campaign_id))?;
        Ok(match campaign.status {
            CampaignStatus::Processing | CampaignStatus::Pending => None,
            CampaignStatus::Paused => Some(StopReason::Paused),
            CampaignStatus::Cancelled => Some(StopReason::Cancelled),
            CampaignStatus::Completed | CampaignStatus::Failed => Some(StopReason::Finished),
        })
    }

    async fn snapshot(&self, campaign_id: i64) {
        if self.progress.receiver_count() == 0 {
            return;
        }
        match self.ctx.store.campaign_progress(campaign_id).await {
            Ok(p) => {
                let _ = self.progress.send(ProgressEvent::Snapshot(p));
            }
            Err(e) => tracing::debug!(error = %e, "progress snapshot failed"),
        }
    }
}
