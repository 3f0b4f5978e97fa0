//! Brave Search `GET /res/v1/web/search?q=`. A query containing `sandbox:empty` returns
//! a response without `web`, as Brave does when it has no web results. Results are
//! [`crate::serp`]'s mix; dated ones carry Brave's `age` (`3 days ago`, or the date for
//! older items) and `page_age`, and `freshness` (`pd`, `pw`, `pm`, `py`) drops older ones.
//!
//! Brave reports its limits on every reply as comma lists, one value per window,
//! shortest first (`X-RateLimit-Limit: 1, 2000`, `X-RateLimit-Policy: 1;w=1,
//! 2000;w=2592000`).

use crate::config::Family;
use crate::ctx;
use crate::dates;
use crate::limits::LimitKind;
use crate::resp::{self, ErrKind};
use crate::serp;
use crate::state::AppState;
use crate::synth;
use crate::tavily::EMPTY_MARKER;
use axum::extract::{Query, State, rejection::QueryRejection};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub(crate) struct BraveQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    freshness: Option<String>,
}

pub(crate) async fn web_search(
    State(state): State<AppState>,
    query: Result<Query<BraveQuery>, QueryRejection>,
) -> Response {
    let checked = match query {
        Ok(Query(q)) if !q.q.trim().is_empty() => Ok(q),
        Ok(_) => Err(ErrKind::bad("q: field required")),
        Err(e) => Err(ErrKind::bad(format!("invalid query: {e}"))),
    };
    let (q, admit) = match state.admit_checked(Family::Brave, checked, error).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let seed = synth::fnv1a_more(
        synth::fnv1a(q.q.as_bytes()),
        &q.count.unwrap_or(0).to_le_bytes(),
    );
    let mut v = json!({"type": "search", "query": {"original": q.q}, "synthetic": true});
    let max_age = match q.freshness.as_deref() {
        Some("pd") => Some(1),
        Some("pw") => Some(7),
        Some("pm") => Some(31),
        Some("py") => Some(365),
        _ => None,
    };
    let n = q.count.unwrap_or(20).clamp(1, 20) as usize;
    let hits = serp::results(&q.q, seed, n, false, max_age);
    if !q.q.contains(EMPTY_MARKER) && !hits.is_empty() {
        let results: Vec<Value> = hits
            .into_iter()
            .map(|h| {
                let mut r = json!({
                    "title": h.title,
                    "url": h.url,
                    "description": h.snippet.replacen(' ', " <strong>", 1).replacen(' ', "</strong> ", 1),
                    "language": "en",
                    "extra_snippets": [format!("[synthetic] More from {}.", h.site)],
                    "meta_url": {"hostname": h.site}
                });
                if let Some(d) = h.days_ago {
                    r["age"] = json!(dates::age_words(d));
                    r["page_age"] = json!(format!("{}T08:00:00", dates::days_ago(d)));
                }
                r
            })
            .collect();
        v["web"] = json!({"type": "search", "results": results});
    }
    rate_headers(resp::ok_json(admit.malformed, &v), false)
}

/// Brave's per-second and per-month windows, from the limiter when Brave is limited,
/// else the figures of its current paid plan.
fn rate_headers(r: Response, exhausted: bool) -> Response {
    let view = ctx::rate();
    let second = view.as_ref().and_then(|v| v.get(LimitKind::Rps));
    let month = view.as_ref().and_then(|v| v.get(LimitKind::Monthly));
    if second.is_none() && month.is_none() {
        return resp::with_static_headers(
            r,
            &[
                ("x-ratelimit-limit", "50, 15000"),
                ("x-ratelimit-policy", "50;w=1, 15000;w=2592000"),
                (
                    "x-ratelimit-remaining",
                    if exhausted { "0, 14999" } else { "49, 14999" },
                ),
                ("x-ratelimit-reset", "1, 1419704"),
            ],
        );
    }
    let windows: Vec<_> = [second, month].into_iter().flatten().collect();
    let list = |f: &dyn Fn(&crate::ratelimit::Reading) -> String| {
        windows.iter().map(|w| f(w)).collect::<Vec<_>>().join(", ")
    };
    resp::with_headers(
        r,
        &[
            ("x-ratelimit-limit", list(&|w| w.limit.to_string())),
            (
                "x-ratelimit-policy",
                list(&|w| format!("{};w={}", w.limit, w.kind.window_secs().unwrap_or(1))),
            ),
            (
                "x-ratelimit-remaining",
                list(&|w| w.remaining().to_string()),
            ),
            (
                "x-ratelimit-reset",
                list(&|w| w.reset.as_secs_f64().ceil().max(1.0).to_string()),
            ),
        ],
    )
}

fn error(e: &ErrKind) -> Response {
    resp::vendor_error(e, render_error)
}

fn render_error(e: &ErrKind) -> Response {
    let (status, code, detail) = match e {
        ErrKind::BadRequest(m) => (StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION", m.clone()),
        ErrKind::Unauthorized(m) => (
            StatusCode::UNAUTHORIZED,
            "SUBSCRIPTION_TOKEN_INVALID",
            m.clone(),
        ),
        ErrKind::RateLimited { .. } | ErrKind::Limited(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "Request rate limit exceeded for plan (sandbox)".into(),
        ),
        ErrKind::QuotaExhausted => (
            StatusCode::PAYMENT_REQUIRED,
            "QUOTA_LIMITED",
            "Monthly quota exceeded for plan (sandbox fault)".into(),
        ),
        ErrKind::Overloaded | ErrKind::Unavailable | ErrKind::Outage { .. } | ErrKind::Reset => (
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "Service unavailable (sandbox)".into(),
        ),
        ErrKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Internal server error (sandbox fault)".into(),
        ),
    };
    let mut error =
        json!({"id": "sbx-error", "status": status.as_u16(), "code": code, "detail": detail});
    if let ErrKind::RateLimited { .. } = e {
        error["meta"] = json!({"plan": "Sandbox", "rate_limit": 1, "rate_current": 1, "component": "rate_limiter"});
    }
    if let ErrKind::Limited(view) = e {
        let second = view.get(LimitKind::Rps);
        let month = view.get(LimitKind::Monthly);
        error["meta"] = json!({"plan": "Sandbox", "rate_limit": second.map(|r| r.limit),
                               "rate_current": second.map(|r| r.used),
                               "quota_limit": month.map(|r| r.limit), "quota_current": month.map(|r| r.used),
                               "component": "rate_limiter"});
    }
    let r = resp::json(
        status,
        &json!({"type": "ErrorResponse", "error": error, "time": 1_764_000_000}),
    );
    match e {
        ErrKind::RateLimited { retry_after_secs } => resp::retry_after_with(
            r,
            *retry_after_secs,
            &[
                ("x-ratelimit-limit", "1, 15000"),
                ("x-ratelimit-policy", "1;w=1, 15000;w=2592000"),
                ("x-ratelimit-remaining", "0, 14000"),
                ("x-ratelimit-reset", "1, 1419704"),
            ],
        ),
        ErrKind::Limited(_) | ErrKind::QuotaExhausted => rate_headers(r, true),
        _ => r,
    }
}
