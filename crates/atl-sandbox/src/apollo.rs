//! Apollo.io: people match, bulk match, organization enrich (single and bulk), people
//! search.
//!
//! Apollo takes its parameters either as a JSON body or as a query string, so every
//! handler reads both (body first). What Apollo does that clients must survive, and the
//! sandbox does too:
//!
//! * `people/bulk_match` takes at most 10 `details` (more is a 422); `matches[i]` is the
//!   person for `details[i]`, `null` for a miss; a hit costs a credit and a revealed
//!   mobile number 8 more (`reveal_phone_number=true`); misses cost nothing.
//! * `mixed_people/api_search` is free and shows no e-mail or phone: last names are
//!   obfuscated (`Va***e`), `has_email`/`has_direct_phone` say what a reveal would give,
//!   and the `id`s feed `people/bulk_match` to reveal the same person in full.
//! * Unknown organizations answer `{}` or `{"organization": null}`.
//! * Limits are fixed windows per key and per endpoint, reported on every reply in
//!   `x-rate-limit-minute`, `x-minute-usage`, `x-minute-requests-left` (and hourly,
//!   24-hour); going over is a 429 whose message names the endpoint and its limit, with
//!   no `Retry-After`. Bulk endpoints get a tenth of the single endpoint's limit.
//!
//! Who is found, who has moved and which e-mails bounce is in [`crate::people`].

use crate::apollo_records::{self as records, MatchInputs};
use crate::config::Family;
use crate::ctx;
use crate::limits::LimitKind;
use crate::people::{self, Outcome};
use crate::resp::{self, ErrKind};
use crate::state::AppState;
use crate::synth::{self, Rng};
use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request, rejection::QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// At most this many people per bulk match and domains per bulk enrich.
const BULK_MAX: usize = 10;

/// Body fields and query parameters, looked up as one.
struct Params {
    body: Map<String, Value>,
    query: Vec<(String, String)>,
}

impl Params {
    fn parse(body: &[u8], query: QueryPairs) -> Result<Params, ErrKind> {
        let query = match query {
            Ok(Query(q)) => q,
            Err(e) => return Err(ErrKind::bad(format!("invalid query string: {e}"))),
        };
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(m)) => m,
                Ok(_) => return Err(ErrKind::bad("request body must be a JSON object")),
                Err(e) => return Err(ErrKind::bad(format!("invalid JSON body: {e}"))),
            }
        };
        Ok(Params { body, query })
    }

    fn get(&self, key: &str) -> Option<String> {
        match self.body.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.trim().to_string()),
            Some(Value::Number(n)) => return Some(n.to_string()),
            Some(Value::Bool(b)) => return Some(b.to_string()),
            _ => {}
        }
        self.query
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    }

    fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// `key` as a JSON array in the body, or repeated `key[]=`/`key=` in the query.
    fn list(&self, key: &str) -> Vec<String> {
        if let Some(Value::Array(items)) = self.body.get(key) {
            return items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
        }
        let bracketed = format!("{key}[]");
        self.query
            .iter()
            .filter(|(k, _)| *k == key || *k == bracketed)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// What every Apollo handler reads: the query string and the body.
pub(crate) struct Call {
    state: AppState,
    query: QueryPairs,
    body: Bytes,
}

impl FromRequest<AppState> for Call {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let query = Query::try_from_uri(&parts.uri);
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Call {
            state: state.clone(),
            query,
            body,
        })
    }
}

/// A request past the gate, with what its endpoint's check took from the parameters.
struct Admitted<T> {
    state: AppState,
    body: Bytes,
    params: Params,
    checked: T,
    /// The body must be mangled on the way out.
    malformed: bool,
}

impl Call {
    /// Parse the parameters and let `check` take what the endpoint needs (a refusal is
    /// counted, before the gate), then pass the gate. `Err` is the reply.
    async fn admit<T>(
        self,
        check: impl FnOnce(&Params) -> Result<T, ErrKind>,
    ) -> Result<Admitted<T>, Response> {
        let parsed = Params::parse(&self.body, self.query)
            .and_then(|params| check(&params).map(|checked| (params, checked)));
        let ((params, checked), admit) = self
            .state
            .admit_checked(Family::Apollo, parsed, error)
            .await?;
        Ok(Admitted {
            state: self.state,
            body: self.body,
            params,
            checked,
            malformed: admit.malformed,
        })
    }
}

