//! Apollo.io: people match, bulk match, organization enrich, people search.
//!
//! Apollo takes its parameters either as a JSON body or as a query string, so every
//! handler reads both (body first). About 10 % of match inputs are deterministic misses
//! (`"person": null`), chosen by the hash of the input.

use crate::config::Family;
use crate::resp::{self, ErrKind};
use crate::state::AppState;
use crate::synth::{self, Rng, SYNTH_HOST};
use axum::body::Bytes;
use axum::extract::{Query, State, rejection::QueryRejection};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

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
            _ => {}
        }
        self.query
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
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

    fn seed(&self, body: &[u8]) -> u64 {
        let mut h = synth::fnv1a(body);
        for (k, v) in &self.query {
            h = synth::fnv1a_more(synth::fnv1a_more(h, k.as_bytes()), v.as_bytes());
        }
        h
    }
}

/// Inputs of one person match (one `details[]` entry of a bulk match).
fn match_inputs(get: impl Fn(&str) -> Option<String>) -> MatchInputs {
    MatchInputs {
        first_name: get("first_name"),
        last_name: get("last_name"),
        name: get("name"),
        email: get("email"),
        organization_name: get("organization_name"),
        domain: get("domain").map(|d| synth::normalize_domain(&d)),
        id: get("id"),
        linkedin_url: get("linkedin_url"),
        title: get("title"),
    }
}

struct MatchInputs {
    first_name: Option<String>,
    last_name: Option<String>,
    name: Option<String>,
    email: Option<String>,
    organization_name: Option<String>,
    domain: Option<String>,
    id: Option<String>,
    linkedin_url: Option<String>,
    title: Option<String>,
}

impl MatchInputs {
    fn is_empty(&self) -> bool {
        self.first_name.is_none()
            && self.last_name.is_none()
            && self.name.is_none()
            && self.email.is_none()
            && self.organization_name.is_none()
            && self.domain.is_none()
            && self.id.is_none()
            && self.linkedin_url.is_none()
    }
}

fn is_miss(seed: u64) -> bool {
    synth::mix(seed).is_multiple_of(10)
}

async fn gate(state: &AppState) -> Result<bool, Response> {
    state
        .admit(Family::Apollo)
        .await
        .map(|a| a.malformed)
        .map_err(|e| error(&e))
}

pub(crate) async fn people_match(
    State(state): State<AppState>,
    query: QueryPairs,
    body: Bytes,
) -> Response {
    let params = match Params::parse(&body, query) {
        Ok(p) => p,
        Err(e) => {
            state.count_only(Family::Apollo);
            return error(&e);
        }
    };
    let malformed = match gate(&state).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let seed = params.seed(&body);
    let inputs = match_inputs(|k| params.get(k));
    let person = if inputs.is_empty() || is_miss(seed) {
        Value::Null
    } else {
        person_record(&inputs, seed)
    };
    ok(malformed, &json!({"person": person}))
}

pub(crate) async fn bulk_match(
    State(state): State<AppState>,
    query: QueryPairs,
    body: Bytes,
) -> Response {
    let params = match Params::parse(&body, query) {
        Ok(p) => p,
        Err(e) => {
            state.count_only(Family::Apollo);
            return error(&e);
        }
    };
    let details = match params.body.get("details") {
        Some(Value::Array(d)) if d.len() <= 10 => d,
        Some(Value::Array(_)) => {
            state.count_only(Family::Apollo);
            return error(&ErrKind::bad(
                "You can only enrich up to 10 people per request",
            ));
        }
        _ => {
            state.count_only(Family::Apollo);
            return error(&ErrKind::bad("details is required and must be an array"));
        }
    };
    let malformed = match gate(&state).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut matches = Vec::with_capacity(details.len());
    for d in details {
        let seed = synth::fnv1a(d.to_string().as_bytes());
        let inputs = match_inputs(|k| d.get(k).and_then(Value::as_str).map(str::to_string));
        matches.push(if inputs.is_empty() || is_miss(seed) {
            Value::Null
        } else {
            person_record(&inputs, seed)
        });
    }
    let found = matches.iter().filter(|m| !m.is_null()).count();
    ok(
        malformed,
        &json!({
            "status": "success", "error_code": null, "error_message": null,
            "total_requested_enrichments": details.len(), "unique_enriched_records": found,
            "missing_records": details.len() - found, "credits_consumed": found,
            "matches": matches
        }),
    )
}

