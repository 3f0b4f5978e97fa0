//! The record tells the truth, end to end: the Fortune 1000 list through import, the four
//! real agents on the sandbox and the export, on SQLite and PostgreSQL — every contact is
//! the input's CEO or nobody, with phone and LinkedIn from the same Apollo record, every
//! research claim has a source in the JSONL, the CSV opens in Excel — and outages are
//! told, not hidden.

mod support;

use atl_app::{ExportFormat, ExportKind, Providers, export_to_writer};
use atl_domain::{SourceKind, TargetStatus};
use atl_engine::{EngineConfig, RunSummary, StopReason};
use atl_sandbox::{Outage, SandboxConfig};
use atl_store::Store;
use std::path::Path;
use std::time::Duration;
use support::{import_list, named_seller, on_each_backend};
use tokio_util::sync::CancellationToken;

/// The first `n` companies of the Fortune 1000 target list (CEO as the contact, website and
/// domain as the file gives them: `stock.walmart.com` and the like included).
fn fortune(n: usize) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/companies/fortune1000_2021.target_list.csv"
    );
    let text = std::fs::read_to_string(path).expect("the Fortune list is in testdata");
    text.lines()
        .take(n + 1)
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

fn engine(data_dir: &std::path::Path, patience: Duration) -> EngineConfig {
    EngineConfig {
        concurrency: 32,
        lease: Duration::from_secs(20),
        heartbeat_every: Duration::from_secs(5),
        retry: atl_domain::RetryPolicy {
            backoff_base: Duration::from_millis(50),
            backoff_cap: Duration::from_millis(200),
            patience,
            max_wait: Duration::from_millis(500),
            ..Default::default()
        },
        poll_idle: Duration::from_millis(20),
        poll_idle_max: Duration::from_millis(100),
        data_dir: data_dir.to_path_buf(),
        ..EngineConfig::default()
    }
}

async fn import(store: &Store, bytes: Vec<u8>) -> i64 {
    let outcome = import_list(store, "sales", bytes, |r| {
        r.file_name = Some("fortune.csv".into());
        r.settings = named_seller();
    });
    outcome.await.campaign_id
}

/// Imports the first `rows` of the Fortune list and runs them with the retries' `patience`.
async fn run_fortune(
    store: &Store,
    providers: &Providers,
    dir: &Path,
    rows: usize,
    patience: Duration,
) -> (i64, RunSummary) {
    let id = import(store, fortune(rows)).await;
    let summary = atl_app::coordinator(store, providers, engine(dir, patience))
        .run_campaign(id, CancellationToken::new())
        .await
        .unwrap();
    (id, summary)
}

/// The sandbox with its chat models down from the start, for `for_secs` (`None`: for good).
fn chat_outage(for_secs: Option<f64>) -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.chat.outage = Some(Outage {
        start_after_secs: 0.0,
        for_secs,
        ..Outage::default()
    });
    config
}

