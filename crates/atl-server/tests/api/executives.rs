//! The executives of a whole list: one per account when asked, deduplicated, filtered by
//! seniority.

use crate::helpers::*;

/// Executives across the list: per account, deduplicated, by seniority.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executives_are_deduplicated_and_filtered() {
    for (backend, _store, app, id) in completed_campaigns().await {
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
        app.stop().await;
    }
}
