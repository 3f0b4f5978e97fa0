//! Targets: pages, one target with its results, audio on demand.

use crate::helpers::*;

/// Targets are paginated, filtered by status and sorted; an unknown sort is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_are_paged_filtered_and_sorted() {
    for (_backend, _store, app, id) in completed_campaigns().await {
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
        refused_as_bad_request(
            app,
            &format!("/api/atl/campaigns/{id}/targets?sort=nonsense"),
        )
        .await;
    }
}

/// One target carries all four results, each synthetic on the sandbox, with its
/// provider, latency and confidence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_carries_its_four_results() {
    for (backend, _store, app, id) in completed_campaigns().await {
        let (_tid, t) = second_target(&app, id).await;
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
        app.stop().await;
    }
}

/// Audio on demand: the script has no audio until someone asks; the first request
/// renders it (a WAV), books its cost and attaches it to the voice result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_is_rendered_on_first_request_and_booked() {
    for (backend, _store, app, id) in completed_campaigns().await {
        let (tid, t) = second_target(&app, id).await;
        assert!(
            t["record"]["voice"]["audio"].is_null(),
            "{backend}: no audio rendered before it is asked for: {t}"
        );
        assert_eq!(
            t["audio_url"],
            format!("/api/atl/targets/{tid}/audio"),
            "{backend}: the script exists, so the audio can be had"
        );
        let audio = app.fetch(&format!("/api/atl/targets/{tid}/audio")).await;
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
        app.stop().await;
    }
}
