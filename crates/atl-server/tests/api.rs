//! The API end to end: a real server on 127.0.0.1:0, a reqwest client, every test on
//! SQLite and PostgreSQL (`all_stores`). The enrichment path runs the real engine and
//! agents against the in-process sandbox (no network).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use atl_server::{AppContext, ServeError, serve, serve_on};
use atl_store::Store;
use atl_testkit::all_stores;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

struct App {
    base: String,
    client: reqwest::Client,
    key: Option<String>,
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<Result<(), ServeError>>,
    data_dir: PathBuf,
}

fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("atl-server-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl App {
    async fn start(store: Store, engine: bool) -> App {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = temp_dir("data");
        let mut ctx = AppContext::new(store.clone(), &data_dir);
        ctx.event_poll = Duration::from_millis(50);
        ctx.keep_alive = Duration::from_millis(200);
        if engine {
            let providers = atl_app::Providers::embedded_sandbox(
                &data_dir,
                atl_sandbox::SandboxConfig::default(),
            )
            .await
            .unwrap();
            let config = atl_engine::EngineConfig {
                concurrency: 16,
                data_dir: data_dir.clone(),
                poll_idle: Duration::from_millis(20),
                retry: atl_domain::RetryPolicy {
                    backoff_base: Duration::from_millis(10),
                    backoff_cap: Duration::from_millis(50),
                    ..Default::default()
                },
                ..Default::default()
            };
            let coordinator = atl_app::coordinator(&store, &providers, config);
            ctx.providers = Some(Arc::new(providers));
            ctx.coordinator = Some(Arc::new(coordinator));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(serve_on(ctx, listener, shutdown.clone()));
        App {
            base,
            client: reqwest::Client::new(),
            key: None,
            shutdown,
            handle,
            data_dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.client.request(method, self.url(path));
        match &self.key {
            Some(k) => r.bearer_auth(k),
            None => r,
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.req(reqwest::Method::GET, path).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str) -> (u16, Value) {
        let r = self.req(reqwest::Method::POST, path).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn upload(&self, name: &str, bytes: Vec<u8>) -> (u16, Value) {
        let form = reqwest::multipart::Form::new()
            .text("name", name.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(format!("{name}.csv")),
            );
        let r = self
            .req(reqwest::Method::POST, "/api/atl/upload")
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("server stops within the drain timeout")
            .unwrap()
            .unwrap();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Every error has the one shape.
fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

const SMALL_CSV: &str = "Company,Contact,Email,Title,Website,Notes\n\
Acme Corp,Jane Doe,jane@acme.com,CEO,https://acme.com,=HYPERLINK(\"http://evil\")\n\
Globex,John Smith,john@globex.com,VP Sales,https://globex.com,+1 555\n\
Initech,Bill Lumbergh,bill@initech.com,Director,https://initech.com,@risk\n";

/// Reads SSE frames from a response until `until` says stop (or the timeout).
/// Reads a stream until `until(events, progress)` holds: the stored events (with their
/// ids) and the data of the id-less `progress` events, in arrival order.
async fn read_sse(
    response: reqwest::Response,
    timeout: Duration,
    mut until: impl FnMut(&[(i64, String, Value)], &[Value]) -> bool,
) -> (Vec<(i64, String, Value)>, Vec<Value>) {
    let mut stream = response.bytes_stream();
    let mut buf = String::new();
    let mut events = Vec::new();
    let mut progress = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    while !until(&events, &progress) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("SSE events in time")
            .expect("stream open")
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let (mut id, mut kind, mut data) = (None, String::new(), String::new());
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    kind = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if id.is_none() && kind.is_empty() && data.is_empty() {
                continue; // a keep-alive comment
            }
            let data = serde_json::from_str(&data).unwrap_or(Value::Null);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upload_start_events_status_targets_executives_export_audio() {
    for (backend, store) in all_stores().await {
        let app = App::start(store.store(), true).await;

        // Upload.
        let (status, body) = app.upload("small", SMALL_CSV.as_bytes().to_vec()).await;
        assert_eq!(status, 201, "{backend}: {body}");
        assert_eq!(body["status"], "pending");
        assert_eq!(body["total_targets"], 3);
        assert_eq!(body["rows_rejected"], 0);
        let id = body["campaign_id"].as_i64().unwrap();

        // Listed, readable, status before start.
        let (_, list) = app.get("/api/atl/campaigns?limit=10").await;
        assert_eq!(list["total"], 1, "{backend}");
        assert_eq!(list["campaigns"][0]["id"], id);
        let (s, st) = app.get(&format!("/api/atl/campaigns/{id}/status")).await;
        assert_eq!(s, 200);
        assert_eq!(st["progress"]["pending"], 3, "{backend}: {st}");
        assert_eq!(st["estimated_completion"], Value::Null);

        // Estimate from the agents.
        let (s, est) = app.post(&format!("/api/atl/campaigns/{id}/estimate")).await;
        assert_eq!(s, 200, "{backend}: {est}");
        assert_eq!(est["targets"], 3);
        assert!(est["high_usd"].as_f64().unwrap() >= est["low_usd"].as_f64().unwrap());

        // Subscribe before starting, then start; the engine in the server does the work.
        let events = app
            .req(
                reqwest::Method::GET,
                &format!("/api/atl/campaigns/{id}/events"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(events.status(), 200);
        assert!(
            events.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        // Nothing happens before the start: the stream sends its opening progress, then
        // keep-alive comments.
        let mut events = events;
        let mut opening = String::new();
        while !opening.contains("\n:") {
            let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk())
                .await
                .expect("a keep-alive in time")
                .unwrap()
                .expect("stream open");
            opening.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(
            opening.starts_with("event: progress"),
            "{backend}: {opening}"
        );
        let (s, started) = app.post(&format!("/api/atl/campaigns/{id}/start")).await;
        assert_eq!(s, 202, "{backend}: {started}");
        assert_eq!(started["status"], "processing");
        let (s, again) = app.post(&format!("/api/atl/campaigns/{id}/resume")).await;
        assert_eq!(s, 409, "{backend}: resuming a processing campaign: {again}");
        assert_error(&again, "conflict");

        // Until the campaign completed and a progress event said so.
        let (seen, progress) = read_sse(events, Duration::from_secs(120), |evs, progress| {
            evs.iter().any(|(_, k, _)| k == "campaign_completed")
                && progress.last().is_some_and(|p| p["status"] == "completed")
        })
        .await;
        let done = progress.last().cloned().unwrap_or_default();
        assert_eq!(done["progress"]["completed"], 3, "{backend}: {done}");
        assert_eq!(
            done["progress"]["percent_complete"], 100.0,
            "{backend}: {done}"
        );
        let completed: Vec<i64> = progress
            .iter()
            .filter_map(|p| p["progress"]["completed"].as_i64())
            .collect();
        assert!(
            completed.windows(2).all(|w| w[0] <= w[1]),
            "{backend}: progress only moves forward: {completed:?}"
        );
        let ids: Vec<i64> = seen.iter().map(|e| e.0).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{backend}: ids increase: {ids:?}"
        );
        assert!(
            seen.iter().filter(|e| e.1 == "target_completed").count() >= 3,
            "{backend}: {seen:?}"
        );
        let done_event = seen.iter().find(|e| e.1 == "campaign_completed").unwrap();
        let cost_usd = done_event.2["payload"]["cost_usd"].as_f64().unwrap_or(-1.0);
        assert!(
            cost_usd > 0.0,
            "{backend}: costs in USD too: {:?}",
            done_event.2
        );

        // Resume after the second event: only later events come back.
        let resume_after = ids[1];
        let resumed = app
            .req(
                reqwest::Method::GET,
                &format!("/api/atl/campaigns/{id}/events"),
            )
            .header("Last-Event-ID", resume_after.to_string())
            .send()
            .await
            .unwrap();
        let (later, _) = read_sse(resumed, Duration::from_secs(10), |evs, _| {
            evs.len() >= ids.len() - 2
        })
        .await;
        assert_eq!(
            later.iter().map(|e| e.0).collect::<Vec<_>>(),
            ids[2..].to_vec(),
            "{backend}: resumed stream has exactly the later events"
        );

        // Status: done, in the status view's shape (`campaign_id`, `status`, `progress`).
        let (_, st) = app.get(&format!("/api/atl/campaigns/{id}/status")).await;
        assert_eq!(st["status"], "completed", "{backend}: {st}");
        // The agreed fields, named exactly.
        assert_eq!(st["progress"]["total_targets"], 3);
        assert_eq!(st["progress"]["completed"], 3, "{backend}: {st}");
        assert_eq!(st["progress"]["percent_complete"], 100.0);
        for k in ["in_progress", "failed", "pending", "partial", "cancelled"] {
            assert_eq!(st["progress"][k], 0, "{backend}: {k} in {st}");
        }
        assert_eq!(st["failed_by_sub_agent"]["research"], 0, "{backend}: {st}");
        assert!(st["cost_usd"]["completed_work"].as_f64().unwrap() > 0.0);
        for k in [
            "total_cost_usd",
            "avg_time_per_target_ms",
            "estimated_completion",
        ] {
            assert!(st.get(k).is_some(), "{k} missing: {st}");
        }

        // Targets: paginated, filtered, sorted.
        let (_, page) = app
            .get(&format!(
                "/api/atl/campaigns/{id}/targets?limit=2&sort=-company"
            ))
            .await;
        assert_eq!(page["total"], 3);
        assert_eq!(page["targets"].as_array().unwrap().len(), 2);
        assert_eq!(page["targets"][0]["company_name"], "Initech");
        let (_, done) = app
            .get(&format!(
                "/api/atl/campaigns/{id}/targets?status=completed&page=2&per_page=2"
            ))
            .await;
        assert_eq!(done["targets"].as_array().unwrap().len(), 1, "{done}");
        let (s, bad) = app
            .get(&format!("/api/atl/campaigns/{id}/targets?sort=nonsense"))
            .await;
        assert_eq!(s, 400);
        assert_error(&bad, "bad_request");

        // One target with all four results.
        let tid = page["targets"][1]["id"].as_i64().unwrap();
        let (s, t) = app.get(&format!("/api/atl/targets/{tid}")).await;
        assert_eq!(s, 200, "{t}");
        let kinds: Vec<&str> = t["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["sub_agent"].as_str().unwrap())
            .collect();
        for k in ["research", "intel", "enrichment", "voice"] {
            assert!(kinds.contains(&k), "{backend}: {k} missing in {kinds:?}");
        }
        for r in t["results"].as_array().unwrap() {
            assert_eq!(r["synthetic"], true);
            assert!(
                r["provider"].is_string() && r["latency_ms"].is_number(),
                "{r}"
            );
            assert!(r["confidence"].is_number(), "{r}");
        }

        // Executives across the list.
        let (s, ex) = app
            .get(&format!("/api/atl/campaigns/{id}/executives?per_account=1"))
            .await;
        assert_eq!(s, 200, "{ex}");
        let execs = ex["executives"].as_array().unwrap();
        assert!(!execs.is_empty(), "{backend}: no executives found: {ex}");
        let mut companies: Vec<&str> = execs
            .iter()
            .map(|e| e["company"].as_str().unwrap())
            .collect();
        let n = companies.len();
        companies.dedup();
        assert_eq!(companies.len(), n, "per_account=1 keeps one per account");
        let (_, all) = app
            .get(&format!("/api/atl/campaigns/{id}/executives"))
            .await;
        let mut keys: Vec<String> = all["executives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}|{}|{}|{}",
                    e["email"], e["name"], e["title"], e["company"]
                )
            })
            .collect();
        let total = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), total, "deduplicated");
        let (_, cs) = app
            .get(&format!(
                "/api/atl/campaigns/{id}/executives?seniority=c_suite"
            ))
            .await;
        assert!(
            cs["executives"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["seniority"] == "c_suite")
        );

        // Export: CSV with formula cells neutralised, and JSONL.
        let csv = app
            .req(
                reqwest::Method::GET,
                &format!("/api/atl/campaigns/{id}/export?format=csv"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), 200);
        assert!(
            csv.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = csv.text().await.unwrap();
        let mut reader = csv_reader(&text);
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        assert_eq!(header[..3], ["row_number", "company", "contact"]);
        let notes = header
            .iter()
            .position(|h| h == "Notes")
            .expect("extra column kept");
        let overview = header.iter().position(|h| h == "overview").unwrap();
        assert!(notes < overview, "input columns before enriched ones");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        let synthetic = header.iter().position(|h| h == "synthetic").unwrap();
        assert!(
            rows.iter().all(|r| &r[synthetic] == "true"),
            "{backend}: every sandbox row says it is synthetic"
        );
        assert_eq!(&rows[0][notes], "'=HYPERLINK(\"http://evil\")");
        assert_eq!(&rows[1][notes], "'+1 555");
        assert_eq!(&rows[2][notes], "'@risk");
        assert!(
            !rows[0][overview].is_empty(),
            "{backend}: enriched overview exported"
        );
        // Phones keep their `+` and numbers their sign: neither is a formula.
        let plain_phone_or_number = |c: &str| {
            c.parse::<f64>().is_ok()
                || (c.starts_with('+')
                    && c[1..]
                        .chars()
                        .all(|ch| ch.is_ascii_digit() || " -.()".contains(ch)))
        };
        for row in &rows {
            for cell in row.iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
                        || plain_phone_or_number(cell),
                    "unescaped formula cell {cell:?}"
                );
            }
        }
        let jsonl = app
            .req(
                reqwest::Method::GET,
                &format!("/api/atl/campaigns/{id}/export?format=jsonl"),
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let lines: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["company"], "Acme Corp");
        assert_eq!(
            lines[0]["extra"]["Notes"], "=HYPERLINK(\"http://evil\")",
            "JSON is not escaped"
        );
        assert_eq!(lines[0]["status"], "completed");
        assert_eq!(lines[0]["synthetic"], true, "sandbox rows say so");
        let (s, e) = app
            .get(&format!("/api/atl/campaigns/{id}/export?format=xlsx"))
            .await;
        assert_eq!(s, 400);
        assert_error(&e, "bad_request");

        // Audio on demand: the script has no audio until someone asks; the first request
        // renders it (a WAV), books its cost and attaches it to the voice result.
        assert!(
            t["record"]["voice"]["audio"].is_null(),
            "{backend}: no audio rendered before it is asked for: {t}"
        );
        assert_eq!(
            t["audio_url"],
            format!("/api/atl/targets/{tid}/audio"),
            "{backend}: the script exists, so the audio can be had"
        );
        let audio = app
            .req(
                reqwest::Method::GET,
                &format!("/api/atl/targets/{tid}/audio"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(audio.status(), 200, "{backend}");
        assert_eq!(audio.headers()["content-type"], "audio/wav");
        let bytes = audio.bytes().await.unwrap();
        assert_eq!(&bytes[..4], b"RIFF");
        let (_, after) = app.get(&format!("/api/atl/targets/{tid}")).await;
        let path = after["record"]["voice"]["audio"]["path"]
            .as_str()
            .unwrap_or_else(|| panic!("{backend}: audio attached after the render: {after}"));
        assert!(path.starts_with("audio/target-"), "{backend}: {path}");
        assert!(
            after["target"]["cost_usd"].as_f64() > t["target"]["cost_usd"].as_f64(),
            "{backend}: the render's cost is booked to the target"
        );
        let (s, _) = app.get("/api/atl/targets/999999/audio").await;
        assert_eq!(s, 404);

        // Metrics see the jobs and the requests.
        let metrics = app
            .req(reqwest::Method::GET, "/metrics")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("atl_jobs{state=\"completed\"} 12"),
            "{backend}: {metrics}"
        );
        assert!(
            metrics.contains("route=\"/api/atl/campaigns/{id}/status\""),
            "{metrics}"
        );
        assert!(metrics.contains("atl_provider_calls_total"), "{metrics}");
        check_prometheus_text(&metrics);
        let status_labels =
            "method=\"GET\",route=\"/api/atl/campaigns/{id}/status\",status=\"200\"";
        let polls = sample(
            &metrics,
            &format!("atl_http_requests_total{{{status_labels}}}"),
        );
        assert!(polls >= 1.0, "{metrics}");
        assert_eq!(
            sample(
                &metrics,
                &format!("atl_http_request_duration_seconds_count{{{status_labels}}}")
            ),
            polls
        );
        assert_eq!(
            sample(
                &metrics,
                &format!("atl_http_request_duration_seconds_bucket{{{status_labels},le=\"+Inf\"}}")
            ),
            polls
        );
        let provider_calls = sum_of(&metrics, "atl_provider_latency_seconds_count");
        assert!(
            provider_calls > 0.0,
            "provider latency histograms: {metrics}"
        );
        let own_results = sum_of(&metrics, "atl_results_total");
        assert_eq!(own_results, 12.0, "{backend}: {metrics}");

        // Another team's key sees the process's series but none of this team's ledger.
        let other = store.create_api_key("globex", None).await.unwrap();
        let theirs = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(&other.plaintext)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        check_prometheus_text(&theirs);
        for series in [
            "atl_jobs{",
            "atl_campaigns{",
            "atl_results_total{",
            "atl_cost_usd_total{",
        ] {
            assert!(
                !theirs.lines().any(|l| l.starts_with(series)),
                "{backend}: {series} leaks across teams: {theirs}"
            );
        }
        assert!(theirs.contains("atl_provider_calls_total"), "{theirs}");

        app.stop().await;
    }
}

/// The value of the sample whose name and labels are exactly `series`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

/// The sum of every labelled sample of `name` (`name{…} value` lines).
fn sum_of(text: &str, name: &str) -> f64 {
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
fn check_prometheus_text(text: &str) {
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

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().from_reader(text.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_refused_with_the_right_status_and_change_nothing() {
    for (backend, store) in all_stores().await {
        let key = store.create_api_key("acme", None).await.unwrap();
        let other = store.create_api_key("globex", None).await.unwrap();
        let mut app = App::start(store.store(), false).await;
        app.key = Some(key.plaintext.clone());
        let (s, ok) = app.upload("ok", SMALL_CSV.as_bytes().to_vec()).await;
        assert_eq!(s, 201, "{ok}");
        let id = ok["campaign_id"].as_i64().unwrap();
        let count = || async { store.count_campaigns(None).await.unwrap() };
        assert_eq!(count().await, 1);
        // Everything a refused request could have touched: campaigns and their counters,
        // targets by status, jobs by status, events, keys.
        let fingerprint = || async {
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
        };
        let untouched = fingerprint().await;

        let mut junk: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        junk[..4].copy_from_slice(b"\x89PNG");
        let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
            ("binary junk", junk, 415, "not_csv"),
            ("empty", Vec::new(), 422, "empty_file"),
            (
                "header only",
                b"Company,Email\n".to_vec(),
                422,
                "no_targets",
            ),
            (
                "wrong columns",
                b"Foo,Bar\n1,2\n".to_vec(),
                422,
                "no_company_column",
            ),
            ("too many", too_many_rows(10_001), 422, "too_many_targets"),
            (
                "NUL after the first kilobyte",
                nul_at(1500),
                422,
                "control_character",
            ),
        ];
        for (what, bytes, status, code) in cases {
            let (s, body) = app.upload(what, bytes).await;
            assert_eq!(s, status, "{backend}: {what}: {body}");
            if !code.is_empty() {
                assert_error(&body, code);
            }
            assert!(body["error"]["message"].is_string(), "{what}: {body}");
            assert_eq!(
                fingerprint().await,
                untouched,
                "{backend}: {what} changed the store"
            );
        }
        // A CSV sent as the body itself, not as a form: 415 with how to send it.
        let r = app
            .req(reqwest::Method::POST, "/api/atl/upload")
            .header("content-type", "text/csv")
            .body(SMALL_CSV)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415, "{backend}");
        let body: Value = r.json().await.unwrap();
        assert_error(&body, "unsupported_media_type");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("multipart/form-data")),
            "{body}"
        );
        // The headers found are named.
        let (_, body) = app.upload("wrong", b"Foo,Bar\n1,2\n".to_vec()).await;
        assert_eq!(body["error"]["details"]["headers"], json!(["Foo", "Bar"]));

        // No file field.
        let form = reqwest::multipart::Form::new().text("name", "x");
        let r = app
            .req(reqwest::Method::POST, "/api/atl/upload")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_error(&r.json().await.unwrap(), "bad_request");

        // 60 MB, declared up front: refused before the body is read (only 1 MB is sent,
        // so a server that waited for the rest would time out here).
        let (s, body, _) = raw_upload(&app, Some(60 << 20), 1 << 20).await;
        assert_eq!(s, 413, "{backend}: {body}");
        assert_error(&body, "too_large");
        // 60 MB streamed without a length: refused once 50 MB have arrived, while the
        // client is still sending.
        let (s, body, finished_sending) = raw_upload(&app, None, 60 << 20).await;
        assert_eq!(s, 413, "{backend}: {body}");
        assert_error(&body, "too_large");
        assert!(
            !finished_sending,
            "{backend}: the answer came only after all 60 MB"
        );
        assert_eq!(
            fingerprint().await,
            untouched,
            "{backend}: oversize changed the store"
        );

        // Keys and teams.
        let r = app
            .client
            .get(app.url("/api/atl/campaigns"))
            .bearer_auth("atl_0000000000000000000000000000000000000000000000000")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        assert_error(&r.json().await.unwrap(), "unauthorized");
        let r = app
            .client
            .get(app.url("/api/atl/campaigns"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            401,
            "keys exist: no anonymous access even on loopback"
        );
        let theirs = app
            .client
            .get(app.url(&format!("/api/atl/campaigns/{id}")))
            .bearer_auth(&other.plaintext)
            .send()
            .await
            .unwrap();
        assert_eq!(theirs.status(), 404, "another team's campaign is not found");
        let (_, their_list) = {
            let r = app
                .client
                .get(app.url("/api/atl/campaigns"))
                .bearer_auth(&other.plaintext)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        };
        assert_eq!(their_list["total"], 0);
        // A wrong key changes nothing anywhere; another team's ids are 404 on every route.
        let target_id = {
            let (_, page) = app
                .get(&format!("/api/atl/campaigns/{id}/targets?limit=1"))
                .await;
            page["targets"][0]["id"].as_i64().unwrap()
        };
        let wrong = "atl_0000000000000000000000000000000000000000000000000";
        let form = || {
            reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(SMALL_CSV.as_bytes().to_vec()).file_name("t.csv"),
            )
        };
        let r = app
            .client
            .post(app.url("/api/atl/upload"))
            .bearer_auth(wrong)
            .multipart(form())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{backend}: upload with a wrong key");
        let r = app
            .client
            .post(app.url("/api/atl/upload"))
            .bearer_auth(&other.plaintext)
            .multipart(form())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{backend}: globex uploads its own list");
        let theirs_id = r.json::<Value>().await.unwrap()["campaign_id"]
            .as_i64()
            .unwrap();
        let mine = fingerprint().await;
        let gets = [
            format!("/api/atl/campaigns/{id}"),
            format!("/api/atl/campaigns/{id}/status"),
            format!("/api/atl/campaigns/{id}/targets"),
            format!("/api/atl/campaigns/{id}/executives"),
            format!("/api/atl/campaigns/{id}/export?format=csv"),
            format!("/api/atl/campaigns/{id}/events"),
            format!("/api/atl/targets/{target_id}"),
            format!("/api/atl/targets/{target_id}/audio"),
        ];
        let posts = [
            "start",
            "pause",
            "resume",
            "cancel",
            "retry-failed",
            "estimate",
        ]
        .map(|verb| format!("/api/atl/campaigns/{id}/{verb}"));
        let requests = gets
            .iter()
            .map(|p| (reqwest::Method::GET, p))
            .chain(posts.iter().map(|p| (reqwest::Method::POST, p)));
        for (method, path) in requests {
            for key in [wrong, other.plaintext.as_str()] {
                let expected = if key == wrong { 401 } else { 404 };
                let r = app
                    .client
                    .request(method.clone(), app.url(path))
                    .bearer_auth(key)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), expected, "{backend}: {method} {path}");
                let body: Value = r.json().await.unwrap();
                assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
            }
        }
        assert_eq!(fingerprint().await, mine, "{backend}: nothing moved");
        // And the other way round: acme cannot see globex's campaign.
        let (s, _) = app
            .get(&format!("/api/atl/campaigns/{theirs_id}/status"))
            .await;
        assert_eq!(s, 404, "{backend}");
        store.delete_campaign(None, theirs_id).await.unwrap();
        assert_eq!(fingerprint().await, untouched, "{backend}");

        // Path and query values that do not parse, unknown routes, wrong methods.
        let (s, body) = app.get("/api/atl/campaigns/abc").await;
        assert_eq!(s, 400, "{body}");
        assert_error(&body, "bad_request");
        let (s, body) = app.get("/api/atl/targets/1.5").await;
        assert_eq!(s, 400, "{body}");
        let (s, body) = app.get("/api/atl/campaigns?limit=many").await;
        assert_eq!(s, 400, "{body}");
        let (s, body) = app.get("/api/atl/nothing-here").await;
        assert_eq!(s, 404);
        assert_error(&body, "not_found");
        let r = app
            .req(reqwest::Method::DELETE, "/api/atl/upload")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        assert_error(&r.json().await.unwrap(), "method_not_allowed");
        let (s, body) = app.get("/api/atl/campaigns/999999/status").await;
        assert_eq!(s, 404);
        assert_error(&body, "not_found");

        // Transitions that are not allowed answer 409 with the reason.
        let (s, body) = app.post(&format!("/api/atl/campaigns/{id}/pause")).await;
        assert_eq!(s, 409, "{backend}: pausing a pending campaign: {body}");
        assert_error(&body, "conflict");
        let (s, body) = app.post(&format!("/api/atl/campaigns/{id}/cancel")).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["status"], "cancelled");
        assert_eq!(body["progress"]["cancelled"], 3, "{body}");
        let (s, body) = app.post(&format!("/api/atl/campaigns/{id}/start")).await;
        assert_eq!(s, 409, "{body}");
        // Without providers the server cannot quote.
        let (s, body) = app.post(&format!("/api/atl/campaigns/{id}/estimate")).await;
        assert_eq!(s, 503, "{body}");
        assert_eq!(count().await, 1);
        // Sanity of the fingerprint itself: the cancel above did change it.
        assert_ne!(fingerprint().await, untouched, "{backend}");

        app.stop().await;
    }
}

fn too_many_rows(n: usize) -> Vec<u8> {
    let mut s = String::from("Company,Email\n");
    for i in 0..n {
        s.push_str(&format!("Company {i},p{i}@example.com\n"));
    }
    s.into_bytes()
}

/// A valid list with a NUL byte inserted at byte `at` (PostgreSQL's text columns refuse
/// NUL, so this must be refused before anything is written).
fn nul_at(at: usize) -> Vec<u8> {
    let mut bytes = too_many_rows(100);
    bytes.insert(at, 0);
    bytes
}

/// Sends a multipart upload over a raw socket: with `declared` as Content-Length, or
/// chunked when `None`, writing `send` bytes of file content (1 MB at a time) while
/// reading the answer concurrently. Returns the status, the JSON body, and whether the
/// writer had sent everything before the answer arrived.
async fn raw_upload(app: &App, declared: Option<usize>, send: usize) -> (u16, Value, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let boundary = "atlboundary";
    let length = match declared {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_string(),
    };
    let head = format!(
        "POST /api/atl/upload HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n{length}Connection: close\r\n\r\n",
        app.key.as_deref().unwrap_or("")
    );
    let part = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\nCompany\n"
    );
    let chunked = declared.is_none();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer_done = done.clone();
    let writer = tokio::spawn(async move {
        let frame = |data: &[u8]| -> Vec<u8> {
            if chunked {
                let mut f = format!("{:x}\r\n", data.len()).into_bytes();
                f.extend_from_slice(data);
                f.extend_from_slice(b"\r\n");
                f
            } else {
                data.to_vec()
            }
        };
        wr.write_all(head.as_bytes()).await?;
        wr.write_all(&frame(part.as_bytes())).await?;
        let mb = vec![b'a'; 1 << 20];
        let framed = frame(&mb);
        for _ in 0..send >> 20 {
            wr.write_all(&framed).await?;
        }
        writer_done.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok::<_, std::io::Error>(wr)
    });
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), rd.read_to_end(&mut response))
        .await
        .expect("an answer without the whole body")
        .unwrap();
    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
    writer.abort();
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (
        status,
        serde_json::from_str(body).unwrap_or(Value::Null),
        finished,
    )
}

