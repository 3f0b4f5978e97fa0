//! Fresh, migrated stores for tests, on SQLite and on the real PostgreSQL. No mocks: every
//! test runs against both real engines.
//!
//! ```no_run
//! # async fn example() {
//! for (backend, store) in atl_testkit::all_stores().await {
//!     let team = store.team_id("t").await.unwrap();
//!     assert!(team > 0, "{backend}");
//! }
//! # }
//! ```
//!
//! PostgreSQL comes from `ATL_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each store gets its own database,
//! dropped when the `TestStore` is dropped. If the server is unreachable the PostgreSQL half
//! is skipped with a loud message, unless `CI` is set or `ATL_REQUIRE_POSTGRES=1`, in which
//! case the test panics: CI must never pass by silently testing one backend.

use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use atl_store::{Backend, Store, redact_url, url_password};

/// Runs `$body` with `$conn`, a connection of its own to the test database (SQLite or
/// PostgreSQL, whichever the store is on), closed afterwards.
macro_rules! on_raw_connection {
    ($test_store:ident, |$conn:ident| $body:block) => {
        if $test_store.store.backend() == Backend::Sqlite {
            let mut $conn = sqlx::SqliteConnection::connect(&$test_store.url)
                .await
                .unwrap_or_else(|e| panic!("cannot open {}: {e}", $test_store.url));
            let out = $body;
            let _ = $conn.close().await;
            out
        } else {
            let mut $conn = PgConnection::connect(&$test_store.url)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"));
            let out = $body;
            let _ = $conn.close().await;
            out
        }
    };
}

pub const DEFAULT_TEST_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated store on a throw-away database, removed on drop (or by [`TestStore::cleanup`]).
pub struct TestStore {
    store: Store,
    url: String,
    cleanup: Option<Cleanup>,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDb { admin_url: String, name: String },
}

impl Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl TestStore {
    /// A handle that outlives borrows of the `TestStore` (e.g. to move into a task). The
    /// database still goes away when the `TestStore` is dropped.
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The URL (or file path) of the throw-away database, for tests that need a second,
    /// raw connection (e.g. to write what the store's API refuses to).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs one statement on the test database behind the store's back, on a connection
    /// of its own (to write what the store's API refuses to, or to age a row).
    pub async fn execute_raw(&self, statement: &str) {
        let statement = AssertSqlSafe(statement.to_string());
        on_raw_connection!(self, |conn| {
            conn.execute(statement)
                .await
                .unwrap_or_else(|e| panic!("raw statement failed: {e}"));
        })
    }

    /// Runs one query answering one integer on the test database behind the store's back.
    pub async fn scalar_raw(&self, query: &str) -> i64 {
        let query = AssertSqlSafe(query.to_string());
        on_raw_connection!(self, |conn| {
            sqlx::query_scalar(query)
                .fetch_one(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("raw query failed: {e}"))
        })
    }

    /// PostgreSQL: ends every connection to this test database but the one asking, as a
    /// server restart or a failover does to a worker's pool (`pg_terminate_backend`, which
    /// its clients see as 57P01 admin_shutdown or a closed socket). Returns how many it
    /// ended; SQLite has no connections to cut and returns 0.
    pub async fn terminate_connections(&self) -> u64 {
        let Some(Cleanup::PostgresDb { admin_url, name }) = &self.cleanup else {
            return 0;
        };
        let mut admin = PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the admin database: {e}"));
        let ended: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()) AS t",
        )
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("pg_terminate_backend failed: {e}"));
        let _ = admin.close().await;
        u64::try_from(ended).unwrap_or(0)
    }

    /// Closes the pool and removes the database now (the polite form of dropping).
    pub async fn cleanup(mut self) {
        self.store.close().await;
        if let Some(cleanup) = self.cleanup.take() {
            run_cleanup(cleanup).await;
        }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Some(cleanup) = self.cleanup.take() else {
            return;
        };
        match cleanup {
            Cleanup::SqliteFile(path) => remove_sqlite_files(&path),
            cleanup @ Cleanup::PostgresDb { .. } => {
                // Drop cannot await, and we may be inside a runtime that must not block on
                // itself: run the DROP DATABASE on a thread with its own small runtime.
                let handle = std::thread::spawn(move || {
                    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        rt.block_on(run_cleanup(cleanup));
                    }
                });
                let _ = handle.join();
            }
        }
    }
}