pub(crate) async fn organization_enrich(
    State(state): State<AppState>,
    query: QueryPairs,
    body: Bytes,
) -> Response {
    let params = match Params::parse(&body, query) {
        Ok(p) => p,
        Err(e) => {
            state.count_only(Family::Apollo);
            return error(&e);
        }
    };
    let Some(domain) = params.get("domain").map(|d| synth::normalize_domain(&d)) else {
        state.count_only(Family::Apollo);
        return error(&ErrKind::bad("domain is required"));
    };
    let malformed = match gate(&state).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let seed = synth::fnv1a(domain.as_bytes());
    let name = synth::name_from_domain(&domain);
    ok(
        malformed,
        &json!({"organization": org_record(&domain, &name, seed)}),
    )
}

/// `mixed_people/api_search` (obfuscated last names, no e-mails) and the legacy
/// `mixed_people/search` (full records).
pub(crate) async fn people_search(
    state: AppState,
    query: QueryPairs,
    body: Bytes,
    legacy: bool,
) -> Response {
    let params = match Params::parse(&body, query) {
        Ok(p) => p,
        Err(e) => {
            state.count_only(Family::Apollo);
            return error(&e);
        }
    };
    let malformed = match gate(&state).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let seed = params.seed(&body);
    let mut rng = Rng::new(seed);
    let domains = params.list("q_organization_domains_list");
    let domain = domains
        .first()
        .map(|d| synth::normalize_domain(d))
        .or_else(|| params.get("domain").map(|d| synth::normalize_domain(&d)))
        .unwrap_or_else(|| format!("{}.example", synth::slug(&synth::company_name(&mut rng))));
    let company = synth::name_from_domain(&domain);
    let seniorities = params.list("person_seniorities");
    let titles = params.list("person_titles");
    let total = 3 + rng.below(4) as usize;
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

    let mut people = Vec::new();
    for i in ((page - 1) * per_page)..(page * per_page).min(total) {
        let pseed = synth::mix(seed ^ (i as u64 + 1));
        let mut prng = Rng::new(pseed);
        let (seniority, title, dept): (String, String, &str) = if !seniorities.is_empty() {
            let s = &seniorities[i % seniorities.len()];
            let (t, d) = synth::title_for_seniority(s, &mut prng);
            (s.clone(), t.to_string(), d)
        } else if !titles.is_empty() {
            let t = &titles[i % titles.len()];
            (
                synth::seniority_for_title(t).to_string(),
                t.clone(),
                "master_sales",
            )
        } else {
            let (s, t, d) =
                synth::EXECUTIVE_ROLES[(i + prng.below(3) as usize) % synth::EXECUTIVE_ROLES.len()];
            (s.to_string(), t.to_string(), d)
        };
        let first = *prng.pick(synth::FIRST_NAMES);
        let last = *prng.pick(synth::LAST_NAMES);
        let mut p = json!({
            "id": synth::object_id(pseed), "first_name": first, "title": title, "seniority": seniority,
            "departments": [dept], "has_email": true, "has_direct_phone": if prng.below(2) == 0 { "Yes" } else { "Maybe: please request direct dial via people/bulk_match" },
            "has_city": true, "has_country": true,
            "last_refreshed_at": "2026-10-01T00:00:00.000+00:00",
            "organization": {"name": company, "has_industry": true, "has_employee_count": true},
            "synthetic": true
        });
        if legacy {
            p["last_name"] = json!(last);
            p["name"] = json!(format!("{first} {last}"));
            p["linkedin_url"] = json!(synth::linkedin_for(first, last, pseed));
            p["email"] = json!(format!("email_not_unlocked@{domain}"));
            p["email_status"] = json!("verified");
            p["organization"]["primary_domain"] = json!(domain);
        } else {
            p["last_name_obfuscated"] = json!(obfuscate(last));
        }
        people.push(p);
    }
    ok(
        malformed,
        &json!({
            "total_entries": total,
            "people": people,
            "contacts": [],
            "pagination": {"page": page, "per_page": per_page, "total_entries": total,
                           "total_pages": total.div_ceil(per_page)},
            "breadcrumbs": [],
            "synthetic": true
        }),
    )
}

