//! Response headers of the API and service routes (the dashboard sets its own, with the
//! same rules, in `dashboard::page::security_headers`).
//!
//! - `X-Content-Type-Options: nosniff`: a CSV or JSON answer is never run as a page.
//! - `Referrer-Policy: no-referrer`: nothing the API serves links anywhere that should
//!   learn of it. (The dashboard keeps `same-origin`: with `no-referrer` a browser sends
//!   `Origin: null` on its form posts, which the front door refuses.)
//! - `Cache-Control: no-store` on everything: every answer is a team's data or depends
//!   on its key, and no proxy or browser cache may keep it.
//! - `Content-Security-Policy`: JSON and files get `default-src 'none'` (a response
//!   opened as a document runs nothing); `/docs` gets its own, which allows exactly its
//!   one inline script and stylesheet by hash (`docs::csp`).

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// The policy of everything that is not a page.
const DATA_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// What every answer carries, the dashboard's included: no sniffing, no framing, and the
/// given referrer policy.
pub(crate) fn insert_common(h: &mut HeaderMap, referrer_policy: &'static str) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(referrer_policy),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

pub(crate) async fn api_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    insert_common(h, "no-referrer");
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DATA_CSP),
        );
    }
    response
}
