//! Embedded migrations, one list per backend (rules in `migrations/README.md`).
//!
//! Files are embedded with `include_str!` rather than `sqlx::migrate!` so the build does not
//! need sqlx's proc-macro crate (which compiles the SQLite and PostgreSQL drivers a second
//! time for the host). Version, description and checksum are computed exactly as the macro
//! would, so the `_sqlx_migrations` table is the same either way.

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

/// (file name, contents). Add new files to BOTH lists, in order.
pub(crate) const SQLITE: &[(&str, &str)] = &[
    (
        "0001_initial_schema.sql",
        include_str!("../migrations/sqlite/0001_initial_schema.sql"),
    ),
    (
        "0002_job_ledger.sql",
        include_str!("../migrations/sqlite/0002_job_ledger.sql"),
    ),
    (
        "0003_partial_targets_and_attempts.sql",
        include_str!("../migrations/sqlite/0003_partial_targets_and_attempts.sql"),
    ),
    (
        "0004_evidence_cache.sql",
        include_str!("../migrations/sqlite/0004_evidence_cache.sql"),
    ),
    (
        "0005_shared_rate_limits.sql",
        include_str!("../migrations/sqlite/0005_shared_rate_limits.sql"),
    ),
];

pub(crate) const POSTGRES: &[(&str, &str)] = &[
    (
        "0001_initial_schema.sql",
        include_str!("../migrations/postgres/0001_initial_schema.sql"),
    ),
    (
        "0002_job_ledger.sql",
        include_str!("../migrations/postgres/0002_job_ledger.sql"),
    ),
    (
        "0003_partial_targets_and_attempts.sql",
        include_str!("../migrations/postgres/0003_partial_targets_and_attempts.sql"),
    ),
    (
        "0004_evidence_cache.sql",
        include_str!("../migrations/postgres/0004_evidence_cache.sql"),
    ),
    (
        "0005_shared_rate_limits.sql",
        include_str!("../migrations/postgres/0005_shared_rate_limits.sql"),
    ),
];

/// Builds a migrator from an embedded list. File names are checked by the unit tests, so a
/// malformed one is a programming error caught before release, not a runtime condition;
/// still, it is reported rather than panicking.
pub(crate) fn migrator(files: &'static [(&'static str, &'static str)]) -> Result<Migrator, String> {
    let mut migrations = Vec::with_capacity(files.len());
    for (name, sql) in files {
        let (version, description) = parse_name(name)?;
        migrations.push(Migration::new(
            version,
            Cow::Owned(description),
            MigrationType::Simple,
            sql.into_sql_str(),
            runs_outside_a_transaction(sql),
        ));
    }
    Ok(Migrator::with_migrations(migrations))
}

/// A file that starts with `-- no-transaction` runs outside a transaction (it manages its
/// own), as sqlx's file source decides.
fn runs_outside_a_transaction(sql: &str) -> bool {
    sql.starts_with("-- no-transaction")
}

/// `0001_initial_schema.sql` → (1, "initial schema"), as sqlx's file source does.
fn parse_name(name: &str) -> Result<(i64, String), String> {
    let stem = name
        .strip_suffix(".sql")
        .ok_or_else(|| format!("migration `{name}` does not end in .sql"))?;
    let (version, description) = stem
        .split_once('_')
        .ok_or_else(|| format!("migration `{name}` is not NNNN_description.sql"))?;
    let version = version
        .parse::<i64>()
        .map_err(|_| format!("migration `{name}` does not start with a number"))?;
    Ok((version, description.replace('_', " ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn files_on_disk(dir: &str) -> Vec<(String, String)> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let mut files: Vec<(String, String)> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_file_is_embedded() {
        for (dir, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let embedded: Vec<(String, String)> = list
                .iter()
                .map(|(n, s)| (n.to_string(), s.to_string()))
                .collect();
            assert_eq!(
                files_on_disk(dir),
                embedded,
                "migrations/{dir} and src/migrate.rs disagree"
            );
        }
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |l: &[(&str, &str)]| l.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
        assert_eq!(names(SQLITE), names(POSTGRES));
        for (i, (name, _)) in SQLITE.iter().enumerate() {
            let (version, _) = parse_name(name).unwrap();
            assert_eq!(
                version,
                i as i64 + 1,
                "{name}: versions must be 1, 2, 3, … without gaps"
            );
        }
        assert!(migrator(SQLITE).is_ok() && migrator(POSTGRES).is_ok());
    }

    #[test]
    fn names_parse_like_sqlx() {
        assert_eq!(
            parse_name("0001_initial_schema.sql").unwrap(),
            (1, "initial schema".into())
        );
        assert!(parse_name("initial.sql").is_err());
        assert!(parse_name("0001_x.txt").is_err());
    }
}
