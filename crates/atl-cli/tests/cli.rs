//! The `atl` binary as a user runs it, on SQLite and PostgreSQL: `import`, `status` and
//! `campaigns` print what they promise and a refused file writes nothing; `atl enrich`
//! runs against a standalone `atl sandbox` with latency. Ctrl-C stops it cleanly (exit 130, "resume" said), the same command
//! resumes the same campaign, and the export then holds every target with one result per
//! sub-agent in the store. On SQLite and PostgreSQL.

mod support;

use atl_testkit::bin::{atl_command, atl_sandbox, free_port};
use atl_testkit::{TempDir, TestStore, all_stores};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::start_newest_campaign;

const ATL: &str = env!("CARGO_BIN_EXE_atl");

/// Runs `test` on each backend, in a fresh directory, against one `atl sandbox` that
/// answers after `latency_ms`.
async fn with_sandbox(
    tag: &str,
    latency_ms: u64,
    test: impl AsyncFn(&'static str, &TestStore, &Path, &str),
) {
    let (_sandbox, origin) = atl_sandbox(ATL, latency_ms, None);
    for (backend, store) in all_stores().await {
        let dir = TempDir::new(&format!("cli-{tag}-{backend}"));
        test(backend, &store, dir.path(), &origin).await;
        store.cleanup().await;
    }
}

/// `atl ARGS` run in `dir` against this store and sandbox, its data under `dir/data`,
/// stderr piped.
fn atl_in(dir: &std::path::Path, db: &str, sandbox: &str, args: &[&str]) -> Command {
    let mut cmd = atl_command(ATL, dir, db, sandbox);
    cmd.args(args);
    cmd
}

/// `atl enrich targets.csv` with a small concurrency, so that a dozen targets take a few
/// seconds at the sandbox's latency and an interrupt lands mid-run.
fn enrich(dir: &std::path::Path, db: &str, sandbox: &str) -> Command {
    enrich_with(dir, db, sandbox, &[])
}

/// `atl enrich targets.csv` with extra flags.
fn enrich_with(dir: &std::path::Path, db: &str, sandbox: &str, flags: &[&str]) -> Command {
    let mut args = vec!["enrich", "targets.csv", "--concurrency", "3"];
    args.extend_from_slice(flags);
    let mut cmd = atl_in(dir, db, sandbox, &args);
    cmd.stdout(Stdio::piped());
    cmd
}

/// Runs `cmd` to its end, which must be a success; its stderr.
fn succeeded(cmd: &mut Command, backend: &str) -> String {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{backend}: {err}");
    err
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_cleanly_and_the_same_command_resumes() {
    with_sandbox("enrich", 250, async |backend, store, dir, origin| {
        let mut csv = String::from("Company,First Name,Last Name,Email,Website\n");
        for i in 0..12 {
            csv.push_str(&format!(
                "Company {i},Jo,Smith{i},jo{i}@c{i}.example,https://c{i}.example\n"
            ));
        }
        std::fs::write(dir.join("targets.csv"), &csv).unwrap();

        // First run: interrupted once the campaign has made some progress.
        let mut first = enrich(dir, store.url(), origin).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        signal(&first, "-INT");
        let err = stderr_of(&mut first);
        let status = first.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{backend}: {err}");
        assert!(
            err.contains("sandbox"),
            "{backend}: says it runs on the sandbox: {err}"
        );
        assert!(
            err.contains("resume"),
            "{backend}: says how to resume: {err}"
        );
        assert!(
            !dir.join("targets.enriched.csv").exists(),
            "{backend}: no export yet"
        );
        let campaigns = store.list_campaigns(None, 10, 0).await.unwrap();
        assert_eq!(campaigns.len(), 1, "{backend}");
        let id = campaigns[0].id;
        let progress = store.campaign_progress(id).await.unwrap();
        assert!(
            progress.jobs.pending > 0,
            "{backend}: the interrupt came before the end: {progress:?}"
        );
        assert_eq!(
            progress.jobs.running, 0,
            "{backend}: no lease left behind: {progress:?}"
        );

        // Same command again: resumes the same campaign and finishes.
        let mut second = enrich(dir, store.url(), origin).spawn().unwrap();
        let err = stderr_of(&mut second);
        assert!(second.wait().unwrap().success(), "{backend}: {err}");
        assert!(
            err.contains(&format!("resuming campaign {id}")),
            "{backend}: {err}"
        );
        // A sandbox run's cost is what real providers would charge, and says so.
        assert!(
            err.contains("at real providers' prices (sandbox: nothing was charged)"),
            "{backend}: {err}"
        );
        assert_eq!(
            store.list_campaigns(None, 10, 0).await.unwrap().len(),
            1,
            "{backend}"
        );

        let mut reader = csv::Reader::from_path(dir.join("targets.enriched.csv")).unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 12, "{backend}");
        for t in store.list_targets(id, None, 100, 0).await.unwrap() {
            assert_eq!(
                store.results_for_target(t.id).await.unwrap().len(),
                4,
                "{backend}: exactly one result per sub-agent for {}",
                t.company_name
            );
        }
    })
    .await;
}

fn atl(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(ATL)
        .args(args)
        .env("ATL_DATABASE_URL", db)
        .env_remove("ATL_SANDBOX_URL")
        .output()
        .unwrap()
}

fn testdata(path: &str) -> String {
    format!("{}/../../testdata/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_status_and_campaigns_print_what_they_promise() {
    for (backend, store) in all_stores().await {
        let db = store.url();
        let linkedin = testdata("crm-headers/linkedin_connections_export_format_sample.csv");
        let out = atl(db, &["import", &linkedin, "--name", "LinkedIn export"]);
        assert!(
            out.status.success(),
            "{backend}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let id = summary["campaign_id"].as_i64().unwrap();
        assert_eq!(summary["total_targets"], 7, "{backend}: {summary}");
        assert_eq!(summary["status"], "pending");
        assert_eq!(summary["rows_rejected"], 0);
        assert_eq!(summary["duplicates_merged"], 0);
        assert_eq!(summary["encoding"], "UTF-8");

        // The status view: `campaign_id`, `status`, the `progress` block, the same view the
        // API serves.
        let out = atl(db, &["status", &id.to_string(), "--json"]);
        assert!(out.status.success(), "{backend}");
        let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(status["campaign_id"], id);
        assert_eq!(status["status"], "pending");
        assert_eq!(
            status["progress"]["total_targets"], 7,
            "{backend}: {status}"
        );
        assert_eq!(status["progress"]["pending"], 7);
        assert_eq!(status["progress"]["percent_complete"], 0.0);
        assert_eq!(status["total_cost_usd"], 0.0);
        assert!(status["estimated_completion"].is_null());
        let text = atl(db, &["status", &id.to_string()]);
        assert!(String::from_utf8_lossy(&text.stdout).contains("7 total, 7 pending"));

        let out = atl(db, &["campaigns"]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("LinkedIn export"),
            "{backend}"
        );

        // A file with no company column: refused, headers named, nothing written.
        let cities = testdata("parser/rust-csv/smallpop.csv");
        let out = atl(db, &["import", &cities]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{backend}: {err}");
        assert!(
            err.contains("population") && err.contains("nothing was imported"),
            "{err}"
        );
        assert_eq!(
            store.list_campaigns(None, 10, 0).await.unwrap().len(),
            1,
            "{backend}"
        );

        let out = atl(db, &["status", "999999"]);
        assert_eq!(out.status.code(), Some(2), "{backend}: an unknown campaign");
        store.cleanup().await;
    }
}

fn spawn_atl(db: &str, sandbox: &str, dir: &std::path::Path, args: &[&str]) -> Child {
    atl_in(dir, db, sandbox, args)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits (up to 30 s) until some job of the campaign is running.
async fn wait_for_a_running_job(store: &atl_store::Store, id: i64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.campaign_progress(id).await.unwrap().jobs.running == 0 {
        assert!(Instant::now() < deadline, "{what} took no job");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends `child` a signal (`-INT`, `-TERM`) the way a terminal or a process manager does.
fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

fn terminate(child: &mut Child) -> (std::process::ExitStatus, String) {
    signal(child, "-TERM");
    let err = stderr_of(child);
    (child.wait().unwrap(), err)
}

/// SIGTERMs `child`, which must exit 0 saying `says` and leave no job of campaign `id`
/// running; the campaign's progress then.
async fn stop_cleanly(
    child: &mut Child,
    says: &str,
    store: &atl_store::Store,
    id: i64,
    backend: &str,
) -> atl_store::Progress {
    let (status, err) = terminate(child);
    assert!(status.success(), "{backend}: {status:?} {err}");
    assert!(err.contains(says), "{backend}: {err}");
    let progress = store.campaign_progress(id).await.unwrap();
    assert_eq!(progress.jobs.running, 0, "{backend}: {progress:?}");
    progress
}

/// What a process manager does to stop `atl worker` and `atl serve`: SIGTERM. Both stop
/// on their own (exit 0), and no job stays leased to a process that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_worker_and_serve_without_leaving_leases() {
    with_sandbox("term", 250, async |backend, store, dir, origin| {
        let out = atl(
            store.url(),
            &[
                "import",
                &testdata("companies/fortune1000_2021.target_list.csv"),
            ],
        );
        assert!(out.status.success(), "{backend}: {out:?}");
        let id = start_newest_campaign(store).await;

        let mut worker = spawn_atl(store.url(), origin, dir, &["worker"]);
        wait_for_a_running_job(store, id, &format!("{backend}: the worker")).await;
        let progress = stop_cleanly(&mut worker, "worker stopped", store, id, backend).await;
        assert!(
            progress.jobs.pending > 0,
            "{backend}: stopped early: {progress:?}"
        );

        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut serve = spawn_atl(store.url(), origin, dir, &["serve", "--addr", &addr]);
        wait_for_a_running_job(store, id, &format!("{backend}: the server")).await;
        assert!(std::net::TcpStream::connect(&addr).is_ok(), "{backend}");
        stop_cleanly(&mut serve, "shutting down", store, id, backend).await;
        assert!(
            std::net::TcpStream::connect(&addr).is_err(),
            "{backend}: the port is closed"
        );
    })
    .await;
}

/// `atl serve` on a database that never had a key makes one for team `default` and prints
/// it once (stdout); the next start prints none. `--no-auth` listens on loopback only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_a_key_on_first_start_and_no_auth_stays_on_loopback() {
    with_sandbox("first", 0, async |backend, store, dir, origin| {
        let mut printed = Vec::new();
        for _ in 0..2 {
            let addr = format!("127.0.0.1:{}", free_port());
            let mut serve = atl_in(dir, store.url(), origin, &["serve", "--addr", &addr])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            while std::net::TcpStream::connect(&addr).is_err() {
                assert!(Instant::now() < deadline, "{backend}: serve did not listen");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let (status, err) = terminate(&mut serve);
            assert!(status.success(), "{backend}: {status:?} {err}");
            let mut out = String::new();
            serve
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            printed.push((out, err));
        }
        let (first, err) = &printed[0];
        let key = first.trim();
        assert!(
            key.starts_with("atl_"),
            "{backend}: stdout is the key: {first:?}"
        );
        assert!(err.contains("first start"), "{backend}: {err}");
        assert!(
            !err.contains(key),
            "{backend}: the key is printed once, on stdout only"
        );
        let owner = store
            .authenticate_api_key(key)
            .await
            .unwrap()
            .expect("a working key");
        assert_eq!(
            owner.team_id,
            store.team_id(atl_domain::DEFAULT_TEAM).await.unwrap(),
            "{backend}"
        );
        assert_eq!(printed[1].0, "", "{backend}: the second start makes no key");

        let public = format!("0.0.0.0:{}", free_port());
        let out = atl_in(
            dir,
            store.url(),
            origin,
            &["serve", "--no-auth", "--addr", &public],
        )
        .output()
        .unwrap();
        assert!(
            !out.status.success(),
            "{backend}: --no-auth on 0.0.0.0 is refused"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("loopback"), "{backend}: {err}");
    })
    .await;
}

/// `atl keys create` prints a key once (stdout, nothing else there); the store keeps only
/// its hash; `keys list` never shows it; `keys revoke` switches it off.
#[tokio::test]
async fn keys_are_printed_once_stored_hashed_and_revocable() {
    for (backend, store) in all_stores().await {
        let out = atl(store.url(), &["keys", "create", "--team", "acme"]);
        assert!(out.status.success(), "{backend}: {out:?}");
        let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(
            key.starts_with(atl_store::API_KEY_PREFIX),
            "{backend}: {key}"
        );
        let note = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            !note.contains(&key),
            "{backend}: the key is printed once: {note}"
        );
        let owner = store.authenticate_api_key(&key).await.unwrap().unwrap();
        assert_eq!(
            owner.team_id,
            store.team_id("acme").await.unwrap(),
            "{backend}"
        );

        let list = atl(store.url(), &["keys", "list"]);
        assert!(list.status.success(), "{backend}: {list:?}");
        let listed = String::from_utf8(list.stdout).unwrap();
        assert!(!listed.contains(&key), "{backend}: {listed}");
        let secret = &key[atl_store::API_KEY_PREFIX.len()..];
        assert!(!listed.contains(secret), "{backend}: {listed}");
        let infos = store.list_api_keys(None).await.unwrap();
        assert_eq!(infos.len(), 1, "{backend}");
        let stored = serde_json::to_string(&infos).unwrap();
        assert!(
            !stored.contains(secret),
            "{backend}: only the hash is kept: {stored}"
        );

        let prefix = listed
            .lines()
            .find_map(|l| l.trim().strip_prefix("\"prefix\": \""))
            .and_then(|p| p.split('"').next())
            .unwrap_or_else(|| panic!("{backend}: a prefix in {listed}"))
            .to_string();
        let revoked = atl(store.url(), &["keys", "revoke", &prefix]);
        assert!(revoked.status.success(), "{backend}: {revoked:?}");
        assert!(
            store.authenticate_api_key(&key).await.unwrap().is_none(),
            "{backend}"
        );
        let again = atl(store.url(), &["keys", "revoke", &prefix]);
        assert_eq!(
            again.status.code(),
            Some(2),
            "{backend}: nothing left to revoke"
        );
        store.cleanup().await;
    }
}

/// One HTTP/1.1 request to the sandbox's control routes; returns the body.
fn http(origin: &str, method: &str, path: &str, body: &str) -> String {
    use std::io::Write;
    let addr = origin.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// Requests the sandbox has served so far.
fn sandbox_requests(origin: &str) -> u64 {
    let body = http(origin, "GET", "/_sandbox/stats", "");
    let v: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["total"].as_u64().unwrap()
}

fn six_targets(dir: &std::path::Path) {
    let mut csv = String::from("Company,First Name,Last Name,Email,Website\n");
    for i in 0..6 {
        csv.push_str(&format!(
            "Company {i},Jo,Smith{i},jo{i}@c{i}.example,https://c{i}.example\n"
        ));
    }
    std::fs::write(dir.join("targets.csv"), &csv).unwrap();
}

/// With the TTS provider out of credits (a final error), every target is partial: the
/// final line of `atl enrich`, `atl status` (text and JSON, the API's view), `atl
/// campaigns` and the export all say so. A second `atl enrich` of the same file buys
/// nothing and exports again; `atl retry-failed` quotes, asks, and runs only the failed
/// voice jobs; with nothing left it refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_targets_on_every_surface_then_no_second_purchase_and_retry_failed() {
    let dir = TempDir::new("cli-partial");
    let faults = dir.join("faults.json");
    std::fs::write(
        &faults,
        r#"{"cartesia": {"faults": {"quota_exhausted": {"probability": 1.0}}}}"#,
    )
    .unwrap();
    let (_sandbox, origin) = atl_sandbox(ATL, 20, Some(&faults));
    for (backend, store) in all_stores().await {
        let work = dir.join(backend);
        std::fs::create_dir_all(&work).unwrap();
        six_targets(&work);
        http(
            &origin,
            "POST",
            "/_sandbox/config",
            &std::fs::read_to_string(&faults).unwrap(),
        );

        // Audio rendered in the run, so the TTS provider's refusal fails the voice jobs.
        let mut eager = enrich_with(&work, store.url(), &origin, &["--audio", "eager"]);
        let err = succeeded(&mut eager, backend);
        assert!(
            err.contains("completed: 0 completed, 6 partial, 0 failed of 6 targets"),
            "{backend}: the final line: {err}"
        );
        assert!(
            err.contains("failed sub-agents: voice 6"),
            "{backend}: {err}"
        );
        assert!(err.contains("atl retry-failed"), "{backend}: {err}");
        let id = store.list_campaigns(None, 1, 0).await.unwrap()[0].id;

        let out = atl(store.url(), &["status", &id.to_string(), "--json"]);
        let st: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(st["status"], "completed", "{backend}: {st}");
        let p = &st["progress"];
        assert_eq!(
            (
                &p["total_targets"],
                &p["completed"],
                &p["partial"],
                &p["failed"],
                &p["pending"]
            ),
            (&json(6), &json(0), &json(6), &json(0), &json(0)),
            "{backend}: {st}"
        );
        assert_eq!(p["percent_complete"], 100.0);
        assert_eq!(st["failed_by_sub_agent"]["voice"], 6, "{backend}: {st}");
        assert_eq!(st["failed_by_sub_agent"]["research"], 0);
        let reason = st["failure_reasons"]["voice"][0]["reason"]
            .as_str()
            .unwrap();
        assert!(!reason.is_empty(), "{backend}: {st}");
        assert!(st["cost_usd"]["total"].as_f64().unwrap() > 0.0);
        let text = atl(store.url(), &["status", &id.to_string()]);
        let text = String::from_utf8_lossy(&text.stdout).to_string();
        assert!(
            text.contains("0 completed, 6 partial, 0 failed"),
            "{backend}: {text}"
        );
        assert!(
            text.contains("failed sub-agents: voice 6"),
            "{backend}: {text}"
        );
        let table = atl(store.url(), &["campaigns"]);
        let table = String::from_utf8_lossy(&table.stdout).to_string();
        assert!(table.contains("PARTIAL"), "{backend}: {table}");
        let row = table
            .lines()
            .find(|l| l.trim_start().starts_with(&id.to_string()))
            .unwrap();
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(
            cols.windows(3).any(|w| w == ["0", "6", "0"]),
            "{backend}: DONE PARTIAL FAILED in {row}"
        );
        let mut reader = csv::Reader::from_path(work.join("targets.enriched.csv")).unwrap();
        let status_col = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "status")
            .unwrap();
        for row in reader.records() {
            assert_eq!(&row.unwrap()[status_col], "partial", "{backend}");
        }

        // The same file again: the finished campaign is exported again, nothing bought.
        std::fs::remove_file(work.join("targets.enriched.csv")).unwrap();
        let before = sandbox_requests(&origin);
        let err = succeeded(&mut enrich(&work, store.url(), &origin), backend);
        assert!(
            err.contains(&format!("campaign {id} for this file finished"))
                && err.contains("exported again, nothing was bought. Use --fresh to start over."),
            "{backend}: {err}"
        );
        assert_eq!(
            sandbox_requests(&origin),
            before,
            "{backend}: no provider call"
        );
        assert!(work.join("targets.enriched.csv").exists(), "{backend}");
        assert_eq!(store.list_campaigns(None, 10, 0).await.unwrap().len(), 1);

        // retry-failed: a quote, then a refusal without --yes (stdin is not a terminal).
        http(&origin, "POST", "/_sandbox/config", "{}");
        let results_before: Vec<_> = {
            let mut all = Vec::new();
            for t in store.list_targets(id, None, 100, 0).await.unwrap() {
                all.extend(store.results_for_target(t.id).await.unwrap());
            }
            all
        };
        assert_eq!(results_before.len(), 18, "{backend}");
        let mut refused = atl_in(
            &work,
            store.url(),
            &origin,
            &["retry-failed", &id.to_string()],
        );
        let out = refused.stdin(Stdio::null()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{backend}: {err}");
        assert!(
            err.contains("6 jobs on 6 targets (voice 6)"),
            "{backend}: {err}"
        );
        assert!(err.contains("--yes"), "{backend}: {err}");
        assert_eq!(
            store.retryable_jobs(id).await.unwrap().len(),
            6,
            "{backend}: nothing ran"
        );

        let before = sandbox_requests(&origin);
        let mut retry = atl_in(
            &work,
            store.url(),
            &origin,
            &["retry-failed", &id.to_string(), "--yes"],
        );
        let err = succeeded(retry.stdin(Stdio::null()), backend);
        assert!(
            err.contains("6 completed, 0 partial, 0 failed"),
            "{backend}: {err}"
        );
        let made = sandbox_requests(&origin) - before;
        assert!(
            made > 0 && made <= 6 * 4,
            "{backend}: only the voice jobs called out: {made}"
        );
        let mut results_after = Vec::new();
        for t in store.list_targets(id, None, 100, 0).await.unwrap() {
            assert_eq!(
                t.enrichment_status,
                atl_domain::TargetStatus::Completed,
                "{backend}"
            );
            results_after.extend(store.results_for_target(t.id).await.unwrap());
        }
        assert_eq!(results_after.len(), 24, "{backend}");
        assert!(
            results_before.iter().all(|r| results_after.contains(r)),
            "{backend}: completed results were not touched"
        );

        // Nothing left: a clear refusal.
        let out = atl_in(
            &work,
            store.url(),
            &origin,
            &["retry-failed", &id.to_string(), "--yes"],
        )
        .output()
        .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_ne!(out.status.code(), Some(0), "{backend}: {err}");
        assert!(
            err.contains("no failed or skipped work to retry"),
            "{backend}: {err}"
        );

        // --fresh starts over on purpose.
        let mut fresh = atl_in(
            &work,
            store.url(),
            &origin,
            &["enrich", "targets.csv", "--fresh"],
        );
        let out = fresh.output().unwrap();
        assert!(
            out.status.success(),
            "{backend}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            store.list_campaigns(None, 10, 0).await.unwrap().len(),
            2,
            "{backend}"
        );
        store.cleanup().await;
    }
}

fn json(n: i64) -> serde_json::Value {
    serde_json::json!(n)
}

/// A SIGKILLed `atl enrich` leaves leases behind; running the same command again takes
/// them back without waiting out the 60 s leases (SQLite: at once, no other process can
/// hold them; PostgreSQL: once the dead worker's heartbeat is ten seconds old).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_enrich_resumes_in_seconds() {
    with_sandbox("kill", 300, async |backend, store, dir, origin| {
        six_targets(dir);
        // The kill must land while a job is leased. Jobs of one wave end within moments of
        // each other, so a kill can fall between two waves and leave nothing to take back;
        // then the same file is enriched again (it resumes the same campaign) and killed
        // again.
        let mut kills = 0;
        let (id, orphans) = loop {
            let mut first = enrich(dir, store.url(), origin).spawn().unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            let id = loop {
                if let Some(c) = store.list_campaigns(None, 1, 0).await.unwrap().first() {
                    let p = store.campaign_progress(c.id).await.unwrap();
                    if p.jobs.running > 0 && p.jobs.completed > 0 {
                        break c.id;
                    }
                }
                assert!(
                    Instant::now() < deadline,
                    "{backend}: the first run took no job"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            first.kill().unwrap(); // SIGKILL
            first.wait().unwrap();
            let orphans: Vec<i64> = store
                .list_jobs(id, 100, 0)
                .await
                .unwrap()
                .iter()
                .filter(|j| j.status == atl_domain::JobStatus::Running)
                .map(|j| j.id)
                .collect();
            kills += 1;
            if !orphans.is_empty() || kills == 5 {
                break (id, orphans);
            }
        };
        assert!(!orphans.is_empty(), "{backend}: {kills} kills left no job running");

        let restarted = Instant::now();
        let mut second = enrich(dir, store.url(), origin).spawn().unwrap();
        let mut first_claim = None;
        let mut orphans_back = None;
        let deadline = Instant::now() + Duration::from_secs(60);
        while orphans_back.is_none() {
            let jobs = store.list_jobs(id, 100, 0).await.unwrap();
            if first_claim.is_none()
                && jobs.iter().any(|j| {
                    j.runs > 1
                        || (j.status == atl_domain::JobStatus::Running && !orphans.contains(&j.id))
                })
            {
                first_claim = Some(restarted.elapsed());
            }
            if jobs
                .iter()
                .filter(|j| orphans.contains(&j.id))
                .all(|j| j.runs > 1 || j.status != atl_domain::JobStatus::Running)
            {
                orphans_back = Some(restarted.elapsed());
            }
            assert!(
                Instant::now() < deadline,
                "{backend}: the orphaned leases were never taken back"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let err = stderr_of(&mut second);
        assert!(second.wait().unwrap().success(), "{backend}: {err}");
        let done = restarted.elapsed();
        let (first_claim, orphans_back) = (
            first_claim.unwrap_or(orphans_back.unwrap()),
            orphans_back.unwrap(),
        );
        eprintln!(
            "{backend}: restart → first claim {first_claim:?}, orphaned leases back {orphans_back:?}, done {done:?}"
        );
        // SQLite: at once. PostgreSQL: once the killed worker's heartbeat is ten seconds
        // old (when every claimable job was one of its leases, that is the first claim).
        let bound = Duration::from_secs(if backend == "sqlite" { 5 } else { 20 });
        assert!(first_claim < bound, "{backend}: {first_claim:?}");
        assert!(orphans_back < bound, "{backend}: {orphans_back:?}");
        for t in store.list_targets(id, None, 100, 0).await.unwrap() {
            assert_eq!(
                store.results_for_target(t.id).await.unwrap().len(),
                4,
                "{backend}"
            );
        }
    })
    .await;
}
