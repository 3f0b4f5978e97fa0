//! What the benchmarks and examples that time a whole run share: the backends to run on
//! and the peak memory to report.

use atl_store::Store;

use crate::{postgres_store, sqlite_store};

/// Runs `run` on a fresh SQLite store and then on a fresh PostgreSQL one (when a server is
/// reachable), each removed afterwards; `ATL_BENCH_BACKEND=sqlite` or `=postgres` keeps
/// only that one.
pub async fn each_backend(run: impl AsyncFn(&'static str, &Store)) {
    let only = std::env::var("ATL_BENCH_BACKEND").ok();
    if only.as_deref() != Some("postgres") {
        let sqlite = sqlite_store().await;
        run("sqlite", &sqlite).await;
        sqlite.cleanup().await;
    }
    if only.as_deref() != Some("sqlite") {
        match postgres_store().await {
            Some(pg) => {
                run("postgres", &pg).await;
                pg.cleanup().await;
            }
            None => println!("postgres: SKIPPED (no server)"),
        }
    }
}

/// The process's peak resident memory (`VmHWM`) in MB, where `/proc` says it.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
