//! Connecting, migrating, and the `Store` handle itself.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::time::Duration;

use crate::db::{Backend, Db, with_pool};
use crate::error::{map_message, redact_url, url_password};
use crate::{StoreError, migrate};

/// The URL used when no database is configured: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://atl.db";

/// How long a SQLite writer waits for another writer before giving up with SQLITE_BUSY.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite allows one writer at a time; extra connections only serve concurrent readers.
const SQLITE_MAX_CONNECTIONS: u32 = 8;
/// Default size of the PostgreSQL pool ([`StoreOptions::pg_max_connections`]). One
/// process runs up to 64 jobs, each renewing its lease and committing its result, beside
/// the API's reads: with 10 connections API requests queued behind worker traffic (p99
/// 63 ms on `/status`). Keep `processes × this` under the server's `max_connections`
/// (100 by default) when a fleet of workers shares one database.
pub const PG_MAX_CONNECTIONS: u32 = 20;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to connect, beside the URL. The store reads no environment: the composition root
/// hands these in from its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Size of a PostgreSQL pool (each [`Store::with_own_pool`] gets as many again).
    pub pg_max_connections: u32,
    /// Whether `PGSSLMODE` is set: then its mode is obeyed even for a server on this
    /// machine (see `tls_is_pointless`).
    pub pgsslmode_set: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            pg_max_connections: PG_MAX_CONNECTIONS,
            pgsslmode_set: false,
        }
    }
}

/// The handle to the database: cheap to clone (it wraps a connection pool).
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
}

impl std::fmt::Debug for Store {
    // Deliberately prints no connection options: they hold the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish()
    }
}

