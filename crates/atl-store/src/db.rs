//! The two backends behind one type, and the few encodings that differ between them.

use serde_json::Value;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, Encode, FromRow, PgPool, Postgres, SqlSafeStr, Sqlite, SqlitePool, Type};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::StoreError;

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Time(DbTime),
    Json(Value),
    F64(f64),
    Bool(bool),
}

/// `impl From<$t> for Arg`, the value wrapped as it is in `Arg::$variant`.
macro_rules! arg_from {
    ($($t:ty => $variant:ident),* $(,)?) => {
        $(
            impl From<$t> for Arg {
                fn from(v: $t) -> Self {
                    Arg::$variant(v)
                }
            }
        )*
    };
}

arg_from!(
    i64 => I64,
    Option<i64> => OptI64,
    String => Text,
    Option<String> => OptText,
    DbTime => Time,
    Value => Json,
    f64 => F64,
    bool => Bool,
);

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::OptText(v.map(str::to_string))
    }
}

/// `args![a, b, c]` → `[Arg; 3]`, converting each value with `Arg::from`.
macro_rules! args {
    ($($v:expr),* $(,)?) => { [$($crate::db::Arg::from($v)),*] };
}
pub(crate) use args;

/// Binds every arg in order; expanded once per backend so each arm type-checks on its own.
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        use $crate::db::Arg;
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::OptI64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::OptText(v) => q.bind(v.clone()),
                Arg::Time(v) => q.bind(*v),
                Arg::Json(v) => q.bind(sqlx::types::Json(v.clone())),
                Arg::F64(v) => q.bind(*v),
                Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

/// A row type read on both backends.
pub(crate) trait BothRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<R> BothRow for R where
    R: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// Which database a [`crate::Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body once per backend arm, with `$pool` bound to that arm's pool. The body
/// is type-checked twice, so shared SQL, binds and `FromRow` decoding are generic for free.
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A `Db` method running sqlx's `$fetch` of the same name on whichever pool it holds, with
/// `args` bound in order (the statement's text is the same on both backends).
macro_rules! read_method {
    ($(#[$doc:meta])* $fetch:ident -> $out:ty) => {
        $(#[$doc])*
        pub(crate) async fn $fetch<R: BothRow>(
            &self,
            sql: impl SqlSafeStr,
            args: &[Arg],
        ) -> Result<$out, StoreError> {
            Ok(with_pool!(self, |pool| {
                bind_all!(sqlx::query_as(sql), args).$fetch(pool).await?
            }))
        }
    };
}

impl Db {
    read_method!(
        /// Every row the statement answers.
        fetch_all -> Vec<R>
    );
    read_method!(
        /// The statement's first row, if any.
        fetch_optional -> Option<R>
    );

    /// What a `SELECT COUNT(*)` in `sql` counts.
    pub(crate) async fn count(
        &self,
        sql: impl SqlSafeStr,
        args: &[Arg],
    ) -> Result<u64, StoreError> {
        let row: Option<(i64,)> = self.fetch_optional(sql, args).await?;
        Ok(row.map_or(0, |(n,)| u64::try_from(n).unwrap_or(0)))
    }
}

/// The current time, truncated to microseconds: PostgreSQL keeps microseconds, so a value
/// read back equals the value written on both backends.
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t - time::Duration::nanoseconds(i64::from(t.nanosecond() % 1_000))
}

/// A timestamp as bound into SQL.
///
/// PostgreSQL gets a native `TIMESTAMPTZ`. SQLite stores text, and sqlx's default RFC 3339
/// text drops a zero fraction (`…:00Z` sorts after `…:00.5Z`), which would break every
/// `run_after <= $now` comparison; so SQLite gets one fixed-width UTC form whose text order
/// is time order. Both forms decode as `OffsetDateTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DbTime(pub OffsetDateTime);

const SQLITE_TIME: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

impl DbTime {
    pub(crate) fn sqlite_text(self) -> Result<String, time::error::Format> {
        self.0.to_offset(time::UtcOffset::UTC).format(SQLITE_TIME)
    }
}

/// `DbTime` bound as `$db` stores it: as a `$stored`, the value `$value` makes of `$t`.
macro_rules! db_time_as {
    ($db:ty, $stored:ty, |$t:ident| $value:expr) => {
        impl Type<$db> for DbTime {
            fn type_info() -> <$db as Database>::TypeInfo {
                <$stored as Type<$db>>::type_info()
            }
        }

        impl Encode<'_, $db> for DbTime {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                let $t = self;
                <$stored as Encode<'_, $db>>::encode($value, buf)
            }
        }
    };
}

db_time_as!(Sqlite, String, |t| t.sqlite_text()?);
db_time_as!(Postgres, OffsetDateTime, |t| t.0);

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sqlite_text_is_fixed_width_and_sorts_like_time() {
        let whole = DbTime(datetime!(2026-01-01 12:00:00 UTC))
            .sqlite_text()
            .unwrap();
        let half = DbTime(datetime!(2026-01-01 12:00:00.5 UTC))
            .sqlite_text()
            .unwrap();
        let later = DbTime(datetime!(2026-01-01 12:00:01 UTC))
            .sqlite_text()
            .unwrap();
        assert_eq!(whole, "2026-01-01T12:00:00.000000Z");
        assert!(whole < half && half < later);
        assert_eq!(whole.len(), half.len());
        // Offsets are normalised to UTC.
        let cet = DbTime(datetime!(2026-01-01 13:00:00 +01:00))
            .sqlite_text()
            .unwrap();
        assert_eq!(cet, whole);
        // And it reads back as the same instant.
        let back =
            OffsetDateTime::parse(&half, &time::format_description::well_known::Rfc3339).unwrap();
        assert_eq!(back, datetime!(2026-01-01 12:00:00.5 UTC));
    }

    #[test]
    fn now_has_microsecond_precision() {
        assert_eq!(now().nanosecond() % 1_000, 0);
    }
}
