//! Apollo.io: people match, bulk match, organization enrich and the (free) people search.
//!
//! Base URL is the host root (`https://api.apollo.io`); paths carry `/api/v1`. A miss is a
//! 200 with `person: null` and is `Ok(None)`, not an error.

use crate::http::{self, Auth, RawResponse, Vendor};
use crate::{ErrorKind, ProviderError, Usage};
use reqwest::Method;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::time::Duration;
use time::OffsetDateTime;
use url::Url;

pub const DEFAULT_BASE_URL: &str = "https://api.apollo.io";
/// Apollo's limit on `details` per bulk match.
pub const BULK_MATCH_MAX: usize = 10;
const PROVIDER: &str = "apollo";

#[derive(Debug, Clone)]
pub struct ApolloClient {
    vendor: Vendor,
}

/// Match inputs; more of them make a better match. `None` fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PersonMatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Bare domain: no scheme, `www.` or `@`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linkedin_url: Option<String>,
}

/// People search filters (`POST /api/v1/mixed_people/api_search`). Empty lists are not
/// sent. `page` is 1-based; `per_page` ≤ 100.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeopleSearch {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub person_titles: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub person_seniorities: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub q_organization_domains_list: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organization_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_keywords: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_similar_titles: Option<bool>,
    pub page: u32,
    pub per_page: u32,
}

impl Default for PeopleSearch {
    fn default() -> Self {
        PeopleSearch {
            person_titles: Vec::new(),
            person_seniorities: Vec::new(),
            q_organization_domains_list: Vec::new(),
            organization_ids: Vec::new(),
            q_keywords: None,
            include_similar_titles: None,
            page: 1,
            per_page: 25,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PhoneNumber {
    pub raw_number: Option<String>,
    pub sanitized_number: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApolloContact {
    #[serde(deserialize_with = "null_as_default")]
    pub phone_numbers: Vec<PhoneNumber>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApolloPhone {
    pub number: Option<String>,
    pub sanitized_number: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApolloOrganization {
    pub id: Option<String>,
    pub name: Option<String>,
    pub website_url: Option<String>,
    pub primary_domain: Option<String>,
    pub linkedin_url: Option<String>,
    pub industry: Option<String>,
    #[serde(deserialize_with = "lenient_u64")]
    pub estimated_num_employees: Option<u64>,
    #[serde(deserialize_with = "lenient_f64")]
    pub annual_revenue: Option<f64>,
    pub annual_revenue_printed: Option<String>,
    #[serde(deserialize_with = "lenient_u64")]
    pub founded_year: Option<u64>,
    pub short_description: Option<String>,
    pub primary_phone: Option<ApolloPhone>,
    #[serde(deserialize_with = "null_as_default")]
    pub keywords: Vec<String>,
    pub city: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ApolloPerson {
    pub id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Search results hide the last name (`"D***"`).
    pub last_name_obfuscated: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub headline: Option<String>,
    /// Apollo's seniority (`owner`, `founder`, `c_suite`, `vp`, …).
    pub seniority: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub departments: Vec<String>,
    pub email: Option<String>,
    /// Apollo's status (`verified`, `guessed`, `unavailable`, `bounced`, `extrapolated`).
    pub email_status: Option<String>,
    pub linkedin_url: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub organization_id: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub phone_numbers: Vec<PhoneNumber>,
    pub contact: Option<ApolloContact>,
    pub organization: Option<ApolloOrganization>,
    /// Search only: whether a match would reveal an e-mail / direct phone.
    pub has_email: Option<bool>,
    pub has_direct_phone: Option<Value>,
}

impl ApolloPerson {
    /// The e-mail when Apollo actually revealed one (not `null`, not the
    /// `email_not_unlocked@…` placeholder).
    pub fn usable_email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .map(str::trim)
            .filter(|e| e.contains('@') && !e.starts_with("email_not_unlocked"))
    }

    /// The first phone number, from `phone_numbers` or `contact.phone_numbers`.
    pub fn phone(&self) -> Option<&str> {
        let contact = self
            .contact
            .as_ref()
            .map(|c| c.phone_numbers.as_slice())
            .unwrap_or_default();
        self.phone_numbers
            .iter()
            .chain(contact)
            .find_map(|p| p.sanitized_number.as_deref().or(p.raw_number.as_deref()))
            .filter(|p| !p.trim().is_empty())
    }
}

/// One page of people search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeoplePage {
    pub people: Vec<ApolloPerson>,
    pub page: u32,
    pub per_page: u32,
    pub total_entries: u64,
    pub total_pages: u32,
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Numbers that sometimes arrive as strings or floats.
fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    })
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    })
}

impl ApolloClient {
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        let vendor = Vendor::new(
            PROVIDER,
            base_url,
            Some(key),
            Auth::Header("x-api-key"),
            http,
        )
        .classify_with(classify);
        ApolloClient { vendor }
    }