#[tokio::test]
async fn without_keys_loopback_is_served_as_default_and_other_addresses_are_refused() {
    for (backend, store) in all_stores().await {
        // Refused before binding: 0.0.0.0 with no key in the store.
        let err = serve(
            // Refused before anything is written: the folder is never created.
            AppContext::new(
                store.store(),
                std::env::temp_dir().join("atl-never-created"),
            ),
            "0.0.0.0:0".parse().unwrap(),
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, ServeError::NoKeysOnPublicAddress(_)),
            "{backend}: {err}"
        );
        assert!(err.to_string().contains("atl keys create"), "{err}");

        // Loopback without keys: served as team `default`, no key needed.
        let app = App::start(store.store(), false).await;
        let (s, body) = app.upload("anon", SMALL_CSV.as_bytes().to_vec()).await;
        assert_eq!(s, 201, "{backend}: {body}");
        let default = store.team_id(atl_domain::DEFAULT_TEAM).await.unwrap();
        let c = store
            .get_campaign(Some(default), body["campaign_id"].as_i64().unwrap())
            .await
            .unwrap();
        assert!(
            c.is_some(),
            "{backend}: the campaign belongs to team default"
        );

        // Creating the first key switches authentication on at once.
        let key = store.create_api_key("acme", None).await.unwrap();
        let (s, _) = app.get("/api/atl/campaigns").await;
        assert_eq!(s, 401, "{backend}");
        let r = app
            .client
            .get(app.url("/api/atl/campaigns"))
            .bearer_auth(&key.plaintext)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);

        // With a key, a non-loopback address is allowed (not bound here: the check only).
        app.stop().await;
    }
}

