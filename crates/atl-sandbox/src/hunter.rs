//! Hunter.io v2: `GET /v2/email-finder` and `GET /v2/email-verifier`.
//!
//! Hunter signals per-second rate limits with **403** and no headers (and "monthly
//! quota exhausted" with 429), so the sandbox's rate-limit fault answers 403 here.

use crate::config::Family;
use crate::resp::{self, ErrKind};
use crate::state::AppState;
use crate::synth::{self, Rng};
use axum::extract::{Query, State, rejection::QueryRejection};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize, Default)]
pub(crate) struct FinderQuery {
    domain: Option<String>,
    company: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    full_name: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct VerifierQuery {
    email: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) async fn email_finder(
    State(state): State<AppState>,
    query: Result<Query<FinderQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        state.count_only(Family::Hunter);
        return error(&ErrKind::bad("Invalid query string"));
    };
    let Some(place) = nonempty(&q.domain).or(nonempty(&q.company)) else {
        state.count_only(Family::Hunter);
        return error(&ErrKind::bad(
            "You are missing the domain or company parameter",
        ));
    };
    let names = match (
        nonempty(&q.first_name),
        nonempty(&q.last_name),
        nonempty(&q.full_name),
    ) {
        (Some(f), Some(l), _) => (f.to_string(), l.to_string()),
        (_, _, Some(full)) => match full.split_once(' ') {
            Some((f, l)) => (f.to_string(), l.trim().to_string()),
            None => (full.to_string(), String::new()),
        },
        _ => {
            state.count_only(Family::Hunter);
            return error(&ErrKind::bad(
                "You are missing the first_name and last_name (or full_name) parameters",
            ));
        }
    };
    let admit = match state.admit(Family::Hunter).await {
        Ok(a) => a,
        Err(e) => return error(&e),
    };
    let domain = match nonempty(&q.domain) {
        Some(d) => synth::normalize_domain(d),
        None => format!("{}.example", synth::slug(place)),
    };
    let seed = synth::fnv1a(format!("{}|{}|{domain}", names.0, names.1).as_bytes());
    let mut rng = Rng::new(seed);
    // ~10 % of people have no guessable address: `email: null`, as Hunter answers.
    let miss = synth::mix(seed).is_multiple_of(10) || names.1.is_empty();
    let email = (!miss).then(|| synth::email_for(&names.0, &names.1, &domain));
    let status = verifier_status(seed);
    let v = json!({
        "data": {
            "first_name": names.0, "last_name": names.1,
            "email": email, "score": if miss { Value::Null } else { json!(rng.range(70, 99)) },
            "domain": domain, "accept_all": status == "accept_all",
            "position": null, "twitter": null, "linkedin_url": null, "phone_number": null,
            "company": nonempty(&q.company).map_or_else(|| synth::name_from_domain(&domain), str::to_string),
            "sources": if miss { json!([]) } else { json!([{"domain": domain, "uri": format!("{}/sites/{domain}/about", synth::SYNTH_HOST),
                          "extracted_on": "2026-05-01", "last_seen_on": "2026-10-01", "still_on_page": true}]) },
            "verification": {"date": if miss { Value::Null } else { json!("2026-10-02") }, "status": if miss { Value::Null } else { json!(status) }},
            "synthetic": true
        },
        "meta": {"params": {"first_name": q.first_name, "last_name": q.last_name, "full_name": q.full_name,
                            "domain": q.domain, "company": q.company}}
    });
    resp::ok_json(admit.malformed, &v)
}

/// valid / accept_all / unknown, by hash (60 / 25 / 15 %).
fn verifier_status(seed: u64) -> &'static str {
    match synth::mix(seed ^ 0x4855) % 20 {
        0..=11 => "valid",
        12..=16 => "accept_all",
        _ => "unknown",
    }
}

pub(crate) async fn email_verifier(
    State(state): State<AppState>,
    query: Result<Query<VerifierQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let Some(email) = nonempty(&q.email)
        .filter(|e| e.contains('@'))
        .map(str::to_ascii_lowercase)
    else {
        state.count_only(Family::Hunter);
        return error(&ErrKind::bad("You are missing the email parameter"));
    };
    let admit = match state.admit(Family::Hunter).await {
        Ok(a) => a,
        Err(e) => return error(&e),
    };
    let seed = synth::fnv1a(email.as_bytes());
    let status = verifier_status(seed);
    let (result, score) = match status {
        "valid" => ("deliverable", 97),
        "accept_all" => ("risky", 70),
        _ => ("risky", 50),
    };
    let v = json!({
        "data": {
            "status": status, "result": result, "score": score, "email": email,
            "regexp": true, "gibberish": false, "disposable": false, "webmail": false,
            "mx_records": true, "smtp_server": true, "smtp_check": status == "valid",
            "accept_all": status == "accept_all", "block": false, "sources": [],
            "synthetic": true
        },
        "meta": {"params": {"email": email}}
    });
    resp::ok_json(admit.malformed, &v)
}

fn error(e: &ErrKind) -> Response {
    let (status, id, details) = match e {
        ErrKind::BadRequest(m) => (StatusCode::BAD_REQUEST, "wrong_params", m.clone()),
        ErrKind::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "authentication_failed", m.clone()),
        ErrKind::RateLimited { .. } => (
            StatusCode::FORBIDDEN,
            "too_many_requests",
            "You have reached the rate limit (sandbox fault)".into(),
        ),
        ErrKind::QuotaExhausted => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "You have reached your monthly usage limit (sandbox fault)".into(),
        ),
        ErrKind::Overloaded | ErrKind::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service unavailable (sandbox fault)".into(),
        ),
        ErrKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error (sandbox fault)".into(),
        ),
    };
    resp::json(
        status,
        &json!({"errors": [{"id": id, "code": status.as_u16(), "details": details}]}),
    )
}
