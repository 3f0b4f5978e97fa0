//! Hunter.io v2: `GET /v2/email-finder` and `GET /v2/email-verifier`.
//!
//! How Hunter behaves, and so the sandbox:
//!
//! * The verifier's `status` is one of `valid`, `invalid`, `accept_all`, `webmail`,
//!   `disposable`, `unknown`; `result` (`deliverable` / `undeliverable` / `risky`) is
//!   the older field it replaces.
//! * 15 % of company domains are **catch-all** (chosen by the hash of the domain's
//!   registrable label, so `acme.com` and `acme.example` agree): their mail servers
//!   accept every address, so every address there is `accept_all` with a score of 60–75,
//!   even one that Apollo reports as `bounced`. Elsewhere an address Apollo saw bounce
//!   is `invalid`, and the rest are 80 % `valid`, 8 % `invalid`, 12 % `unknown`.
//! * A slow SMTP check answers HTTP 202 (still running; ask again later): the
//!   `pending` knob.
//! * Hunter signals per-second and per-minute rate limits with **403** and no headers,
//!   and an exhausted monthly quota with **429**.
//! * The finder guesses the address from the company's pattern at the (reserved)
//!   domain, with a score, `accept_all`, a dated verification and its sources; for about
//!   20 % of people it finds nothing (`email: null`, no credit used).

use crate::config::Family;
use crate::dates;
use crate::people;
use crate::resp::{self, ErrKind};
use crate::state::{AppState, Extra};
use crate::synth::{self, Rng, SYNTH_HOST};
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

const WEBMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "aol.com",
    "icloud.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
];

const DISPOSABLE: &[&str] = &[
    "mailinator.com",
    "10minutemail.com",
    "guerrillamail.com",
    "yopmail.com",
    "tempmail.com",
    "trashmail.com",
];

/// Whether the mail servers of a company accept every address (15 % of labels).
pub(crate) fn catch_all(registrable: &str) -> bool {
    synth::mix(synth::fnv1a(people::label(registrable).as_bytes()) ^ 0xca7c) % 100 < 15
}

/// What the verifier concludes about one address.
struct Verdict {
    status: &'static str,
    result: &'static str,
    score: i64,
    accept_all: bool,
    smtp_check: bool,
}

fn verdict(email: &str) -> Verdict {
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
    let registrable = people::registrable_domain(domain);
    let mut rng = Rng::new(synth::fnv1a(email.as_bytes()) ^ 0x4855);
    let (status, result, score) = if WEBMAIL.contains(&registrable.as_str()) {
        ("webmail", "deliverable", rng.range(70, 90))
    } else if DISPOSABLE.contains(&registrable.as_str()) {
        ("disposable", "risky", rng.range(10, 40))
    } else if catch_all(&registrable) {
        ("accept_all", "risky", rng.range(60, 75))
    } else if people::email_status(email) == "bounced" {
        ("invalid", "undeliverable", rng.range(0, 20))
    } else {
        match rng.below(100) {
            0..=79 => ("valid", "deliverable", rng.range(85, 99)),
            80..=87 => ("invalid", "undeliverable", rng.range(0, 20)),
            _ => ("unknown", "risky", rng.range(30, 55)),
        }
    };
    Verdict {
        status,
        result,
        score,
        accept_all: status == "accept_all",
        // An accept-all server says yes to every RCPT: the SMTP check passes and means nothing.
        smtp_check: matches!(status, "valid" | "accept_all" | "webmail"),
    }
}

fn sources(registrable: &str, rng: &mut Rng) -> Value {
    let n = 1 + rng.below(2);
    let pages = ["about", "news", ""];
    Value::Array(
        (0..n)
            .map(|i| {
                let seen = rng.range(1, 60);
                let found = seen + rng.range(30, 700);
                json!({"domain": registrable,
                       "uri": format!("{SYNTH_HOST}/sites/{registrable}/{}", pages[i as usize % pages.len()]),
                       "extracted_on": dates::days_ago(found), "last_seen_on": dates::days_ago(seen),
                       "still_on_page": rng.below(5) != 0})
            })
            .collect(),
    )
}

/// Where to look (domain, else company) and the first and last name to look for.
fn finder_params(q: &FinderQuery) -> Result<(&str, (String, String)), ErrKind> {
    let place = nonempty(&q.domain)
        .or(nonempty(&q.company))
        .ok_or_else(|| ErrKind::bad("You are missing the domain or company parameter"))?;
    let names = match (
        nonempty(&q.first_name),
        nonempty(&q.last_name),
        nonempty(&q.full_name),
    ) {
        (Some(f), Some(l), _) => (f.to_string(), l.to_string()),
        (_, _, Some(full)) => people::split_name(full),
        _ => {
            return Err(ErrKind::bad(
                "You are missing the first_name and last_name (or full_name) parameters",
            ));
        }
    };
    Ok((place, names))
}

