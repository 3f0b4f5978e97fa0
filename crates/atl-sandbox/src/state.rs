//! Shared state: the live config, per-family counters, and the gate every provider
//! request passes (count → outage → rate limits → latency → fault decision).
//!
//! Hot path cost: one uncontended `RwLock` read (copying a small `Copy` struct out),
//! three relaxed atomic increments, and two short mutex sections (the per-key limiter,
//! only for a provider that has limits or reports usage, and the per-provider
//! statistics). No mutex is held across an await.

use crate::config::{Family, Latency, SandboxConfig};
use crate::ctx;
use crate::limits::{self, LimitKind};
use crate::people::Registry;
use crate::provider::Provider;
use crate::ratelimit::{Limiter, Weight};
use crate::resp::ErrKind;
use crate::stats::{ProviderCounters, ProviderStats};
use crate::synth::mix;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
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

/// Snapshot of `/_sandbox/stats`:
/// `{"total": n, "families": {"chat": {...}, ...}, "providers": {"deepseek": {...}, ...}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxStats {
    pub total: u64,
    pub families: BTreeMap<String, FamilyStats>,
    /// Per provider (`openai`, `deepseek`, `cerebras`, `openrouter`, `anthropic`,
    /// `apollo`, `hunter`, `tavily`, `brave`, `serper`, `cartesia`, `sites`); only
    /// providers that were called appear.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderStats>,
}

impl SandboxStats {
    pub fn family(&self, family: Family) -> FamilyStats {
        self.families
            .get(family.as_str())
            .copied()
            .unwrap_or_default()
    }

    /// One provider's counts (zeros if it was never called).
    pub fn provider(&self, name: &str) -> ProviderStats {
        self.providers.get(name).cloned().unwrap_or_default()
    }
}

/// The live config and when it was set (outage windows are measured from then).
struct Live {
    config: SandboxConfig,
    since: Instant,
}

pub(crate) struct Inner {
    live: RwLock<Live>,
    counters: [Counters; Family::ALL.len()],
    limiter: Limiter,
    providers: ProviderCounters,
    /// Apollo people the sandbox has shown, so their ids can be revealed later.
    people: Registry,
    /// Prompt prefixes seen per key, for the cached-input counts of chat replies.
    pub(crate) prompt_cache: crate::prompt_cache::PromptCache,
    /// Flipped to `true` once on shutdown; hangs and latency sleeps watch it.
    shutdown: watch::Sender<bool>,
}

/// Cheap to clone (one `Arc`); this is axum's router state.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

/// A misbehaviour that shapes a healthy reply instead of replacing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extra {
    UndeclaredKey,
    MissingNullable,
    TooManyItems,
    NumberAsString,
    Fenced,
    SchemaMix,
    Uncited,
    OtherPerson,
    Pending,
    TruncatedAudio,
}

/// The set of [`Extra`]s that fired for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Extras(u16);

impl Extras {
    pub(crate) fn has(self, e: Extra) -> bool {
        self.0 & (1 << e as u16) != 0
    }

    fn set(&mut self, e: Extra) {
        self.0 |= 1 << e as u16;
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What the gate lets through: whether the body must be mangled on the way out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admit {
    pub malformed: bool,
    pub extras: Extras,
}

/// Wraps every provider route (not `/healthz` or `/_sandbox/*`), and records each
/// provider reply in the sandbox's statistics.
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (reply, served) = ctx::serve(req, next).await;
    if let Some(s) = served {
        state.providers().record(
            s.provider,
            &s.endpoint,
            &s.key,
            reply.status(),
            s.rate_limited,
        );
    }
    reply
}

impl AppState {
    /// State for [`crate::router`]. A router mounted elsewhere ends its hangs early only
    /// if someone calls [`AppState::begin_shutdown`]; [`crate::Sandbox`] does it for you.
    pub fn new(config: SandboxConfig) -> Self {
        let (shutdown, _) = watch::channel(false);
        AppState {
            inner: Arc::new(Inner {
                live: RwLock::new(Live {
                    config,
                    since: Instant::now(),
                }),
                counters: Default::default(),
                limiter: Limiter::default(),
                providers: ProviderCounters::default(),
                people: Registry::default(),
                prompt_cache: Default::default(),
                shutdown,
            }),
        }
    }

    pub(crate) fn providers(&self) -> &ProviderCounters {
        &self.inner.providers
    }

    pub(crate) fn people(&self) -> &Registry {
        &self.inner.people
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
            .live
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .config
            .clone()
    }

    /// Replace the config; restarts every family's `every_nth` count, every rate-limit
    /// window and the clock of outage windows. Run [`SandboxConfig::validate`] first to
    /// refuse knobs that would do nothing; this applies whatever it is given.
    pub fn set_config(&self, config: SandboxConfig) {
        *self
            .inner
            .live
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Live {
            config,
            since: Instant::now(),
        };
        for c in &self.inner.counters {
            c.seq.store(0, Ordering::Relaxed);
        }
        self.inner.limiter.reset();
    }

