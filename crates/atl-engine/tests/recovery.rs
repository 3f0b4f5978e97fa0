//! Outages, money, clocks and cut commits, with fake agents, on SQLite and PostgreSQL:
//! an outage that ends completes every job; one that does not fails with the reason after
//! the patience and leaves the targets partial; every run's spend is in the campaign's
//! cost; a budget holds against a large input; a worker whose clock is 90 s ahead steals
//! nothing; a paused worker's file never replaces a committed one; a commit cut by the
//! database dropping its connections is retried with the same lease.

mod kit;

use atl_agents::RetryPolicy;
use atl_domain::{CampaignStatus, JobStatus, SubAgentKind, TargetStatus};
use atl_engine::{AgentRegistry, Clock, Coordinator, StopReason};
use atl_testkit::{TempDir, seed};
use kit::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn llm(kind: SubAgentKind) -> bool {
    kind != SubAgentKind::Enrichment
}

#[test]
fn an_outage_that_ends_completes_every_job_and_fails_none() {
    on_each_backend(async |backend, store, log| {
        let c = campaign(&store, 12, None).await;
        let until = Instant::now() + Duration::from_secs(2);
        let fakes = Fakes {
            script: Arc::new(move |_, _| {
                if Instant::now() < until {
                    Act::Unavailable {
                        spent: 0,
                        wait_ms: 300,
                    }
                } else {
                    Act::Ok
                }
            }),
            // One attempt only: an outage must not use it up.
            policy: RetryPolicy {
                max_attempts: 1,
                patience: Duration::from_secs(30),
                ..RetryPolicy::default()
            },
            ..Fakes::default()
        };
        let coord = coordinator(&store, &fakes, &log, config(16));
        let summary = run_to_end(&coord, c).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        assert_eq!((summary.completed, summary.failed), (48, 0), "{backend}");
        assert!(summary.waited > 0, "{backend}: the outage was waited out");
        let camp = seed::campaign_row(&store, c).await;
        assert_eq!(
            (camp.status, camp.enriched_count, camp.partial_count),
            (CampaignStatus::Completed, 12, 0),
            "{backend}"
        );
        for j in store.list_jobs(c, 100, 0).await.unwrap() {
            assert_eq!(
                (j.status, j.attempts),
                (JobStatus::Completed, 1),
                "{backend}"
            );
            assert!(j.waiting_since.is_none());
        }
        // The waits were spread: not every retry of the outage came back in one instant.
        let runs = log.runs.lock().unwrap().clone();
        let mut late_starts: Vec<u128> = runs
            .iter()
            .filter(|(_, k, s, _)| *k == SubAgentKind::Research && *s >= until)
            .map(|(_, _, s, _)| s.duration_since(until).as_millis() / 50)
            .collect();
        late_starts.sort();
        late_starts.dedup();
        assert!(late_starts.len() > 1, "{backend}: {late_starts:?}");
        assert_consistent(&store, c, backend).await;
    });
}

