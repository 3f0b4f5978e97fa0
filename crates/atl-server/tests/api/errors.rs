//! Requests that do not parse, unknown routes and wrong methods: the one error shape.

use crate::helpers::*;

/// Path and query values that do not parse, unknown routes and wrong methods answer
/// 400, 404 and 405 in the one error shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unparsable_requests_unknown_routes_and_wrong_methods_answer_the_error_shape() {
    on_keyed_app(async |_backend, _store, app, _id, _other_key| {
        let (s, body) = app.get("/api/atl/campaigns/abc").await;
        assert_eq!(s, 400, "{body}");
        assert_error(&body, "bad_request");
        let (s, body) = app.get("/api/atl/targets/1.5").await;
        assert_eq!(s, 400, "{body}");
        let (s, body) = app.get("/api/atl/campaigns?limit=many").await;
        assert_eq!(s, 400, "{body}");
        let (s, body) = app.get("/api/atl/nothing-here").await;
        assert_eq!(s, 404);
        assert_error(&body, "not_found");
        let r = app
            .req(reqwest::Method::DELETE, "/api/atl/upload")
            .sent()
            .await;
        assert_eq!(r.status(), 405);
        assert_error(&r.json().await.unwrap(), "method_not_allowed");
        let (s, body) = app.get("/api/atl/campaigns/999999/status").await;
        assert_eq!(s, 404);
        assert_error(&body, "not_found");
    })
    .await;
}
