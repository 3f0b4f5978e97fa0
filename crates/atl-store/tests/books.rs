//! Partial targets, every run's spend, waits that use no attempt, idempotent commits, the
//! worker table, per-input reservations and the 0003 migration, on SQLite and PostgreSQL.

use atl_domain::{CampaignStatus, JobStatus, SubAgentKind, TargetStatus};
use atl_store::{
    AttemptOutcome, ClaimedJob, FailNext, FailOutcome, JobRecord, KindCosts, MissingSubAgent,
    Reservation, Store, WorkerInfo,
};
use atl_testkit::seed::{self, assert_books, campaign_row, claim, complete, fail, spent};
use atl_testkit::{all_stores, all_unmigrated_stores};
use std::time::Duration;

const RESEARCH: &[SubAgentKind] = &[SubAgentKind::Research];
const RESEARCH_AND_ENRICHMENT: &[SubAgentKind] =
    &[SubAgentKind::Research, SubAgentKind::Enrichment];

#[tokio::test]
async fn a_target_missing_a_sub_agent_is_partial_everywhere_and_retry_reopens_only_that() {
    for (backend, store) in all_stores().await {
        let c = seed::started_campaign(&store, 2, None, RESEARCH_AND_ENRICHMENT, 3).await;
        let jobs = store.claim_jobs(&claim("w", 10)).await.unwrap();
        assert_eq!(jobs.len(), 4, "{backend}");
        let t1 = jobs[0].target_id;
        for j in &jobs {
            if j.target_id == t1 && j.kind == SubAgentKind::Research {
                let out = fail(&store, j, "401 bad key", FailNext::Fail, 3).await;
                assert_eq!(out, FailOutcome::Failed, "{backend}");
            } else {
                assert!(complete(&store, j, Some(10)).await);
            }
        }
        let t = store.get_target(c, t1).await.unwrap().unwrap();
        assert_eq!(t.enrichment_status, TargetStatus::Partial, "{backend}");
        assert_eq!(
            t.failed_sub_agents,
            Some(vec![MissingSubAgent {
                sub_agent: SubAgentKind::Research,
                status: JobStatus::Failed,
                reason: Some("401 bad key".into()),
            }]),
            "{backend}"
        );
        assert_eq!(
            seed::ended(&campaign_row(&store, c).await),
            (CampaignStatus::Completed, 1, 1, 0),
            "{backend}: done, and its counts say one target is partial"
        );
        let counts = store.target_status_counts(c).await.unwrap();
        assert_eq!((counts.completed, counts.partial), (1, 1), "{backend}");
        let failures = store.failures_by_sub_agent(c).await.unwrap();
        let research = &failures[&SubAgentKind::Research];
        assert_eq!(research.failed, 1, "{backend}");
        assert_eq!(research.top_reasons, vec![("401 bad key".to_string(), 1)]);
        assert_eq!(store.retryable_jobs(c).await.unwrap().len(), 1, "{backend}");
        assert_books(&store, c, backend).await;

        // retry-failed runs only the failed job; the completed results stay as they were.
        let before = store.results_for_target(t1).await.unwrap();
        let reopened = store.retry_failed(c).await.unwrap();
        assert_eq!(
            (reopened.status, reopened.partial_count),
            (CampaignStatus::Processing, 0),
            "{backend}"
        );
        let again = store.claim_jobs(&claim("w", 10)).await.unwrap();
        assert_eq!(again.len(), 1, "{backend}: only the failed job");
        assert_eq!(
            (again[0].target_id, again[0].kind),
            (t1, SubAgentKind::Research)
        );
        assert!(complete(&store, &again[0], Some(10)).await);
        let after = store.results_for_target(t1).await.unwrap();
        assert_eq!(after.len(), 2, "{backend}");
        assert!(
            before.iter().all(|b| after.contains(b)),
            "{backend}: untouched"
        );
        let camp = campaign_row(&store, c).await;
        assert_eq!(
            (camp.status, camp.enriched_count, camp.partial_count),
            (CampaignStatus::Completed, 2, 0),
            "{backend}"
        );
        assert_eq!(
            store
                .get_target(c, t1)
                .await
                .unwrap()
                .unwrap()
                .failed_sub_agents,
            None
        );
        assert_books(&store, c, backend).await;
    }
}