/// `Mockford` → `Mo***d`, as Apollo's api_search shows last names.
fn obfuscate(last: &str) -> String {
    let chars: Vec<char> = last.chars().collect();
    match chars.len() {
        0..=2 => "***".into(),
        n => format!("{}{}***{}", chars[0], chars[1], chars[n - 1]),
    }
}

fn person_record(p: &MatchInputs, seed: u64) -> Value {
    let mut rng = Rng::new(seed);
    let email_domain = p
        .email
        .as_deref()
        .and_then(|e| e.split_once('@'))
        .map(|(_, d)| synth::normalize_domain(d));
    let domain = p
        .domain
        .clone()
        .or(email_domain)
        .or_else(|| {
            p.organization_name
                .as_deref()
                .map(|o| format!("{}.example", synth::slug(o)))
        })
        .unwrap_or_else(|| format!("{}.example", synth::slug(&synth::company_name(&mut rng))));
    let company = p
        .organization_name
        .clone()
        .unwrap_or_else(|| synth::name_from_domain(&domain));
    let (first, last) = match (&p.first_name, &p.last_name, &p.name) {
        (Some(f), Some(l), _) => (f.clone(), l.clone()),
        (_, _, Some(n)) => match n.split_once(' ') {
            Some((f, l)) => (f.to_string(), l.to_string()),
            None => (n.clone(), rng.pick(synth::LAST_NAMES).to_string()),
        },
        (Some(f), None, None) => (f.clone(), rng.pick(synth::LAST_NAMES).to_string()),
        _ => match p
            .email
            .as_deref()
            .and_then(|e| e.split_once('@'))
            .and_then(|(u, _)| u.split_once('.'))
        {
            Some((f, l)) => (synth::name_from_domain(f), synth::name_from_domain(l)),
            None => (
                rng.pick(synth::FIRST_NAMES).to_string(),
                rng.pick(synth::LAST_NAMES).to_string(),
            ),
        },
    };
    let (seniority, title, dept) = match &p.title {
        Some(t) => (synth::seniority_for_title(t), t.clone(), "master_sales"),
        None => {
            let (s, t, d) = *rng.pick(synth::EXECUTIVE_ROLES);
            (s, t.to_string(), d)
        }
    };
    // Mostly verified, with the other statuses Apollo uses often enough to exercise clients.
    let email_status = match rng.below(20) {
        0..=11 => "verified",
        12..=14 => "guessed",
        15..=16 => "extrapolated",
        17..=18 => "unavailable",
        _ => "bounced",
    };
    let email = match (&p.email, email_status) {
        (Some(e), _) => json!(e.to_ascii_lowercase()),
        (None, "unavailable") => Value::Null,
        (None, _) => json!(synth::email_for(&first, &last, &domain)),
    };
    let (raw, sanitized) = synth::phone(&mut rng);
    let org_seed = synth::fnv1a(domain.as_bytes());
    let org = org_record(&domain, &company, org_seed);
    let city = *rng.pick(synth::CITIES);
    let linkedin = p
        .linkedin_url
        .clone()
        .unwrap_or_else(|| synth::linkedin_for(&first, &last, seed));
    let phones = json!([{"raw_number": raw, "sanitized_number": sanitized, "type": "mobile", "status": "valid_number"}]);
    json!({
        "id": p.id.clone().unwrap_or_else(|| synth::object_id(seed)),
        "first_name": first, "last_name": last, "name": format!("{first} {last}"),
        "title": title, "headline": format!("{title} @ {company} (synthetic)"),
        "seniority": seniority, "departments": [dept],
        "email": email, "email_status": email_status,
        "linkedin_url": linkedin,
        "twitter_url": null, "github_url": null, "photo_url": null,
        "city": city.0, "state": city.1, "country": city.2,
        "organization_id": org["id"],
        "employment_history": [{"organization_name": company, "title": title, "current": true,
                                "start_date": synth::date(&mut rng), "end_date": null}],
        "phone_numbers": phones,
        "contact": {"phone_numbers": phones},
        "organization": org,
        "synthetic": true
    })
}

