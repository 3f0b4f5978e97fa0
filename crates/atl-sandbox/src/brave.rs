//! Brave Search `GET /res/v1/web/search?q=`. A query containing `sandbox:empty` returns
//! a response without `web`, as Brave does when it has no web results.

use crate::config::Family;
use crate::resp::{self, ErrKind};
use crate::state::AppState;
use crate::synth::{self, Rng, SYNTH_HOST, Subject};
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
}

pub(crate) async fn web_search(
    State(state): State<AppState>,
    query: Result<Query<BraveQuery>, QueryRejection>,
) -> Response {
    let q = match query {
        Ok(Query(q)) if !q.q.trim().is_empty() => q,
        Ok(_) => {
            state.count_only(Family::Brave);
            return error(&ErrKind::bad("q: field required"));
        }
        Err(e) => {
            state.count_only(Family::Brave);
            return error(&ErrKind::bad(format!("invalid query: {e}")));
        }
    };
    let admit = match state.admit(Family::Brave).await {
        Ok(a) => a,
        Err(e) => return error(&e),
    };
    let seed = synth::fnv1a_more(
        synth::fnv1a(q.q.as_bytes()),
        &q.count.unwrap_or(0).to_le_bytes(),
    );
    let subject = Subject::from_text(&q.q, seed);
    let mut rng = Rng::new(seed);
    let mut v = json!({"type": "search", "query": {"original": q.q}, "synthetic": true});
    if !q.q.contains(EMPTY_MARKER) {
        let slug = synth::slug(&subject.company);
        let results: Vec<Value> = (0..q.count.unwrap_or(20).clamp(1, 20))
            .map(|i| {
                let kind = rng.pick(&["about", "news", "careers", "pricing", "blog"]);
                json!({
                    "title": format!("[synthetic] {} {kind}", subject.company),
                    "url": format!("{SYNTH_HOST}/search/{slug}/{kind}-{i}"),
                    "description": format!("[synthetic] <strong>{}</strong> {kind} page invented by the ATL sandbox.", subject.company),
                    "age": format!("{} days ago", rng.range(1, 60)),
                    "language": "en",
                    "extra_snippets": [format!("[synthetic] More about {}.", subject.company)]
                })
            })
            .collect();
        v["web"] = json!({"type": "search", "results": results});
    }
    rate_headers(resp::ok_json(admit.malformed, &v))
}

fn rate_headers(r: Response) -> Response {
    resp::with_static_headers(
        r,
        &[
            ("x-ratelimit-limit", "50, 15000"),
            ("x-ratelimit-policy", "50;w=1, 15000;w=2592000"),
            ("x-ratelimit-remaining", "49, 14999"),
            ("x-ratelimit-reset", "1, 1419704"),
        ],
    )
}

fn error(e: &ErrKind) -> Response {
    let (status, code, detail) = match e {
        ErrKind::BadRequest(m) => (StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION", m.clone()),
        ErrKind::Unauthorized(m) => (
            StatusCode::UNAUTHORIZED,
            "SUBSCRIPTION_TOKEN_INVALID",
            m.clone(),
        ),
        ErrKind::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "Request rate limit exceeded for plan (sandbox fault)".into(),
        ),
        ErrKind::QuotaExhausted => (
            StatusCode::PAYMENT_REQUIRED,
            "QUOTA_LIMITED",
            "Monthly quota exceeded for plan (sandbox fault)".into(),
        ),
        ErrKind::Overloaded | ErrKind::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "Service unavailable (sandbox fault)".into(),
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
    let r = resp::json(
        status,
        &json!({"type": "ErrorResponse", "error": error, "time": 1_764_000_000}),
    );
    match e {
        ErrKind::RateLimited { retry_after_secs } => resp::with_static_headers(
            resp::retry_after(r, *retry_after_secs),
            &[
                ("x-ratelimit-limit", "1, 15000"),
                ("x-ratelimit-policy", "1;w=1, 15000;w=2592000"),
                ("x-ratelimit-remaining", "0, 14000"),
                ("x-ratelimit-reset", "1, 1419704"),
            ],
        ),
        _ => r,
    }
}