    /// `POST /api/v1/people/match`. `Ok((None, _))` when Apollo knows nobody matching.
    /// Usage: one lookup when a person came back (Apollo charges 0 credits on a miss).
    pub async fn match_person(
        &self,
        query: &PersonMatch,
    ) -> Result<(Option<ApolloPerson>, Usage), ProviderError> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Reply {
            person: Option<ApolloPerson>,
        }
        let reply: Reply = self.post("api/v1/people/match", query).await?;
        let lookups = u64::from(reply.person.is_some());
        Ok((
            reply.person,
            Usage {
                lookups,
                ..Usage::default()
            },
        ))
    }

    /// `POST /api/v1/people/bulk_match`: results line up with `details`, `None` for a miss.
    /// At most [`BULK_MATCH_MAX`] details per call (callers chunk: one call is one attempt
    /// for the governor). Usage: `credits_consumed` when reported, else the matches.
    pub async fn bulk_match(
        &self,
        details: &[PersonMatch],
    ) -> Result<(Vec<Option<ApolloPerson>>, Usage), ProviderError> {
        if details.len() > BULK_MATCH_MAX {
            return Err(ProviderError::bad_request(
                PROVIDER,
                400,
                format!(
                    "bulk_match takes at most {BULK_MATCH_MAX} details, got {}",
                    details.len()
                ),
            ));
        }
        if details.is_empty() {
            return Ok((Vec::new(), Usage::default()));
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Reply {
            #[serde(deserialize_with = "null_as_default")]
            matches: Vec<Option<ApolloPerson>>,
            credits_consumed: Option<u64>,
            status: Option<String>,
            error_message: Option<String>,
        }
        let body = serde_json::json!({ "details": details });
        let reply: Reply = self.post("api/v1/people/bulk_match", &body).await?;
        if let Some(message) = reply.error_message.filter(|m| !m.is_empty()) {
            return Err(ProviderError::invalid_response(PROVIDER, message));
        }
        if reply.status.as_deref().is_some_and(|s| s != "success") && reply.matches.is_empty() {
            return Err(ProviderError::invalid_response(
                PROVIDER,
                format!("bulk_match status {:?}", reply.status),
            ));
        }
        let mut matches = reply.matches;
        // Keep the promise that results line up with the input.
        matches.resize(details.len(), None);
        let found = matches.iter().filter(|m| m.is_some()).count() as u64;
        let lookups = reply.credits_consumed.unwrap_or(found);
        Ok((
            matches,
            Usage {
                lookups,
                ..Usage::default()
            },
        ))
    }

    /// `GET /api/v1/organizations/enrich?domain=`. `None` for an unknown domain.
    pub async fn enrich_organization(
        &self,
        domain: &str,
    ) -> Result<(Option<ApolloOrganization>, Usage), ProviderError> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Reply {
            organization: Option<Value>,
        }
        let domain = bare_domain(domain);
        let reply: Reply = self
            .send(Method::GET, "api/v1/organizations/enrich", |b| {
                b.query(&[("domain", domain.as_str())])
            })
            .await?;
        // `organization` may be missing, null or `{}` for unknown domains.
        let organization = match reply.organization {
            Some(Value::Object(map)) if !map.is_empty() => Some(
                serde_json::from_value::<ApolloOrganization>(Value::Object(map)).map_err(|e| {
                    ProviderError::invalid_response(PROVIDER, format!("organization: {e}"))
                })?,
            ),
            _ => None,
        };
        let lookups = u64::from(organization.is_some());
        Ok((
            organization,
            Usage {
                lookups,
                ..Usage::default()
            },
        ))
    }

    /// `POST /api/v1/mixed_people/api_search`: consumes no credits, returns no e-mails or
    /// phones (feed the ids to [`Self::bulk_match`]). Reads the total from `pagination` or
    /// a top-level `total_entries`.
    pub async fn search_people(
        &self,
        query: &PeopleSearch,
    ) -> Result<(PeoplePage, Usage), ProviderError> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Pagination {
            #[serde(deserialize_with = "lenient_u64")]
            page: Option<u64>,
            #[serde(deserialize_with = "lenient_u64")]
            per_page: Option<u64>,
            #[serde(deserialize_with = "lenient_u64")]
            total_entries: Option<u64>,
            #[serde(deserialize_with = "lenient_u64")]
            total_pages: Option<u64>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Reply {
            #[serde(deserialize_with = "null_as_default")]
            people: Vec<ApolloPerson>,
            #[serde(deserialize_with = "null_as_default")]
            contacts: Vec<ApolloPerson>,
            pagination: Option<Pagination>,
            #[serde(deserialize_with = "lenient_u64")]
            total_entries: Option<u64>,
        }
        let reply: Reply = self.post("api/v1/mixed_people/api_search", query).await?;
        let pagination = reply.pagination.unwrap_or_default();
        let per_page = pagination
            .per_page
            .map(|p| p as u32)
            .unwrap_or(query.per_page)
            .max(1);
        let total_entries = pagination
            .total_entries
            .or(reply.total_entries)
            .unwrap_or(0);
        let total_pages = pagination
            .total_pages
            .map(|p| p as u32)
            .unwrap_or_else(|| total_entries.div_ceil(u64::from(per_page)) as u32);
        let mut people = reply.contacts;
        people.extend(reply.people);
        let page = PeoplePage {
            people,
            page: pagination.page.map(|p| p as u32).unwrap_or(query.page),
            per_page,
            total_entries,
            total_pages,
        };
        Ok((page, Usage::default()))
    }

    /// `POST` a JSON body and read the JSON reply.
    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ProviderError> {
        self.send(Method::POST, path, |b| b.json(body)).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<T, ProviderError> {
        let build = |b: reqwest::RequestBuilder| {
            build(b)
                .header("cache-control", "no-cache")
                .header("accept", "application/json")
        };
        self.vendor
            .call(method, path, build, |raw| self.vendor.parse(&raw))
            .await
    }
}

