//! The API's description: `/openapi.json` and the offline `/docs` page, behind a key
//! like every route but `/healthz`.

use crate::helpers::*;
use serde_json::{Value, json};

/// Only `/healthz` answers without a key; the description of the API (`/openapi.json`,
/// `/docs`) and `/metrics` need one like every other route. The docs page embeds the
/// document, so a saved copy works offline.
#[tokio::test]
async fn only_health_needs_no_key_and_the_docs_describe_every_route() {
    for (backend, store) in all_stores().await {
        let key = store.create_api_key("acme", None).await.unwrap();
        let mut app = spawn_app(store.store(), false).await;
        let r = app.client.get(app.url("/healthz")).sent().await;
        assert_eq!(r.status(), 200, "{backend}");
        assert_eq!(r.text().await.unwrap(), "ok");
        for path in ["/openapi.json", "/docs", "/metrics"] {
            let (s, body) = app.get(path).await;
            assert_eq!(s, 401, "{backend}: {path} needs a key");
            assert_error(&body, "unauthorized");
        }

        app.key = Some(key.plaintext.clone());
        let (s, doc) = app.get("/openapi.json").await;
        assert_eq!(s, 200);
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/atl/upload",
            "/api/atl/campaigns",
            "/api/atl/campaigns/{id}",
            "/api/atl/campaigns/{id}/status",
            "/api/atl/campaigns/{id}/targets",
            "/api/atl/campaigns/{id}/start",
            "/api/atl/campaigns/{id}/pause",
            "/api/atl/campaigns/{id}/resume",
            "/api/atl/campaigns/{id}/cancel",
            "/api/atl/campaigns/{id}/retry-failed",
            "/api/atl/campaigns/{id}/estimate",
            "/api/atl/campaigns/{id}/events",
            "/api/atl/campaigns/{id}/export",
            "/api/atl/campaigns/{id}/executives",
            "/api/atl/targets/{id}",
            "/api/atl/targets/{id}/audio",
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/docs",
        ] {
            assert!(
                paths.contains_key(p),
                "{p} missing from the OpenAPI document"
            );
        }
        // The document says which routes are open: an empty requirement on /healthz only.
        assert_eq!(doc["paths"]["/healthz"]["get"]["security"], json!([{}]));
        for p in ["/metrics", "/openapi.json", "/docs"] {
            assert!(doc["paths"][p]["get"]["security"].is_null(), "{p}");
        }
        assert_eq!(doc["security"], json!([{"bearer": []}]));
        assert!(doc["components"]["schemas"]["StatusView"].is_object());
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

        let r = app.fetch("/docs").await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        // The document is inside the page: nothing to fetch, from us or a CDN.
        let start = page
            .find(r#"<script type="application/json" id="spec">"#)
            .unwrap();
        let json_start = page[start..].find('>').unwrap() + start + 1;
        let json_end = page[json_start..].find("</script>").unwrap() + json_start;
        let embedded: Value = serde_json::from_str(&page[json_start..json_end]).unwrap();
        assert_eq!(
            embedded, doc,
            "{backend}: the page embeds the same document"
        );
        assert!(!page.contains("fetch("), "nothing is fetched");
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no CDN: works offline"
        );
        app.stop().await;
    }
}
