//! The event stream: opening progress, keep-alives, every stored event in order with
//! progress between them, and resumption after `Last-Event-ID`.

use crate::helpers::*;
use std::time::Duration;

/// Subscribed before the start, the stream follows the whole run; a second stream
/// resumed after an id has exactly the later events.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stream_follows_a_run_and_resumes_after_last_event_id() {
    for (backend, store) in all_stores().await {
        let app = spawn_app(store.store(), true).await;
        let id = upload_small(&app, backend).await["campaign_id"]
            .as_i64()
            .unwrap();

        // Subscribe before starting, then start; the engine in the server does the work.
        let events = app.fetch(&format!("/api/atl/campaigns/{id}/events")).await;
        assert_eq!(events.status(), 200);
        assert!(header(&events, "content-type").starts_with("text/event-stream"));
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
            .sent()
            .await;
        let (later, _) = read_sse(resumed, Duration::from_secs(10), |evs, _| {
            evs.len() >= ids.len() - 2
        })
        .await;
        assert_eq!(
            later.iter().map(|e| e.0).collect::<Vec<_>>(),
            ids[2..].to_vec(),
            "{backend}: resumed stream has exactly the later events"
        );

        app.stop().await;
    }
}
