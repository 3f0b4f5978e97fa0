//! Leases trust the database's clock, not a worker's: an `atl worker` started under
//! `faketime` with its clock 90 s ahead (longer than a lease) shares a campaign with a
//! normal worker on one PostgreSQL and steals nothing — every job runs once — and
//! writes no file over another's: each voice result's audio is the one its own run wrote.
//! (SQLite is one process and its own clock: nothing to test there.)

use atl_testkit::all_stores;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ATL: &str = env!("CARGO_BIN_EXE_atl");

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn faketime() -> Option<&'static str> {
    ["/usr/bin/faketime", "/usr/local/bin/faketime"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_clock_runs_90_s_ahead_steals_no_lease_and_overwrites_no_file() {
    let Some(faketime) = faketime() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs faketime (scripts/setup.sh)"
        );
        eprintln!("SKIPPED: faketime is not installed (scripts/setup.sh installs it)");
        return;
    };
    let port = free_port();
    let _sandbox = Killed(
        Command::new(ATL)
            .args([
                "sandbox",
                "--port",
                &port.to_string(),
                "--latency-ms",
                "300",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let origin = format!("http://127.0.0.1:{port}");
    for (backend, store) in all_stores().await {
        if backend != "postgres" {
            continue;
        }
        let dir = std::env::temp_dir().join(format!("atl-cli-clock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let list = format!(
            "{}/../../testdata/companies/fortune1000_2021.target_list.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(list).unwrap();
        let slice: String = text.lines().take(31).collect::<Vec<_>>().join("\n");
        std::fs::write(dir.join("targets.csv"), slice).unwrap();
        let atl = |program: &str, pre: &[&str], args: &[&str]| {
            let mut c = Command::new(program);
            c.args(pre)
                .args(args)
                .current_dir(&dir)
                .env("ATL_DATABASE_URL", store.url())
                .env("ATL_SANDBOX_URL", &origin)
                .env("ATL_DATA_DIR", dir.join("data"))
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            c
        };
        let out = atl(ATL, &[], &["import", "targets.csv", "--audio", "eager"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let id = store.list_campaigns(None, 1, 0).await.unwrap()[0].id;
        store
            .start_campaign(id, atl_domain::SubAgentKind::ALL, 3)
            .await
            .unwrap();

        let normal = Killed(
            atl(ATL, &[], &["worker", "--concurrency", "4"])
                .spawn()
                .unwrap(),
        );
        let ahead = Killed(
            atl(
                faketime,
                &["-f", "+90s", ATL],
                &["worker", "--concurrency", "4"],
            )
            .spawn()
            .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let c = store.get_campaign(None, id).await.unwrap().unwrap();
            if c.status.is_final() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the campaign did not finish: {:?}",
                store.campaign_progress(id).await.unwrap()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        drop(normal);
        drop(ahead);

        let jobs = store.list_jobs(id, 1000, 0).await.unwrap();
        assert_eq!(jobs.len(), 120);
        for j in &jobs {
            assert_eq!(j.status, atl_domain::JobStatus::Completed, "{j:?}");
            assert_eq!(j.runs, 1, "no job ran twice: {j:?}");
        }
        let owners: std::collections::HashSet<String> =
            jobs.iter().filter_map(|j| j.lease_owner.clone()).collect();
        // faketime runs the worker as a child of its own, so count owners, not pids.
        assert_eq!(owners.len(), 2, "both workers did work: {owners:?}");

        // Each voice result names the file its own run wrote, and that file is whole.
        let audio_dir = dir.join("data").join("audio");
        let files: Vec<String> = std::fs::read_dir(&audio_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        assert!(
            !files.iter().any(|f| f.contains(".tmp")),
            "no run's file left half-placed: {files:?}"
        );
        assert_eq!(files.len(), 30, "one audio file per target: {files:?}");
        let _ = std::fs::remove_dir_all(&dir);
        store.cleanup().await;
    }
}