#[test]
fn an_outage_that_never_ends_fails_with_the_reason_after_patience_and_leaves_targets_partial() {
    on_each_backend(async |backend, store, log| {
        let c = campaign(&store, 5, None).await;
        let down = Fakes {
            script: Arc::new(|_, _| Act::Unavailable {
                spent: 10,
                wait_ms: 200,
            }),
            policy: RetryPolicy {
                patience: Duration::from_secs(2),
                ..RetryPolicy::default()
            },
            ..Fakes::default()
        };
        let mut r = AgentRegistry::new();
        for kind in SubAgentKind::ALL {
            let f = if llm(*kind) { &down } else { &Fakes::default() };
            r.register(f.agent(*kind, &log));
        }
        let coord = Coordinator::new(store.store(), r, config(16));
        let started = Instant::now();
        let summary = run_to_end(&coord, c).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        assert!(
            started.elapsed() >= Duration::from_secs(2),
            "{backend}: patience"
        );
        // research, intel and voice failed for good; enrichment completed everywhere.
        assert_eq!((summary.failed, summary.completed), (15, 5), "{backend}");
        let camp = seed::campaign_row(&store, c).await;
        assert_eq!(
            (
                camp.status,
                camp.enriched_count,
                camp.partial_count,
                camp.failed_count
            ),
            (CampaignStatus::Completed, 0, 5, 0),
            "{backend}: finished, every target partial"
        );
        for t in store.list_targets(c, None, 10, 0).await.unwrap() {
            assert_eq!(t.enrichment_status, TargetStatus::Partial, "{backend}");
            let missing = t.failed_sub_agents.unwrap();
            assert_eq!(missing.len(), 3, "{backend}");
            for m in missing {
                let reason = m.reason.unwrap();
                assert!(
                    reason.starts_with("fake-llm unavailable since ")
                        && reason.contains(" UTC (circuit open)"),
                    "{backend}: {reason}"
                );
            }
        }
        let failures = store.failures_by_sub_agent(c).await.unwrap();
        assert_eq!(failures[&SubAgentKind::Research].failed, 5, "{backend}");
        assert!(!failures.contains_key(&SubAgentKind::Enrichment));
        // Waiting used no attempt (only the last run, which gave up, counts one);
        // every run's spend was booked.
        for j in store.list_jobs(c, 100, 0).await.unwrap() {
            if j.status == JobStatus::Failed {
                assert_eq!(j.attempts, 1, "{backend}");
                assert!(j.runs > 2, "{backend}: it waited several times");
                assert_eq!(j.spent_nano_usd, 10 * j.runs, "{backend}");
            }
        }
        assert_consistent(&store, c, backend).await;
    });
}

#[test]
fn rate_limits_snooze_without_attempts() {
    on_each_backend(async |backend, store, log| {
        let c = campaign(&store, 4, None).await;
        let fakes = Fakes {
            script: Arc::new(|_, attempt| {
                if attempt <= 3 {
                    Act::Snooze {
                        spent: 0,
                        wait_ms: 100,
                    }
                } else {
                    Act::Ok
                }
            }),
            policy: RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
            ..Fakes::default()
        };
        let coord = coordinator(&store, &fakes, &log, config(16));
        let summary = run_to_end(&coord, c).await;
        assert_eq!((summary.completed, summary.failed), (16, 0), "{backend}");
        assert_eq!(summary.waited, 48, "{backend}: three snoozes per job");
        for j in store.list_jobs(c, 100, 0).await.unwrap() {
            assert_eq!((j.attempts, j.runs), (1, 4), "{backend}");
        }
        assert_consistent(&store, c, backend).await;
    });
}

