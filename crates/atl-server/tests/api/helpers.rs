//! What the API suite shares: the app (the test kit's, with the engine on the sandbox
//! when asked), a small list, a completed campaign, an SSE reader, the metrics text
//! checks, the bad uploads and the store's fingerprint.

use std::time::Duration;

use atl_store::Store;
use atl_testkit::TestStore;
use atl_testkit::app::{AppOptions, TestApp};
use atl_testkit::sse::FrameReader;
use serde_json::Value;

pub use atl_testkit::all_stores;
pub use atl_testkit::app::{Sent, assert_error, header};

pub type App = TestApp;

/// The API over `store`; with `engine`, the coordinator runs beside it on a sandbox.
pub async fn spawn_app(store: Store, engine: bool) -> App {
    let options = if engine {
        AppOptions::with_engine()
    } else {
        AppOptions::default()
    };
    TestApp::start(store, options).await
}

/// The API with a key for team `acme` (kept in `app.key`), a key of team `globex`, and
/// SMALL_CSV uploaded by acme.
pub struct KeyedApp {
    pub app: App,
    pub campaign_id: i64,
    pub other_key: String,
}

pub async fn keyed_app(store: &atl_testkit::TestStore) -> KeyedApp {
    let key = store.create_api_key("acme", None).await.unwrap();
    let other = store.create_api_key("globex", None).await.unwrap();
    let mut app = spawn_app(store.store(), false).await;
    app.key = Some(key.plaintext.clone());
    let (s, ok) = app.upload("ok", SMALL_CSV.as_bytes().to_vec()).await;
    assert_eq!(s, 201, "{ok}");
    KeyedApp {
        app,
        campaign_id: ok["campaign_id"].as_i64().unwrap(),
        other_key: other.plaintext,
    }
}

pub const SMALL_CSV: &str = "Company,Contact,Email,Title,Website,Notes\n\
Acme Corp,Jane Doe,jane@acme.com,CEO,https://acme.com,=HYPERLINK(\"http://evil\")\n\
Globex,John Smith,john@globex.com,VP Sales,https://globex.com,+1 555\n\
Initech,Bill Lumbergh,bill@initech.com,Director,https://initech.com,@risk\n";

/// Uploads SMALL_CSV as campaign `small`: the upload's answer, checked to be a 201.
pub async fn upload_small(app: &App, backend: &str) -> Value {
    let (status, body) = app.upload("small", SMALL_CSV.as_bytes().to_vec()).await;
    assert_eq!(status, 201, "{backend}: {body}");
    body
}

/// GETs `path` and checks it is refused as a bad request; stops the app.
pub async fn refused_as_bad_request(app: App, path: &str) {
    let (s, e) = app.get(path).await;
    assert_eq!(s, 400);
    assert_error(&e, "bad_request");
    app.stop().await;
}

/// The export of campaign `id` in `format` (csv, jsonl, …).
pub fn export_path(id: i64, format: &str) -> String {
    format!("/api/atl/campaigns/{id}/export?format={format}")
}

/// On each backend, the API with the engine and its SMALL_CSV campaign completed:
/// `(backend, store, app, campaign id)`. Stop each app when done with it.
pub async fn completed_campaigns() -> Vec<(&'static str, TestStore, App, i64)> {
    let mut out = Vec::new();
    for (backend, store) in all_stores().await {
        let app = spawn_app(store.store(), true).await;
        let id = completed_campaign(&app).await;
        out.push((backend, store, app, id));
    }
    out
}

