//! Keys and teams: a wrong or missing key is 401; another team's ids are 404 on every
//! route and move nothing; without any key loopback serves team `default`.

use crate::helpers::*;
use atl_server::{AppContext, ServeError, serve};
use reqwest::Method;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// A wrong key is 401 with `WWW-Authenticate: Bearer`; once keys exist, no anonymous
/// access even on loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_missing_keys_are_unauthorized() {
    on_keyed_app(async |_backend, _store, app, _id, _other_key| {
        let r = app
            .client
            .get(app.url("/api/atl/campaigns"))
            .bearer_auth("atl_0000000000000000000000000000000000000000000000000")
            .sent()
            .await;
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        assert_error(&r.json().await.unwrap(), "unauthorized");
        let r = app.client.get(app.url("/api/atl/campaigns")).sent().await;
        assert_eq!(
            r.status(),
            401,
            "keys exist: no anonymous access even on loopback"
        );
    })
    .await;
}

/// Another team's campaign is not found; a wrong key or another team's key changes
/// nothing on any route, and neither team sees the other's campaigns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_ids_are_not_found_on_any_route_and_move_nothing() {
    on_keyed_app(async |backend, store, app, id, other_key| {
        let untouched = fingerprint(store).await;
        let theirs = app
            .req_as(Method::GET, &format!("/api/atl/campaigns/{id}"), other_key)
            .sent()
            .await;
        assert_eq!(theirs.status(), 404, "another team's campaign is not found");
        let (_, their_list) = {
            let r = app
                .req_as(Method::GET, "/api/atl/campaigns", other_key)
                .sent()
                .await;
            (r.status(), r.json::<Value>().await.unwrap())
        };
        assert_eq!(their_list["total"], 0);
        // A wrong key changes nothing anywhere; another team's ids are 404 on every route.
        let target_id = {
            let (_, page) = app
                .get(&format!("/api/atl/campaigns/{id}/targets?limit=1"))
                .await;
            page["targets"][0]["id"].as_i64().unwrap()
        };
        let wrong = "atl_0000000000000000000000000000000000000000000000000";
        let upload_as = async |key| {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(SMALL_CSV.as_bytes().to_vec()).file_name("t.csv"),
            );
            app.req_as(Method::POST, "/api/atl/upload", key)
                .multipart(form)
                .sent()
                .await
        };
        let r = upload_as(wrong).await;
        assert_eq!(r.status(), 401, "{backend}: upload with a wrong key");
        let r = upload_as(other_key).await;
        assert_eq!(r.status(), 201, "{backend}: globex uploads its own list");
        let theirs_id = r.json::<Value>().await.unwrap()["campaign_id"]
            .as_i64()
            .unwrap();
        let mine = fingerprint(store).await;
        let gets = [
            format!("/api/atl/campaigns/{id}"),
            format!("/api/atl/campaigns/{id}/status"),
            format!("/api/atl/campaigns/{id}/targets"),
            format!("/api/atl/campaigns/{id}/executives"),
            format!("/api/atl/campaigns/{id}/export?format=csv"),
            format!("/api/atl/campaigns/{id}/events"),
            format!("/api/atl/targets/{target_id}"),
            format!("/api/atl/targets/{target_id}/audio"),
        ];
        let posts = [
            "start",
            "pause",
            "resume",
            "cancel",
            "retry-failed",
            "estimate",
        ]
        .map(|verb| format!("/api/atl/campaigns/{id}/{verb}"));
        let requests = gets
            .iter()
            .map(|p| (Method::GET, p))
            .chain(posts.iter().map(|p| (Method::POST, p)));
        for (method, path) in requests {
            for key in [wrong, other_key] {
                let expected = if key == wrong { 401 } else { 404 };
                let r = app.req_as(method.clone(), path, key).sent().await;
                assert_eq!(r.status(), expected, "{backend}: {method} {path}");
                let body: Value = r.json().await.unwrap();
                assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
            }
        }
        assert_eq!(fingerprint(store).await, mine, "{backend}: nothing moved");
        // And the other way round: acme cannot see globex's campaign.
        let (s, _) = app
            .get(&format!("/api/atl/campaigns/{theirs_id}/status"))
            .await;
        assert_eq!(s, 404, "{backend}");
        store.delete_campaign(None, theirs_id).await.unwrap();
        assert_eq!(fingerprint(store).await, untouched, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn no_auth_serves_loopback_as_default_and_refuses_other_addresses() {
    for (backend, store) in all_stores().await {
        // Refused before binding: 0.0.0.0 without authentication.
        let mut ctx = AppContext::new(
            store.store(),
            // Refused before anything is written: the folder is never created.
            std::env::temp_dir().join("atl-never-created"),
        );
        ctx.options.no_auth = true;
        let err = serve(ctx, "0.0.0.0:0".parse().unwrap(), CancellationToken::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ServeError::NoAuthOnPublicAddress(_)),
            "{backend}: {err}"
        );
        assert!(err.to_string().contains("loopback"), "{err}");

        // Loopback with --no-auth: served as team `default`, no key needed.
        let app = spawn_app(store.store(), false).await;
        let (s, body) = app.upload("anon", SMALL_CSV.as_bytes().to_vec()).await;
        assert_eq!(s, 201, "{backend}: {body}");
        let default = store.team_id(atl_domain::DEFAULT_TEAM).await.unwrap();
        let c = store
            .get_campaign(Some(default), body["campaign_id"].as_i64().unwrap())
            .await
            .unwrap();
        assert!(
            c.is_some(),
            "{backend}: the campaign belongs to team default"
        );
        app.stop().await;
    }
}
