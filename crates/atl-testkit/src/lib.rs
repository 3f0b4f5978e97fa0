//! The test kit: what the suites of every crate share, so that none writes it again.
//!
//! - [`bench`]: the backends a benchmark runs on, and its peak memory.
//! - [`bin`]: child processes of a built binary: free ports, `atl sandbox`, `atl` commands.
//! - [`db`]: a fresh, migrated store on SQLite and on PostgreSQL (`ATL_TEST_POSTGRES_URL`),
//!   removed when dropped; store-backed suites loop over [`all_stores`].
//! - [`dirs`]: temp directories unique per test, removed when dropped.
//! - [`seed`]: seeded campaigns and job-ledger fixtures (claims, results, spend, the
//!   counters-equal-rows check).
//!
//! The kit is the only test code that reads the environment (which PostgreSQL to use,
//! whether it is required); the crates under test read none.

pub mod bench;
pub mod bin;
pub mod db;
pub mod dirs;
pub mod seed;
pub mod sse;

pub use db::{
    DEFAULT_TEST_POSTGRES_URL, TestStore, all_stores, all_unmigrated_stores, postgres_store,
    sqlite_store, unmigrated_postgres_store, unmigrated_sqlite_store,
};
pub use dirs::TempDir;

#[cfg(feature = "app")]
pub mod app;

/// A file of the repository's `testdata/` directory.
pub fn testdata(path: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path);
    path.canonicalize().unwrap_or(path)
}