/// The shared classification, with the wait of an exhausted fixed window when Apollo's
/// 429 names none.
fn classify(provider: &str, raw: &RawResponse) -> ProviderError {
    let mut err = http::classify_raw(provider, raw);
    if err.kind == ErrorKind::RateLimited && err.retry_after.is_none() {
        err.retry_after = window_wait(&raw.headers, OffsetDateTime::now_utc());
    }
    err
}

/// Apollo sends no `Retry-After`; its windows are fixed, so an exhausted window is waited
/// out to its (estimated, UTC-aligned) boundary: next minute, hour or day.
pub fn window_wait(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    let exhausted = |names: &[&str]| {
        names.iter().any(|n| {
            headers
                .get(*n)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
                .is_some_and(|left| left <= 0)
        })
    };
    let secs_of_day =
        i64::from(now.hour()) * 3600 + i64::from(now.minute()) * 60 + i64::from(now.second());
    let wait = if exhausted(&["x-24-hour-requests-left", "x-daily-requests-left"]) {
        86_400 - secs_of_day
    } else if exhausted(&["x-hourly-requests-left"]) {
        3600 - secs_of_day % 3600
    } else if exhausted(&["x-minute-requests-left"]) {
        60 - secs_of_day % 60
    } else {
        return None;
    };
    Some(Duration::from_secs(wait.max(1) as u64))
}

/// Apollo wants `acme.com`, not `https://www.acme.com/`.
fn bare_domain(input: &str) -> String {
    let s = input.trim().to_ascii_lowercase();
    let s = s.rsplit('@').next().unwrap_or(&s);
    let s = s.split_once("://").map(|(_, rest)| rest).unwrap_or(s);
    let s = s.split(['/', '?', '#']).next().unwrap_or(s);
    s.trim_start_matches("www.")
        .trim_end_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn domains_are_bared() {
        assert_eq!(bare_domain("https://www.Acme.com/about?x=1"), "acme.com");
        assert_eq!(bare_domain("jane@acme.com"), "acme.com");
        assert_eq!(bare_domain("acme.com"), "acme.com");
    }

    #[test]
    fn window_waits() {
        let now = datetime!(2026-11-24 12:34:50 UTC);
        let mut h = HeaderMap::new();
        assert_eq!(window_wait(&h, now), None);
        h.insert("x-minute-requests-left", "0".parse().unwrap());
        assert_eq!(window_wait(&h, now), Some(Duration::from_secs(10)));
        h.insert("x-hourly-requests-left", "0".parse().unwrap());
        assert_eq!(
            window_wait(&h, now),
            Some(Duration::from_secs(25 * 60 + 10))
        );
    }
}
