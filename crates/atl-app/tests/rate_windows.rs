//! Rate limits shared through the database: limiters of separate processes (here
//! separate stores, each with its own pool, as two processes would have) on one
//! PostgreSQL never admit more than the limit in a window between them.

use atl_app::{SharedRateLimiter, rate_limiter_for};
use atl_providers::governor::{Admission, BucketKey, BucketLimit, RateLimiter};
use atl_store::Store;
use atl_testkit::{postgres_store, sqlite_store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn bucket(name: &str) -> BucketKey {
    BucketKey {
        provider: "apollo".into(),
        key: "0123abcd".into(),
        bucket: name.into(),
        measure: "requests/60s".into(),
    }
}

/// Hammer each of `limiters` from `tasks` tasks apiece for `run`; the admissions counted
/// across all of them.
async fn hammer(
    limiters: &[&Arc<dyn RateLimiter>],
    key: BucketKey,
    limit: BucketLimit,
    tasks: usize,
    run: Duration,
) -> u64 {
    let admitted = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = limiters
        .iter()
        .flat_map(|limiter| std::iter::repeat_n(*limiter, tasks))
        .map(|limiter| {
            let (limiter, key, admitted) =
                (Arc::clone(limiter), key.clone(), Arc::clone(&admitted));
            tokio::spawn(async move {
                let until = Instant::now() + run;
                while Instant::now() < until {
                    match limiter.acquire(&key, &limit, 1).await {
                        Admission::Go => {
                            admitted.fetch_add(1, Ordering::SeqCst);
                        }
                        // Ask again soon rather than sleep the whole wait: the test is
                        // that asking harder never gets more through.
                        Admission::Wait(d) => {
                            assert!(d <= limit.window, "a wait longer than the window: {d:?}");
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                }
            })
        })
        .collect();
    for t in handles {
        t.await.expect("task");
    }
    admitted.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_never_admit_more_than_the_limit_between_them() {
    let Some(pg) = postgres_store().await else {
        return;
    };
    let first: Arc<dyn RateLimiter> =
        Arc::new(SharedRateLimiter::new(&pg.store()).expect("postgres shares windows"));
    let other_process = Store::connect(pg.url()).await.expect("second pool");
    let second: Arc<dyn RateLimiter> =
        Arc::new(SharedRateLimiter::new(&other_process).expect("postgres shares windows"));

    // A window longer than the run: nothing leaves it, so exactly the limit gets through.
    let long = BucketLimit {
        units: 25,
        window: Duration::from_secs(30),
    };
    let both = [&first, &second];
    let admitted = hammer(&both, bucket("long"), long, 8, Duration::from_secs(2)).await;
    assert_eq!(admitted, 25, "exactly the limit, across both");
    match second.acquire(&bucket("long"), &long, 1).await {
        Admission::Wait(d) => assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "the wait is the oldest slot's remaining window: {d:?}"
        ),
        Admission::Go => panic!("a full window admitted another call"),
    }
    // Another bucket (another key or bucket of the vendor) counts apart.
    assert_eq!(
        first.acquire(&bucket("other"), &long, 1).await,
        Admission::Go
    );

    // A short window slides: over 3.5 s at 10 a second, both together get 10 per
    // started second (10 in the first window, 10 more each time it moves on), never
    // the 20 two uncoordinated limiters would allow.
    let short = BucketLimit {
        units: 10,
        window: Duration::from_secs(1),
    };
    let n = hammer(
        &both,
        bucket("short"),
        short,
        6,
        Duration::from_millis(3_500),
    )
    .await;
    assert!(n <= 40, "at most 4 windows' worth in 3.5 s, got {n}");
    assert!(n >= 30, "the windows are used as they free up, got {n}");
    pg.cleanup().await;
}

#[tokio::test]
async fn token_reservations_settle_in_the_shared_window() {
    let Some(pg) = postgres_store().await else {
        return;
    };
    let l = SharedRateLimiter::new(&pg.store()).expect("postgres");
    let tpm = BucketLimit {
        units: 1_000,
        window: Duration::from_secs(60),
    };
    let key = bucket("tokens");
    assert_eq!(l.acquire(&key, &tpm, 800).await, Admission::Go);
    assert!(matches!(
        l.acquire(&key, &tpm, 800).await,
        Admission::Wait(_)
    ));
    l.settle(&key, &tpm, 800, 100).await;
    assert_eq!(
        l.acquire(&key, &tpm, 800).await,
        Admission::Go,
        "the refund made room"
    );
    l.settle(&key, &tpm, 800, 900).await;
    assert!(
        matches!(l.acquire(&key, &tpm, 1).await, Admission::Wait(_)),
        "use beyond the reservation is counted"
    );
    // A request larger than the whole limit goes through an empty window only.
    let big = bucket("big");
    assert_eq!(l.acquire(&big, &tpm, 5_000).await, Admission::Go);
    assert!(matches!(
        l.acquire(&big, &tpm, 5_000).await,
        Admission::Wait(_)
    ));
    pg.cleanup().await;
}

#[tokio::test]
async fn a_sqlite_process_keeps_its_windows_in_memory() {
    let s = sqlite_store().await;
    assert!(SharedRateLimiter::new(&s.store()).is_none());
    let l = rate_limiter_for(&s.store());
    let one = BucketLimit {
        units: 1,
        window: Duration::from_secs(60),
    };
    assert_eq!(l.acquire(&bucket("x"), &one, 1).await, Admission::Go);
    assert!(matches!(
        l.acquire(&bucket("x"), &one, 1).await,
        Admission::Wait(_)
    ));
    s.cleanup().await;
}
