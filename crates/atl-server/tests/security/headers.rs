//! Security headers on every answer, and a health check that says nothing but `ok`.

use atl_server::ServerOptions;
use atl_testkit::all_stores;
use atl_testkit::app::header;

use crate::{App, Sent, with_acme_app};

#[tokio::test]
async fn data_routes_the_docs_and_the_dashboard_carry_security_headers() {
    with_acme_app(async |backend, _store, app, key| {
        for path in [
            "/api/atl/campaigns",
            "/metrics",
            "/openapi.json",
            "/api/atl/campaigns/999",
        ] {
            let r = app.get(path, key).sent().await;
            assert_eq!(
                header(&r, "x-content-type-options"),
                "nosniff",
                "{backend} {path}"
            );
            assert_eq!(header(&r, "cache-control"), "no-store", "{backend} {path}");
            assert_eq!(
                header(&r, "referrer-policy"),
                "no-referrer",
                "{backend} {path}"
            );
            assert!(header(&r, "content-security-policy").contains("default-src 'none'"));
        }
        let r = app.get("/docs", key).sent().await;
        assert_eq!(r.status(), 200);
        let csp = header(&r, "content-security-policy").to_string();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'sha256-"), "{csp}");
        assert!(csp.contains("style-src 'sha256-"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");

        let r = app.client.get(app.url("/sign-in")).sent().await;
        assert_eq!(r.status(), 200);
        // `same-origin`: with `no-referrer` the browser's own form posts carry
        // `Origin: null`, which the front door refuses.
        assert_eq!(header(&r, "referrer-policy"), "same-origin");
        assert!(header(&r, "content-security-policy").contains("default-src 'self'"));
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert_eq!(header(&r, "cache-control"), "no-store");
    })
    .await;
}

#[tokio::test]
async fn healthz_says_only_ok() {
    for (backend, store) in all_stores().await {
        let app = App::start(store.store(), ServerOptions::default()).await;
        let r = app.client.get(app.url("/healthz")).sent().await;
        assert_eq!(r.status(), 200, "{backend}");
        assert_eq!(
            r.text().await.unwrap(),
            "ok",
            "{backend}: no backend name, nothing else"
        );
        app.stop().await;
    }
}
