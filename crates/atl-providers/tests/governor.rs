//! Governor behaviour under simulated time (`start_paused`): the runtime jumps the clock
//! whenever every task is waiting on a timer, so minutes of load run in milliseconds.
//!
//! The governor only admits: one attempt per call, no retry, no backoff. Rate slots
//! within `max_admission_wait` are waited for; further ones fail the call at once.

use atl_providers::config::ProvidersConfig;
use atl_providers::governor::{
    Admission, BreakerState, BucketKey, BucketLimit, Governor, Governors, LocalRateLimiter,
    RateLimiter, TokenEstimate,
};
use atl_providers::limits::{Limits, Measure};
use atl_providers::{ErrorKind, ProviderError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::{Instant, sleep};

fn limits() -> Limits {
    Limits {
        max_concurrency: 100,
        timeout: Duration::from_secs(30),
        // Long enough that the rate tests measure the limiter's own spacing.
        max_admission_wait: Duration::from_secs(3600),
        breaker_failures: 3,
        breaker_cooldown: Duration::from_secs(30),
        recover_after: 2,
        ..Limits::default()
    }
}

fn server_error() -> ProviderError {
    ProviderError::server("p", 503, "overloaded", None)
}

fn rate_limited(after: Option<Duration>) -> ProviderError {
    ProviderError::rate_limited("p", "slow down", after)
}

/// Run `n` concurrent calls reserving `tokens`, each attempt made by `attempt`; every call
/// must succeed.
async fn concurrently<F, Fut>(gov: &Arc<Governor>, n: usize, tokens: u64, attempt: F)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), ProviderError>> + Send,
{
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (gov, attempt) = (gov.clone(), attempt.clone());
        tasks.push(tokio::spawn(async move { gov.call(tokens, attempt).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

/// Run `n` concurrent calls that each take `work`, recording every attempt's start time
/// relative to `t0`.
async fn load(gov: Arc<Governor>, n: usize, tokens: u64, work: Duration) -> Vec<Duration> {
    let t0 = Instant::now();
    let starts = Arc::new(Mutex::new(Vec::new()));
    let record = starts.clone();
    concurrently(&gov, n, tokens, move || {
        let starts = record.clone();
        async move {
            starts.lock().unwrap().push(t0.elapsed());
            sleep(work).await;
            Ok(())
        }
    })
    .await;
    let mut v = starts.lock().unwrap().clone();
    v.sort();
    v
}

/// The most attempts in flight at once while `n` concurrent calls of a second each run.
async fn peak_in_flight(gov: &Arc<Governor>, n: usize) -> usize {
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let counters = (now.clone(), peak.clone());
    concurrently(gov, n, 0, move || {
        let (now, peak) = counters.clone();
        async move {
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(n, Ordering::SeqCst);
            sleep(Duration::from_secs(1)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        }
    })
    .await;
    peak.load(Ordering::SeqCst)
}

#[tokio::test(start_paused = true)]
async fn never_above_rpm_over_three_minutes() {
    let gov = Arc::new(Governor::new("p", "m", limits().with_rpm(10)));
    let starts = load(gov, 30, 0, Duration::from_millis(200)).await;
    assert_eq!(starts.len(), 30);
    for minute in 0..3u64 {
        let lo = Duration::from_secs(60 * minute);
        let hi = lo + Duration::from_secs(60);
        let n = starts.iter().filter(|t| **t >= lo && **t < hi).count();
        assert_eq!(n, 10, "minute {minute}: {n} calls");
    }
    // Also in every sliding window, not only calendar minutes.
    for s in &starts {
        let n = starts
            .iter()
            .filter(|t| **t >= *s && **t < *s + Duration::from_secs(60))
            .count();
        assert!(n <= 10, "window from {s:?}: {n}");
    }
    // The limit is used, not just respected: all 30 in just over two windows (each held
    // 2 s longer than the vendor's minute, so late arrivals are not refused).
    assert!(starts[29] < Duration::from_secs(125), "{:?}", starts[29]);
}

#[tokio::test(start_paused = true)]
async fn never_above_concurrency() {
    let gov = Arc::new(Governor::new(
        "p",
        "m",
        Limits {
            max_concurrency: 3,
            ..limits()
        },
    ));
    assert_eq!(peak_in_flight(&gov, 20).await, 3);
}

#[tokio::test(start_paused = true)]
async fn tpm_respected_and_refunds_help() {
    // 1,200 tokens/min = 20/s; each call reserves 400.
    let gov = Arc::new(Governor::new("p", "m", limits().with_tpm(1_200)));
    let starts = load(gov.clone(), 12, 400, Duration::from_millis(10)).await;
    for (i, s) in starts.iter().enumerate() {
        let reserved = 400.0 * (i + 1) as f64;
        // The vendor's 1,200 a minute, over the guarded window (62 s).
        let allowed = 1_200.0 + 1_200.0 / 62.0 * s.as_secs_f64() + 1e-6;
        assert!(
            reserved <= allowed,
            "call {i} at {s:?}: {reserved} > {allowed}"
        );
    }
    // 12 × 400 = 4,800 = bucket (1,200) + three more windows of 62 s → the last start at
    // 186 s.
    let last = starts[11].as_secs_f64();
    assert!((185.0..=187.0).contains(&last), "{last}");

    // With the real usage settled after each call, the same load runs much faster.
    let gov = Arc::new(Governor::new("p", "m", limits().with_tpm(1_200)));
    let t0 = Instant::now();
    for _ in 0..12 {
        let (_, stats) = gov
            .call(400, || async { Ok::<_, ProviderError>(()) })
            .await
            .unwrap();
        gov.settle(stats.reserved, 100.into()).await;
    }
    // Nine fit in the first minute once settled (9 × 100 + 400 > 1,200 for the tenth),
    // the rest as soon as the window slides: a minute instead of three.
    assert!(
        t0.elapsed() <= Duration::from_secs(63),
        "{:?}",
        t0.elapsed()
    );
    assert!(
        t0.elapsed() >= Duration::from_secs(61),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_provider_429_returns_at_once_with_its_wait() {
    let gov = Governor::new("p", "m", limits());
    let calls = AtomicU32::new(0);
    let t0 = Instant::now();
    for asked in [Duration::from_secs(7), Duration::from_secs(3600)] {
        let err = gov
            .call(0, || {
                calls.fetch_add(1, Ordering::SeqCst);
                async move { Err::<(), _>(rate_limited(Some(asked))) }
            })
            .await
            .unwrap_err();
        assert!(err.is_rate_limit());
        assert_eq!(err.retry_after, Some(asked), "the provider's own wait");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one attempt per call");
    assert_eq!(t0.elapsed(), Duration::ZERO, "nobody slept");
    let s = gov.snapshot();
    assert_eq!(
        (s.calls, s.attempts, s.rate_limited, s.failures),
        (2, 2, 2, 2)
    );
}

#[tokio::test(start_paused = true)]
async fn a_rate_slot_too_far_away_fails_at_once_with_the_wait() {
    let gov = Governor::new(
        "p",
        "m",
        Limits {
            max_admission_wait: Duration::from_secs(2),
            ..limits()
        }
        .with_rpm(2),
    );
    let calls = AtomicU32::new(0);
    let ok = || {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, ProviderError>(()) }
    };
    gov.call(0, ok).await.unwrap();
    sleep(Duration::from_secs(10)).await;
    gov.call(0, ok).await.unwrap();
    // The third slot is 52 s away (the first call leaves the window at 60 s plus the
    // guard, a twenty-fifth of the window up to 2 s).
    let t = Instant::now();
    let err = gov.call(0, ok).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert_eq!(err.retry_after, Some(Duration::from_secs(52)));
    assert!(err.message.contains("2 requests"), "{err}");
    assert_eq!(t.elapsed(), Duration::ZERO, "refused without sleeping");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the provider was not called"
    );
    let s = gov.snapshot();
    assert_eq!((s.throttled, s.attempts, s.rate_limited), (1, 2, 0));
    // A slot within the admission wait is waited for.
    sleep(Duration::from_secs(51)).await;
    let t = Instant::now();
    gov.call(0, ok).await.unwrap();
    assert_eq!(t.elapsed(), Duration::from_secs(1));
    assert!(
        gov.is_healthy(),
        "a throttled call says nothing about health"
    );
}

#[tokio::test(start_paused = true)]
async fn final_error_is_not_retried_and_keeps_its_message() {
    let gov = Governor::new("p", "m", limits());
    let calls = AtomicU32::new(0);
    let err = gov
        .call(0, || {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                Err::<(), _>(ProviderError::bad_request(
                    "p",
                    400,
                    "max_tokens: must be at most 8192",
                ))
            }
        })
        .await
        .unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(
        err.to_string().contains("max_tokens: must be at most 8192"),
        "{err}"
    );
    let s = gov.snapshot();
    assert_eq!((s.calls, s.attempts, s.failures), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn retryable_errors_are_returned_after_one_attempt() {
    let gov = Governor::new(
        "p",
        "m",
        Limits {
            breaker_failures: 100,
            ..limits()
        },
    );
    for err in [
        server_error(),
        ProviderError::invalid_response("p", "not json"),
        ProviderError::connection("p", "connection refused"),
    ] {
        let calls = AtomicU32::new(0);
        let t0 = Instant::now();
        let got = gov
            .call(0, || {
                calls.fetch_add(1, Ordering::SeqCst);
                let err = err.clone();
                async move { Err::<(), _>(err) }
            })
            .await
            .unwrap_err();
        assert_eq!(got, err, "the provider's error, unchanged");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{err}");
        assert_eq!(t0.elapsed(), Duration::ZERO, "no backoff");
    }
    let s = gov.snapshot();
    assert_eq!((s.attempts, s.failures), (3, 3));
}

#[tokio::test(start_paused = true)]
async fn per_attempt_timeout() {
    let gov = Governor::new(
        "p",
        "m",
        Limits {
            timeout: Duration::from_secs(2),
            ..limits()
        },
    );
    let t0 = Instant::now();
    let err = gov
        .call(0, || async {
            sleep(Duration::from_secs(60)).await;
            Ok::<_, ProviderError>(())
        })
        .await
        .unwrap_err();
    assert_eq!(err, ProviderError::timeout("p", Duration::from_secs(2)));
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(2),
        "one attempt, not retried"
    );
    assert_eq!(gov.snapshot().timeouts, 1);
}

#[tokio::test(start_paused = true)]
async fn breaker_opens_fails_fast_and_a_probe_closes_it() {
    let gov = Governor::new("p", "m", Limits { ..limits() });
    let calls = AtomicU32::new(0);
    let fail = || {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Err::<u32, _>(server_error()) }
    };
    for _ in 0..3 {
        let e = gov.call(0, fail).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Server);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert!(!gov.is_healthy());
    assert!(matches!(gov.state(), BreakerState::Open { .. }));

    // While open: fail fast, without calling the provider.
    sleep(Duration::from_secs(10)).await;
    let t = Instant::now();
    let e = gov.call(0, fail).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::CircuitOpen);
    assert_eq!(e.retry_after, Some(Duration::from_secs(20)));
    assert_eq!(t.elapsed(), Duration::ZERO);
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // After the cool-down a failed probe re-opens it for another cool-down...
    sleep(Duration::from_secs(20)).await;
    assert!(gov.is_healthy());
    assert!(gov.call(0, fail).await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert!(matches!(gov.state(), BreakerState::Open { .. }));

    // ...and a successful probe closes it.
    sleep(Duration::from_secs(30)).await;
    let ok = gov
        .call(0, || async { Ok::<_, ProviderError>(7) })
        .await
        .unwrap();
    assert_eq!(ok.0, 7);
    assert_eq!(gov.state(), BreakerState::Closed { failures: 0 });
    assert_eq!(gov.snapshot().circuit_rejections, 1);
}

/// A governor whose breaker opens on the first failure, tripped and past its cool-down:
/// its next call is the half-open probe.
async fn half_open() -> Governor {
    let gov = Governor::new(
        "p",
        "m",
        Limits {
            breaker_failures: 1,
            ..limits()
        },
    );
    assert!(
        gov.call(0, || async { Err::<(), _>(server_error()) })
            .await
            .is_err()
    );
    sleep(Duration::from_secs(30)).await;
    gov
}

#[tokio::test(start_paused = true)]
async fn only_one_half_open_probe_at_a_time() {
    let gov = Arc::new(half_open().await);
    let probe = {
        let gov = gov.clone();
        tokio::spawn(async move {
            gov.call(0, || async {
                sleep(Duration::from_secs(5)).await;
                Ok::<_, ProviderError>(())
            })
            .await
        })
    };
    tokio::task::yield_now().await;
    let e = ok_call(&gov).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::CircuitOpen);
    probe.await.unwrap().unwrap();
    assert!(ok_call(&gov).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn an_abandoned_probe_does_not_wedge_the_breaker() {
    let gov = half_open().await;
    // The probe's caller gives up (its future is dropped mid-call).
    let probe = gov.call(0, || async {
        sleep(Duration::from_secs(60)).await;
        Ok::<_, ProviderError>(())
    });
    assert!(
        tokio::time::timeout(Duration::from_secs(1), probe)
            .await
            .is_err()
    );
    assert!(gov.is_healthy());
    assert!(ok_call(&gov).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn rate_limits_do_not_open_the_breaker() {
    let gov = Governor::new("p", "m", Limits { ..limits() });
    for _ in 0..10 {
        sleep(Duration::from_secs(2)).await;
        assert!(
            gov.call(0, || async { Err::<(), _>(rate_limited(None)) })
                .await
                .is_err()
        );
    }
    assert!(gov.is_healthy());
}

#[tokio::test(start_paused = true)]
async fn adaptive_concurrency_halves_on_429_and_recovers() {
    let gov = Arc::new(Governor::new(
        "p",
        "m",
        Limits {
            max_concurrency: 8,
            ..limits()
        },
    ));
    assert!(
        gov.call(0, || async { Err::<(), _>(rate_limited(None)) })
            .await
            .is_err()
    );
    assert_eq!(gov.snapshot().effective_concurrency, 4);
    sleep(Duration::from_secs(2)).await;
    assert!(
        gov.call(0, || async { Err::<(), _>(rate_limited(None)) })
            .await
            .is_err()
    );
    assert_eq!(gov.snapshot().effective_concurrency, 2);

    // Under load the lowered limit holds...
    let peak = peak_in_flight(&gov, 6).await;
    // 6 successes with recover_after = 2 → +1 at the 2nd, 4th and 6th; the first wave
    // could only run 2 at once, later ones up to 3.
    assert!(peak <= 3, "peak {peak}");
    assert_eq!(gov.snapshot().effective_concurrency, 5);
    // ...and successes bring it back to the cap, not beyond.
    for _ in 0..20 {
        gov.call(0, || async { Ok::<_, ProviderError>(()) })
            .await
            .unwrap();
    }
    assert_eq!(gov.snapshot().effective_concurrency, 8);
    assert_eq!(gov.snapshot().rate_limited, 2);
}

#[tokio::test(start_paused = true)]
async fn registry_shares_one_governor_per_provider_model() {
    let mut govs = Governors::new();
    govs.set_limits("p", limits().with_rpm(7));
    let a = govs.get("p", "m");
    let b = govs.get("p", "m");
    let c = govs.get("p", "other");
    assert!(Arc::ptr_eq(&a, &b));
    assert!(!Arc::ptr_eq(&a, &c));
    assert_eq!(a.limits().per_minute(Measure::Requests), Some(7));
    assert_eq!(
        govs.get("apollo", "people_match")
            .limits()
            .per_minute(Measure::Requests),
        Some(50),
        "unset providers use documented defaults"
    );
    assert!(govs.peek("nobody", "x").is_none());
    a.call(0, || async { Ok::<_, ProviderError>(()) })
        .await
        .unwrap();
    let snap = govs.snapshot();
    assert_eq!(snap.len(), 3);
    let p = snap
        .iter()
        .find(|s| s.provider == "p" && s.model == "m")
        .unwrap();
    assert_eq!((p.calls, p.successes, p.in_flight), (1, 1, 0));
}

// ---- limits as providers count them: per key and bucket, through a RateLimiter ----

fn apollo_config(key: &str) -> ProvidersConfig {
    let env: HashMap<String, String> = [("APOLLO_API_KEY".to_string(), key.to_string())].into();
    ProvidersConfig::from_sources(&env, Some("[providers.apollo]\ntier = \"free\"\n"), &[]).unwrap()
}

async fn ok_call(g: &Governor) -> Result<(), ProviderError> {
    g.call(0, || async { Ok::<_, ProviderError>(()) })
        .await
        .map(|_| ())
}

#[tokio::test(start_paused = true)]
async fn endpoints_sharing_a_bucket_count_together_and_keys_count_apart() {
    let shared: Arc<dyn RateLimiter> = Arc::new(LocalRateLimiter::new());
    let one = Governors::from_config(&apollo_config("key-one")).with_rate_limiter(shared.clone());
    let matcher = one.get("apollo", "people_match");
    let bulk = one.get("apollo", "people_bulk_match");
    let search = one.get("apollo", "people_search");
    assert!(matcher.buckets().iter().all(|b| b.bucket == "enrichment"));
    assert!(bulk.buckets().iter().any(|b| b.bucket == "enrichment_bulk"));
    assert!(search.buckets().iter().all(|b| b.bucket == "other"));
    assert!(
        matcher.buckets().iter().all(|b| !b.key.contains("key-one")),
        "a fingerprint, never the key"
    );
    // 45 matches and 5 bulk matches fill the free plan's 50 enrichment calls a minute.
    for _ in 0..45 {
        ok_call(&matcher).await.unwrap();
    }
    for _ in 0..5 {
        ok_call(&bulk).await.unwrap();
    }
    let e = ok_call(&matcher).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited, "{e}");
    assert!(e.retry_after.unwrap() > Duration::from_secs(50));
    // People search counts in its own bucket.
    ok_call(&search).await.unwrap();
    // Another process with the same key shares the counters (one limiter between them)…
    let same_key =
        Governors::from_config(&apollo_config("key-one")).with_rate_limiter(shared.clone());
    assert!(
        ok_call(&same_key.get("apollo", "organization_enrich"))
            .await
            .is_err()
    );
    // …and a second key of the same vendor counts apart.
    let other_key = Governors::from_config(&apollo_config("key-two")).with_rate_limiter(shared);
    ok_call(&other_key.get("apollo", "people_match"))
        .await
        .unwrap();
    // Breakers stay per endpoint: the throttled calls opened none.
    assert!(matcher.is_healthy() && bulk.is_healthy());
}

/// A limiter that never has room: what a shared limiter says when other processes
/// used the minute.
#[derive(Debug)]
struct Full;

#[async_trait::async_trait]
impl RateLimiter for Full {
    async fn acquire(&self, _: &BucketKey, _: &BucketLimit, _: u64) -> Admission {
        Admission::Wait(Duration::from_secs(30))
    }
}

#[tokio::test(start_paused = true)]
async fn the_governor_asks_its_rate_limiter() {
    let govs = Governors::from_config(&apollo_config("k")).with_rate_limiter(Arc::new(Full));
    let calls = AtomicU32::new(0);
    let t = Instant::now();
    let e = govs
        .get("apollo", "people_match")
        .call(0, || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, ProviderError>(()) }
        })
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.retry_after),
        (ErrorKind::RateLimited, Some(Duration::from_secs(30)))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(t.elapsed(), Duration::ZERO);
    // A provider without rates never asks.
    let deepseek = Governors::new().with_rate_limiter(Arc::new(Full));
    ok_call(&deepseek.get("deepseek", "deepseek-flash"))
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn anthropic_counts_input_and_output_tokens_apart() {
    let govs = Governors::new();
    let g = govs.get("anthropic", "claude-sonnet-5-5");
    // 16K output tokens a minute: two calls asking 10K output each do not both fit,
    // though their input is small.
    let est = TokenEstimate {
        input: 1_000,
        output: 10_000,
    };
    g.call(est, || async { Ok::<_, ProviderError>(()) })
        .await
        .unwrap();
    let e = g
        .call(est, || async { Ok::<_, ProviderError>(()) })
        .await
        .unwrap_err();
    assert!(e.message.contains("output_tokens"), "{e}");
    // Another model of the same key counts in the same bucket.
    let haiku = govs.get("anthropic", "claude-haiku-5-5");
    assert!(
        haiku
            .call(est, || async { Ok::<_, ProviderError>(()) })
            .await
            .is_err()
    );
}