#[test]
fn every_runs_spend_is_in_the_campaigns_cost_whatever_became_of_the_run() {
    on_each_backend(async |backend, store, _log| {
        let c = campaign(&store, 4, None).await;
        let targets = store.list_targets(c, None, 10, 0).await.unwrap();
        let (t_lost, t_fail, t_retry) = (targets[0].id, targets[1].id, targets[2].id);
        let log = Arc::new(Log::default());
        // Research only. Target 0 hangs once (its lease is lost), target 1 fails for
        // good, target 2 fails once transiently, target 3 just works.
        let fakes = Fakes {
            script: Arc::new(move |input, attempt| match input.target_id {
                t if t == t_lost && attempt == 1 => Act::Hang { spent: 70 },
                t if t == t_fail => Act::Fail { spent: 20 },
                t if t == t_retry && attempt == 1 => Act::Retry { spent: 50 },
                _ => Act::Ok,
            }),
            ..Fakes::default()
        };
        let mut cfg = config(8);
        cfg.lease = Duration::from_millis(600);
        cfg.heartbeat_every = Duration::from_millis(200);
        let r = only(&fakes, SubAgentKind::Research, &log);
        let coord = Arc::new(Coordinator::new(store.store(), r, cfg.clone()));
        let run = spawn_run(&coord, c, CancellationToken::new());
        // The hanging run keeps its lease by heartbeat: take it away from the side, as
        // another worker's claim after an expiry would, so the run learns it lost it.
        let deadline = Instant::now() + Duration::from_secs(20);
        let job_lost = loop {
            let jobs = store.list_jobs(c, 10, 0).await.unwrap();
            let running = jobs
                .iter()
                .find(|j| j.target_id == t_lost && j.status == JobStatus::Running);
            if let Some(j) = running {
                break j.id;
            }
            assert!(Instant::now() < deadline, "{backend}: never claimed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        steal_lease(&store, job_lost).await;
        let summary = run.await.unwrap().unwrap();
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        assert_eq!(summary.lease_lost, 1, "{backend}");

        // A fifth run hangs at shutdown: abandoned, its spend booked too.
        let c2 = campaign(&store, 1, None).await;
        let hang = Fakes {
            script: Arc::new(|_, _| Act::Hang { spent: 30 }),
            ..Fakes::default()
        };
        let r = only(&hang, SubAgentKind::Research, &log);
        let stopper = Coordinator::new(store.store(), r, cfg);
        let token = CancellationToken::new();
        let t2 = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            t2.cancel();
        });
        let s2 = stopper.run_campaign(c2, token).await.unwrap();
        assert_eq!(
            (s2.stop, s2.abandoned),
            (StopReason::Interrupted, 1),
            "{backend}"
        );

        let camp = seed::campaign_row(&store, c).await;
        // Results: target 0 (second run), 2 (second run), 3 → 3 × 1,000; without a
        // result: 70 (lease lost) + 20 (failed) + 50 (retried).
        assert_eq!(
            (camp.cost_nano_usd, camp.failed_spend_nano_usd),
            (3_000 + 140, 140),
            "{backend}"
        );
        let camp2 = seed::campaign_row(&store, c2).await;
        assert_eq!(camp2.cost_nano_usd, 30, "{backend}: abandoned at shutdown");
        let outcomes = store.attempt_spend_by_outcome(c).await.unwrap();
        assert_eq!(
            outcomes.get("lease_lost"),
            Some(&70),
            "{backend}: {outcomes:?}"
        );
        assert_eq!(outcomes.get("failed"), Some(&20));
        assert_eq!(outcomes.get("retrying"), Some(&50));
        assert_eq!(outcomes.get("completed"), Some(&3_000));
        assert_consistent(&store, c, backend).await;
        assert_consistent(&store, c2, backend).await;
    });
}

/// Takes a running job's lease away (as another worker's claim after an expiry would).
async fn steal_lease(store: &atl_testkit::TestStore, job_id: i64) {
    store
        .execute_raw(&format!(
            "UPDATE sub_agent_executions SET lease_token = 'someone-else' WHERE id = {job_id}"
        ))
        .await;
}