async fn run_cleanup(cleanup: Cleanup) {
    match cleanup {
        Cleanup::SqliteFile(path) => remove_sqlite_files(&path),
        Cleanup::PostgresDb { admin_url, name } => {
            if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                // `name` is ours (digits and underscores), never user data. FORCE ends the
                // test's own pool connections if they are still open.
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                if let Err(err) = conn.execute(AssertSqlSafe(sql)).await {
                    eprintln!("warning: could not drop test database {name}: {err}");
                }
                let _ = conn.close().await;
            }
        }
    }
}

fn remove_sqlite_files(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// `<pid>_<counter>_<nanos>`: unique across parallel tests in one process and across
/// processes (cargo runs test binaries one by one, but developers share the machine).
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}_{}_{}", std::process::id(), n, nanos)
}

/// A migrated store on a fresh SQLite file in the temp directory.
pub async fn sqlite_store() -> TestStore {
    let test_store = unmigrated_sqlite_store().await;
    test_store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("SQLite migrations failed: {e}"));
    test_store
}

/// A fresh SQLite file with no migration applied (for migration tests).
pub async fn unmigrated_sqlite_store() -> TestStore {
    let path = std::env::temp_dir().join(format!("atl_test_{}.db", unique_suffix()));
    let url = path.to_string_lossy().into_owned();
    let store = Store::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot create SQLite test database {url}: {e}"));
    TestStore {
        store,
        url,
        cleanup: Some(Cleanup::SqliteFile(path)),
    }
}

fn postgres_required() -> bool {
    std::env::var_os("CI").is_some()
        || std::env::var("ATL_REQUIRE_POSTGRES").is_ok_and(|v| v.trim() == "1")
}

/// `admin_url` with its database (the URL path) replaced by `name`.
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{}", &base[..path_start], name);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// A migrated store on a fresh PostgreSQL database, or `None` (after a loud message) when
/// no server is reachable and none is required.
pub async fn postgres_store() -> Option<TestStore> {
    let test_store = unmigrated_postgres_store().await?;
    test_store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL migrations failed: {e}"));
    Some(test_store)
}

/// Both backends with no migration applied, SQLite first (for migration tests).
pub async fn all_unmigrated_stores() -> Vec<(&'static str, TestStore)> {
    let mut stores = vec![("sqlite", unmigrated_sqlite_store().await)];
    if let Some(pg) = unmigrated_postgres_store().await {
        stores.push(("postgres", pg));
    }
    stores
}

/// A fresh PostgreSQL database with no migration applied, or `None` as for
/// [`postgres_store`].
pub async fn unmigrated_postgres_store() -> Option<TestStore> {
    let admin_url = std::env::var("ATL_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_TEST_POSTGRES_URL.to_string());
    let shown = redact_url(&admin_url);
    let suite = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string();
    let admin =
        tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&admin_url)).await;
    let mut admin = match admin {
        Ok(Ok(conn)) => conn,
        Ok(Err(err)) => {
            let why = match url_password(&admin_url) {
                Some(p) => err.to_string().replace(p, "***"),
                None => err.to_string(),
            };
            return unreachable_postgres(&shown, &suite, &why);
        }
        Err(_) => return unreachable_postgres(&shown, &suite, "timed out after 5 s"),
    };
    let name = format!("atl_test_{}", unique_suffix());
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name} on {shown}: {e}"));
    let _ = admin.close().await;

    // From here on the database exists: the TestStore owns its removal, even if the
    // migration below panics.
    let url = with_database(&admin_url, &name);
    let store = match Store::connect(&url).await {
        Ok(store) => store,
        Err(e) => {
            run_cleanup(Cleanup::PostgresDb { admin_url, name }).await;
            panic!("cannot connect to the test database: {e}");
        }
    };
    Some(TestStore {
        store,
        url,
        cleanup: Some(Cleanup::PostgresDb { admin_url, name }),
    })
}

fn unreachable_postgres(shown: &str, suite: &str, why: &str) -> Option<TestStore> {
    if postgres_required() {
        panic!(
            "PostgreSQL is required (CI or ATL_REQUIRE_POSTGRES=1) but {shown} is unreachable: \
             {why}. Start it, or point ATL_TEST_POSTGRES_URL at one."
        );
    }
    eprintln!(
        "\n*** SKIPPED (no PostgreSQL at {shown}: {why}): {suite} ran on SQLite only. \
         Set ATL_TEST_POSTGRES_URL, or ATL_REQUIRE_POSTGRES=1 to make this an error. ***\n"
    );
    None
}

/// Both backends, SQLite first; PostgreSQL is left out (loudly) when unavailable.
pub async fn all_stores() -> Vec<(&'static str, TestStore)> {
    let mut stores = vec![("sqlite", sqlite_store().await)];
    if let Some(pg) = postgres_store().await {
        stores.push(("postgres", pg));
    }
    stores
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