    /// The company-site dead-domain knob and the seed it is drawn with.
    pub(crate) fn dead_domains(&self) -> (crate::config::DeadDomains, u64) {
        let guard = self
            .inner
            .live
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (guard.config.dead_domains.clone(), guard.config.seed)
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
        stats.providers = self.inner.providers.snapshot();
        stats
    }

    /// [`AppState::admit_as`] for the family's usual provider, weighing one unit.
    pub(crate) async fn admit(&self, family: Family) -> Result<Admit, ErrKind> {
        self.admit_as(family, Provider::default_for(family), Weight::default())
            .await
    }

    /// Count the request, apply the outage window and the provider's rate limits for
    /// the request's key, apply latency, decide on a fault. `Err` is what to reply with.
    pub(crate) async fn admit_as(
        &self,
        family: Family,
        provider: Provider,
        weight: Weight,
    ) -> Result<Admit, ErrKind> {
        ctx::set_provider(provider);
        let counters = &self.inner.counters[family.index()];
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let seq = counters.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let endpoint = ctx::endpoint();
        let (seed, fc, since, rules) = {
            let guard = self
                .inner
                .live
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let rules = limits::rules(&guard.config.limits, provider, &endpoint);
            (
                guard.config.seed,
                *guard.config.family(family),
                guard.since,
                rules,
            )
        };
        let now = Instant::now();
        if let Some(o) = fc.outage
            && o.covers(now.duration_since(since).as_secs_f64())
        {
            counters.faults.fetch_add(1, Ordering::Relaxed);
            return Err(match o.mode {
                crate::config::OutageMode::Reset => ErrKind::Reset,
                crate::config::OutageMode::Status => ErrKind::Outage { status: o.status },
            });
        }
        let (view, slot) =
            self.inner
                .limiter
                .check(provider, &ctx::key(), &endpoint, &rules, weight, now);
        let hit = view.hit;
        if !view.readings.is_empty() {
            ctx::set_rate(view.clone());
        }
        ctx::hold(slot);
        match hit {
            Some(LimitKind::Monthly) => return Err(ErrKind::QuotaExhausted),
            Some(_) => {
                ctx::mark_rate_limited();
                return Err(ErrKind::Limited(view));
            }
            None => {}
        }
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
            ctx::mark_rate_limited();
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
        let mut extras = Extras::default();
        if fault.is_none() && !malformed {
            let shaping = [
                (Extra::UndeclaredKey, f.schema_miss.extra_key),
                (Extra::MissingNullable, f.schema_miss.missing_nullable),
                (Extra::TooManyItems, f.schema_miss.too_many_items),
                (Extra::NumberAsString, f.schema_miss.number_as_string),
                (Extra::Fenced, f.schema_miss.fenced),
                (Extra::SchemaMix, f.schema_miss.mix),
                (Extra::Uncited, f.uncited),
                (Extra::OtherPerson, f.other_person),
                (Extra::Pending, f.pending),
                (Extra::TruncatedAudio, f.truncated_audio),
            ];
            for (i, (extra, trigger)) in shaping.iter().enumerate() {
                if trigger.fires(seq, draw(16 + i as u64)) {
                    extras.set(*extra);
                }
            }
        }
        if fault.is_some() || malformed || !extras.is_empty() {
            counters.faults.fetch_add(1, Ordering::Relaxed);
        }
        match fault {
            Some(e) => Err(e),
            None => Ok(Admit { malformed, extras }),
        }
    }

    /// Answer a request refused before the gate (a missing header, a bad parameter): it
    /// is counted, but no outage, limit, latency or fault applies to it.
    pub(crate) fn refuse(
        &self,
        family: Family,
        e: &ErrKind,
        error: impl Fn(&ErrKind) -> Response,
    ) -> Response {
        self.count_only(family);
        error(e)
    }

    /// The gate for a request `checked` found well formed or not: a refused one is
    /// [`AppState::refuse`]d, an accepted one [`AppState::admit`]ted. `Err` is the reply,
    /// drawn by the vendor's `error`.
    pub(crate) async fn admit_checked<T>(
        &self,
        family: Family,
        checked: Result<T, ErrKind>,
        error: impl Fn(&ErrKind) -> Response,
    ) -> Result<(T, Admit), Response> {
        let value = checked.map_err(|e| self.refuse(family, &e, &error))?;
        let admit = self.admit(family).await.map_err(|e| error(&e))?;
        Ok((value, admit))
    }

    /// Count a request that never reached the gate (e.g. rejected for a missing header).
    pub(crate) fn count_only(&self, family: Family) {
        self.count_only_as(family, Provider::default_for(family));
    }

    pub(crate) fn count_only_as(&self, family: Family, provider: Provider) {
        ctx::set_provider(provider);
        self.inner.counters[family.index()]
            .requests
            .fetch_add(1, Ordering::Relaxed);
    }

    /// `true` if the full duration elapsed, `false` if the sandbox is shutting down.
    pub(crate) async fn sleep_unless_shutdown(&self, d: Duration) -> bool {
        let mut rx = self.inner.shutdown.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = rx.wait_for(|down| *down) => false,
        }
    }
}