pub(crate) async fn email_finder(
    State(state): State<AppState>,
    query: Result<Query<FinderQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return state.refuse(Family::Hunter, &ErrKind::bad("Invalid query string"), error);
    };
    let ((place, names), admit) = match state
        .admit_checked(Family::Hunter, finder_params(&q), error)
        .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let registrable = match nonempty(&q.domain) {
        Some(d) => people::registrable_domain(d),
        None => format!("{}.example", synth::slug(place)),
    };
    let local = people::local_part(&format!("{} {}", names.0, names.1)).unwrap_or_default();
    let seed = synth::fnv1a(format!("{local}@{registrable}").as_bytes());
    let mut rng = Rng::new(seed);
    // About 20 % of people have no address Hunter can find or guess.
    let miss = synth::mix(seed).is_multiple_of(5) || names.1.is_empty() || local.is_empty();
    let email = (!miss).then(|| format!("{local}@{}", people::mail_domain(&registrable)));
    let found = email.as_deref().map(verdict);
    let position = people::team(&registrable)
        .into_iter()
        .find(|m| m.local == local)
        .map(|m| m.role.title);
    let v = json!({
        "data": {
            "first_name": names.0, "last_name": names.1,
            "email": email,
            "score": found.as_ref().map(|v| v.score.max(40)),
            "domain": registrable, "accept_all": catch_all(&registrable),
            "position": position, "twitter": null, "linkedin_url": null, "phone_number": null,
            "company": nonempty(&q.company).map_or_else(|| synth::name_from_domain(&registrable), str::to_string),
            "sources": if miss { json!([]) } else { sources(&registrable, &mut rng) },
            "verification": {"date": found.as_ref().map(|_| dates::days_ago(rng.range(1, 30))),
                             "status": found.as_ref().map(|v| v.status)},
            "synthetic": true
        },
        "meta": {"params": {"first_name": q.first_name, "last_name": q.last_name, "full_name": q.full_name,
                            "domain": q.domain, "company": q.company}}
    });
    resp::ok_json(admit.malformed, &v)
}

pub(crate) async fn email_verifier(
    State(state): State<AppState>,
    query: Result<Query<VerifierQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let checked = nonempty(&q.email)
        .filter(|e| e.contains('@'))
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| ErrKind::bad("You are missing the email parameter"));
    let (email, admit) = match state.admit_checked(Family::Hunter, checked, error).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if admit.extras.has(Extra::Pending) {
        return resp::json(
            StatusCode::ACCEPTED,
            &json!({"errors": [{"id": "verification_in_progress", "code": 202,
                    "details": "The verification is still running; make the same request again later. (sandbox)"}],
                    "meta": {"params": {"email": email}}}),
        );
    }
    let v = verdict(&email);
    let registrable = people::registrable_domain(email.rsplit_once('@').map_or("", |(_, d)| d));
    let mut rng = Rng::new(synth::fnv1a(email.as_bytes()));
    let body = json!({
        "data": {
            "status": v.status, "result": v.result, "score": v.score, "email": email,
            "regexp": true, "gibberish": false, "disposable": v.status == "disposable",
            "webmail": v.status == "webmail", "mx_records": true, "smtp_server": v.status != "unknown",
            "smtp_check": v.smtp_check, "accept_all": v.accept_all, "block": false,
            "sources": if matches!(v.status, "valid" | "accept_all") { sources(&registrable, &mut rng) } else { json!([]) },
            "synthetic": true
        },
        "meta": {"params": {"email": email}}
    });
    resp::ok_json(admit.malformed, &body)
}

fn error(e: &ErrKind) -> Response {
    resp::vendor_error(e, render_error)
}

fn render_error(e: &ErrKind) -> Response {
    let (status, id, details) = match e {
        ErrKind::BadRequest(m) => (StatusCode::BAD_REQUEST, "wrong_params", m.clone()),
        ErrKind::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "authentication_failed", m.clone()),
        ErrKind::RateLimited { .. } | ErrKind::Limited(_) => (
            StatusCode::FORBIDDEN,
            "too_many_requests",
            "You have reached the rate limit for this endpoint. Please slow down. (sandbox)".into(),
        ),
        ErrKind::QuotaExhausted => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "You have reached your monthly usage limit (sandbox)".into(),
        ),
        ErrKind::Overloaded | ErrKind::Unavailable | ErrKind::Outage { .. } | ErrKind::Reset => (
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service unavailable (sandbox)".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_all_share_and_verdicts() {
        let n = (0..2000)
            .filter(|i| catch_all(&format!("company{i}.com")))
            .count();
        assert!((220..380).contains(&n), "{n}");
        assert_eq!(catch_all("acme.com"), catch_all("acme.example"));
        assert_eq!(verdict("someone@gmail.com").status, "webmail");
        assert_eq!(verdict("x@mailinator.com").status, "disposable");
    }
}
