//! The claim loop: claim as many ready jobs as there are free permits, run each on its own
//! task, and wake up the moment one finishes (so intel and voice start as soon as their
//! dependencies end) or after the idle poll when nothing was ready. The loop registers the
//! worker in `atl_workers` for as long as it runs (on SQLite that takes back a crashed
//! run's leases at once), and keeps claiming through a database restart: failed claims
//! back off and warn once.

use atl_agents::CampaignOptions;
use atl_domain::CampaignStatus;
use atl_store::{Campaign, ClaimRequest, ClaimedJob, Store, StoreError, WorkerInfo};
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
use crate::health::DbHealth;
use crate::job::{CampaignContext, JobContext, SharedContext, run_job};
use crate::presence::Presence;
use crate::progress::{JobOutcome, ProgressEvent};
use crate::registry::AgentRegistry;

/// How long claims may keep failing before a run gives up (the campaign stays resumable):
/// longer than a database restart or failover takes.
const CLAIM_GIVE_UP: Duration = Duration::from_secs(180);
/// What `dead_worker_after` is while this worker has not yet reached the database for a
/// whole `worker_dead_after` itself: nobody is declared dead.
const NOBODY_IS_DEAD: Duration = Duration::from_secs(10 * 365 * 86_400);
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
    /// Runs that failed transiently and will run again (an attempt used).
    pub retried: u64,
    /// Runs that waited for a busy or unavailable provider (no attempt used).
    pub waited: u64,
    pub deferred: u64,
    pub lease_lost: u64,
    pub abandoned: u64,
    /// When the run began, by this worker's clock (for display only).
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: time::OffsetDateTime,
    pub elapsed: Duration,
    /// From the start of the run to its first claimed job (`None` if it claimed none).
    pub first_claim_after: Option<Duration>,
}

#[derive(Default)]
struct Counts {
    completed: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    waited: AtomicU64,
    deferred: AtomicU64,
    lease_lost: AtomicU64,
    abandoned: AtomicU64,
}

