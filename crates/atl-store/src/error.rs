//! The store's error type. Messages never carry a database password: connection errors
//! are redacted before they are wrapped (see [`redact_url`]).

use sqlx::error::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist (or belongs to another team).
    #[error("not found")]
    NotFound,
    /// A transition or write the store refuses, in the store's own words (e.g. "campaign 3
    /// is completed: …"); safe to show to the caller.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller passed data the store refuses (bad status, duplicate key in one batch),
    /// in the store's own words; safe to show to the caller.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The database refused a write with a constraint (unique, CHECK, foreign key, NOT
    /// NULL). `detail` is the database's own message, which names tables and constraints:
    /// for logs, not for API answers.
    #[error("{kind} violation: {detail}")]
    Constraint {
        kind: ConstraintKind,
        detail: String,
    },
    /// The database could not be reached or the pool is exhausted or closed; retrying
    /// later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// A stored value the code cannot interpret (an unknown status, malformed JSON). Means
    /// the database was written by something other than this crate, or a newer version.
    #[error("corrupt value in column `{column}`: {value:?}")]
    Corrupt { column: String, value: String },
}

/// Which kind of constraint refused a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    Unique,
    Check,
    ForeignKey,
    NotNull,
}

impl std::fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConstraintKind::Unique => "unique constraint",
            ConstraintKind::Check => "check constraint",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::NotNull => "not-null constraint",
        })
    }
}

impl StoreError {
    /// Whether the same call may succeed if retried later (connection trouble, lock
    /// timeouts), as opposed to a logic or data error.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => {
                let detail = db.message().to_string();
                let constraint = |kind| StoreError::Constraint {
                    kind,
                    detail: detail.clone(),
                };
                match db.kind() {
                    ErrorKind::UniqueViolation => constraint(ConstraintKind::Unique),
                    ErrorKind::CheckViolation => constraint(ConstraintKind::Check),
                    ErrorKind::ForeignKeyViolation => constraint(ConstraintKind::ForeignKey),
                    ErrorKind::NotNullViolation => constraint(ConstraintKind::NotNull),
                    _ if is_busy(db.code().as_deref()) => StoreError::Unavailable(detail),
                    _ => StoreError::Database(detail),
                }
            }
            // A dropped connection surfaces as I/O or, when the server closes it mid
            // message, as a protocol error: both mean "try again on a new connection".
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
            sqlx::Error::Configuration(_) => StoreError::InvalidUrl(err.to_string()),
            sqlx::Error::ColumnDecode { index, source } => StoreError::Corrupt {
                column: index.clone(),
                value: source.to_string(),
            },
            sqlx::Error::Decode(source) => StoreError::Corrupt {
                column: String::new(),
                value: source.to_string(),
            },
            _ => StoreError::Database(err.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration(err.to_string())
    }
}

/// Worth a retry on a fresh transaction: SQLite BUSY/LOCKED (5, 6 and their extended
/// codes); PostgreSQL serialization failure (40001), deadlock (40P01), lock timeout
/// (55P03), a server shutting down or restarting (57P01 admin_shutdown, 57P02
/// crash_shutdown, 57P03 cannot_connect_now), too many connections (53300), and every
/// connection exception (class 08).
fn is_busy(code: Option<&str>) -> bool {
    match code {
        Some(code) => {
            matches!(
                code,
                "5" | "6"
                    | "261"
                    | "517"
                    | "40001"
                    | "40P01"
                    | "55P03"
                    | "57P01"
                    | "57P02"
                    | "57P03"
                    | "53300"
            ) || code.starts_with("08")
        }
        None => false,
    }
}

/// Replaces the password of a `scheme://user:password@host` URL with `***`, so a URL can
/// be logged or put in an error.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest_start = scheme_end + 3;
    let rest = &url[rest_start..];
    // The authority ends at the first '/', '?' or '#'; the userinfo at the last '@' in it.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_string();
    };
    format!(
        "{}{}:***{}",
        &url[..rest_start],
        &userinfo[..colon],
        &url[rest_start + at..]
    )
}

/// The password part of a URL, if any, so that error text can be scrubbed of it even when
/// a driver quotes it in another form.
pub fn url_password(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    let password = &userinfo[userinfo.find(':')? + 1..];
    (!password.is_empty()).then_some(password)
}

/// Rewrites the message of an error, keeping its variant (used to scrub passwords and add
/// the redacted URL to connection errors).
pub(crate) fn map_message(err: StoreError, f: impl Fn(String) -> String) -> StoreError {
    match err {
        StoreError::Conflict(s) => StoreError::Conflict(f(s)),
        StoreError::InvalidInput(s) => StoreError::InvalidInput(f(s)),
        StoreError::Constraint { kind, detail } => StoreError::Constraint {
            kind,
            detail: f(detail),
        },
        StoreError::Unavailable(s) => StoreError::Unavailable(f(s)),
        StoreError::Database(s) => StoreError::Database(f(s)),
        StoreError::Migration(s) => StoreError::Migration(f(s)),
        StoreError::InvalidUrl(s) => StoreError::InvalidUrl(f(s)),
        StoreError::Corrupt { column, value } => StoreError::Corrupt {
            column,
            value: f(value),
        },
        StoreError::NotFound => StoreError::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_password_only() {
        assert_eq!(
            redact_url("postgres://atl:s3cr3t@db.example:5432/atl?sslmode=require"),
            "postgres://atl:***@db.example:5432/atl?sslmode=require"
        );
        assert_eq!(redact_url("postgres://atl@db/atl"), "postgres://atl@db/atl");
        assert_eq!(redact_url("sqlite://atl.db"), "sqlite://atl.db");
        // An '@' inside the password must not leave a tail of it behind.
        assert_eq!(
            redact_url("postgres://u:p@ss@h/db"),
            "postgres://u:***@h/db"
        );
    }

    #[test]
    fn finds_the_password() {
        assert_eq!(url_password("postgres://u:p@ss@h/db"), Some("p@ss"));
        assert_eq!(url_password("postgres://u@h/db"), None);
        assert_eq!(url_password("postgres://u:@h/db"), None);
        assert_eq!(url_password("atl.db"), None);
    }

    #[test]
    fn restarts_and_dropped_connections_are_transient() {
        for code in [
            "57P01", "57P03", "08006", "08003", "40001", "40P01", "5", "517",
        ] {
            assert!(is_busy(Some(code)), "{code}");
        }
        for code in ["23505", "42P01", "22P02"] {
            assert!(!is_busy(Some(code)), "{code}");
        }
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(StoreError::from(sqlx::Error::Io(io)).is_transient());
    }

    #[test]
    fn map_message_can_remove_the_password_from_messages() {
        let err = map_message(
            StoreError::Unavailable("could not log in as u:hunter2".into()),
            |m| m.replace("hunter2", "***"),
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
