//! Tavily `POST /search`. A query containing `sandbox:empty` returns no results.
//! What the results hold (own pages, dated press, sub-domains, a namesake) is in
//! [`crate::serp`]; news results carry `published_date`, and `time_range` / `days`
//! drop older ones, as Tavily's do.

use crate::config::Family;
use crate::resp::{self, ErrKind};
use crate::serp;
use crate::state::AppState;
use crate::synth::{self, Subject};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

/// Put this in a query to get an empty result list (the "nothing found" fixture).
pub const EMPTY_MARKER: &str = "sandbox:empty";

#[derive(Deserialize)]
struct SearchRequest {
    query: String,
    #[serde(default)]
    max_results: Option<u64>,
    #[serde(default)]
    include_answer: Option<Value>,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    time_range: Option<String>,
    #[serde(default)]
    days: Option<i64>,
}

pub(crate) async fn search(State(state): State<AppState>, body: Bytes) -> Response {
    let checked = match serde_json::from_slice::<SearchRequest>(&body) {
        Ok(r) if r.query.trim().is_empty() => Err(ErrKind::bad("Query is missing.")),
        Ok(r) => Ok(r),
        Err(e) => Err(ErrKind::bad(format!("Invalid request body: {e}"))),
    };
    let (req, admit) = match state.admit_checked(Family::Tavily, checked, error).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let seed = synth::fnv1a(&body);
    let subject = Subject::from_text(&req.query, seed);
    let n = if req.query.contains(EMPTY_MARKER) {
        0
    } else {
        req.max_results.unwrap_or(5).min(20) as usize
    };
    let news = req.topic.as_deref() == Some("news");
    let max_age = req
        .days
        .filter(|_| news)
        .or(match req.time_range.as_deref() {
            Some("day" | "d") => Some(1),
            Some("week" | "w") => Some(7),
            Some("month" | "m") => Some(31),
            Some("year" | "y") => Some(365),
            _ => None,
        });
    let results: Vec<Value> = serp::results(&req.query, seed, n, news, max_age)
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            let mut r = json!({
                "title": h.title,
                "url": h.url,
                "content": h.snippet,
                "score": ((0.95 - i as f64 * 0.07).max(0.05) * 100.0).round() / 100.0,
                "raw_content": null
            });
            if let Some(d) = h.days_ago {
                r["published_date"] = json!(crate::dates::days_ago(d));
            }
            r
        })
        .collect();
    let answer = match req.include_answer {
        Some(Value::Bool(true)) | Some(Value::String(_)) => {
            json!(format!(
                "[synthetic] {} is a fictional company; this answer comes from the ATL sandbox.",
                subject.company
            ))
        }
        _ => Value::Null,
    };
    let v = json!({
        "query": req.query, "answer": answer, "images": [], "results": results,
        "follow_up_questions": null, "response_time": 0.01,
        "request_id": format!("sbx-{seed:016x}")
    });
    resp::ok_json(admit.malformed, &v)
}

fn error(e: &ErrKind) -> Response {
    let wording = resp::Wording {
        unauthorized: StatusCode::UNAUTHORIZED,
        rate_limited: "Your request has been blocked due to excessive requests. Please reduce the rate of requests. (sandbox)",
        quota_exhausted: (
            // 432: plan / credit limit exceeded.
            StatusCode::from_u16(432).unwrap_or(StatusCode::FORBIDDEN),
            "This request exceeds your plan's set usage limit. (sandbox fault)",
        ),
        unavailable: "Service unavailable (sandbox)",
    };
    wording.error(e, |_, msg| json!({"detail": {"error": msg}}))
}
