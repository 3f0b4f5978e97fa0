//! Connecting, migrating, and the `Store` handle itself.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::time::Duration;

use crate::db::{Backend, Db, with_pool};
use crate::error::{map_message, redact_url, url_password};
use crate::{StoreError, migrate};

/// The URL used when `ATL_DATABASE_URL` is not set: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://atl.db";

/// How long a SQLite writer waits for another writer before giving up with SQLITE_BUSY.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite allows one writer at a time; extra connections only serve concurrent readers.
const SQLITE_MAX_CONNECTIONS: u32 = 8;
/// Default size of the PostgreSQL pool (`ATL_DB_MAX_CONNECTIONS` overrides it). One
/// process runs up to 64 jobs, each renewing its lease and committing its result, beside
/// the API's reads: with 10 connections API requests queued behind worker traffic (p99
/// 63 ms on `/status`). Keep `processes × this` under the server's `max_connections`
/// (100 by default) when a fleet of workers shares one database.
const PG_MAX_CONNECTIONS: u32 = 20;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

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
        let result = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            connect_postgres(url).await
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

    /// Connects to `ATL_DATABASE_URL`, or to [`DEFAULT_DATABASE_URL`] when it is unset.
    pub async fn from_env() -> Result<Store, StoreError> {
        match std::env::var("ATL_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Store::connect(url.trim()).await,
            _ => Store::connect(DEFAULT_DATABASE_URL).await,
        }
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

    /// One round trip to the database (for health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(&self.db, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }
}

async fn connect_postgres(url: &str) -> Result<Store, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
        .application_name("atl");
    // The pool retries "connection refused" until its acquire timeout and then reports only
    // "pool timed out"; one direct attempt first fails fast with the real reason.
    options.connect().await?.close().await?;
    let pool = PgPoolOptions::new()
        .max_connections(
            std::env::var("ATL_DB_MAX_CONNECTIONS")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(PG_MAX_CONNECTIONS),
        )
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await?;
    Ok(Store {
        db: Db::Postgres(pool),
    })
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