#[tokio::test]
async fn every_runs_spend_is_booked_once_whoever_holds_the_lease() {
    for (backend, store) in all_stores().await {
        let c = seed::started_campaign(&store, 1, None, RESEARCH, 3).await;
        let mut r = claim("w", 1);
        r.lease = Duration::from_millis(300);
        let first = store.claim_jobs(&r).await.unwrap().remove(0);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let second = store.claim_jobs(&r).await.unwrap().remove(0);
        assert_eq!((first.run, second.run), (1, 2), "{backend}");

        // The first run lost its lease mid-way, having spent 50: booked, unfenced, once.
        let lost = spent(&first, 50);
        assert!(
            store
                .book_spend(first.job_id, AttemptOutcome::LeaseLost, &lost)
                .await
                .unwrap()
        );
        assert!(
            !store
                .book_spend(first.job_id, AttemptOutcome::LeaseLost, &lost)
                .await
                .unwrap()
        );
        // Its late completion is refused and books nothing more.
        assert!(!complete(&store, &first, Some(50)).await);

        // The second run is abandoned at shutdown having spent 7; the third completes.
        assert!(
            store
                .release_job(second.job_id, &second.lease_token, &spent(&second, 7))
                .await
                .unwrap()
        );
        let third = store.claim_jobs(&r).await.unwrap().remove(0);
        assert_eq!(
            (third.run, third.attempt),
            (3, 2),
            "{backend}: the release gave its attempt back"
        );
        assert!(complete(&store, &third, Some(20)).await);
        // A retried commit of the same run (its first answer lost) is a success, not a
        // lost lease, and writes nothing twice.
        assert!(complete(&store, &third, Some(20)).await);

        let camp = campaign_row(&store, c).await;
        assert_eq!(
            (camp.cost_nano_usd, camp.failed_spend_nano_usd),
            (77, 57),
            "{backend}: 50 lost + 7 abandoned + 20 completed"
        );
        assert_eq!(
            store
                .results_for_target(third.target_id)
                .await
                .unwrap()
                .len(),
            1
        );
        let attempts = store.attempts_for_job(first.job_id).await.unwrap();
        let outcomes: Vec<(i64, &str, i64)> = attempts
            .iter()
            .map(|a| (a.run, a.outcome.as_str(), a.spent_nano_usd))
            .collect();
        assert_eq!(
            outcomes,
            vec![
                (1, "lease_lost", 50),
                (2, "abandoned", 7),
                (3, "completed", 20)
            ],
            "{backend}"
        );
        let by_outcome = store.attempt_spend_by_outcome(c).await.unwrap();
        assert_eq!(by_outcome.values().sum::<i64>(), 77, "{backend}");
        assert_books(&store, c, backend).await;
    }
}

/// The campaign cost `cost` in all, and its counters equal its rows.
async fn assert_cost_and_books(store: &Store, c: i64, backend: &str, cost: i64) {
    assert_eq!(
        campaign_row(store, c).await.cost_nano_usd,
        cost,
        "{backend}"
    );
    assert_books(store, c, backend).await;
}

