//! Shared state: the live config, per-family counters, and the gate every provider
//! request passes (count → latency → fault decision).
//!
//! Hot path cost: one uncontended `RwLock` read (copying a small `Copy` struct out) and
//! three relaxed atomic increments. No mutex is held across an await.

use crate::config::{Family, FamilyConfig, Latency, SandboxConfig};
use crate::resp::ErrKind;
use crate::synth::mix;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;

/// Latency draws are capped so a log-normal tail never turns into an accidental hang.
const MAX_LATENCY_MS: f64 = 60_000.0;

#[derive(Default)]
struct Counters {
    /// Requests served since start (never reset): what `/_sandbox/stats` reports.
    requests: AtomicU64,
    /// Faults injected since start.
    faults: AtomicU64,
    /// Sequence number for `every_nth`, reset on every config change.
    seq: AtomicU64,
}

/// Per-family counts since the sandbox started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyStats {
    pub requests: u64,
    pub faults: u64,
}

/// Snapshot of `/_sandbox/stats`: `{"total": n, "families": {"chat": {...}, ...}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxStats {
    pub total: u64,
    pub families: BTreeMap<String, FamilyStats>,
}

impl SandboxStats {
    pub fn family(&self, family: Family) -> FamilyStats {
        self.families
            .get(family.as_str())
            .copied()
            .unwrap_or_default()
    }
}

pub(crate) struct Inner {
    config: RwLock<SandboxConfig>,
    counters: [Counters; Family::ALL.len()],
    /// Flipped to `true` once on shutdown; hangs and latency sleeps watch it.
    shutdown: watch::Sender<bool>,
}

/// Cheap to clone (one `Arc`); this is axum's router state.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

/// What the gate lets through: whether the body must be mangled on the way out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admit {
    pub malformed: bool,
}

impl AppState {
    /// State for [`crate::router`]. A router mounted elsewhere ends its hangs early only
    /// if someone calls [`AppState::begin_shutdown`]; [`crate::Sandbox`] does it for you.
    pub fn new(config: SandboxConfig) -> Self {
        let (shutdown, _) = watch::channel(false);
        AppState {
            inner: Arc::new(Inner {
                config: RwLock::new(config),
                counters: Default::default(),
                shutdown,
            }),
        }
    }

    /// Wake every hanging or delayed request (they answer 503) and refuse new waits.
    pub fn begin_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    pub fn config(&self) -> SandboxConfig {
        self.inner
            .config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Replace the config; restarts every family's `every_nth` count.
    pub fn set_config(&self, config: SandboxConfig) {
        *self
            .inner
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = config;
        for c in &self.inner.counters {
            c.seq.store(0, Ordering::Relaxed);
        }
    }

    fn family_config(&self, family: Family) -> (u64, FamilyConfig) {
        let guard = self
            .inner
            .config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (guard.seed, *guard.family(family))
    }

    pub fn stats(&self) -> SandboxStats {
        let mut stats = SandboxStats::default();
        for f in Family::ALL {
            let c = &self.inner.counters[f.index()];
            let fs = FamilyStats {
                requests: c.requests.load(Ordering::Relaxed),
                faults: c.faults.load(Ordering::Relaxed),
            };
            stats.total += fs.requests;
            stats.families.insert(f.as_str().to_string(), fs);
        }
        stats
    }

    /// Count the request, apply latency, decide on a fault. `Err` is the fault to reply with.
    pub(crate) async fn admit(&self, family: Family) -> Result<Admit, ErrKind> {
        let counters = &self.inner.counters[family.index()];
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let seq = counters.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let (seed, fc) = self.family_config(family);
        // One deterministic stream per (seed, family, seq): reproducible for sequential runs.
        let base = mix(seed ^ ((family.index() as u64) << 56) ^ seq);
        let draw = |k: u64| (mix(base ^ k) >> 11) as f64 / (1u64 << 53) as f64;

        let delay_ms = match fc.latency {
            Latency::None => 0.0,
            Latency::Fixed { ms } => ms as f64,
            Latency::LogNormal { median_ms, sigma } => {
                // Box–Muller from two independent draws.
                let (u1, u2) = (draw(1).max(f64::MIN_POSITIVE), draw(2));
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                median_ms * (sigma * z).exp()
            }
        };
        if delay_ms >= 1.0 {
            let d = Duration::from_millis(delay_ms.min(MAX_LATENCY_MS) as u64);
            if !self.sleep_unless_shutdown(d).await {
                return Err(ErrKind::Unavailable);
            }
        }

        let f = &fc.faults;
        let fault = if f.hang.fires(seq, draw(3)) {
            counters.faults.fetch_add(1, Ordering::Relaxed);
            self.sleep_unless_shutdown(Duration::from_millis(f.hang_ms))
                .await;
            return Err(ErrKind::Unavailable);
        } else if f.rate_limit.fires(seq, draw(4)) {
            Some(ErrKind::RateLimited {
                retry_after_secs: f.retry_after_secs,
            })
        } else if f.quota_exhausted.fires(seq, draw(5)) {
            Some(ErrKind::QuotaExhausted)
        } else if f.overloaded.fires(seq, draw(6)) {
            Some(ErrKind::Overloaded)
        } else if f.server_error.fires(seq, draw(7)) {
            Some(ErrKind::ServerError)
        } else {
            None
        };
        let malformed = fault.is_none() && f.malformed.fires(seq, draw(8));
        if fault.is_some() || malformed {
            counters.faults.fetch_add(1, Ordering::Relaxed);
        }
        match fault {
            Some(e) => Err(e),
            None => Ok(Admit { malformed }),
        }
    }

    /// Count a request that never reached the gate (e.g. rejected for a missing header).
    pub(crate) fn count_only(&self, family: Family) {
        self.inner.counters[family.index()]
            .requests
            .fetch_add(1, Ordering::Relaxed);
    }

    /// `true` if the full duration elapsed, `false` if the sandbox is shutting down.
    async fn sleep_unless_shutdown(&self, d: Duration) -> bool {
        let mut rx = self.inner.shutdown.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = rx.wait_for(|down| *down) => false,
        }
    }
}