/// Only `/healthz` answers without a key; the description of the API (`/openapi.json`,
/// `/docs`) and `/metrics` need one like every other route. The docs page embeds the
/// document, so a saved copy works offline.
#[tokio::test]
async fn only_health_needs_no_key_and_the_docs_describe_every_route() {
    for (backend, store) in all_stores().await {
        let key = store.create_api_key("acme", None).await.unwrap();
        let mut app = App::start(store.store(), false).await;
        let (s, h) = app.get("/healthz").await;
        assert_eq!(s, 200, "{backend}");
        assert_eq!(h["status"], "ok");
        assert_eq!(h["database"].as_str().unwrap(), backend.to_string());
        for path in ["/openapi.json", "/docs", "/metrics"] {
            let (s, body) = app.get(path).await;
            assert_eq!(s, 401, "{backend}: {path} needs a key");
            assert_error(&body, "unauthorized");
        }

        app.key = Some(key.plaintext.clone());
        let (s, doc) = app.get("/openapi.json").await;
        assert_eq!(s, 200);
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/atl/upload",
            "/api/atl/campaigns",
            "/api/atl/campaigns/{id}",
            "/api/atl/campaigns/{id}/status",
            "/api/atl/campaigns/{id}/targets",
            "/api/atl/campaigns/{id}/start",
            "/api/atl/campaigns/{id}/pause",
            "/api/atl/campaigns/{id}/resume",
            "/api/atl/campaigns/{id}/cancel",
            "/api/atl/campaigns/{id}/retry-failed",
            "/api/atl/campaigns/{id}/estimate",
            "/api/atl/campaigns/{id}/events",
            "/api/atl/campaigns/{id}/export",
            "/api/atl/campaigns/{id}/executives",
            "/api/atl/targets/{id}",
            "/api/atl/targets/{id}/audio",
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/docs",
        ] {
            assert!(
                paths.contains_key(p),
                "{p} missing from the OpenAPI document"
            );
        }
        // The document says which routes are open: an empty requirement on /healthz only.
        assert_eq!(doc["paths"]["/healthz"]["get"]["security"], json!([{}]));
        for p in ["/metrics", "/openapi.json", "/docs"] {
            assert!(doc["paths"][p]["get"]["security"].is_null(), "{p}");
        }
        assert_eq!(doc["security"], json!([{"bearer": []}]));
        assert!(doc["components"]["schemas"]["StatusView"].is_object());
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

        let r = app.req(reqwest::Method::GET, "/docs").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        // The document is inside the page: nothing to fetch, from us or a CDN.
        let start = page
            .find(r#"<script type="application/json" id="spec">"#)
            .unwrap();
        let json_start = page[start..].find('>').unwrap() + start + 1;
        let json_end = page[json_start..].find("</script>").unwrap() + json_start;
        let embedded: Value = serde_json::from_str(&page[json_start..json_end]).unwrap();
        assert_eq!(
            embedded, doc,
            "{backend}: the page embeds the same document"
        );
        assert!(!page.contains("fetch("), "nothing is fetched");
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no CDN: works offline"
        );
        app.stop().await;
    }
}

