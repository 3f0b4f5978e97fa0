//! The closed door: no key, no access; a revoked last key closes the API; requests for a
//! foreign Host or from a foreign Origin are refused (403) by the API and the dashboard;
//! CORS is closed unless configured.

use atl_server::ServerOptions;
use atl_testkit::all_stores;
use reqwest::Method;
use reqwest::header::{ACCESS_CONTROL_ALLOW_ORIGIN, HOST, ORIGIN};

use crate::{App, SMALL_CSV, Sent, key, with_acme_app};

#[tokio::test]
async fn a_server_with_no_key_serves_nobody() {
    for (backend, store) in all_stores().await {
        let app = App::start(store.store(), ServerOptions::default()).await;
        let r = app.client.get(app.url("/api/atl/campaigns")).sent().await;
        assert_eq!(
            r.status(),
            401,
            "{backend}: no key exists, and still no anonymous access"
        );
        let r = app.client.get(app.url("/campaigns")).sent().await;
        assert!(
            r.url().path().starts_with("/sign-in"),
            "{backend}: the dashboard asks to sign in: {}",
            r.url()
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn revoking_the_last_key_leaves_the_api_closed() {
    for (backend, store) in all_stores().await {
        let created = store.store().create_api_key("acme", None).await.unwrap();
        let app = App::start(store.store(), ServerOptions::default()).await;
        let r = app
            .get("/api/atl/campaigns", &created.plaintext)
            .sent()
            .await;
        assert_eq!(r.status(), 200, "{backend}");
        assert_eq!(
            store.revoke_api_key(None, &created.prefix).await.unwrap(),
            1
        );
        assert_eq!(store.count_active_api_keys().await.unwrap(), 0);
        // The key cache may trust the key for two more seconds; after that it is gone.
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        for request in [
            app.client.get(app.url("/api/atl/campaigns")),
            app.get("/api/atl/campaigns", &created.plaintext),
        ] {
            let r = request.sent().await;
            assert_eq!(r.status(), 401, "{backend}: no key at all is open again");
        }
        let (status, _) = app.upload("", "anon", SMALL_CSV.as_bytes().to_vec()).await;
        assert_eq!(
            status, 401,
            "{backend}: nothing can be uploaded without a key"
        );
        assert!(
            atl_server::first_start_key(&store).await.unwrap().is_none(),
            "{backend}: a restart makes no new key either (the store has had keys)"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_cross_origin_post_is_refused_by_the_api_and_the_dashboard() {
    with_acme_app(async |backend, store, app, key| {
        let id = app.campaign(key).await;

        for origin in ["https://evil.example", "null"] {
            let r = app
                .post(&format!("/api/atl/campaigns/{id}/start"), key)
                .header(ORIGIN, origin)
                .sent()
                .await;
            assert_eq!(r.status(), 403, "{backend}: API, Origin {origin}");
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], "forbidden", "{body}");
            let r = app
                .page(Method::POST, &format!("/campaigns/{id}/start"), key)
                .header(ORIGIN, origin)
                .sent()
                .await;
            assert_eq!(r.status(), 403, "{backend}: dashboard, Origin {origin}");
            assert!(
                r.text().await.unwrap().contains("another site"),
                "an HTML page says why"
            );
        }
        let c = store.get_campaign(None, id).await.unwrap().unwrap();
        assert_eq!(
            c.status.as_str(),
            "pending",
            "{backend}: nothing was started"
        );

        // The same request from this server's own page goes through.
        let r = app
            .post(&format!("/api/atl/campaigns/{id}/start"), key)
            .header(ORIGIN, app.base.as_str())
            .sent()
            .await;
        assert_eq!(r.status(), 202, "{backend}: same origin");
    })
    .await;
}

#[tokio::test]
async fn a_foreign_host_is_refused_so_dns_rebinding_reads_nothing() {
    for (backend, store) in all_stores().await {
        let key = key(&store, "acme").await;
        let app = App::start(store.store(), ServerOptions::default()).await;
        let id = app.campaign(&key).await;
        let export = format!("/api/atl/campaigns/{id}/export");
        let port = app.addr.port();
        for host in [
            format!("rebind.evil.example:{port}"),
            "127.0.0.1:1".to_string(),
        ] {
            let r = app.get(&export, &key).header(HOST, &host).sent().await;
            assert_eq!(r.status(), 403, "{backend}: Host {host}");
            let text = r.text().await.unwrap();
            assert!(!text.contains("Acme"), "{backend}: no data: {text}");
            let r = app
                .page(Method::GET, "/campaigns", &key)
                .header(HOST, &host)
                .sent()
                .await;
            assert_eq!(r.status(), 403, "{backend}: dashboard, Host {host}");
        }
        for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
            let r = app.get(&export, &key).header(HOST, &host).sent().await;
            assert_eq!(r.status(), 200, "{backend}: Host {host} is this server");
        }
        app.stop().await;

        // A configured public name is served (behind a proxy).
        let options = ServerOptions {
            public_names: vec!["atl.example.com".into()],
            ..Default::default()
        };
        let app = App::start(store.store(), options).await;
        let r = app
            .get(&export, &key)
            .header(HOST, "atl.example.com")
            .sent()
            .await;
        assert_eq!(r.status(), 200, "{backend}: a public name");
        app.stop().await;
    }
}

/// The team's campaigns asked for by a page of `origin`.
async fn campaigns_from(app: &App, key: &str, origin: &str) -> reqwest::Response {
    app.get("/api/atl/campaigns", key)
        .header(ORIGIN, origin)
        .sent()
        .await
}

#[tokio::test]
async fn cors_is_closed_unless_an_origin_is_configured() {
    for (backend, store) in all_stores().await {
        let key = key(&store, "acme").await;
        let crm = "https://crm.example.com";
        let app = App::start(store.store(), ServerOptions::default()).await;
        let r = campaigns_from(&app, &key, crm).await;
        assert_eq!(r.status(), 403, "{backend}: not configured");
        assert!(r.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        let r = app.get("/api/atl/campaigns", &key).sent().await;
        assert!(
            r.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
            "no CORS header"
        );
        app.stop().await;

        let options = ServerOptions {
            cors_origins: vec![crm.into()],
            ..Default::default()
        };
        let app = App::start(store.store(), options).await;
        let preflight = app
            .client
            .request(reqwest::Method::OPTIONS, app.url("/api/atl/campaigns"))
            .header(ORIGIN, crm)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .sent()
            .await;
        assert!(
            preflight.status().is_success(),
            "{backend}: {}",
            preflight.status()
        );
        assert_eq!(preflight.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], crm);
        let r = campaigns_from(&app, &key, crm).await;
        assert_eq!(r.status(), 200, "{backend}");
        assert_eq!(r.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], crm);
        let r = campaigns_from(&app, &key, "https://evil.example").await;
        assert_eq!(r.status(), 403, "{backend}: only the configured origin");
        app.stop().await;
    }
}
