//! Store behaviour, every test on SQLite and on the real PostgreSQL (see `testing`).

use atl_domain::{CampaignStatus, DEFAULT_TEAM, NewTarget, SubAgentKind, TargetStatus};
use atl_store::{
    Backend, Campaign, CampaignImport, MAX_BATCH_IDS, NewCampaign, Store, StoreError, TargetCursor,
};
use atl_testkit::{TestStore, all_stores};
use serde_json::{Value, json};

fn target(row: u64, company: &str, email: Option<&str>, extra: Value) -> NewTarget {
    NewTarget {
        row_number: row,
        company_name: company.to_string(),
        contact_email: email.map(str::to_string),
        extra: extra.to_string(),
        dedup_key: atl_domain::dedup_key(company, email, None).unwrap(),
        ..Default::default()
    }
}

fn new_campaign(team_id: i64, name: &str) -> NewCampaign {
    NewCampaign {
        team_id,
        name: name.to_string(),
        uploaded_file: Some("list.csv".into()),
        settings: json!({"seller": "Us", "pitch": "We help."}),
        budget_nano_usd: Some(5_000_000_000),
    }
}

/// The import of a new campaign `name` of `team`.
async fn begin(store: &Store, team_id: i64, name: &str) -> CampaignImport {
    store
        .begin_import(new_campaign(team_id, name))
        .await
        .unwrap()
}

/// The import of a new campaign `name` of the default team, and that team.
async fn begin_default(store: &Store, name: &str) -> (i64, CampaignImport) {
    let team = store.team_id(DEFAULT_TEAM).await.unwrap();
    (team, begin(store, team, name).await)
}

/// A committed campaign with `n` distinct targets.
async fn campaign_with(store: &Store, team_id: i64, name: &str, n: u64) -> Campaign {
    let mut import = begin(store, team_id, name).await;
    let batch: Vec<NewTarget> = (1..=n)
        .map(|i| target(i + 1, &format!("Company {i}"), None, json!({})))
        .collect();
    import.insert_targets(&batch).await.unwrap();
    import.commit(&json!({"rows": n})).await.unwrap()
}

async fn campaign_count(store: &TestStore) -> usize {
    store.list_campaigns(None, 1000, 0).await.unwrap().len()
}

/// Targets across every campaign, counted through a raw connection.
async fn total_targets_in_db(store: &TestStore) -> i64 {
    store.scalar_raw("SELECT COUNT(*) FROM atl_targets").await
}

#[tokio::test]
async fn migrating_twice_is_idempotent() {
    for (backend, store) in all_stores().await {
        store.migrate().await.unwrap();
        store.migrate().await.unwrap();
        assert_eq!(
            store.backend(),
            if backend == "sqlite" {
                Backend::Sqlite
            } else {
                Backend::Postgres
            }
        );
        store.ping().await.unwrap();
        store.cleanup().await;
    }
}

#[tokio::test]
async fn team_id_gets_or_creates() {
    for (backend, store) in all_stores().await {
        let a = store.team_id(DEFAULT_TEAM).await.unwrap();
        let again = store.team_id(DEFAULT_TEAM).await.unwrap();
        let b = store.team_id("other").await.unwrap();
        assert_eq!(a, again, "{backend}");
        assert_ne!(a, b, "{backend}");
        assert!(matches!(
            store.team_id("  ").await,
            Err(StoreError::InvalidInput(_))
        ));
        store.cleanup().await;
    }
}

