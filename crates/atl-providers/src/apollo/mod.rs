//! Apollo.io: people match and bulk match, organization enrich and bulk enrich, and the
//! (free) people search.
//!
//! Base URL is the host root (`https://api.apollo.io`); paths carry `/api/v1`. A miss is a
//! 200 with `person: null` (or a `null` slot in a bulk reply) and is `None`, not an
//! error. Apollo charges on a hit: usage counts the credits it reports (or one per hit)
//! as `lookups` and the misses as `misses`, which are free.

mod types;

pub use types::{
    ApolloContact, ApolloOrganization, ApolloPerson, ApolloPhone, Employment, PeoplePage,
    PeopleSearch, PersonMatch, PhoneNumber,
};

use crate::http::{self, Auth, RawResponse, Vendor};
use crate::{ErrorKind, ProviderError, Usage};
use reqwest::Method;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use time::OffsetDateTime;
use types::{lenient_u64, null_as_default};
use url::Url;

pub const DEFAULT_BASE_URL: &str = "https://api.apollo.io";
/// Apollo's limit on `details` per bulk people match.
pub const BULK_MATCH_MAX: usize = 10;
/// Apollo's limit on domains per bulk organization enrich.
pub const BULK_ENRICH_MAX: usize = 10;
const PROVIDER: &str = "apollo";

#[derive(Debug, Clone)]
pub struct ApolloClient {
    vendor: Vendor,
}

fn usage(lookups: u64, misses: u64) -> Usage {
    Usage {
        lookups,
        misses,
        ..Usage::default()
    }
}

/// A bulk endpoint's batch: more than `max` items is the caller's error; `Ok(true)` when
/// there are none, so there is nothing to ask.
fn is_empty_batch(what: &str, max: usize, got: usize) -> Result<bool, ProviderError> {
    if got > max {
        return Err(ProviderError::bad_request(
            PROVIDER,
            400,
            format!("{what} takes at most {max} at a time, got {got}"),
        ));
    }
    Ok(got == 0)
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
        let hit = reply.person.is_some();
        Ok((reply.person, usage(u64::from(hit), u64::from(!hit))))
    }

    /// `POST /api/v1/people/bulk_match`: results line up with `details`, `None` for a miss.
    /// At most [`BULK_MATCH_MAX`] details per call (callers chunk: one call is one attempt
    /// for the governor). Usage: `credits_consumed` when reported, else the hits; the
    /// misses as `misses`.
    pub async fn bulk_match(
        &self,
        details: &[PersonMatch],
    ) -> Result<(Vec<Option<ApolloPerson>>, Usage), ProviderError> {
        if is_empty_batch("bulk_match", BULK_MATCH_MAX, details.len())? {
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
        let misses = details.len() as u64 - found;
        Ok((matches, usage(lookups, misses)))
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
        let hit = organization.is_some();
        Ok((organization, usage(u64::from(hit), u64::from(!hit))))
    }

    /// `POST /api/v1/organizations/bulk_enrich?domains[]=…`: the organizations Apollo
    /// knows among at most [`BULK_ENRICH_MAX`] domains, in the order Apollo returns them
    /// (not aligned with the input: match them by `primary_domain`). Usage: one credit
    /// per organization returned; the unknown domains as `misses`.
    pub async fn bulk_enrich_organizations(
        &self,
        domains: &[String],
    ) -> Result<(Vec<ApolloOrganization>, Usage), ProviderError> {
        if is_empty_batch("bulk_enrich", BULK_ENRICH_MAX, domains.len())? {
            return Ok((Vec::new(), Usage::default()));
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Reply {
            #[serde(deserialize_with = "null_as_default")]
            organizations: Vec<Value>,
        }
        let query: Vec<(&str, String)> = domains
            .iter()
            .map(|d| ("domains[]", bare_domain(d)))
            .collect();
        let reply: Reply = self
            .send(Method::POST, "api/v1/organizations/bulk_enrich", |b| {
                b.query(&query)
            })
            .await?;
        let mut organizations = Vec::new();
        for value in reply.organizations {
            // Unknown domains may come back as `null` or `{}` slots.
            if value.as_object().is_some_and(|m| !m.is_empty()) {
                let org = serde_json::from_value::<ApolloOrganization>(value).map_err(|e| {
                    ProviderError::invalid_response(PROVIDER, format!("organizations: {e}"))
                })?;
                organizations.push(org);
            }
        }
        let found = organizations.len() as u64;
        let misses = (domains.len() as u64).saturating_sub(found);
        Ok((organizations, usage(found, misses)))
    }

    /// `POST /api/v1/mixed_people/api_search`: consumes no credits, returns no e-mails or
    /// phones and obfuscated last names (feed the ids to [`Self::bulk_match`] through
    /// [`PersonMatch::by_id`]). Reads the total from `pagination` or a top-level
    /// `total_entries`, whichever is there.
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
