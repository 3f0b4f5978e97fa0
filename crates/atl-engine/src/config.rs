use std::path::PathBuf;
use std::time::Duration;

/// How a coordinator runs. The defaults suit real providers (minutes-long LLM calls).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Jobs in flight at once in this process.
    pub concurrency: usize,
    /// A lease not renewed for this long is claimed again by someone else.
    pub lease: Duration,
    /// Renew leases this often (well under `lease`).
    pub heartbeat_every: Duration,
    /// Attempts per job, counting expired leases.
    pub max_attempts: u32,
    /// Backoff of retryable failures: full jitter over `retry_base × 2^(attempt-1)`,
    /// capped at `retry_cap`, and never shorter than the provider's `Retry-After`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Poll interval when nothing is ready (finishing jobs wake the loop at once).
    pub poll_idle: Duration,
    /// On cancellation, how long running jobs may take to finish before they are
    /// abandoned (their leases are released, and they run again next time).
    pub shutdown_grace: Duration,
    /// Who holds the leases: host-pid-random.
    pub owner: String,
    /// Where sub-agents write files (the voice agent's audio).
    pub data_dir: PathBuf,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            concurrency: 64,
            lease: Duration::from_secs(60),
            heartbeat_every: Duration::from_secs(20),
            max_attempts: 3,
            retry_base: Duration::from_secs(2),
            retry_cap: Duration::from_secs(120),
            poll_idle: Duration::from_millis(100),
            shutdown_grace: Duration::from_secs(10),
            owner: default_owner_id(),
            data_dir: PathBuf::from("data"),
        }
    }
}

/// `hostname-pid-random`, unique per coordinator even for two in one process.
pub fn default_owner_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_string());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        crate::backoff::random_u64() as u32
    )
}