/// A check for endpoints that take every parameter as optional.
fn anything(_: &Params) -> Result<(), ErrKind> {
    Ok(())
}

pub(crate) async fn people_match(call: Call) -> Result<Response, Response> {
    let req = call.admit(anything).await?;
    let inputs = MatchInputs::from(|k| req.params.get(k));
    let person = records::resolve(&req.state, &inputs).map_or(Value::Null, |m| m.record);
    Ok(ok(req.malformed, &json!({"person": person})))
}

/// `details`: at most [`BULK_MAX`] people to match.
fn details(params: &Params) -> Result<Vec<Value>, ErrKind> {
    match params.body.get("details") {
        Some(Value::Array(d)) if d.len() <= BULK_MAX => Ok(d.clone()),
        Some(Value::Array(d)) => Err(ErrKind::bad(format!(
            "You can only enrich up to {BULK_MAX} people per request ({} given)",
            d.len()
        ))),
        _ => Err(ErrKind::bad("details is required and must be an array")),
    }
}

pub(crate) async fn bulk_match(call: Call) -> Result<Response, Response> {
    let req = call.admit(details).await?;
    let details = &req.checked;
    let reveal_phone = req.params.flag("reveal_phone_number");
    let mut matches = Vec::with_capacity(details.len());
    let mut ids = Vec::new();
    let mut credits = 0;
    for d in details {
        let field = |k: &str| {
            d.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        match records::resolve(&req.state, &MatchInputs::from(field)) {
            Some(m) => {
                credits += 1 + if reveal_phone && m.has_mobile { 8 } else { 0 };
                ids.push(m.id);
                matches.push(m.record);
            }
            None => matches.push(Value::Null),
        }
    }
    let found = ids.len();
    ids.sort_unstable();
    ids.dedup();
    Ok(ok(
        req.malformed,
        &json!({
            "status": "success", "error_code": null, "error_message": null,
            "total_requested_enrichments": details.len(), "unique_enriched_records": ids.len(),
            "missing_records": details.len() - found, "credits_consumed": credits,
            "matches": matches
        }),
    ))
}

fn organization(registrable: &str) -> Option<Value> {
    records::org_known(registrable).then(|| records::org_record(registrable, None))
}

/// `domain`, required.
fn domain(params: &Params) -> Result<String, ErrKind> {
    params
        .get("domain")
        .ok_or_else(|| ErrKind::bad("domain is required"))
}

pub(crate) async fn organization_enrich(call: Call) -> Result<Response, Response> {
    let req = call.admit(domain).await?;
    let registrable = people::registrable_domain(&req.checked);
    let v = match organization(&registrable) {
        Some(org) => json!({"organization": org}),
        // Apollo answers an unknown domain both ways; which one is fixed per domain.
        None if synth::fnv1a(registrable.as_bytes()).is_multiple_of(2) => json!({}),
        None => json!({"organization": null}),
    };
    Ok(ok(req.malformed, &v))
}

/// `domains`: 1 to [`BULK_MAX`] of them.
fn domains(params: &Params) -> Result<Vec<String>, ErrKind> {
    let domains = params.list("domains");
    if domains.is_empty() || domains.len() > BULK_MAX {
        return Err(ErrKind::bad(format!(
            "domains must list 1 to {BULK_MAX} domains ({} given)",
            domains.len()
        )));
    }
    Ok(domains)
}

pub(crate) async fn organization_bulk_enrich(call: Call) -> Result<Response, Response> {
    let req = call.admit(domains).await?;
    let domains = &req.checked;
    let mut unique: Vec<String> = domains
        .iter()
        .map(|d| people::registrable_domain(d))
        .collect();
    unique.sort_unstable();
    unique.dedup();
    let organizations: Vec<Value> = unique.iter().filter_map(|d| organization(d)).collect();
    Ok(ok(
        req.malformed,
        &json!({
            "status": "success", "error_code": null, "error_message": null,
            "total_requested_domains": domains.len(), "unique_domains": unique.len(),
            "unique_enriched_records": organizations.len(),
            "missing_records": unique.len() - organizations.len(),
            "organizations": organizations
        }),
    ))
}

/// Whether a title matches a `person_titles[]` filter the way Apollo's does: every word
/// of the filter is in the title (`VP Sales` matches `VP of Sales`), and the usual
/// acronyms stand for their chief titles.
fn title_matches(title: &str, filter: &str) -> bool {
    let t = title.to_ascii_lowercase();
    let f = filter.trim().to_ascii_lowercase();
    let words: Vec<&str> = t.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    let expanded = match f.as_str() {
        // `Founder & CEO` is a CEO too.
        "ceo" if words.contains(&"ceo") => return true,
        "ceo" => "chief executive",
        "cfo" => "chief financial",
        "cto" => "chief technology",
        "coo" => "chief operating",
        "cro" => "chief revenue",
        other => other,
    };
    expanded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && !["of", "and", "the"].contains(w))
        .all(|w| words.contains(&w))
}