async fn export(store: &Store, id: i64, format: ExportFormat, kind: ExportKind) -> Vec<u8> {
    let mut out = Vec::new();
    export_to_writer(store, None, id, format, kind, &mut out)
        .await
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fortune_list_exports_the_inputs_ceo_or_nobody_with_every_claim_sourced() {
    let config = SandboxConfig::default();
    on_each_backend("atl-app-records", config, async |backend, store, providers, dir| {
        let (id, summary) = run_fortune(store, providers, dir, 60, Duration::from_secs(30)).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");

        // The CSV: a UTF-8 BOM for Excel, then one row per company.
        let csv_bytes = export(store, id, ExportFormat::Csv, ExportKind::Targets).await;
        assert!(
            csv_bytes.starts_with("\u{feff}".as_bytes()),
            "{backend}: Excel needs the BOM"
        );
        let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
        let header = reader.headers().unwrap().clone();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{name} column"))
        };
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 60, "{backend}");
        let (mut found, mut with_phone, mut with_linkedin) = (0, 0, 0);
        for r in &rows {
            let ceo = &r[col("contact")];
            let contact = &r[col("contact_name")];
            assert!(
                contact.is_empty() || contact == ceo,
                "{backend}: {} — the contact is the input's CEO or nobody, got {contact:?} for {ceo:?}",
                &r[col("company")]
            );
            let source = &r[col("contact_source")];
            assert!(
                !source.contains("model"),
                "{backend}: a model never names the contact"
            );
            if source.starts_with("apollo") {
                found += 1;
                with_phone += usize::from(!r[col("contact_phone")].is_empty());
                with_linkedin += usize::from(!r[col("contact_linkedin")].is_empty());
                let phone = &r[col("contact_phone")];
                assert!(
                    phone.is_empty() || phone.starts_with('+'),
                    "{backend}: phones keep their + ({phone})"
                );
                assert!(
                    !r[col("contact_last_name")].is_empty(),
                    "{backend}: the name is split"
                );
            }
            let email = &r[col("contact_email")];
            assert!(
                email.is_empty() || email.ends_with(".example"),
                "{backend}: sandbox e-mails are reserved: {email}"
            );
            assert_eq!(&r[col("synthetic")], "true");
        }
        assert!(
            found >= 40,
            "{backend}: Apollo finds most Fortune CEOs ({found} of 60)"
        );
        assert!(
            with_phone * 100 >= found * 70,
            "{backend}: phones where Apollo returned them ({with_phone} of {found})"
        );
        assert!(
            with_linkedin * 100 >= found * 90,
            "{backend}: LinkedIn where Apollo returned it ({with_linkedin} of {found})"
        );
        let walmart = rows
            .iter()
            .find(|r| &r[col("company")] == "Walmart")
            .unwrap();
        assert!(
            walmart[col("domain_notes")].contains("stock.walmart.com"),
            "{backend}: the IR sub-domain is noted"
        );

        // The JSONL: every research claim carries its source (a URL of a page read, or
        // model knowledge, said so).
        let jsonl = export(store, id, ExportFormat::Jsonl, ExportKind::Targets).await;
        let mut claims = 0;
        for line in String::from_utf8(jsonl).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let research = &v["research"];
            for key in [
                "overview",
                "industry",
                "headquarters",
                "employee_range",
                "market_position",
            ] {
                let c = &research[key];
                if c.is_null() {
                    continue;
                }
                claims += 1;
                let source: SourceKind = serde_json::from_value(c["source"].clone())
                    .unwrap_or_else(|_| panic!("{backend}: {key} has a source: {c}"));
                if source != SourceKind::Model {
                    assert!(
                        c["evidence_url"].is_string(),
                        "{backend}: {key} cites its page: {c}"
                    );
                }
            }
            for n in research["recent_news"].as_array().into_iter().flatten() {
                assert!(
                    n["url"].is_string() && n["source"].is_string(),
                    "{backend}: {n}"
                );
            }
            for s in research["signals"].as_array().into_iter().flatten() {
                assert!(
                    s["url"].is_string() && s["date"].is_string(),
                    "{backend}: signals have a source and a date: {s}"
                );
            }
        }
        assert!(claims > 0, "{backend}");

        // Contacts: one row per person, the contact first, hidden names said.
        let contacts = export(store, id, ExportFormat::Csv, ExportKind::Contacts).await;
        let mut reader = csv::Reader::from_reader(contacts.as_slice());
        let h = reader.headers().unwrap().clone();
        let role = h.iter().position(|x| x == "role").unwrap();
        let full = h.iter().position(|x| x == "full_name").unwrap();
        let note = h.iter().position(|x| x == "name_note").unwrap();
        let people: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert!(people.iter().any(|p| &p[role] == "executive"), "{backend}");
        for p in &people {
            assert!(
                !p[full].contains('*'),
                "{backend}: no masked names: {}",
                &p[full]
            );
        }
        assert!(
            people.iter().any(|p| !p[note].is_empty()),
            "{backend}: hidden last names are said"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_llm_outage_that_ends_completes_every_job_and_one_that_does_not_is_told() {
    // Down for two seconds from the start, then back: every job completes.
    let config = chat_outage(Some(2.0));
    on_each_backend(
        "atl-app-records",
        config,
        async |backend, store, providers, dir| {
            let (id, _) = run_fortune(store, providers, dir, 8, Duration::from_secs(60)).await;
            let tally = store.get_campaign_tally(None, id).await.unwrap().unwrap();
            let view = atl_app::status_view(store, &tally).await.unwrap();
            assert_eq!(view.progress.completed, 8, "{backend}: {view:?}");
            assert_eq!(
                view.progress.failed + view.progress.partial,
                0,
                "{backend}: {view:?}"
            );

            // Down for good: after the patience, the jobs that need a model fail with the
            // reason, enrichment (no model) completes, every target is partial, and the
            // status says so.
            providers.sandbox().unwrap().set_config(chat_outage(None));
            let (id, summary) = run_fortune(store, providers, dir, 4, Duration::from_secs(2)).await;
            assert_eq!(summary.stop, StopReason::Finished, "{backend}");
            let tally = store.get_campaign_tally(None, id).await.unwrap().unwrap();
            let view = atl_app::status_view(store, &tally).await.unwrap();
            assert_eq!(view.progress.completed, 0, "{backend}: {view:?}");
            assert_eq!(
                view.progress.partial, 4,
                "{backend}: enrichment still made each one partial: {view:?}"
            );
            assert_eq!(
                view.failed_by_sub_agent.get("research").copied(),
                Some(4),
                "{backend}: {view:?}"
            );
            let reasons = view
                .failure_reasons
                .get("research")
                .cloned()
                .unwrap_or_default();
            assert!(
                reasons
                    .iter()
                    .any(|r| r.reason.contains("unavailable since")
                        || r.reason.contains("overloaded")),
                "{backend}: the reason is told: {reasons:?}"
            );
            for t in store.list_targets(id, None, 10, 0).await.unwrap() {
                assert_eq!(t.enrichment_status, TargetStatus::Partial, "{backend}");
            }
        },
    )
    .await;
}