impl Store {
    /// Connects to `url`: `postgres://…` / `postgresql://…` for PostgreSQL; a `sqlite:` URL
    /// or a plain file path for SQLite (the file is created if missing). Errors name the URL
    /// with its password replaced by `***`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::connect_with(url, StoreOptions::default()).await
    }

    /// [`Store::connect`] with options other than the defaults.
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
        let result = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            connect_postgres(url, options).await
        } else {
            connect_sqlite(url).await
        };
        let password = url_password(url);
        let shown = redact_url(url);
        result.map_err(|err| {
            map_message(err, |msg| {
                let msg = format!("{shown}: {msg}");
                match password {
                    Some(p) => msg.replace(p, "***"),
                    None => msg,
                }
            })
        })
    }

    /// Applies the embedded migrations that are not applied yet. Safe to call on every start
    /// and from several processes at once (PostgreSQL takes an advisory lock).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(pool) => {
                let m = migrate::migrator(migrate::SQLITE).map_err(StoreError::Migration)?;
                m.run(pool).await?;
            }
            Db::Postgres(pool) => {
                let m = migrate::migrator(migrate::POSTGRES).map_err(StoreError::Migration)?;
                m.run(pool).await?;
            }
        }
        Ok(())
    }

    /// Applies the embedded migrations up to and including `version` only: for tests that
    /// write rows in an older schema and then migrate them.
    #[cfg(any(test, feature = "test-support"))]
    pub async fn migrate_to(&self, version: i64) -> Result<(), StoreError> {
        let files = match &self.db {
            Db::Sqlite(_) => migrate::SQLITE,
            Db::Postgres(_) => migrate::POSTGRES,
        };
        let mut m = migrate::migrator(files).map_err(StoreError::Migration)?;
        m.migrations = std::borrow::Cow::Owned(
            m.migrations
                .iter()
                .filter(|x| x.version <= version)
                .cloned()
                .collect(),
        );
        match &self.db {
            Db::Sqlite(pool) => m.run(pool).await?,
            Db::Postgres(pool) => m.run(pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every connection; waits for connections in use to be returned.
    pub async fn close(&self) {
        with_pool!(&self.db, |pool| pool.close().await)
    }

    /// A handle to the same database with a connection pool of its own (PostgreSQL), so
    /// that what runs on it never waits for a connection behind what runs on this one.
    /// `atl serve` gives its workers one: with a shared pool, 64 workers queued on the
    /// campaign row's lock held every connection and API reads waited behind them (p99
    /// 54–73 ms instead of 16–18 ms on the API benchmark). On SQLite it is this same
    /// handle: one writer at a time either way, and the pool's queue is fairer than
    /// SQLite's busy retries.
    pub async fn with_own_pool(&self) -> Result<Store, StoreError> {
        match &self.db {
            Db::Postgres(pool) => {
                let size = pool.options().get_max_connections();
                pg_pool((*pool.connect_options()).clone(), size).await
            }
            Db::Sqlite(_) => Ok(self.clone()),
        }
    }

    /// One round trip to the database (for health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(&self.db, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }
}

async fn connect_postgres(url: &str, store: StoreOptions) -> Result<Store, StoreError> {
    let mut options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
        .application_name("atl")
        // JIT compilation never pays off for statements that touch a few dozen rows, and
        // the claim's estimated cost is high enough to trigger it (~15 ms per claim). Set
        // per connection: a `SET LOCAL` in every claim was one more round trip each time.
        .options([("jit", "off")]);
    if tls_is_pointless(url, &options, store.pgsslmode_set) {
        options = options.ssl_mode(PgSslMode::Disable);
    }
    // The pool retries "connection refused" until its acquire timeout and then reports only
    // "pool timed out"; one direct attempt first fails fast with the real reason.
    options.connect().await?.close().await?;
    pg_pool(options, store.pg_max_connections.max(1)).await
}

async fn pg_pool(options: PgConnectOptions, max_connections: u32) -> Result<Store, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await?;
    Ok(Store {
        db: Db::Postgres(pool),
    })
}

/// Whether to connect without TLS although the URL does not say so: the server is on this
/// machine (a loopback address or a Unix socket) and neither the URL's `sslmode` nor
/// `PGSSLMODE` asks for anything. The default, `prefer`, would encrypt every round trip
/// across the loopback interface, where there is nobody to hide it from; measured on the
/// API benchmark, rustls on our side and OpenSSL on the server's took a quarter of the
/// server's CPU. An explicit `sslmode` (any value) is always obeyed.
fn tls_is_pointless(url: &str, options: &PgConnectOptions, pgsslmode_set: bool) -> bool {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let asked = query
        .split('&')
        .any(|pair| matches!(pair.split('=').next(), Some("sslmode" | "ssl-mode")));
    if asked || pgsslmode_set {
        return false;
    }
    let host = options
        .get_host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    options.get_socket().is_some()
        || host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

async fn connect_sqlite(url: &str) -> Result<Store, StoreError> {
    let options = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl(e.to_string()))?
    } else if url.contains("://") {
        return Err(StoreError::InvalidUrl(
            "unsupported scheme (expected postgres://, postgresql://, sqlite: or a file path)"
                .into(),
        ));
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true)
        .synchronous(SqliteSynchronous::Normal);
    let mut pool = SqlitePoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
    // An in-memory database lives as long as its one connection: never close or share it.
    pool = if url.contains(":memory:") || url.contains("mode=memory") {
        pool.max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        pool.max_connections(SQLITE_MAX_CONNECTIONS)
    };
    let pool = pool.connect_with(options).await?;
    Ok(Store {
        db: Db::Sqlite(pool),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointless(url: &str) -> bool {
        let options = PgConnectOptions::from_str(url).expect("a valid URL");
        tls_is_pointless(url, &options, false)
    }

    #[test]
    fn loopback_servers_skip_tls_unless_asked() {
        assert!(pointless("postgres://postgres@127.0.0.1/atl"));
        assert!(pointless("postgres://postgres@127.0.0.2:5433/atl"));
        assert!(pointless("postgres://postgres@localhost/atl"));
        assert!(pointless("postgres://postgres@[::1]/atl"));
        assert!(pointless("postgres:///atl?host=/var/run/postgresql"));
        // An explicit mode is obeyed, whatever it is.
        assert!(!pointless(
            "postgres://postgres@127.0.0.1/atl?sslmode=require"
        ));
        assert!(!pointless(
            "postgres://postgres@127.0.0.1/atl?sslmode=prefer"
        ));
        assert!(!pointless(
            "postgres://postgres@localhost/atl?ssl-mode=verify-full"
        ));
        // Another machine keeps the default.
        assert!(!pointless("postgres://postgres@db.example.com/atl"));
        assert!(!pointless("postgres://postgres@10.0.0.5/atl"));
        // So does PGSSLMODE.
        let url = "postgres://postgres@127.0.0.1/atl";
        let options = PgConnectOptions::from_str(url).expect("a valid URL");
        assert!(!tls_is_pointless(url, &options, true));
    }
}