/// `mixed_people/api_search` (obfuscated last names, no e-mails) and the legacy
/// `mixed_people/search` (full records with a locked e-mail).
pub(crate) async fn people_search(call: Call, legacy: bool) -> Result<Response, Response> {
    let req = call.admit(anything).await?;
    let params = &req.params;
    let mut domains: Vec<String> = params
        .list("q_organization_domains_list")
        .iter()
        .chain(params.get("domain").iter())
        .map(|d| people::registrable_domain(d))
        .filter(|d| d.contains('.'))
        .collect();
    let mut seen = std::collections::HashSet::new();
    domains.retain(|d| seen.insert(d.clone()));
    if domains.is_empty() {
        let mut rng = Rng::new(synth::fnv1a(&req.body));
        domains.push(format!(
            "{}.example",
            synth::slug(&synth::company_name(&mut rng))
        ));
    }
    let seniorities = params.list("person_seniorities");
    let titles = params.list("person_titles");
    let listed: Vec<(String, people::Member)> = domains
        .iter()
        .flat_map(|d| people::team(d).into_iter().map(move |m| (d.clone(), m)))
        .filter(|(d, m)| people::outcome(&m.local, d) == Outcome::Hit)
        .filter(|(_, m)| {
            seniorities.is_empty() || seniorities.iter().any(|s| s == m.role.seniority)
        })
        .filter(|(_, m)| {
            titles.is_empty() || titles.iter().any(|t| title_matches(&m.role.title, t))
        })
        .collect();
    let total = listed.len();
    let page = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = params
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let people: Vec<Value> = listed
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .filter_map(|(domain, m)| {
            let full = records::member_record(domain, m)?;
            req.state.people().remember(
                &full.id,
                &people::Known {
                    first: m.first.clone(),
                    last: m.last.clone(),
                    registrable: domain.clone(),
                    organization_name: None,
                    title: None,
                },
            );
            Some(if legacy {
                let mut r = full.record;
                r["email"] = json!(format!(
                    "email_not_unlocked@{}",
                    people::mail_domain(domain)
                ));
                r
            } else {
                listing(&full.record)
            })
        })
        .collect();
    Ok(ok(
        req.malformed,
        &json!({
            "total_entries": total,
            "people": people,
            "contacts": [],
            "pagination": {"page": page, "per_page": per_page, "total_entries": total,
                           "total_pages": total.div_ceil(per_page)},
            "breadcrumbs": [],
            "synthetic": true
        }),
    ))
}

/// What api_search shows of a full record: no surname, e-mail or phone.
fn listing(full: &Value) -> Value {
    let direct = full["phone_numbers"].as_array().is_some_and(|p| {
        p.iter()
            .any(|n| n["type"] == "mobile" || n["type"] == "work_direct")
    });
    let org = &full["organization"];
    json!({
        "id": full["id"], "first_name": full["first_name"],
        "last_name_obfuscated": records::obfuscate(full["last_name"].as_str().unwrap_or("")),
        "title": full["title"], "seniority": full["seniority"], "departments": full["departments"],
        "has_email": !full["email"].is_null() && full["email_status"] != "unavailable",
        "has_direct_phone": if direct { "Yes" } else { "Maybe: please request direct dial via people/bulk_match" },
        "has_city": true, "has_state": true, "has_country": true,
        "last_refreshed_at": "2026-10-01T00:00:00.000+00:00",
        "organization": {"name": org["name"], "primary_domain": org["primary_domain"],
                         "has_industry": true, "has_employee_count": true, "has_revenue": true},
        "synthetic": true
    })
}