#[tokio::test]
async fn import_then_commit_stores_campaign_and_targets() {
    for (backend, store) in all_stores().await {
        let (team, mut import) = begin_default(&store, "Q3 list").await;
        let id = import.campaign_id();
        let tricky = json!({
            "Région": "Île-de-France ✓",
            "__proto__": {"polluted": true},
            "emoji": "🚀 \"quoted\" \\ back",
            "empty": ""
        });
        // Out of row order on purpose: listing must sort by row_number.
        let batch = vec![
            target(3, "Zeta GmbH", Some("z@zeta.de"), json!({"n": "3"})),
            target(2, "Acme, Inc.", Some("jo@acme.com"), tricky.clone()),
            target(4, "Ünïcode Ltd", None, json!({})),
        ];
        import.insert_targets(&batch).await.unwrap();
        let campaign = import
            .commit(&json!({"accepted": 3, "rejected": []}))
            .await
            .unwrap();

        assert_eq!(campaign.id, id, "{backend}");
        assert_eq!(campaign.team_id, team);
        assert_eq!(campaign.total_targets, 3, "{backend}");
        assert_eq!(campaign.status, CampaignStatus::Pending);
        assert_eq!(campaign.settings["seller"], "Us");
        assert_eq!(
            campaign.import_report,
            Some(json!({"accepted": 3, "rejected": []}))
        );
        assert_eq!(campaign.budget_nano_usd, Some(5_000_000_000));
        assert_eq!(campaign.budget_usd(), Some(5.0));
        assert_eq!(campaign.cost_nano_usd, 0);
        assert_eq!(campaign.uploaded_file.as_deref(), Some("list.csv"));
        assert!(campaign.started_at.is_none() && campaign.completed_at.is_none());

        // What get_campaign reads back equals what commit returned (timestamps included).
        let fetched = store.get_campaign(Some(team), id).await.unwrap().unwrap();
        assert_eq!(fetched, campaign, "{backend}");
        let text = serde_json::to_value(&fetched).unwrap();
        assert!(
            time::OffsetDateTime::parse(
                text["created_at"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339
            )
            .is_ok(),
            "{backend}: {text}"
        );

        let targets = store.list_targets(id, None, 100, 0).await.unwrap();
        let rows: Vec<i64> = targets.iter().map(|t| t.row_number).collect();
        assert_eq!(rows, [2, 3, 4], "{backend}");
        let acme = &targets[0];
        assert_eq!(acme.company_name, "Acme, Inc.");
        assert_eq!(acme.contact_email.as_deref(), Some("jo@acme.com"));
        assert_eq!(
            acme.extra, tricky,
            "{backend}: extra JSON must survive intact"
        );
        assert_eq!(acme.enrichment_status, TargetStatus::Pending);
        assert_eq!(
            acme.assigned_sub_agents,
            SubAgentKind::ALL.to_vec(),
            "{backend}"
        );
        assert!(acme.failed_sub_agents.is_none() && acme.enriched_data.is_none());
        assert_eq!(acme.campaign_id, id);
        assert_eq!(targets[2].company_name, "Ünïcode Ltd");
        assert_eq!(store.count_targets(id).await.unwrap(), 3);
        let one = store.get_target(id, acme.id).await.unwrap().unwrap();
        assert_eq!(&one, acme);
        assert!(store.get_target(id + 1, acme.id).await.unwrap().is_none());

        // Paging over targets.
        let page2 = store.list_targets(id, None, 2, 2).await.unwrap();
        assert_eq!(page2.len(), 1);
        assert_eq!(page2[0].row_number, 4);
        store.cleanup().await;
    }
}

#[tokio::test]
async fn a_target_seen_again_is_merged_not_duplicated() {
    for (backend, store) in all_stores().await {
        let (_, mut import) = begin_default(&store, "merge").await;
        let mut first = target(
            2,
            "Acme Inc",
            Some("jo@acme.com"),
            json!({"Industry": "Widgets", "Notes": "first"}),
        );
        first.contact_title = Some("CTO".into());
        first.website = None;
        import
            .insert_targets(&[first.clone(), target(3, "Other", None, json!({}))])
            .await
            .unwrap();

        // Same dedup key (company spelled differently, same e-mail).
        let mut second = target(
            9,
            "ACME, Inc.",
            Some("jo@acme.com"),
            json!({"Notes": "second", "Region": "EMEA"}),
        );
        assert_eq!(second.dedup_key, first.dedup_key);
        second.contact_title = Some("Chief Technology Officer".into());
        second.website = Some("https://acme.com".into());
        second.contact_name = Some("Jo Smith".into());
        import.insert_targets(&[second]).await.unwrap();
        let campaign = import.commit(&json!({})).await.unwrap();

        assert_eq!(
            campaign.total_targets, 2,
            "{backend}: merged, not duplicated"
        );
        let targets = store.list_targets(campaign.id, None, 10, 0).await.unwrap();
        assert_eq!(targets.len(), 2, "{backend}");
        let acme = &targets[0];
        assert_eq!(
            acme.row_number, 2,
            "{backend}: the first row number is kept"
        );
        assert_eq!(
            acme.company_name, "Acme Inc",
            "{backend}: stored value kept"
        );
        assert_eq!(acme.contact_title.as_deref(), Some("CTO"), "{backend}");
        assert_eq!(
            acme.website.as_deref(),
            Some("https://acme.com"),
            "{backend}: blank filled"
        );
        assert_eq!(acme.contact_name.as_deref(), Some("Jo Smith"), "{backend}");
        assert_eq!(
            acme.extra,
            json!({"Industry": "Widgets", "Notes": "first", "Region": "EMEA"}),
            "{backend}: extra keys union, stored side wins"
        );
        store.cleanup().await;
    }
}

#[tokio::test]
async fn large_batches_cross_chunk_boundaries_without_shifting_columns() {
    // 1,300 = 512 + 512 + 256 + 16 + 4 on SQLite: every chunk size path, and binding order
    // errors would show up as values landing in the wrong row or column.
    let n = 1_300u64;
    let batch: Vec<NewTarget> = (1..=n)
        .map(|i| {
            let mut t = target(
                i + 1,
                &format!("Co {i}"),
                Some(&format!("p{i}@co{i}.com")),
                json!({"i": i.to_string()}),
            );
            t.contact_title = (i % 3 == 0).then(|| format!("Title {i}"));
            t.domain = Some(format!("co{i}.com"));
            t
        })
        .collect();
    for (backend, store) in all_stores().await {
        let (_, mut import) = begin_default(&store, "big").await;
        import.insert_targets(&batch).await.unwrap();
        // Second batch re-sends every 100th target with a new extra key: merged in place.
        let again: Vec<NewTarget> = batch
            .iter()
            .step_by(100)
            .map(|t| NewTarget {
                extra: json!({"again": "yes"}).to_string(),
                ..t.clone()
            })
            .collect();
        import.insert_targets(&again).await.unwrap();
        let campaign = import.commit(&json!({})).await.unwrap();
        assert_eq!(campaign.total_targets, n as i64, "{backend}");

        let stored = store
            .list_targets(campaign.id, None, 2_000, 0)
            .await
            .unwrap();
        assert_eq!(stored.len(), n as usize, "{backend}");
        for (t, s) in batch.iter().zip(&stored) {
            assert_eq!(s.row_number, t.row_number as i64, "{backend}");
            assert_eq!(s.company_name, t.company_name, "{backend}");
            assert_eq!(s.contact_email, t.contact_email, "{backend}");
            assert_eq!(s.contact_title, t.contact_title, "{backend}");
            assert_eq!(s.domain, t.domain, "{backend}");
            assert_eq!(s.dedup_key, t.dedup_key, "{backend}");
            assert_eq!(
                s.extra["i"],
                json!((t.row_number - 1).to_string()),
                "{backend}"
            );
        }
        assert_eq!(stored[0].extra["again"], "yes", "{backend}");
        assert_eq!(stored[1].extra.get("again"), None, "{backend}");
        store.cleanup().await;
    }
}

#[tokio::test]
async fn a_batch_with_a_repeated_key_is_refused_and_the_import_survives() {
    for (backend, store) in all_stores().await {
        let (_, mut import) = begin_default(&store, "dups").await;
        let a = target(2, "Acme", Some("a@acme.com"), json!({}));
        let err = import
            .insert_targets(&[a.clone(), a.clone()])
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidInput(_)),
            "{backend}: {err}"
        );
        // Nothing was sent, so the transaction is still good on both backends.
        import.insert_targets(&[a]).await.unwrap();
        let campaign = import.commit(&json!({})).await.unwrap();
        assert_eq!(campaign.total_targets, 1, "{backend}");
        store.cleanup().await;
    }
}