/// The one job of a campaign, once its `run_after` has come.
async fn claim_when_due(store: &Store) -> ClaimedJob {
    loop {
        let mut jobs = store.claim_jobs(&claim("w", 1)).await.unwrap();
        if !jobs.is_empty() {
            return jobs.remove(0);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Claims the campaign's one job when due (its `round`th run, still its first attempt) and
/// fails it with `next`, which must make it wait unrun; returns the claim and the job's
/// record afterwards, pending with no attempt used.
async fn wait_once(
    store: &Store,
    c: i64,
    backend: &str,
    round: u32,
    error: &str,
    next: FailNext,
    nano_usd: i64,
) -> (ClaimedJob, JobRecord) {
    let job = claim_when_due(store).await;
    assert_eq!(
        (job.attempt, job.run),
        (1, round),
        "{backend}: no attempt used"
    );
    let out = fail(store, &job, error, next, nano_usd).await;
    assert!(
        matches!(out, FailOutcome::Waiting { .. }),
        "{backend}: {out:?}"
    );
    let rec = store.list_jobs(c, 10, 0).await.unwrap().remove(0);
    assert_eq!(
        (rec.status, rec.attempts),
        (JobStatus::Pending, 0),
        "{backend}"
    );
    (job, rec)
}

#[tokio::test]
async fn a_queue_for_our_own_rate_slot_uses_no_attempt_and_starts_no_patience() {
    for (backend, store) in all_stores().await {
        let c = seed::started_campaign(&store, 1, None, RESEARCH, 1).await;
        for round in 1..=3u32 {
            let queue = FailNext::Queue {
                delay: Duration::from_millis(100),
            };
            let (job, rec) =
                wait_once(&store, c, backend, round, "rate slot 2s away", queue, 0).await;
            assert_eq!(
                job.waiting_since, None,
                "{backend}: queueing is not waiting"
            );
            assert_eq!(rec.waiting_since, None, "{backend}");
        }
        assert_books(&store, c, backend).await;
        store.cleanup().await;
    }
}

#[tokio::test]
async fn a_wait_for_a_provider_uses_no_attempt_and_remembers_since_when() {
    for (backend, store) in all_stores().await {
        let c = seed::started_campaign(&store, 1, None, RESEARCH, 1).await;
        let wait = seed::retry(Duration::from_millis(300), false);
        let mut since = None;
        for round in 1..=3u32 {
            let (job, rec) = wait_once(&store, c, backend, round, "circuit open", wait, 1).await;
            if round > 1 {
                assert_eq!(job.waiting_since, since, "{backend}: since the first wait");
                assert!(job.waiting_for >= Duration::from_millis(300), "{backend}");
            }
            // Waiting means a future run_after: an immediate claim finds nothing.
            assert!(store.claim_jobs(&claim("w", 1)).await.unwrap().is_empty());
            since = since.or(rec.waiting_since);
            assert!(since.is_some());
        }
        // A transient failure counts (one attempt allowed: it fails) and ends the wait.
        tokio::time::sleep(Duration::from_millis(350)).await;
        let job = store.claim_jobs(&claim("w", 1)).await.unwrap().remove(0);
        let out = fail(&store, &job, "503", seed::retry(Duration::ZERO, true), 1).await;
        assert_eq!(out, FailOutcome::Failed, "{backend}");
        let rec = &store.list_jobs(c, 10, 0).await.unwrap()[0];
        assert_eq!((rec.runs, rec.waiting_since), (4, None), "{backend}");
        assert_cost_and_books(&store, c, backend, 4).await;
    }
}

#[tokio::test]
async fn a_retried_failure_answers_what_its_first_commit_did() {
    for (backend, store) in all_stores().await {
        let c = seed::started_campaign(&store, 1, None, RESEARCH, 3).await;
        let job = store.claim_jobs(&claim("w", 1)).await.unwrap().remove(0);
        let next = seed::retry(Duration::from_secs(5), true);
        let first = fail(&store, &job, "503", next, 9).await;
        let again = fail(&store, &job, "503", next, 9).await;
        assert!(matches!(first, FailOutcome::Retrying { .. }), "{backend}");
        assert_eq!(
            first, again,
            "{backend}: the same answer, nothing booked twice"
        );
        assert_cost_and_books(&store, c, backend, 9).await;
    }
}

#[tokio::test]
async fn a_dead_workers_leases_are_freed_before_they_expire_and_a_stop_gives_them_back() {
    for (backend, store) in all_stores().await {
        let c = seed::started_campaign(&store, 2, None, RESEARCH, 3).await;
        let a = WorkerInfo {
            id: "worker-a".into(),
            host: "h".into(),
            pid: 1,
        };
        let b = WorkerInfo {
            id: "worker-b".into(),
            host: "h".into(),
            pid: 2,
        };
        store.register_worker(&a).await.unwrap();
        store.register_worker(&b).await.unwrap();
        let held = store
            .claim_jobs(&claim("worker-a", 1))
            .await
            .unwrap()
            .remove(0);

        // B keeps its heartbeat; A's stops. After a second A is dead to a claim that says
        // so: its 60-second lease is freed at once.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        store.worker_heartbeat(&b).await.unwrap();
        let mut r = claim("worker-b", 10);
        r.dead_worker_after = Duration::from_secs(1);
        let taken = store.claim_jobs(&r).await.unwrap();
        assert_eq!(taken.len(), 2, "{backend}: A's job and the free one");
        let again = taken.iter().find(|j| j.job_id == held.job_id).unwrap();
        assert_eq!((again.attempt, again.run), (2, 2), "{backend}");
        let workers = store.list_workers().await.unwrap();
        assert_eq!(workers.len(), 1, "{backend}: {workers:?}");
        assert_eq!(workers[0].0, "worker-b");
        // A wakes up: its write is fenced off, and its heartbeat registers it again.
        assert!(!complete(&store, &held, Some(1)).await);
        store.worker_heartbeat(&a).await.unwrap();
        assert_eq!(store.list_workers().await.unwrap().len(), 2, "{backend}");

        // B stops gracefully: the leases it still holds go back, uncounted, and its row goes.
        assert_eq!(
            store.deregister_worker("worker-b").await.unwrap(),
            2,
            "{backend}"
        );
        let p = store.campaign_progress(c).await.unwrap();
        assert_eq!((p.jobs.running, p.jobs.pending), (0, 2), "{backend}");
        let jobs = store.list_jobs(c, 10, 0).await.unwrap();
        let rec = jobs.iter().find(|j| j.id == held.job_id).unwrap();
        assert_eq!(
            rec.attempts, 1,
            "{backend}: the expired-by-death run counted, the release not"
        );
        assert_books(&store, c, backend).await;
        store.deregister_worker("worker-a").await.unwrap();
    }
}

#[tokio::test]
async fn on_sqlite_a_registering_worker_takes_back_a_gone_process_s_leases_at_once() {
    for (backend, store) in all_stores().await {
        let c = seed::started_campaign(&store, 1, None, RESEARCH, 3).await;
        // A lease held by an owner no coordinator of this process is: a crashed run's.
        let orphan = store
            .claim_jobs(&claim("crashed-run", 1))
            .await
            .unwrap()
            .remove(0);
        let me = WorkerInfo {
            id: format!("resumer-{backend}"),
            host: "h".into(),
            pid: 3,
        };
        let freed = store.register_worker(&me).await.unwrap();
        let p = store.campaign_progress(c).await.unwrap();
        if backend == "sqlite" {
            // Embedded mode: one process per file, so nobody else can hold it.
            assert_eq!(freed, 1, "{backend}");
            assert_eq!(p.jobs.pending, 1, "{backend}");
            let job = store
                .claim_jobs(&claim("resumer", 1))
                .await
                .unwrap()
                .remove(0);
            assert_eq!((job.job_id, job.attempt), (orphan.job_id, 2));
        } else {
            // Other processes may hold leases on PostgreSQL: only heartbeats decide.
            assert_eq!((freed, p.jobs.running), (0, 1), "{backend}");
        }
        store.deregister_worker(&me.id).await.unwrap();
    }
}

/// Asks to hold `nano_usd` for `job`'s own input.
async fn reserve(store: &Store, job: &ClaimedJob, nano_usd: i64) -> Reservation {
    store
        .reserve_for_input(job.job_id, &job.lease_token, nano_usd)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_budgeted_job_reserves_its_own_inputs_estimate_or_waits_unrun() {
    for (backend, store) in all_stores().await {
        let c = seed::started_campaign(&store, 2, Some(1_000), RESEARCH, 3).await;
        let mut r = claim("w", 10);
        r.estimates = KindCosts::default().with(SubAgentKind::Research, 100);
        let jobs = store.claim_jobs(&r).await.unwrap();
        assert_eq!(jobs.len(), 2, "{backend}: two typical estimates fit");
        assert!(jobs.iter().all(|j| j.budgeted));
        assert_eq!(
            reserve(&store, &jobs[0], 600).await,
            Reservation::Held,
            "{backend}"
        );
        assert_eq!(
            store.campaign_progress(c).await.unwrap().reserved_nano_usd,
            700
        );
        // 600 held + 900 for this input would cross 1,000: it goes back unrun.
        assert_eq!(
            reserve(&store, &jobs[1], 900).await,
            Reservation::OverBudget,
            "{backend}"
        );
        let p = store.campaign_progress(c).await.unwrap();
        assert_eq!((p.reserved_nano_usd, p.jobs.pending), (600, 1), "{backend}");
        // The claim now knows its estimate: not handed out while 600 is held.
        assert!(store.claim_jobs(&r).await.unwrap().is_empty(), "{backend}");
        complete(&store, &jobs[0], Some(500)).await;
        // 500 spent + 900 > 1,000 and nothing held: the budget stop.
        assert!(store.claim_jobs(&r).await.unwrap().is_empty());
        let p = store.campaign_progress(c).await.unwrap();
        assert!(p.budget_exhausted, "{backend}");
        assert_eq!(p.status, CampaignStatus::Completed);
        assert!(p.cost_nano_usd <= 1_000);
        assert_eq!(reserve(&store, &jobs[1], 1).await, Reservation::LeaseLost);
        assert_books(&store, c, backend).await;
    }
}

/// Rows written under migration 0002 (a target "completed" with a failed sub-agent, the
/// old string list of failed sub-agents) read correctly after 0003, and the SQLite table
/// rebuild keeps every result and job.
#[tokio::test]
async fn migration_0003_rewrites_old_rows_under_the_new_rules() {
    for (backend, store) in all_unmigrated_stores().await {
        store.migrate_to(2).await.unwrap();
        let at = if backend == "sqlite" {
            "'2026-01-01T00:00:00.000000Z'"
        } else {
            "'2026-01-01T00:00:00Z'"
        };
        let old_rows = [
            format!("INSERT INTO atl_teams (name, created_at) VALUES ('old', {at})"),
            format!(
                "INSERT INTO atl_campaigns (team_id, name, status, total_targets, enriched_count, \
                 cost_nano_usd, created_at, updated_at, completed_at) \
                 VALUES (1, 'old', 'completed', 2, 2, 5, {at}, {at}, {at})"
            ),
            format!(
                "INSERT INTO atl_targets (campaign_id, row_number, company_name, dedup_key, \
                 enrichment_status, failed_sub_agents, created_at, updated_at) VALUES \
                 (1, 2, 'A', 'a', 'completed', '[\"intel\"]', {at}, {at}), \
                 (1, 3, 'B', 'b', 'completed', NULL, {at}, {at})"
            ),
            format!(
                "INSERT INTO sub_agent_executions (campaign_id, target_id, sub_agent_type, status, \
                 attempts, max_attempts, run_after, last_error, spent_nano_usd, created_at, \
                 updated_at) VALUES \
                 (1, 1, 'research', 'completed', 1, 3, {at}, NULL, 0, {at}, {at}), \
                 (1, 1, 'intel', 'failed', 2, 3, {at}, '401 bad key', 5, {at}, {at}), \
                 (1, 2, 'research', 'completed', 1, 3, {at}, NULL, 0, {at}, {at}), \
                 (1, 2, 'intel', 'completed', 1, 3, {at}, NULL, 0, {at}, {at})"
            ),
            format!(
                "INSERT INTO enrichment_results (campaign_id, target_id, sub_agent_type, \
                 result_data, completed_at) VALUES (1, 1, 'research', '{{}}', {at})"
            ),
        ];
        for statement in &old_rows {
            store.execute_raw(statement).await;
        }
        store.migrate().await.unwrap();
        let targets = store.list_targets(1, None, 10, 0).await.unwrap();
        assert_eq!(
            targets[0].enrichment_status,
            TargetStatus::Partial,
            "{backend}"
        );
        assert_eq!(
            targets[0].failed_sub_agents,
            Some(vec![MissingSubAgent {
                sub_agent: SubAgentKind::Intel,
                status: JobStatus::Failed,
                reason: Some("401 bad key".into()),
            }]),
            "{backend}"
        );
        assert_eq!(targets[1].enrichment_status, TargetStatus::Completed);
        let camp = store.get_campaign(None, 1).await.unwrap().unwrap();
        assert_eq!(
            (
                camp.enriched_count,
                camp.partial_count,
                camp.failed_spend_nano_usd
            ),
            (1, 1, 5),
            "{backend}"
        );
        let jobs = store.list_jobs(1, 10, 0).await.unwrap();
        assert_eq!(jobs.len(), 4, "{backend}: the jobs survived the rebuild");
        assert!(
            jobs.iter().all(|j| j.runs == j.attempts),
            "{backend}: {jobs:?}"
        );
        let results = store.results_for_target(targets[0].id).await.unwrap();
        assert_eq!(
            results.len(),
            1,
            "{backend}: the result survived (no cascade)"
        );
        // The rebuilt table still enforces its foreign key and its new CHECK.
        let fresh = seed::campaign(&store, 1, None).await;
        assert!(store.start_campaign(fresh, RESEARCH, 1).await.is_ok());
    }
}

#[tokio::test]
async fn a_campaign_cancelled_before_it_started_has_cancelled_targets_not_completed_ones() {
    for (backend, store) in all_stores().await {
        let c = seed::campaign(&store, 3, None).await;
        let camp = store.cancel_campaign(c).await.unwrap();
        assert_eq!(
            seed::ended(&camp),
            (CampaignStatus::Cancelled, 0, 0, 0),
            "{backend}"
        );
        let counts = store.target_status_counts(c).await.unwrap();
        assert_eq!((counts.cancelled, counts.completed), (3, 0), "{backend}");
        assert_books(&store, c, backend).await;
    }
}
