//! Hunter.io e-mail finder and verifier (API v2; base URL is the host root,
//! `https://api.hunter.io`).
//!
//! Hunter's key rides in the `api_key` query parameter, so no URL may ever reach an error
//! or a log line: transport errors are stripped of their URL in [`crate::http`], and
//! every error is passed through [`http::redact_error`] as a second guard.
//!
//! Hunter reverses the usual meaning of its statuses: **403 is the per-second/minute rate
//! limit** (retry) and **429 is the monthly quota** (final).

use crate::http::{self, Auth, RawResponse, Vendor};
use crate::{ProviderError, Usage};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

pub const DEFAULT_BASE_URL: &str = "https://api.hunter.io";
const PROVIDER: &str = "hunter";

/// An e-mail's deliverability in ATL's vocabulary (the `email_status` of a contact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailStatus {
    Verified,
    Likely,
    Unverified,
    Invalid,
    Unknown,
}

impl EmailStatus {
    /// Hunter's `status` → ours:
    /// `valid` → verified; `accept_all` → likely (the server accepts every address, so
    /// the mailbox cannot be confirmed but nothing says it is wrong); `webmail` and
    /// `disposable` → unverified (Hunter does not SMTP-check them); `invalid` → invalid;
    /// `unknown` and anything new → unknown.
    pub fn from_hunter(status: &str) -> EmailStatus {
        match status.trim().to_ascii_lowercase().as_str() {
            "valid" => EmailStatus::Verified,
            "accept_all" => EmailStatus::Likely,
            "webmail" | "disposable" => EmailStatus::Unverified,
            "invalid" => EmailStatus::Invalid,
            _ => EmailStatus::Unknown,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            EmailStatus::Verified => "verified",
            EmailStatus::Likely => "likely",
            EmailStatus::Unverified => "unverified",
            EmailStatus::Invalid => "invalid",
            EmailStatus::Unknown => "unknown",
        }
    }
}

/// What the finder found.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundEmail {
    pub email: String,
    /// Hunter's confidence, 0–100.
    pub score: Option<u32>,
    pub position: Option<String>,
    pub linkedin_url: Option<String>,
    pub phone_number: Option<String>,
    /// From the finder's embedded verification, when Hunter ran one.
    pub status: Option<EmailStatus>,
    /// Pages the address was seen on.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub email: String,
    pub status: EmailStatus,
    /// Hunter's own word (`valid`, `accept_all`, …), kept for the record.
    pub hunter_status: String,
    pub score: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct HunterClient {
    vendor: Vendor,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FinderData {
    email: Option<String>,
    score: Option<u32>,
    position: Option<String>,
    linkedin_url: Option<String>,
    phone_number: Option<String>,
    verification: Option<FinderVerification>,
    sources: Vec<FinderSource>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FinderVerification {
    status: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FinderSource {
    uri: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VerifierData {
    email: Option<String>,
    status: Option<String>,
    result: Option<String>,
    score: Option<u32>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: Option<T>,
}

impl HunterClient {
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        let vendor = Vendor::new(PROVIDER, base_url, Some(key), Auth::Query("api_key"), http)
            .classify_with(classify);
        HunterClient { vendor }
    }

    /// `GET /v2/email-finder?domain=&first_name=&last_name=`. `Ok((None, _))` when Hunter
    /// cannot name an address (no credit used). Usage: one lookup per address found.
    pub async fn find_email(
        &self,
        domain: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<(Option<FoundEmail>, Usage), ProviderError> {
        let params = [
            ("domain", domain),
            ("first_name", first_name),
            ("last_name", last_name),
        ];
        let envelope: Envelope<FinderData> = self
            .vendor
            .call(
                Method::GET,
                "v2/email-finder",
                |b| b.query(&params),
                |raw| self.vendor.parse(&raw),
            )
            .await?;
        let Some(data) = envelope.data else {
            return Ok((None, Usage::default()));
        };
        let Some(email) = data.email.filter(|e| e.contains('@')) else {
            return Ok((None, Usage::default()));
        };
        let found = FoundEmail {
            email,
            score: data.score,
            position: data.position,
            linkedin_url: data.linkedin_url,
            phone_number: data.phone_number,
            status: data
                .verification
                .and_then(|v| v.status)
                .map(|s| EmailStatus::from_hunter(&s)),
            sources: data.sources.into_iter().filter_map(|s| s.uri).collect(),
        };
        Ok((
            Some(found),
            Usage {
                lookups: 1,
                ..Usage::default()
            },
        ))
    }

    /// `GET /v2/email-verifier?email=`. A 202 (the SMTP check is still running) is a
    /// retryable `InvalidResponse`: the governor calls again after a backoff. Usage: one
    /// verification, except for webmail, disposable and unknown, which Hunter does not bill.
    pub async fn verify_email(&self, email: &str) -> Result<(Verification, Usage), ProviderError> {
        let read = |raw: RawResponse| {
            if raw.status.as_u16() == 202 {
                return Err(ProviderError::invalid_response(
                    PROVIDER,
                    "verification still in progress (202); try again shortly",
                ));
            }
            self.vendor.parse::<Envelope<VerifierData>>(&raw)
        };
        let params = [("email", email)];
        let envelope = self
            .vendor
            .call(Method::GET, "v2/email-verifier", |b| b.query(&params), read)
            .await?;
        let data = envelope.data.ok_or_else(|| {
            ProviderError::invalid_response(PROVIDER, "verifier response without data")
        })?;
        // `result` is the deprecated older field; use it only when `status` is missing.
        let hunter_status = data
            .status
            .or_else(|| {
                data.result.map(|r| {
                    match r.as_str() {
                        "deliverable" => "valid",
                        "undeliverable" => "invalid",
                        _ => "unknown",
                    }
                    .to_string()
                })
            })
            .unwrap_or_else(|| "unknown".to_string());
        let status = EmailStatus::from_hunter(&hunter_status);
        let billed = !matches!(hunter_status.as_str(), "webmail" | "disposable" | "unknown");
        let verification = Verification {
            email: data.email.unwrap_or_else(|| email.to_string()),
            status,
            hunter_status,
            score: data.score,
        };
        Ok((
            verification,
            Usage {
                lookups: u64::from(billed),
                ..Usage::default()
            },
        ))
    }
}

/// Hunter's own statuses first, then the shared classification.
fn classify(provider: &str, raw: &RawResponse) -> ProviderError {
    let message = || http::error_message(raw.status, &raw.body);
    match raw.status.as_u16() {
        // The per-second/minute rate limit; no Retry-After is sent.
        403 => ProviderError::rate_limited(
            provider,
            message(),
            http::retry_after_from_headers(&raw.headers),
        )
        .with_status(403),
        // The monthly plan is used up.
        429 => ProviderError::quota(provider, message()).with_status(429),
        _ => http::classify_raw(provider, raw),
    }
}