/// Runs `check(backend, store, app, campaign, other_key)` on each backend against
/// [`keyed_app`]; stops the app afterwards.
pub async fn on_keyed_app(check: impl AsyncFn(&'static str, &TestStore, &App, i64, &str)) {
    for (backend, store) in all_stores().await {
        let keyed = keyed_app(&store).await;
        check(
            backend,
            &store,
            &keyed.app,
            keyed.campaign_id,
            &keyed.other_key,
        )
        .await;
        keyed.app.stop().await;
    }
}

/// Uploads SMALL_CSV, starts it and waits (polling its status) until it completed.
pub async fn completed_campaign(app: &App) -> i64 {
    let (status, body) = app.upload("small", SMALL_CSV.as_bytes().to_vec()).await;
    assert_eq!(status, 201, "{body}");
    let id = body["campaign_id"].as_i64().unwrap();
    let (s, started) = app.post(&format!("/api/atl/campaigns/{id}/start")).await;
    assert_eq!(s, 202, "{started}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let (_, st) = app.get(&format!("/api/atl/campaigns/{id}/status")).await;
        if st["status"] == "completed" {
            return id;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "campaign {id} did not complete: {st}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The second target of campaign `id` sorted by company, descending: its id and view.
pub async fn second_target(app: &App, id: i64) -> (i64, Value) {
    let (_, page) = app
        .get(&format!(
            "/api/atl/campaigns/{id}/targets?limit=2&sort=-company"
        ))
        .await;
    let tid = page["targets"][1]["id"].as_i64().unwrap();
    let (s, t) = app.get(&format!("/api/atl/targets/{tid}")).await;
    assert_eq!(s, 200, "{t}");
    (tid, t)
}

/// Everything a refused request could have touched: campaigns and their counters,
/// targets by status, jobs by status, events, keys.
pub async fn fingerprint(store: &Store) -> String {
    let mut parts = Vec::new();
    for c in store.list_campaigns(None, 100, 0).await.unwrap() {
        parts.push(format!(
            "{} {} {} {} {:?} events={}",
            c.id,
            c.status,
            c.total_targets,
            c.updated_at,
            store.target_status_counts(c.id).await.unwrap(),
            store.events_since(c.id, 0, 10_000).await.unwrap().len()
        ));
    }
    parts.push(format!("{:?}", store.jobs_by_status(None).await.unwrap()));
    parts.push(format!(
        "keys={}",
        store.count_active_api_keys().await.unwrap()
    ));
    parts.join("\n")
}

/// Reads a stream until `until(events, progress)` holds: the stored events (with their
/// ids) and the data of the id-less `progress` events, in arrival order.
pub async fn read_sse(
    response: reqwest::Response,
    timeout: Duration,
    mut until: impl FnMut(&[(i64, String, Value)], &[Value]) -> bool,
) -> (Vec<(i64, String, Value)>, Vec<Value>) {
    let mut reader = FrameReader::new(response, timeout);
    let mut events = Vec::new();
    let mut progress = Vec::new();
    while !until(&events, &progress) {
        for frame in reader.next_frames().await {
            if frame.is_keep_alive() {
                continue;
            }
            let data: String = frame.data.iter().map(|d| d.trim()).collect();
            let data = serde_json::from_str(&data).unwrap_or(Value::Null);
            let (id, kind) = (frame.id, frame.event);
            match id {
                Some(id) => events.push((id, kind, data)),
                None => {
                    assert_eq!(kind, "progress", "only progress events have no id");
                    progress.push(data);
                }
            }
        }
    }
    (events, progress)
}

/// The value of the sample whose name and labels are exactly `series`.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

/// The sum of every labelled sample of `name` (`name{…} value` lines).
pub fn sum_of(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// What a Prometheus scraper requires of the text format: every sample belongs to the
/// family whose `# TYPE` came last (one group per family, no family twice), and every
/// histogram's buckets are cumulative and end in `+Inf` = `_count`.
pub fn check_prometheus_text(text: &str) {
    let mut seen = std::collections::HashSet::new();
    let mut current: Option<(String, String)> = None;
    let mut last_bucket: Option<(String, f64)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let (name, kind) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            assert!(
                seen.insert(name.to_string()),
                "family {name} declared twice"
            );
            current = Some((name.to_string(), kind.to_string()));
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (family, kind) = current.clone().expect("a sample before any # TYPE");
        let name = line.split(['{', ' ']).next().unwrap_or("");
        let value: f64 = line
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .expect(line);
        if kind == "histogram" {
            let suffix = name.strip_prefix(family.as_str()).unwrap_or("?");
            assert!(
                ["_bucket", "_sum", "_count"].contains(&suffix),
                "{name} outside its family {family}"
            );
            let series = line.split(",le=").next().unwrap_or("").to_string();
            if suffix == "_bucket" {
                if let Some((_, prev)) = last_bucket.as_ref().filter(|(s, _)| *s == series) {
                    assert!(value >= *prev, "buckets must be cumulative: {line}");
                }
                last_bucket = Some((series, value));
            } else if suffix == "_count" {
                let (_, inf) = last_bucket.clone().expect("buckets before _count");
                assert_eq!(value, inf, "+Inf bucket equals _count: {line}");
            }
        } else {
            assert_eq!(name, family, "sample outside its family group");
        }
    }
}

pub fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().from_reader(text.as_bytes())
}

pub fn too_many_rows(n: usize) -> Vec<u8> {
    let mut s = String::from("Company,Email\n");
    for i in 0..n {
        s.push_str(&format!("Company {i},p{i}@example.com\n"));
    }
    s.into_bytes()
}

/// A valid list with a NUL byte inserted at byte `at` (PostgreSQL's text columns refuse
/// NUL, so this must be refused before anything is written).
pub fn nul_at(at: usize) -> Vec<u8> {
    let mut bytes = too_many_rows(100);
    bytes.insert(at, 0);
    bytes
}

/// POSTs a control verb and checks its answer: `code` and the campaign's new `status`.
pub async fn moved(
    app: &App,
    path: &str,
    code: u16,
    status: &str,
    backend: impl std::fmt::Display,
) {
    let (s, body) = app.post(path).await;
    assert_eq!(
        (s, body["status"].as_str()),
        (code, Some(status)),
        "{backend}: POST {path}: {body}"
    );
}
