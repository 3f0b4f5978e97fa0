//! Governor overhead on the fast path (nothing to wait for): 100k no-op calls through a
//! governor, against the same no-op called directly.
//!
//! `cargo run --release -p atl-providers --example governor_overhead`

use atl_providers::ProviderError;
use atl_providers::governor::Governor;
use atl_providers::limits::Limits;
use std::hint::black_box;
use std::time::{Duration, Instant};

const N: u32 = 100_000;

async fn noop(i: u32) -> Result<u32, ProviderError> {
    Ok(black_box(i))
}

async fn per_call(label: &str, limits: Option<Limits>) -> Duration {
    let gov = limits.map(|l| Governor::new("bench", "noop", l));
    // Warm up (first-use allocations, caches).
    for i in 0..1_000 {
        if let Some(g) = &gov {
            black_box(g.call(0, || noop(i)).await.ok());
        }
    }
    let t = Instant::now();
    for i in 0..N {
        match &gov {
            Some(g) => {
                black_box(g.call(10, || noop(i)).await.ok());
            }
            None => {
                black_box(noop(i).await.ok());
            }
        }
    }
    let per = t.elapsed() / N;
    println!("{label:<44} {:>8} ns/call", per.as_nanos());
    per
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let direct = per_call("direct call (baseline)", None).await;
    let plain = Limits {
        max_concurrency: 64,
        ..Limits::default()
    };
    let g1 = per_call(
        "governor: concurrency + breaker + timeout",
        Some(plain.clone()),
    )
    .await;
    // Limits far above what 100k calls need, so nothing waits but both limiters run.
    let limited = plain.clone().with_rpm(10_000_000).with_tpm(u64::MAX / 4);
    let g2 = per_call("governor: + RPM and TPM windows", Some(limited)).await;
    println!(
        "overhead: {} ns/call (no rate limits), {} ns/call (with rate limits); target < 50,000 ns",
        g1.saturating_sub(direct).as_nanos(),
        g2.saturating_sub(direct).as_nanos()
    );
}