fn org_record(domain: &str, name: &str, seed: u64) -> Value {
    let mut rng = Rng::new(seed);
    let employees = rng.range(20, 5000);
    let revenue = rng.range(2, 250) * 1_000_000;
    let city = *rng.pick(synth::CITIES);
    let (_, sanitized) = synth::phone(&mut rng);
    json!({
        "id": synth::object_id(seed),
        "name": name,
        "website_url": format!("{SYNTH_HOST}/sites/{domain}/"),
        "primary_domain": domain,
        "linkedin_url": format!("https://www.linkedin.com/company/synthetic-{}", synth::slug(name)),
        "industry": rng.pick(synth::INDUSTRIES),
        "keywords": ["synthetic", "sandbox", "b2b software"],
        "estimated_num_employees": employees,
        "annual_revenue": revenue,
        "annual_revenue_printed": format!("{}M", revenue / 1_000_000),
        "founded_year": rng.range(1995, 2021),
        "total_funding": rng.range(0, 80) * 1_000_000,
        "latest_funding_stage": rng.pick(&["Seed", "Series A", "Series B", "Series C"]),
        "technology_names": ["Salesforce", "HubSpot", "AWS"],
        "primary_phone": {"number": sanitized},
        "city": city.0, "state": city.1, "country": city.2,
        "short_description": format!("[synthetic] {name} is a fictional company generated by the ATL sandbox."),
        "synthetic": true
    })
}

fn ok(malformed: bool, v: &Value) -> Response {
    rate_headers(resp::ok_json(malformed, v), false)
}

fn rate_headers(r: Response, exhausted: bool) -> Response {
    let left = if exhausted { "0" } else { "999" };
    resp::with_static_headers(
        r,
        &[
            ("x-rate-limit-minute", "1000"),
            ("x-minute-usage", if exhausted { "1000" } else { "1" }),
            ("x-minute-requests-left", left),
            ("x-rate-limit-hourly", "6000"),
            ("x-hourly-usage", "1"),
            ("x-hourly-requests-left", "5999"),
            ("x-rate-limit-24-hour", "50000"),
            ("x-24-hour-usage", "1"),
            ("x-24-hour-requests-left", "49999"),
        ],
    )
}

fn error(e: &ErrKind) -> Response {
    let (status, body) = match e {
        ErrKind::BadRequest(m) => (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": m})),
        ErrKind::Unauthorized(m) => (StatusCode::UNAUTHORIZED, json!({"error": m})),
        ErrKind::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "The maximum number of api calls allowed for this endpoint is 1000 times per minute. Please upgrade your plan. (sandbox fault)"}),
        ),
        ErrKind::QuotaExhausted => (
            StatusCode::FORBIDDEN,
            json!({"error": "api/v1/people/match is not accessible with this api_key on a free plan. (sandbox fault)", "error_code": "API_INACCESSIBLE"}),
        ),
        ErrKind::Overloaded | ErrKind::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "Service unavailable (sandbox fault)"}),
        ),
        ErrKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "Internal server error (sandbox fault)"}),
        ),
    };
    let r = resp::json(status, &body);
    match e {
        ErrKind::RateLimited { retry_after_secs } => {
            rate_headers(resp::retry_after(r, *retry_after_secs), true)
        }
        _ => rate_headers(r, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obfuscates_like_apollo() {
        assert_eq!(obfuscate("Mockford"), "Mo***d");
        assert_eq!(obfuscate("Li"), "***");
    }
}