#[tokio::test]
async fn invalid_extra_json_is_rejected_by_the_database() {
    for (backend, store) in all_stores().await {
        let (team, mut import) = begin_default(&store, "bad").await;
        let mut bad = target(2, "Acme", None, json!({}));
        bad.extra = "[1, 2".into();
        assert!(import.insert_targets(&[bad]).await.is_err(), "{backend}");
        let mut not_object = target(2, "Acme", None, json!({}));
        not_object.extra = "[1, 2]".into();
        drop(import);
        let mut import = begin(&store, team, "bad2").await;
        assert!(
            import.insert_targets(&[not_object]).await.is_err(),
            "{backend}"
        );
        drop(import);
        assert_eq!(campaign_count(&store).await, 0, "{backend}");
        store.cleanup().await;
    }
}

#[tokio::test]
async fn rollback_and_drop_leave_nothing_behind() {
    for (backend, store) in all_stores().await {
        let (team, mut import) = begin_default(&store, "rolled back").await;
        import
            .insert_targets(&[target(2, "Rolled Co", None, json!({}))])
            .await
            .unwrap();
        import.rollback().await.unwrap();

        let mut import = begin(&store, team, "dropped").await;
        import
            .insert_targets(&[target(2, "Dropped Co", None, json!({}))])
            .await
            .unwrap();
        drop(import);

        // The store is still usable for writes afterwards (the SQLite write lock was released).
        // Ids are not compared: SQLite hands a rolled-back id out again, PostgreSQL does not.
        let kept = campaign_with(&store, team, "kept", 1).await;

        let all = store.list_campaigns(None, 100, 0).await.unwrap();
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["kept"], "{backend}");
        let targets = store.list_targets(kept.id, None, 100, 0).await.unwrap();
        let companies: Vec<&str> = targets.iter().map(|t| t.company_name.as_str()).collect();
        assert_eq!(companies, ["Company 1"], "{backend}");
        assert_eq!(total_targets_in_db(&store).await, 1, "{backend}");
        assert_eq!(store.count_targets(kept.id).await.unwrap(), 1);
        store.cleanup().await;
    }
}

