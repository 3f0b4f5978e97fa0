//! Event streams end when their key does, and one key holds a bounded number of them.

use std::time::Duration;

use atl_server::ServerOptions;
use atl_testkit::all_stores;
use futures::StreamExt;

use crate::{App, Sent, key};

/// Reads a response body until it ends; `Err` when it is still open after `within`.
async fn ends_within(response: reqwest::Response, within: Duration) -> Result<(), ()> {
    let mut body = response.bytes_stream();
    tokio::time::timeout(within, async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await
    .map_err(|_| ())
}

#[tokio::test]
async fn a_stream_is_closed_after_its_key_is_revoked() {
    for (backend, store) in all_stores().await {
        let created = store.store().create_api_key("acme", None).await.unwrap();
        let keep = key(&store, "acme").await;
        let options = ServerOptions {
            stream_key_recheck: Duration::from_millis(200),
            ..Default::default()
        };
        let app = App::start(store.store(), options).await;
        let id = app.campaign(&keep).await;
        let path = format!("/api/atl/campaigns/{id}/events");
        let revoked = app.get(&path, &created.plaintext).sent().await;
        let kept = app.get(&path, &keep).sent().await;
        assert_eq!(
            (revoked.status().as_u16(), kept.status().as_u16()),
            (200, 200)
        );
        let dashboard = app
            .client
            .get(app.url(&format!("/campaigns/{id}/live")))
            .header("cookie", format!("atl_session={}", created.plaintext))
            .sent()
            .await;
        assert_eq!(
            dashboard.status(),
            200,
            "{backend}: the dashboard's live stream"
        );

        assert_eq!(
            store.revoke_api_key(None, &created.prefix).await.unwrap(),
            1
        );
        // Within the re-check period plus the key cache's two seconds.
        for (what, stream) in [("API", revoked), ("dashboard", dashboard)] {
            assert_eq!(
                ends_within(stream, Duration::from_secs(6)).await,
                Ok(()),
                "{backend}: the revoked key's {what} stream ends"
            );
        }
        assert_eq!(
            ends_within(kept, Duration::from_secs(1)).await,
            Err(()),
            "{backend}: another key's stream stays open"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn one_key_holds_a_bounded_number_of_streams() {
    for (backend, store) in all_stores().await {
        let key_a = key(&store, "acme").await;
        let key_b = key(&store, "acme").await;
        let options = ServerOptions {
            max_streams_per_key: 3,
            ..Default::default()
        };
        let app = App::start(store.store(), options).await;
        let path = format!("/api/atl/campaigns/{}/events", app.campaign(&key_a).await);
        let mut open = Vec::new();
        for _ in 0..3 {
            let r = app.get(&path, &key_a).sent().await;
            assert_eq!(r.status(), 200, "{backend}");
            open.push(r);
        }
        let r = app.get(&path, &key_a).sent().await;
        assert_eq!(r.status(), 429, "{backend}: the fourth stream of one key");
        assert!(r.headers().contains_key("retry-after"));
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "too_many_streams", "{body}");
        assert_eq!(body["error"]["details"]["limit"], 3, "{body}");

        let r = app.get(&path, &key_b).sent().await;
        assert_eq!(
            r.status(),
            200,
            "{backend}: another key has its own streams"
        );
        drop(r);

        // Closing one frees its slot.
        drop(open.pop());
        let mut reopened = None;
        for _ in 0..50 {
            let r = app.get(&path, &key_a).sent().await;
            if r.status() == 200 {
                reopened = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            reopened.is_some(),
            "{backend}: a closed stream gives its slot back"
        );
        drop(open);
        drop(reopened);
        app.stop().await;
    }
}