/// Files under `dir/audio` whose name says a run wrote them and nobody moved them.
fn temp_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir.join("audio"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tmp."))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_worker_whose_clock_runs_90_s_ahead_neither_steals_nor_keeps_a_lease() {
    on_each_backend(async |backend, store, honest_log| {
        let data = TempDir::new("skew");
        let skewed_log = Arc::new(Log::default());
        let honest = Fakes {
            latency_ms: (1_500, 1_500),
            writes_file: true,
            tag: "honest",
            ..Fakes::default()
        };
        let skewed = Fakes {
            writes_file: true,
            tag: "skewed",
            ..Fakes::default()
        };
        // Short leases: a worker comparing its own clock with them would see every
        // live lease as expired 89 s ago.
        let mut cfg = config(8);
        cfg.lease = Duration::from_secs(1);
        cfg.heartbeat_every = Duration::from_millis(250);
        cfg.data_dir = data.path().to_path_buf();
        let mut skewed_cfg = cfg.clone();
        skewed_cfg.clock = Clock::skewed(time::Duration::seconds(90));
        skewed_cfg.owner = format!("skewed-{}", cfg.owner);
        assert!(
            skewed_cfg.clock.now() - time::OffsetDateTime::now_utc() > time::Duration::seconds(89)
        );

        // Steal: the honest worker holds every job; the skewed one must take none.
        let c = campaign(&store, 4, None).await;
        let r = only(&honest, SubAgentKind::Research, &honest_log);
        let a = Arc::new(Coordinator::new(store.store(), r, cfg.clone()));
        let run_a = spawn_run(&a, c, CancellationToken::new());
        wait_for_running_jobs(&store, c, 4, backend).await;
        let r = only(&skewed, SubAgentKind::Research, &skewed_log);
        let b = Coordinator::new(store.store(), r, skewed_cfg.clone());
        let summary_b = run_to_end(&b, c).await;
        let summary_a = run_a.await.unwrap().unwrap();
        assert_eq!(
            skewed_log.total_runs(),
            0,
            "{backend}: the skewed worker stole a lease"
        );
        assert_eq!(
            (summary_a.completed, summary_b.completed),
            (4, 0),
            "{backend}"
        );
        assert!(summary_b.started_at - summary_a.started_at > time::Duration::seconds(80));
        for t in store.list_targets(c, None, 10, 0).await.unwrap() {
            let wav = data
                .path()
                .join("audio")
                .join(format!("target-{}.wav", t.id));
            assert_eq!(
                std::fs::read_to_string(&wav).unwrap(),
                "honest",
                "{backend}"
            );
            let jobs = store.jobs_for_target(t.id).await.unwrap();
            assert_eq!((jobs[0].attempts, jobs[0].runs), (1, 1), "{backend}");
        }
        assert!(
            temp_files(data.path()).is_empty(),
            "{backend}: {:?}",
            temp_files(data.path())
        );
        assert_consistent(&store, c, backend).await;

        // Keep: the skewed worker holds a job and stops renewing it; the honest one
        // takes it over when its lease ends by the database's clock, not 90 s later.
        let c = campaign(&store, 1, None).await;
        let stuck = Fakes {
            script: Arc::new(|_, _| Act::Hang { spent: 5 }),
            ..Fakes::default()
        };
        let r = only(&stuck, SubAgentKind::Research, &skewed_log);
        let mut hold_cfg = skewed_cfg.clone();
        hold_cfg.heartbeat_every = Duration::from_secs(3);
        // One permit, held by the stuck run: it cannot claim the job back itself.
        hold_cfg.concurrency = 1;
        let b = Arc::new(Coordinator::new(store.store(), r, hold_cfg));
        let run_b = spawn_run(&b, c, CancellationToken::new());
        wait_for_running_jobs(&store, c, 1, backend).await;
        let started = Instant::now();
        let quick = Fakes {
            tag: "honest",
            ..Fakes::default()
        };
        let r = only(&quick, SubAgentKind::Research, &honest_log);
        let a = Coordinator::new(store.store(), r, cfg);
        let summary_a = run_to_end(&a, c).await;
        assert_eq!(summary_a.completed, 1, "{backend}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{backend}: {:?}",
            started.elapsed()
        );
        let summary_b = run_b.await.unwrap().unwrap();
        assert_eq!(
            summary_b.lease_lost, 1,
            "{backend}: the skewed worker lost its lease"
        );
        assert_consistent(&store, c, backend).await;
        assert_eq!(seed::campaign_row(&store, c).await.failed_spend_nano_usd, 5);
    });
}