/// Graceful shutdown with a campaign running: event streams end, the server returns, and
/// no job is left leased (each finished or gave its lease back); a later run then
/// finishes the campaign with exactly one result per target and sub-agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_streams_and_returns_leases() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    for (backend, store) in all_stores().await {
        let data_dir = temp_dir("shutdown");
        // As `atl serve` does: the workers, their pool and the sandbox on a runtime of
        // their own, which the server must still stop cleanly.
        let workers = atl_server::WorkerRuntime::new().unwrap();
        let setup = {
            let store = store.store();
            let data_dir = data_dir.clone();
            async move {
                // Slow models: jobs are surely running when the shutdown comes.
                let mut slow = atl_sandbox::SandboxConfig::default();
                slow.chat.latency = atl_sandbox::Latency::Fixed { ms: 700 };
                slow.anthropic.latency = atl_sandbox::Latency::Fixed { ms: 700 };
                let providers = atl_app::Providers::embedded_sandbox(&data_dir, slow)
                    .await
                    .unwrap();
                let config = atl_engine::EngineConfig {
                    concurrency: 16,
                    data_dir: data_dir.clone(),
                    poll_idle: Duration::from_millis(20),
                    // Running jobs get little time to finish, so some must give their
                    // leases back.
                    shutdown_grace: Duration::from_millis(100),
                    ..Default::default()
                };
                let worker_store = store.with_own_pool().await.unwrap();
                let coordinator = atl_app::coordinator(&worker_store, &providers, config);
                (providers, coordinator)
            }
        };
        let (providers, coordinator) = workers.spawn(setup).await.unwrap();
        let mut ctx = AppContext::new(store.store(), &data_dir);
        ctx.event_poll = Duration::from_millis(50);
        ctx.providers = Some(Arc::new(providers));
        ctx.coordinator = Some(Arc::new(coordinator));
        ctx.worker_runtime = Some(workers.handle());
        let key = store.create_api_key("ops", None).await.unwrap().plaintext;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(serve_on(ctx, listener, shutdown.clone()));
        let client = reqwest::Client::new();
        let auth = format!("Bearer {key}");

        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(SMALL_CSV.as_bytes().to_vec()).file_name("s.csv"),
        );
        let up: Value = client
            .post(format!("{base}/api/atl/upload"))
            .header("authorization", &auth)
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = up["campaign_id"].as_i64().unwrap();
        let started = client
            .post(format!("{base}/api/atl/campaigns/{id}/start"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 202, "{backend}");
        let events = client
            .get(format!("{base}/api/atl/campaigns/{id}/events"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(events.status(), 200, "{backend}");

        // Wait until the workers hold leases.
        let mut running = 0;
        for _ in 0..200 {
            running = store
                .list_jobs(id, 100, 0)
                .await
                .unwrap()
                .iter()
                .filter(|j| j.status == atl_domain::JobStatus::Running)
                .count();
            if running > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            running > 0,
            "{backend}: jobs were running when the shutdown came"
        );

        shutdown.cancel();
        // The event stream ends (instead of holding the drain forever)...
        let mut body = events.bytes_stream();
        tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(chunk) = body.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{backend}: the SSE stream did not end on shutdown"));
        // ...the server returns...
        tokio::time::timeout(Duration::from_secs(20), handle)
            .await
            .unwrap_or_else(|_| panic!("{backend}: the server did not stop"))
            .unwrap()
            .unwrap();
        // ...and no job is left leased: each finished or gave its lease back.
        drop(workers);
        let jobs = store.list_jobs(id, 100, 0).await.unwrap();
        assert!(
            jobs.iter()
                .all(|j| j.status != atl_domain::JobStatus::Running),
            "{backend}: {jobs:?}"
        );
        assert!(
            jobs.iter()
                .any(|j| j.status == atl_domain::JobStatus::Pending),
            "{backend}: the shutdown came before the campaign could finish"
        );

        // A later run finishes it: exactly one result per target and sub-agent.
        let fast =
            atl_app::Providers::embedded_sandbox(&data_dir, atl_sandbox::SandboxConfig::default())
                .await
                .unwrap();
        let again = atl_app::coordinator(
            &store,
            &fast,
            atl_engine::EngineConfig {
                data_dir: data_dir.clone(),
                poll_idle: Duration::from_millis(20),
                ..Default::default()
            },
        );
        again
            .run_campaign(id, CancellationToken::new())
            .await
            .unwrap();
        for t in store.list_targets(id, None, 10, 0).await.unwrap() {
            let results = store.results_for_target(t.id).await.unwrap();
            assert_eq!(results.len(), 4, "{backend}: {}", t.company_name);
        }
        let _ = std::fs::remove_dir_all(&data_dir);
        store.cleanup().await;
    }
}

/// POSTs a control verb and checks its answer: `code` and the campaign's new `status`.
async fn moved(app: &App, path: &str, code: u16, status: &str, backend: impl std::fmt::Display) {
    let (s, body) = app.post(path).await;
    assert_eq!(
        (s, body["status"].as_str()),
        (code, Some(status)),
        "{backend}: POST {path}: {body}"
    );
}

/// The control verbs that succeed: each answers the campaign's status after the move, and
/// retry-failed sends a failed job back to the queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_verbs_move_the_campaign_and_answer_its_status() {
    for (backend, store) in all_stores().await {
        let key = store.create_api_key("acme", None).await.unwrap();
        let mut app = App::start(store.store(), false).await;
        app.key = Some(key.plaintext.clone());
        let (_, ok) = app.upload("verbs", SMALL_CSV.as_bytes().to_vec()).await;
        let id = ok["campaign_id"].as_i64().unwrap();
        let verb = |v: &str| format!("/api/atl/campaigns/{id}/{v}");

        moved(&app, &verb("start"), 202, "processing", backend).await;
        moved(&app, &verb("pause"), 200, "paused", backend).await;
        let (s, body) = app.post(&verb("pause")).await;
        assert_eq!(s, 409, "{backend}: already paused: {body}");
        moved(&app, &verb("resume"), 200, "processing", backend).await;

        // A job fails for good (as a worker would record it), then is retried.
        let claimed = store
            .claim_jobs(&atl_store::ClaimRequest {
                owner: "test",
                lease: Duration::from_secs(60),
                limit: 1,
                campaign_id: Some(id),
                estimates: Default::default(),
                dead_worker_after: Duration::from_secs(3600),
            })
            .await
            .unwrap();
        let job = &claimed[0];
        let outcome = store
            .fail_job(
                job.job_id,
                &job.lease_token,
                "provider said no",
                atl_store::FailNext::Fail,
                &atl_store::AttemptSpend {
                    run: job.run,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(outcome, atl_store::FailOutcome::Failed, "{backend}");
        let progress = store.campaign_progress(id).await.unwrap();
        assert_eq!(progress.jobs.failed, 1, "{backend}: {progress:?}");
        moved(&app, &verb("retry-failed"), 200, "processing", backend).await;
        let progress = store.campaign_progress(id).await.unwrap();
        assert_eq!(progress.jobs.failed, 0, "{backend}: {progress:?}");
        assert_eq!(
            progress.jobs.pending, 12,
            "{backend}: back in the queue: {progress:?}"
        );

        moved(&app, &verb("cancel"), 200, "cancelled", backend).await;
        let (s, body) = app.post(&verb("retry-failed")).await;
        assert_eq!(s, 409, "{backend}: nothing to retry once cancelled: {body}");
        assert_error(&body, "conflict");

        // The list pages newest first.
        let (_, newer) = app.upload("newer", SMALL_CSV.as_bytes().to_vec()).await;
        let newer = newer["campaign_id"].as_i64().unwrap();
        let (s, first) = app.get("/api/atl/campaigns?limit=1").await;
        assert_eq!(s, 200, "{backend}: {first}");
        assert_eq!(first["total"], 2, "{backend}: {first}");
        assert_eq!(first["campaigns"][0]["id"], newer, "{backend}: {first}");
        let (_, second) = app.get("/api/atl/campaigns?page=2&per_page=1").await;
        assert_eq!(second["campaigns"][0]["id"], id, "{backend}: {second}");
        assert_eq!(second["campaigns"].as_array().map(Vec::len), Some(1));
        app.stop().await;
    }
}
