//! Whether the database is answering, as this worker sees it: one warning when it stops
//! (a restart, a dropped connection) and one note when it is back, instead of an error per
//! job; and how long it has answered without a break, which decides whether other
//! workers' missing heartbeats mean anything yet.

use atl_store::StoreError;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct DbHealth {
    troubled: AtomicBool,
    /// Since when every call has succeeded (the start, or the end of the last trouble).
    ok_since: Mutex<Instant>,
}

impl Default for DbHealth {
    fn default() -> Self {
        DbHealth {
            troubled: AtomicBool::new(false),
            ok_since: Mutex::new(Instant::now()),
        }
    }
}

impl DbHealth {
    pub(crate) fn failed(&self, what: &str, e: &StoreError) {
        if let Ok(mut t) = self.ok_since.lock() {
            *t = Instant::now();
        }
        if !self.troubled.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error = %e,
                "database unreachable ({what}); retrying with the same leases until it is back"
            );
        } else {
            tracing::debug!(error = %e, "{what} failed again");
        }
    }

    pub(crate) fn ok(&self) {
        if self.troubled.swap(false, Ordering::Relaxed) {
            tracing::info!("database reachable again");
        }
    }

    /// How long the database has answered every call.
    pub(crate) fn healthy_for(&self) -> Duration {
        self.ok_since
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }

    /// Runs `op` until it succeeds, fails for a reason a retry cannot help, or has failed
    /// transiently for longer than `patience` (backoff 100 ms doubling to 2 s, jittered).
    /// The caller passes the same lease token every time; the ledger answers a repeated
    /// commit of one run with what the first one did.
    pub(crate) async fn retry<T, F, Fut>(
        &self,
        what: &str,
        patience: Duration,
        mut op: F,
    ) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let started = Instant::now();
        let mut wait = Duration::from_millis(100);
        loop {
            match op().await {
                Ok(v) => {
                    self.ok();
                    return Ok(v);
                }
                Err(e) if e.is_transient() && started.elapsed() < patience => {
                    self.failed(what, &e);
                    let jittered = wait.mul_f64(0.5 + fastrand::f64() * 0.5);
                    tokio::time::sleep(jittered.min(patience.saturating_sub(started.elapsed())))
                        .await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }
}