#[test]
fn a_paused_workers_file_never_replaces_the_committed_one() {
    on_each_backend(async |backend, store, log| {
        let data = TempDir::new("fence");
        let c = campaign(&store, 1, None).await;
        // Paused inside its call for longer than its lease, and renewing too late.
        let paused = Fakes {
            latency_ms: (1_500, 1_500),
            writes_file: true,
            tag: "paused",
            ..Fakes::default()
        };
        let mut paused_cfg = config(1);
        paused_cfg.lease = Duration::from_millis(300);
        paused_cfg.heartbeat_every = Duration::from_secs(30);
        paused_cfg.commit_patience = Duration::from_millis(300);
        paused_cfg.data_dir = data.path().to_path_buf();
        let r = only(&paused, SubAgentKind::Voice, &log);
        let p = Coordinator::new(store.store(), r, paused_cfg);
        let run_p = tokio::spawn(async move { p.run_campaign(c, CancellationToken::new()).await });
        wait_for_running_jobs(&store, c, 1, backend).await;
        let rescuer = Fakes {
            writes_file: true,
            tag: "rescuer",
            ..Fakes::default()
        };
        let mut cfg = config(4);
        cfg.data_dir = data.path().to_path_buf();
        let r = only(&rescuer, SubAgentKind::Voice, &log);
        let summary = Coordinator::new(store.store(), r, cfg)
            .run_campaign(c, CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(summary.completed, 1, "{backend}");
        let target = store.list_targets(c, None, 1, 0).await.unwrap()[0].id;
        let wav = data
            .path()
            .join("audio")
            .join(format!("target-{target}.wav"));
        assert_eq!(
            std::fs::read_to_string(&wav).unwrap(),
            "rescuer",
            "{backend}"
        );
        let late = run_p.await.unwrap().unwrap();
        assert_eq!(late.lease_lost, 1, "{backend}: its completion was refused");
        assert_eq!(
            std::fs::read_to_string(&wav).unwrap(),
            "rescuer",
            "{backend}: the late run did not touch the committed file"
        );
        assert!(
            temp_files(data.path()).is_empty(),
            "{backend}: its own file was deleted"
        );
        assert_consistent(&store, c, backend).await;
    });
}

#[test]
fn a_budget_holds_when_one_input_costs_far_more_than_a_typical_one() {
    on_each_backend(async |backend, store, log| {
        let huge = "Huge Holdings ".repeat(15);
        let names: Vec<String> = vec![
            "Co 1".into(),
            "Co 2".into(),
            huge.clone(),
            "Co 4".into(),
            "Co 5".into(),
        ];
        // A typical (empty) input is quoted 100; "Co 1" 400 and billed 300 per job;
        // the huge one is quoted 21,000 and would bill 15,750.
        let c = campaign_named(&store, &names, Some(3_000)).await;
        let fakes = Fakes {
            estimate: Estimate::PerChar(100),
            ..Fakes::default()
        };
        let coord = coordinator(&store, &fakes, &log, config(8));
        let summary = run_to_end(&coord, c).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        let p = store.campaign_progress(c).await.unwrap();
        assert!(p.budget_exhausted, "{backend}");
        assert!(
            p.cost_nano_usd <= 3_000,
            "{backend}: spent {}",
            p.cost_nano_usd
        );
        assert!(p.cost_nano_usd >= 1_200, "{backend}: some work was done");
        let targets = store.list_targets(c, None, 10, 0).await.unwrap();
        let big = targets.iter().find(|t| t.company_name == huge).unwrap();
        assert!(
            store.results_for_target(big.id).await.unwrap().is_empty(),
            "{backend}"
        );
        let big_runs: u32 = log
            .attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|((t, _), _)| *t == big.id)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(big_runs, 0, "{backend}: the huge input never ran");
        assert_consistent(&store, c, backend).await;
    });
}

#[test]
fn commits_cut_by_the_database_dropping_its_connections_are_retried_with_the_same_lease() {
    on_each_backend(async |backend, store, log| {
        let c = campaign(&store, 30, None).await;
        let fakes = Fakes {
            latency_ms: (20, 60),
            ..Fakes::default()
        };
        let mut cfg = config(8);
        cfg.commit_patience = Duration::from_secs(30);
        let coord = coordinator(&store, &fakes, &log, cfg);
        let cutting = Arc::new(AtomicBool::new(true));
        let cuts = {
            let cutting = cutting.clone();
            let store = &store;
            async move {
                let mut ended = 0;
                for _ in 0..12 {
                    if !cutting.load(Ordering::SeqCst) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    ended += store.terminate_connections().await;
                }
                ended
            }
        };
        let run = async {
            let s = coord.run_campaign(c, CancellationToken::new()).await;
            cutting.store(false, Ordering::SeqCst);
            s
        };
        let (summary, ended) = tokio::join!(run, cuts);
        let summary = summary.unwrap();
        if backend == "postgres" {
            assert!(ended > 0, "{backend}: connections were cut");
        }
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        assert_eq!(summary.failed, 0, "{backend}");
        let p = store.campaign_progress(c).await.unwrap();
        assert_eq!(
            (p.jobs.completed, p.targets.completed),
            (120, 30),
            "{backend}: {p:?}"
        );
        assert_consistent(&store, c, backend).await;
        eprintln!(
            "{backend}: {ended} connections cut; {} runs for 120 jobs, {:?}",
            log.total_runs(),
            summary.elapsed
        );
    });
}