fn ok(malformed: bool, v: &Value) -> Response {
    usage_headers(resp::ok_json(malformed, v), false)
}

/// Apollo's usage headers: the limiter's readings for this key and endpoint, or (for a
/// request refused before it was counted) the paid plans' nominal figures.
fn usage_headers(r: Response, exhausted: bool) -> Response {
    let view = ctx::rate();
    let reading = |kind: LimitKind, nominal: u64| -> (u64, u64, u64) {
        match view.as_ref().and_then(|v| v.get(kind)) {
            Some(x) if exhausted => (x.limit, x.limit, 0),
            Some(x) => (x.limit, x.used, x.remaining()),
            None if exhausted => (nominal, nominal, 0),
            None => (nominal, 1, nominal - 1),
        }
    };
    let (m, h, d) = (
        reading(LimitKind::Rpm, 1_000),
        reading(LimitKind::Rph, 6_000),
        reading(LimitKind::Rpd, 50_000),
    );
    resp::with_headers(
        r,
        &[
            ("x-rate-limit-minute", m.0.to_string()),
            ("x-minute-usage", m.1.to_string()),
            ("x-minute-requests-left", m.2.to_string()),
            ("x-rate-limit-hourly", h.0.to_string()),
            ("x-hourly-usage", h.1.to_string()),
            ("x-hourly-requests-left", h.2.to_string()),
            ("x-rate-limit-24-hour", d.0.to_string()),
            ("x-24-hour-usage", d.1.to_string()),
            ("x-24-hour-requests-left", d.2.to_string()),
        ],
    )
}

fn endpoint_name() -> String {
    let e = ctx::endpoint();
    let e = e.trim_start_matches('/');
    if e.is_empty() {
        "api/v1/people/match".into()
    } else {
        e.to_string()
    }
}

pub(crate) fn error(e: &ErrKind) -> Response {
    resp::vendor_error(e, render_error)
}

fn render_error(e: &ErrKind) -> Response {
    let (status, body) = match e {
        ErrKind::BadRequest(m) => (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": m})),
        ErrKind::Unauthorized(m) => (StatusCode::UNAUTHORIZED, json!({"error": m})),
        ErrKind::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": format!("The maximum number of api calls allowed for {} is 1000 times per minute. Please upgrade your plan. (sandbox fault)", endpoint_name())}),
        ),
        ErrKind::Limited(view) => {
            let (limit, word) = view
                .hit_reading()
                .map_or((0, "minute"), |r| (r.limit, r.kind.window_word()));
            (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"error": format!("The maximum number of api calls allowed for {} is {limit} times per {word}. Please upgrade your plan.", endpoint_name())}),
            )
        }
        ErrKind::QuotaExhausted => (
            StatusCode::FORBIDDEN,
            json!({"error": format!("{} is not accessible with this api_key on a free plan. (sandbox)", endpoint_name()), "error_code": "API_INACCESSIBLE"}),
        ),
        ErrKind::Overloaded | ErrKind::Unavailable | ErrKind::Outage { .. } | ErrKind::Reset => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "Service unavailable (sandbox)"}),
        ),
        ErrKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "Internal server error (sandbox fault)"}),
        ),
    };
    let r = resp::json(status, &body);
    match e {
        ErrKind::RateLimited { retry_after_secs } => {
            usage_headers(resp::retry_after(r, *retry_after_secs), true)
        }
        // Apollo documents no Retry-After: the headers say when the window reopens.
        ErrKind::Limited(_) => usage_headers(r, false),
        _ => usage_headers(r, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_filters_match_like_apollo() {
        assert!(title_matches("VP of Sales", "VP Sales"));
        assert!(title_matches("Chief Executive Officer", "CEO"));
        assert!(title_matches("Founder & CEO", "CEO"));
        assert!(!title_matches("Director of Sales", "VP Sales"));
    }
}