#[tokio::test]
async fn campaigns_list_newest_first_with_paging_and_team_isolation() {
    for (backend, store) in all_stores().await {
        let a = store.team_id("team-a").await.unwrap();
        let b = store.team_id("team-b").await.unwrap();
        let a1 = campaign_with(&store, a, "a1", 1).await;
        let b1 = campaign_with(&store, b, "b1", 1).await;
        let a2 = campaign_with(&store, a, "a2", 0).await;
        let a3 = campaign_with(&store, a, "a3", 2).await;

        let names = |cs: Vec<Campaign>| cs.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(
            names(store.list_campaigns(Some(a), 10, 0).await.unwrap()),
            ["a3", "a2", "a1"],
            "{backend}"
        );
        assert_eq!(
            names(store.list_campaigns(Some(a), 2, 1).await.unwrap()),
            ["a2", "a1"]
        );
        assert_eq!(
            names(store.list_campaigns(Some(a), 2, 3).await.unwrap()),
            Vec::<String>::new()
        );
        assert_eq!(
            names(store.list_campaigns(Some(b), 10, 0).await.unwrap()),
            ["b1"]
        );
        assert_eq!(
            names(store.list_campaigns(None, 10, 0).await.unwrap()),
            ["a3", "a2", "b1", "a1"],
            "{backend}"
        );

        // Team B cannot see (or delete) team A's campaign; A and the admin view can.
        assert!(
            store.get_campaign(Some(b), a1.id).await.unwrap().is_none(),
            "{backend}"
        );
        assert!(store.get_campaign(Some(a), a1.id).await.unwrap().is_some());
        assert!(store.get_campaign(None, b1.id).await.unwrap().is_some());
        assert!(
            !store.delete_campaign(Some(b), a3.id).await.unwrap(),
            "{backend}"
        );

        // Deleting cascades to targets.
        assert!(store.delete_campaign(Some(a), a3.id).await.unwrap());
        assert_eq!(store.count_targets(a3.id).await.unwrap(), 0, "{backend}");
        assert!(store.get_campaign(None, a3.id).await.unwrap().is_none());
        assert_eq!(a2.total_targets, 0);
        store.cleanup().await;
    }
}

#[tokio::test]
async fn target_status_counts_group_by_status() {
    for (backend, store) in all_stores().await {
        let team = store.team_id(DEFAULT_TEAM).await.unwrap();
        let c = campaign_with(&store, team, "counts", 5).await;
        let other = campaign_with(&store, team, "other", 2).await;
        let counts = store.target_status_counts(c.id).await.unwrap();
        assert_eq!((counts.pending, counts.total), (5, 5), "{backend}");

        // No status-changing API exists yet: move rows with raw SQL through a test-only pool.
        set_status(&store, c.id, "completed", 2).await;
        set_status(&store, c.id, "failed", 1).await;
        let counts = store.target_status_counts(c.id).await.unwrap();
        assert_eq!(
            (
                counts.pending,
                counts.processing,
                counts.completed,
                counts.failed,
                counts.cancelled
            ),
            (2, 0, 2, 1, 0),
            "{backend}"
        );
        assert_eq!(counts.total, 5);
        let failed = store
            .list_targets(c.id, Some(TargetStatus::Failed), 10, 0)
            .await
            .unwrap();
        assert_eq!(failed.len(), 1, "{backend}");
        assert_eq!(failed[0].enrichment_status, TargetStatus::Failed);
        assert_eq!(store.target_status_counts(other.id).await.unwrap().total, 2);
        assert_eq!(store.target_status_counts(-1).await.unwrap().total, 0);
        store.cleanup().await;
    }
}

