//! Request budgets: per key, per address, and for failed authentications, each answered
//! 429 with `Retry-After`.

use atl_server::{RateLimits, ServerOptions};

use crate::{Sent, key, with_acme_app_on};

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a 429 without Retry-After: {:?}", r.headers()))
}

/// The budgets a test can tighten.
enum Budget {
    PerKey,
    PerAddress,
    FailedAuth,
}

/// The default options with one budget set: `rate` a second (failed authentications: a
/// minute) and `burst` at once.
fn limited(budget: Budget, rate: u32, burst: u32) -> ServerOptions {
    let mut limits = RateLimits::default();
    let (r, b) = match budget {
        Budget::PerKey => (&mut limits.per_key_per_second, &mut limits.per_key_burst),
        Budget::PerAddress => (
            &mut limits.per_address_per_second,
            &mut limits.per_address_burst,
        ),
        Budget::FailedAuth => (
            &mut limits.failed_auth_per_minute,
            &mut limits.failed_auth_burst,
        ),
    };
    (*r, *b) = (rate, burst);
    ServerOptions {
        rate: limits,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_key_over_its_budget_gets_429_with_retry_after() {
    let options = limited(Budget::PerKey, 1, 5);
    with_acme_app_on(options, async |backend, store, app, busy| {
        let calm = key(store, "acme").await;
        for i in 0..5 {
            let r = app.get("/api/atl/campaigns", busy).sent().await;
            assert_eq!(
                r.status(),
                200,
                "{backend}: request {i} is within the burst"
            );
        }
        let r = app.get("/api/atl/campaigns", busy).sent().await;
        assert_eq!(r.status(), 429, "{backend}");
        assert!(
            (1..=2).contains(&retry_after(&r)),
            "{backend}: one a second"
        );
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        assert!(body["error"]["details"].is_object(), "{body}");
        let r = app.get("/api/atl/campaigns", &calm).sent().await;
        assert_eq!(r.status(), 200, "{backend}: another key is not slowed down");
    })
    .await;
}

#[tokio::test]
async fn an_address_over_its_budget_gets_429_with_retry_after() {
    let options = limited(Budget::PerAddress, 1, 3);
    with_acme_app_on(options, async |backend, _store, app, key| {
        for _ in 0..3 {
            let r = app.get("/api/atl/campaigns", key).sent().await;
            assert_eq!(r.status(), 200, "{backend}");
        }
        let r = app.client.get(app.url("/campaigns")).sent().await;
        assert_eq!(
            r.status(),
            429,
            "{backend}: the dashboard shares the address's budget"
        );
        assert!(retry_after(&r) >= 1);
    })
    .await;
}

#[tokio::test]
async fn guessing_keys_is_shut_out_and_known_keys_still_work() {
    let options = limited(Budget::FailedAuth, 1, 5);
    with_acme_app_on(options, async |backend, store, app, good| {
        let r = app.get("/api/atl/campaigns", good).sent().await;
        assert_eq!(r.status(), 200, "{backend}");
        let mut statuses = Vec::new();
        for i in 0..8 {
            let guess = format!("atl_{i:0>48}");
            let r = app.get("/api/atl/campaigns", &guess).sent().await;
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
        let r = app.get("/api/atl/campaigns", good).sent().await;
        assert_eq!(
            r.status(),
            200,
            "{backend}: a key that worked here before still works"
        );
        let other = key(store, "acme").await;
        let r = app.get("/api/atl/campaigns", &other).sent().await;
        assert_eq!(
            r.status(),
            429,
            "{backend}: a new key is not even looked up"
        );
    })
    .await;
}
