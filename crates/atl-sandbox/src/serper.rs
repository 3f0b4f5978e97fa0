//! Serper (Google results as JSON), mounted at `POST /serper/search` (the real one is
//! `POST https://google.serper.dev/search`).
//!
//! Serper takes the key in `X-API-KEY` and a body `{"q": …, "num": 10, "tbs": "qdr:y"}`
//! (`tbs` limits results to the past day, week, month or year) and answers
//! `{"searchParameters": {...}, "organic": [{title, link, snippet, date?, position}],
//! "news"?: [...], "credits": 1}`. A missing key is a 403 (`Unauthorized.`), a
//! rate-limited call a 429, an exhausted balance a 400 (`Not enough credits`); errors are
//! `{"message", "statusCode"}`. The results are [`crate::serp`]'s mix; older dated
//! results show a date instead of "… ago", as Google does.

use crate::config::Family;
use crate::dates;
use crate::resp::{self, ErrKind};
use crate::serp::{self, Kind};
use crate::state::AppState;
use crate::synth;
use crate::tavily::EMPTY_MARKER;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct SearchRequest {
    q: String,
    #[serde(default)]
    num: Option<u64>,
    #[serde(default)]
    tbs: Option<String>,
    #[serde(default)]
    gl: Option<String>,
    #[serde(default)]
    hl: Option<String>,
    #[serde(default)]
    page: Option<u64>,
}

pub(crate) async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let checked = parse(&headers, &body);
    let (req, admit) = match state.admit_checked(Family::Serper, checked, error).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let seed = synth::fnv1a(&body);
    let num = req.num.unwrap_or(10).clamp(1, 100) as usize;
    let max_age = match req.tbs.as_deref() {
        Some("qdr:h" | "qdr:d") => Some(1),
        Some("qdr:w") => Some(7),
        Some("qdr:m") => Some(31),
        Some("qdr:y") => Some(365),
        _ => None,
    };
    let hits = if req.q.contains(EMPTY_MARKER) {
        Vec::new()
    } else {
        serp::results(&req.q, seed, num, false, max_age)
    };
    let date = |d: i64| {
        if d <= 30 {
            dates::age_words(d)
        } else {
            let (y, m, day) = dates::civil(dates::TODAY - d);
            let months = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            format!("{} {day}, {y}", months[(m as usize + 11) % 12])
        }
    };
    let organic: Vec<Value> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut r =
                json!({"title": h.title, "link": h.url, "snippet": h.snippet, "position": i + 1});
            if let Some(d) = h.days_ago {
                r["date"] = json!(date(d));
            }
            r
        })
        .collect();
    let mut v = json!({
        "searchParameters": {"q": req.q, "gl": req.gl.as_deref().unwrap_or("us"),
                             "hl": req.hl.as_deref().unwrap_or("en"), "num": num,
                             "page": req.page.unwrap_or(1), "type": "search", "engine": "google"},
        "organic": organic,
        "credits": 1,
        "synthetic": true
    });
    if let Some(tbs) = &req.tbs {
        v["searchParameters"]["tbs"] = json!(tbs);
    }
    let lower = req.q.to_ascii_lowercase();
    if ["news", "press", "announce"]
        .iter()
        .any(|w| lower.contains(w))
    {
        let news: Vec<Value> = hits
            .iter()
            .filter(|h| h.kind == Kind::News)
            .enumerate()
            .map(|(i, h)| {
                json!({"title": h.title, "link": h.url, "snippet": h.snippet,
                       "date": h.days_ago.map(date), "source": h.site, "position": i + 1})
            })
            .collect();
        v["news"] = json!(news);
    }
    resp::ok_json(admit.malformed, &v)
}

/// The key in `X-API-KEY`, and a body with a non-blank `q`.
fn parse(headers: &HeaderMap, body: &[u8]) -> Result<SearchRequest, ErrKind> {
    if headers.get("x-api-key").is_none_or(|v| v.is_empty()) {
        return Err(ErrKind::Unauthorized("Unauthorized.".into()));
    }
    let req: SearchRequest = serde_json::from_slice(body)
        .map_err(|e| ErrKind::bad(format!("Invalid request body: {e}")))?;
    if req.q.trim().is_empty() {
        return Err(ErrKind::bad("Missing query parameter: q"));
    }
    Ok(req)
}

fn error(e: &ErrKind) -> Response {
    let wording = resp::Wording {
        unauthorized: StatusCode::FORBIDDEN,
        rate_limited: "Too many requests, please slow down. (sandbox)",
        quota_exhausted: (StatusCode::BAD_REQUEST, "Not enough credits (sandbox)"),
        unavailable: "Service temporarily unavailable (sandbox)",
    };
    wording.error(
        e,
        |status, message| json!({"message": message, "statusCode": status.as_u16()}),
    )
}