/// Sets `status` on the first `n` targets (by row) of a campaign, via a raw connection to
/// the same database. Returns the raw result so the CHECK test can inspect failures.
async fn try_set_status(
    store: &TestStore,
    campaign: i64,
    status: &str,
    n: i64,
) -> Result<(), String> {
    let sql = "UPDATE atl_targets SET enrichment_status = $1 WHERE id IN \
               (SELECT id FROM atl_targets WHERE campaign_id = $2 AND enrichment_status = 'pending' \
               ORDER BY row_number LIMIT $3)";
    raw_execute(store, sql, status, campaign, n).await
}

async fn set_status(store: &TestStore, campaign: i64, status: &str, n: i64) {
    try_set_status(store, campaign, status, n).await.unwrap();
}

async fn raw_execute(
    store: &TestStore,
    sql: &'static str,
    s: &str,
    a: i64,
    b: i64,
) -> Result<(), String> {
    // The store exposes no raw SQL on purpose; tests reach the same database through its URL,
    // on a pool of the backend's own type.
    macro_rules! on_pool_of {
        ($pool:ty) => {{
            let pool = <$pool>::connect(store.url())
                .await
                .map_err(|e| e.to_string())?;
            let r = sqlx::query(sql)
                .bind(s)
                .bind(a)
                .bind(b)
                .execute(&pool)
                .await;
            pool.close().await;
            r.map(|_| ()).map_err(|e| e.to_string())
        }};
    }
    match store.backend() {
        Backend::Sqlite => on_pool_of!(sqlx::SqlitePool),
        Backend::Postgres => on_pool_of!(sqlx::PgPool),
    }
}

#[tokio::test]
async fn the_status_check_constraint_rejects_unknown_values() {
    for (backend, store) in all_stores().await {
        let team = store.team_id(DEFAULT_TEAM).await.unwrap();
        let c = campaign_with(&store, team, "check", 1).await;
        let err = try_set_status(&store, c.id, "done", 1).await.unwrap_err();
        assert!(err.to_lowercase().contains("check"), "{backend}: {err}");
        store.cleanup().await;
    }
}

#[tokio::test]
async fn connection_errors_do_not_leak_the_password() {
    let err = Store::connect("postgres://atl:hunter2-secret@127.0.0.1:1/atl")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("hunter2-secret"), "{text}");
    assert!(text.contains("atl:***@127.0.0.1:1"), "{text}");
    assert!(err.is_transient(), "{err:?}");
    assert!(!format!("{err:?}").contains("hunter2-secret"));

    let err = Store::connect("mysql://u:pw-secret@h/db")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidUrl(_)), "{err}");
    assert!(!err.to_string().contains("pw-secret"), "{err}");
}

#[tokio::test]
async fn sqlite_accepts_urls_and_plain_paths() {
    let dir = std::env::temp_dir();
    let path = dir.join(format!("atl_store_path_{}.db", std::process::id()));
    let path_str = path.to_string_lossy().into_owned();
    for url in [
        path_str.clone(),
        format!("sqlite://{path_str}"),
        "sqlite::memory:".to_string(),
    ] {
        let store = Store::connect(&url).await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        store.migrate().await.unwrap();
        let team = store.team_id("t").await.unwrap();
        assert_eq!(store.team_id("t").await.unwrap(), team, "{url}");
        store.close().await;
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path_str}{suffix}"));
    }
}

#[tokio::test]
async fn a_second_pool_sees_the_same_database() {
    for (backend, store) in all_stores().await {
        let other = store.with_own_pool().await.unwrap();
        let team = other.team_id("pool-test").await.unwrap();
        assert_eq!(store.team_id("pool-test").await.unwrap(), team, "{backend}");
        other.ping().await.unwrap();
        store.cleanup().await;
    }
}

