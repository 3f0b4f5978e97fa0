use atl_domain::RetryPolicy;
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;

/// How a coordinator runs. The defaults suit real providers (minutes-long LLM calls).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Jobs in flight at once in this process.
    pub concurrency: usize,
    /// A lease not renewed for this long is claimed again by someone else.
    pub lease: Duration,
    /// Renew leases this often (well under `lease`).
    pub heartbeat_every: Duration,
    /// The retry policy of every sub-agent that does not declare one of its own (one that
    /// keeps [`RetryPolicy::default`]): attempts, backoff, patience with an unavailable
    /// provider. `max_attempts` is defaulted there and nowhere else.
    pub retry: RetryPolicy,
    /// Poll interval when nothing is ready (finishing jobs wake the loop at once). While
    /// claims keep coming back empty the interval doubles up to `poll_idle_max`, so jobs
    /// waiting out a provider's outage do not make every worker query the ledger ten times
    /// a second.
    pub poll_idle: Duration,
    pub poll_idle_max: Duration,
    /// On cancellation, how long running jobs may take to finish before they are
    /// abandoned (their leases are released, and they run again next time).
    pub shutdown_grace: Duration,
    /// This machine's name, as `atl_workers` shows it.
    pub host: String,
    /// Who holds the leases: host-pid-random, this worker's id in `atl_workers`.
    pub owner: String,
    /// Where sub-agents write files (the voice agent's audio).
    pub data_dir: PathBuf,
    /// How often this worker stamps its heartbeat in `atl_workers`.
    pub worker_heartbeat_every: Duration,
    /// A worker without a heartbeat for this long is dead: any worker frees its leases at
    /// once. Only applied once this worker has reached the database for that long itself,
    /// so a database outage never makes every worker look dead to the first one back.
    pub worker_dead_after: Duration,
    /// How long a commit that fails on a transient database error (a restart, a dropped
    /// connection) is tried again with the same lease token before the run is given up
    /// (it then runs again once its lease expires).
    pub commit_patience: Duration,
    /// This worker's wall clock (see [`Clock`]).
    pub clock: Clock,
}

impl EngineConfig {
    /// The defaults on the machine `host` (the lease owner is named after it).
    pub fn on_host(host: String) -> Self {
        EngineConfig {
            owner: owner_id(&host),
            host,
            ..EngineConfig::default()
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        let lease = Duration::from_secs(60);
        EngineConfig {
            concurrency: 64,
            lease,
            heartbeat_every: Duration::from_secs(20),
            retry: RetryPolicy::default(),
            poll_idle: Duration::from_millis(100),
            poll_idle_max: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(10),
            host: host_name(None),
            owner: default_owner_id(),
            data_dir: PathBuf::from("data"),
            worker_heartbeat_every: Duration::from_secs(2),
            worker_dead_after: Duration::from_secs(10),
            commit_patience: lease,
            clock: Clock::system(),
        }
    }
}

/// A worker's wall clock, injectable so that tests can run a worker whose clock is off
/// (rather than needing faketime). The engine only *reports* with it (when a run started
/// and ended); every lease, claim, heartbeat, retry time and provider wait is measured on
/// the database's clock (PostgreSQL's `now()`; SQLite's one process) or on the monotonic
/// clock. A worker whose clock is minutes off therefore neither steals a live lease nor
/// keeps an expired one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset: time::Duration,
}

impl Clock {
    pub fn system() -> Self {
        Clock::default()
    }

    /// A clock `offset` ahead of the system's (behind when negative).
    pub fn skewed(offset: time::Duration) -> Self {
        Clock { offset }
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc().saturating_add(self.offset)
    }
}

/// This machine's name, for `atl_workers` and lease owners: the kernel's, else
/// `fallback` (the settings' `HOSTNAME`, for systems without `/proc`), else `host`.
pub fn host_name(fallback: Option<&str>) -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| fallback.map(str::to_string))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_string())
}

/// `hostname-pid-random`, unique per coordinator even for two in one process.
pub fn default_owner_id() -> String {
    owner_id(&host_name(None))
}

/// `host-pid-random` for this process on `host`.
pub fn owner_id(host: &str) -> String {
    format!("{host}-{}-{:08x}", std::process::id(), fastrand::u32(..))
}
