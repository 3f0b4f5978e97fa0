//! Request budgets: per key, per address, and for failed authentications, each answered
//! 429 with `Retry-After`.

use atl_server::{RateLimits, ServerOptions};
use atl_testkit::all_stores;

use crate::{App, key};

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a 429 without Retry-After: {:?}", r.headers()))
}

#[tokio::test]
async fn a_key_over_its_budget_gets_429_with_retry_after() {
    for (backend, store) in all_stores().await {
        let busy = key(&store, "acme").await;
        let calm = key(&store, "acme").await;
        let options = ServerOptions {
            rate: RateLimits {
                per_key_per_second: 1,
                per_key_burst: 5,
                ..RateLimits::default()
            },
            ..Default::default()
        };
        let app = App::start(store.store(), options).await;
        for i in 0..5 {
            let r = app.get("/api/atl/campaigns", &busy).send().await.unwrap();
            assert_eq!(
                r.status(),
                200,
                "{backend}: request {i} is within the burst"
            );
        }
        let r = app.get("/api/atl/campaigns", &busy).send().await.unwrap();
        assert_eq!(r.status(), 429, "{backend}");
        assert!(
            (1..=2).contains(&retry_after(&r)),
            "{backend}: one a second"
        );
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        assert!(body["error"]["details"].is_object(), "{body}");
        let r = app.get("/api/atl/campaigns", &calm).send().await.unwrap();
        assert_eq!(r.status(), 200, "{backend}: another key is not slowed down");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_address_over_its_budget_gets_429_with_retry_after() {
    for (backend, store) in all_stores().await {
        let key = key(&store, "acme").await;
        let options = ServerOptions {
            rate: RateLimits {
                per_address_per_second: 1,
                per_address_burst: 3,
                ..RateLimits::default()
            },
            ..Default::default()
        };
        let app = App::start(store.store(), options).await;
        for _ in 0..3 {
            let r = app.get("/api/atl/campaigns", &key).send().await.unwrap();
            assert_eq!(r.status(), 200, "{backend}");
        }
        let r = app.client.get(app.url("/campaigns")).send().await.unwrap();
        assert_eq!(
            r.status(),
            429,
            "{backend}: the dashboard shares the address's budget"
        );
        assert!(retry_after(&r) >= 1);
        app.stop().await;
    }
}

#[tokio::test]
async fn guessing_keys_is_shut_out_and_known_keys_still_work() {
    for (backend, store) in all_stores().await {
        let good = key(&store, "acme").await;
        let options = ServerOptions {
            rate: RateLimits {
                failed_auth_per_minute: 1,
                failed_auth_burst: 5,
                ..RateLimits::default()
            },
            ..Default::default()
        };
        let app = App::start(store.store(), options).await;
        let r = app.get("/api/atl/campaigns", &good).send().await.unwrap();
        assert_eq!(r.status(), 200, "{backend}");
        let mut statuses = Vec::new();
        for i in 0..8 {
            let guess = format!("atl_{i:0>48}");
            let r = app.get("/api/atl/campaigns", &guess).send().await.unwrap();
            if r.status() == 429 {
                assert!(retry_after(&r) >= 1, "{backend}");
            }
            statuses.push(r.status().as_u16());
        }
        assert_eq!(
            statuses,
            [401, 401, 401, 401, 401, 429, 429, 429],
            "{backend}"
        );
        let r = app.get("/api/atl/campaigns", &good).send().await.unwrap();
        assert_eq!(
            r.status(),
            200,
            "{backend}: a key that worked here before still works"
        );
        let other = key(&store, "acme").await;
        let r = app.get("/api/atl/campaigns", &other).send().await.unwrap();
        assert_eq!(
            r.status(),
            429,
            "{backend}: a new key is not even looked up"
        );
        app.stop().await;
    }
}