#[tokio::test]
async fn create_authenticate_revoke_on_both_backends() {
    for (backend, store) in all_stores().await {
        let created = store.create_api_key("acme", Some("ci")).await.unwrap();
        let other = store.create_api_key("globex", None).await.unwrap();
        assert_ne!(created.team_id, other.team_id, "{backend}");
        assert_eq!(store.count_active_api_keys().await.unwrap(), 2, "{backend}");

        let owner = store
            .authenticate_api_key(&created.plaintext)
            .await
            .unwrap();
        assert_eq!(owner.map(|o| o.team_id), Some(created.team_id), "{backend}");
        // The plaintext is nowhere in the table.
        let listed = store.list_api_keys(None).await.unwrap();
        assert_eq!(listed.len(), 2, "{backend}");
        assert!(listed.iter().all(|k| !created.plaintext.eq(&k.prefix)));
        assert_eq!(listed[1].label.as_deref(), Some("ci"), "{backend}");

        // A near miss is refused.
        let mut wrong = created.plaintext.clone();
        wrong.pop();
        wrong.push('x');
        assert_eq!(store.authenticate_api_key(&wrong).await.unwrap(), None);
        assert_eq!(store.authenticate_api_key("Bearer").await.unwrap(), None);

        // Another team cannot revoke it; its own team can, by prefix.
        let n = store
            .revoke_api_key(Some(other.team_id), &created.prefix)
            .await
            .unwrap();
        assert_eq!(n, 0, "{backend}");
        let n = store
            .revoke_api_key(Some(created.team_id), &created.prefix)
            .await
            .unwrap();
        assert_eq!(n, 1, "{backend}");
        assert_eq!(
            store
                .authenticate_api_key(&created.plaintext)
                .await
                .unwrap(),
            None,
            "{backend}"
        );
        assert_eq!(store.count_active_api_keys().await.unwrap(), 1, "{backend}");
        // By id, too.
        assert_eq!(
            store
                .revoke_api_key(None, &other.id.to_string())
                .await
                .unwrap(),
            1
        );
    }
}

#[tokio::test]
async fn pages_batches_and_keys_on_both_backends() {
    for (backend, store) in all_stores().await {
        let team = store.team_id("t").await.unwrap();
        let mut tx = begin(&store, team, "c").await;
        tx.insert_targets(&[
            target(2, "beta", None, json!({"Region":"EU"})),
            target(3, "Alpha", None, json!({"Owner":"x","Region":"US"})),
            target(4, "gamma", None, json!({})),
        ])
        .await
        .unwrap();
        let campaign = tx.commit(&serde_json::Value::Null).await.unwrap();
        let id = campaign.id;

        let by_company = store
            .list_targets_sorted(id, None, "company".parse().unwrap(), 10, 0)
            .await
            .unwrap();
        let names: Vec<_> = by_company.iter().map(|t| t.company_name.as_str()).collect();
        assert_eq!(names, ["Alpha", "beta", "gamma"], "{backend}");
        let desc = store
            .list_targets_sorted(id, None, "-row_number".parse().unwrap(), 2, 1)
            .await
            .unwrap();
        assert_eq!(desc[0].row_number, 3, "{backend}");
        assert_eq!(desc.len(), 2, "{backend}");

        // Keyset pages cover everything exactly once.
        let first = store.targets_after(id, None, 2).await.unwrap();
        let second = store
            .targets_after(id, Some(TargetCursor::after(&first[1])), 2)
            .await
            .unwrap();
        assert_eq!(first.len() + second.len(), 3, "{backend}");
        assert_eq!(second[0].company_name, "gamma", "{backend}");

        assert_eq!(
            store.extra_keys(id).await.unwrap(),
            ["Owner", "Region"],
            "{backend}"
        );
        assert_eq!(store.count_campaigns(Some(team)).await.unwrap(), 1);
        assert_eq!(store.count_campaigns(Some(team + 1000)).await.unwrap(), 0);
        assert_eq!(
            store
                .count_targets_with(id, Some(TargetStatus::Pending))
                .await
                .unwrap(),
            3
        );
        let t = first[0].id;
        assert!(
            store
                .get_target_for_team(Some(team), t)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .get_target_for_team(Some(team + 1000), t)
                .await
                .unwrap()
                .is_none(),
            "{backend}: another team's target must read as missing"
        );
        let ids: Vec<i64> = first.iter().map(|t| t.id).collect();
        assert!(store.results_for_targets(&ids).await.unwrap().is_empty());
        assert!(
            store
                .failed_jobs_for_targets(&ids)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .results_for_targets(&vec![1; MAX_BATCH_IDS + 1])
                .await
                .is_err()
        );
        let by_status = store.campaigns_by_status(None).await.unwrap();
        assert_eq!(by_status, [("pending".to_string(), 1)], "{backend}");
        let mine = store.campaigns_by_status(Some(team)).await.unwrap();
        assert_eq!(mine, [("pending".to_string(), 1)], "{backend}");
        let other = store.campaigns_by_status(Some(team + 1000)).await.unwrap();
        assert!(
            other.is_empty(),
            "{backend}: another team's campaigns: {other:?}"
        );
    }
}
