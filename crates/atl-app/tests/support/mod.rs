//! What the app's suites and benchmarks share: generated contact lists and their import.
//! Benchmarks include this file by path; each user needs only part of it.
#![allow(dead_code)]

use atl_app::{ImportOutcome, ImportRequest, Providers, import_csv};
use atl_import::ImportOptions;
use atl_sandbox::SandboxConfig;
use atl_store::Store;
use std::path::{Path, PathBuf};

/// A fresh data directory named after `prefix`, this process and `backend`, and the
/// providers of an in-process sandbox on `config` keeping their files there.
pub async fn sandbox(prefix: &str, backend: &str, config: SandboxConfig) -> (PathBuf, Providers) {
    let dir = std::env::temp_dir().join(format!(
        "{prefix}-{}-{backend}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).expect("data dir");
    let providers = Providers::embedded_sandbox(&dir, config)
        .await
        .expect("sandbox");
    (dir, providers)
}

/// Runs `test` once per backend (SQLite, and PostgreSQL when there is one), each time on
/// a fresh store with its own sandbox on `config`, and removes both afterwards.
pub async fn on_each_backend(
    prefix: &str,
    config: SandboxConfig,
    test: impl AsyncFn(&'static str, &Store, &Providers, &Path),
) {
    for (backend, store) in atl_testkit::all_stores().await {
        let (dir, providers) = sandbox(prefix, backend, config.clone()).await;
        test(backend, &store, &providers, &dir).await;
        store.cleanup().await;
        drop(providers);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `n` rows with a contact and a domain on every row: "{company} {i}", "{first}{i}
/// {last}", an e-mail and a website at "{company, lower case, no spaces}{i}.example".
pub fn contact_list(n: usize, company: &str, first: &str, last: &str) -> String {
    let local = first.to_lowercase();
    let host = company.to_lowercase().replace(' ', "");
    let mut s = String::from("Company,First Name,Last Name,Email,Website\n");
    for i in 0..n {
        s.push_str(&format!(
            "{company} {i},{first}{i},{last},{local}{i}@{host}{i}.example,https://{host}{i}.example\n"
        ));
    }
    s
}

/// Settings with a named seller, so call scripts sign off with a name.
pub fn named_seller() -> serde_json::Value {
    serde_json::json!({"seller": {"name": "Sam", "pitch": "We sell revenue analytics"}})
}

/// Imports `csv` as a new campaign of `team`, with the request as `edit` leaves it: by
/// default unnamed, without a budget, for a seller pitching revenue analytics.
pub async fn import_list(
    store: &Store,
    team: &str,
    csv: Vec<u8>,
    edit: impl FnOnce(&mut ImportRequest),
) -> ImportOutcome {
    let mut request = ImportRequest {
        team_id: store.team_id(team).await.expect("team"),
        name: None,
        file_name: None,
        options: ImportOptions::default(),
        settings: serde_json::json!({"seller": {"pitch": "revenue analytics"}}),
        budget_nano_usd: None,
    };
    edit(&mut request);
    import_csv(store, csv, request).await.expect("import")
}