impl Counts {
    fn add(&self, outcome: JobOutcome) {
        let slot = match outcome {
            JobOutcome::Completed => &self.completed,
            JobOutcome::Retrying => &self.retried,
            JobOutcome::Waiting => &self.waited,
            JobOutcome::Deferred => &self.deferred,
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
    presence: Presence,
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
                health: DbHealth::default(),
            }),
            progress,
            campaigns: Mutex::new(HashMap::new()),
            presence: Presence::default(),
        }
    }

    /// Each registered kind with the attempts its retry policy allows: what this
    /// coordinator starts a campaign's jobs with.
    pub fn job_plan(&self) -> Vec<(atl_domain::SubAgentKind, u32)> {
        self.ctx.registry.job_plan(&self.ctx.config.retry)
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
        let campaign = self
            .read_campaign(campaign_id)
            .await?
            .ok_or(EngineError::CampaignNotFound(campaign_id))?;
        if campaign.status == CampaignStatus::Pending {
            let plan = self.job_plan();
            if plan.is_empty() {
                return Err(EngineError::NoAgents);
            }
            self.ctx
                .health
                .retry(
                    "starting the campaign",
                    self.ctx.config.commit_patience,
                    || store.start_campaign_with(campaign_id, &plan),
                )
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
        let cfg = &self.ctx.config;
        let worker = WorkerInfo {
            id: cfg.owner.clone(),
            host: cfg.host.clone(),
            pid: std::process::id(),
        };
        self.presence
            .enter(&self.ctx, &worker, cfg.worker_heartbeat_every)
            .await;
        let result = self.claim_loop(scope, cancel).await;
        self.presence.leave(&self.ctx.store, &worker.id).await;
        result
    }

    async fn claim_loop(
        &self,
        scope: Option<i64>,
        cancel: CancellationToken,
    ) -> Result<RunSummary, EngineError> {
        let started = Instant::now();
        let started_at = self.ctx.config.clock.now();
        let cfg = &self.ctx.config;
        let permits = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
        let tracker = TaskTracker::new();
        let abandon = CancellationToken::new();
        let wake = Arc::new(Notify::new());
        let counts = Arc::new(Counts::default());
        let reservations = self.ctx.registry.reservations();
        let mut failing_since: Option<Instant> = None;
        let mut last_snapshot = Instant::now();
        let mut last_settle_check: Option<Instant> = None;
        let mut first_claim_after = None;
        let mut idle = cfg.poll_idle;

        let stop = loop {
            if cancel.is_cancelled() {
                break StopReason::Interrupted;
            }
            let free = permits.available_permits();
            let mut claimed = 0;
            let mut claim_failed = false;
            if free > 0 {
                let dead_worker_after = if self.ctx.health.healthy_for() >= cfg.worker_dead_after {
                    cfg.worker_dead_after
                } else {
                    NOBODY_IS_DEAD
                };
                let req = ClaimRequest {
                    owner: &cfg.owner,
                    lease: cfg.lease,
                    limit: u32::try_from(free).unwrap_or(u32::MAX),
                    campaign_id: scope,
                    estimates: reservations,
                    dead_worker_after,
                };
                match self.ctx.store.claim_jobs(&req).await {
                    Ok(jobs) => {
                        self.ctx.health.ok();
                        failing_since = None;
                        claimed = jobs.len();
                        if claimed > 0 && first_claim_after.is_none() {
                            first_claim_after = Some(started.elapsed());
                            tracing::info!(
                                after_ms = started.elapsed().as_millis() as u64,
                                "first job claimed"
                            );
                        }
                        for job in jobs {
                            self.spawn_job(job, &permits, &tracker, &abandon, &wake, &counts)
                                .await;
                        }
                    }
                    Err(e) if e.is_transient() => {
                        self.ctx.health.failed("claiming jobs", &e);
                        claim_failed = true;
                        let since = *failing_since.get_or_insert_with(Instant::now);
                        if since.elapsed() >= CLAIM_GIVE_UP {
                            return Err(self.give_up(e, &cancel, &abandon, &tracker).await);
                        }
                    }
                    Err(e) => return Err(self.give_up(e, &cancel, &abandon, &tracker).await),
                }
            }
            if let Some(campaign_id) = scope
                && !claim_failed
            {
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
                        let settled = self
                            .ctx
                            .health
                            .retry("settling the campaign", cfg.commit_patience, || {
                                self.ctx.store.settle_if_done(campaign_id)
                            })
                            .await?;
                        if settled {
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
            // Empty claims back off (jobs waiting out an outage sit with a future
            // `run_after`; asking ten times a second would not bring it sooner); a claimed
            // job or a finished one brings the short poll back.
            idle = if claimed > 0 {
                cfg.poll_idle
            } else {
                (idle * 2).min(cfg.poll_idle_max.max(cfg.poll_idle))
            };
            tokio::select! {
                () = wake.notified() => idle = cfg.poll_idle,
                () = tokio::time::sleep(idle) => {}
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
                self.read_campaign(id).await?.map(|c| c.status)
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
            waited: counts.waited.load(Ordering::Relaxed),
            deferred: counts.deferred.load(Ordering::Relaxed),
            lease_lost: counts.lease_lost.load(Ordering::Relaxed),
            abandoned: counts.abandoned.load(Ordering::Relaxed),
            started_at,
            elapsed: started.elapsed(),
            first_claim_after,
        })
    }

    /// Stops the run after the database kept refusing: running jobs are abandoned (their
    /// leases released where possible), and the error is returned.
    async fn give_up(
        &self,
        e: atl_store::StoreError,
        cancel: &CancellationToken,
        abandon: &CancellationToken,
        tracker: &TaskTracker,
    ) -> EngineError {
        cancel.cancel();
        abandon.cancel();
        tracker.close();
        tracker.wait().await;
        e.into()
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
            .read_campaign(campaign_id)
            .await?
            .ok_or(EngineError::CampaignNotFound(campaign_id))?;
        Ok(match campaign.status {
            CampaignStatus::Processing | CampaignStatus::Pending => None,
            CampaignStatus::Paused => Some(StopReason::Paused),
            CampaignStatus::Cancelled => Some(StopReason::Cancelled),
            CampaignStatus::Completed | CampaignStatus::Failed => Some(StopReason::Finished),
        })
    }

    /// The campaign's row, read again while the database drops connections or restarts
    /// (for as long as a commit would be retried): a loop that stops on the first cut
    /// read would leave its claimed jobs to wait out their leases.
    async fn read_campaign(&self, campaign_id: i64) -> Result<Option<Campaign>, StoreError> {
        self.ctx
            .health
            .retry(
                "reading the campaign",
                self.ctx.config.commit_patience,
                || self.ctx.store.get_campaign(None, campaign_id),
            )
            .await
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
