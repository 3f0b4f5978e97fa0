//! Hunter.io e-mail finder and verifier (API v2; base URL is the host root,
//! `https://api.hunter.io`). Answers carry Hunter's own words ([`HunterStatus`]); what
//! they mean for a contact is the caller's business.
//!
//! Hunter's key rides in the `api_key` query parameter, so no URL may ever reach an error
//! or a log line: the request helper strips transport errors of their URL and redacts
//! the key from every error.
//!
//! Hunter reverses the usual meaning of its statuses: **403 is the per-second/minute rate
//! limit** (retry) and **429 is the monthly quota** (final). A 202 from the verifier means
//! the SMTP check is still running.

use crate::http::{self, Auth, RawResponse, Vendor};
use crate::{ProviderError, Usage};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use std::time::Duration;
use url::Url;

pub const DEFAULT_BASE_URL: &str = "https://api.hunter.io";
const PROVIDER: &str = "hunter";
/// How long to wait before asking again about an address whose check is still running
/// (a 202). SMTP checks take seconds, not minutes.
pub const VERIFY_PENDING_WAIT: Duration = Duration::from_secs(3);

/// Hunter's verdict on an address, in Hunter's own words (the verifier's `status`, and
/// the finder's `verification.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HunterStatus {
    Valid,
    Invalid,
    /// The domain's server accepts every address, so the mailbox cannot be confirmed.
    AcceptAll,
    Webmail,
    Disposable,
    /// Hunter could not tell; also any word Hunter may add later.
    #[serde(other)]
    Unknown,
}

impl HunterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HunterStatus::Valid => "valid",
            HunterStatus::Invalid => "invalid",
            HunterStatus::AcceptAll => "accept_all",
            HunterStatus::Webmail => "webmail",
            HunterStatus::Disposable => "disposable",
            HunterStatus::Unknown => "unknown",
        }
    }

    /// Hunter's word as sent (`valid`, `accept_all`, …); anything else is `Unknown`.
    pub fn parse(word: &str) -> HunterStatus {
        serde_json::from_value(serde_json::Value::String(word.trim().to_ascii_lowercase()))
            .unwrap_or(HunterStatus::Unknown)
    }

    /// Whether Hunter bills a verification that ends in this status (it skips webmail,
    /// disposable and unknown addresses).
    pub fn is_billed(self) -> bool {
        !matches!(
            self,
            HunterStatus::Webmail | HunterStatus::Disposable | HunterStatus::Unknown
        )
    }
}

/// An e-mail's deliverability in the vocabulary callers of this crate still read (the
/// `email_status` of a contact), mapped from Hunter's words.
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
        HunterStatus::parse(status).into()
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

impl From<HunterStatus> for EmailStatus {
    fn from(s: HunterStatus) -> Self {
        match s {
            HunterStatus::Valid => EmailStatus::Verified,
            HunterStatus::AcceptAll => EmailStatus::Likely,
            HunterStatus::Webmail | HunterStatus::Disposable => EmailStatus::Unverified,
            HunterStatus::Invalid => EmailStatus::Invalid,
            HunterStatus::Unknown => EmailStatus::Unknown,
        }
    }
}

/// The finder's embedded check, when Hunter ran one.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FinderVerification {
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub status: Option<HunterStatus>,
}

/// A page the address was seen on.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EmailSource {
    pub uri: Option<String>,
    pub extracted_on: Option<String>,
    pub last_seen_on: Option<String>,
}

/// What the finder found.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundEmail {
    pub email: String,
    /// Hunter's confidence, 0–100.
    pub score: Option<u32>,
    /// The domain accepts every address (so a guess cannot be confirmed by SMTP).
    pub accept_all: Option<bool>,
    pub position: Option<String>,
    pub linkedin_url: Option<String>,
    pub phone_number: Option<String>,
    pub verification: Option<FinderVerification>,
    pub sources: Vec<EmailSource>,
}

impl FoundEmail {
    /// The status of the finder's embedded check, when it ran one.
    pub fn status(&self) -> Option<HunterStatus> {
        self.verification.as_ref().and_then(|v| v.status)
    }
}

/// What the verifier said about one address.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub email: String,
    pub status: HunterStatus,
    /// Hunter's confidence, 0–100.
    pub score: Option<u32>,
    pub accept_all: Option<bool>,
    /// The deprecated older verdict (`deliverable`, `undeliverable`, `risky`), as sent.
    pub result: Option<String>,
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
    accept_all: Option<bool>,
    position: Option<String>,
    linkedin_url: Option<String>,
    phone_number: Option<String>,
    verification: Option<FinderVerification>,
    sources: Option<Vec<EmailSource>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VerifierData {
    email: Option<String>,
    status: Option<HunterStatus>,
    result: Option<String>,
    score: Option<u32>,
    accept_all: Option<bool>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: Option<T>,
}

fn usage(lookups: u64) -> Usage {
    Usage {
        lookups,
        misses: 1 - lookups.min(1),
        ..Usage::default()
    }
}

impl HunterClient {
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        let vendor = Vendor::new(PROVIDER, base_url, Some(key), Auth::Query("api_key"), http)
            .classify_with(classify);
        HunterClient { vendor }
    }

    /// `GET /v2/email-finder?domain=&first_name=&last_name=`. `Ok((None, _))` when Hunter
    /// cannot name an address (`email: null`: no credit used). Usage: one search per
    /// address found, a miss otherwise.
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
        let read = |raw: RawResponse| {
            let envelope: Envelope<FinderData> = self.vendor.parse(&raw)?;
            Ok(envelope.data.and_then(found_email))
        };
        let found = self
            .vendor
            .call(Method::GET, "v2/email-finder", |b| b.query(&params), read)
            .await?;
        let hits = u64::from(found.is_some());
        Ok((found, usage(hits)))
    }

    /// `GET /v2/email-verifier?email=`. A 202 (the SMTP check is still running) is a
    /// `Pending` error asking to come back after [`VERIFY_PENDING_WAIT`]. Usage: one
    /// verification, except for webmail, disposable and unknown, which Hunter does not
    /// bill.
    pub async fn verify_email(&self, email: &str) -> Result<(Verification, Usage), ProviderError> {
        let read = |raw: RawResponse| {
            if raw.status.as_u16() == 202 {
                return Err(ProviderError::pending(
                    PROVIDER,
                    "verification still in progress (202)",
                    VERIFY_PENDING_WAIT,
                )
                .with_status(202));
            }
            let envelope: Envelope<VerifierData> = self.vendor.parse(&raw)?;
            envelope.data.ok_or_else(|| {
                ProviderError::invalid_response(PROVIDER, "verifier response without data")
            })
        };
        let params = [("email", email)];
        let data = self
            .vendor
            .call(Method::GET, "v2/email-verifier", |b| b.query(&params), read)
            .await?;
        // `result` is the deprecated older field; it decides only when `status` is missing.
        let status = data.status.unwrap_or(match data.result.as_deref() {
            Some("deliverable") => HunterStatus::Valid,
            Some("undeliverable") => HunterStatus::Invalid,
            _ => HunterStatus::Unknown,
        });
        let verification = Verification {
            email: data.email.unwrap_or_else(|| email.to_string()),
            status,
            score: data.score,
            accept_all: data.accept_all,
            result: data.result,
        };
        let billed = u64::from(status.is_billed());
        Ok((
            verification,
            Usage {
                lookups: billed,
                ..Usage::default()
            },
        ))
    }
}

fn found_email(data: FinderData) -> Option<FoundEmail> {
    let email = data.email.filter(|e| e.contains('@'))?;
    Some(FoundEmail {
        email,
        score: data.score,
        accept_all: data.accept_all,
        position: data.position,
        linkedin_url: data.linkedin_url,
        phone_number: data.phone_number,
        verification: data.verification,
        sources: data.sources.unwrap_or_default(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunter_words() {
        for (word, status, billed) in [
            ("valid", HunterStatus::Valid, true),
            ("invalid", HunterStatus::Invalid, true),
            ("accept_all", HunterStatus::AcceptAll, true),
            ("webmail", HunterStatus::Webmail, false),
            ("disposable", HunterStatus::Disposable, false),
            ("unknown", HunterStatus::Unknown, false),
            (" Valid ", HunterStatus::Valid, true),
            ("something_new", HunterStatus::Unknown, false),
        ] {
            assert_eq!(HunterStatus::parse(word), status, "{word:?}");
            assert_eq!(status.is_billed(), billed, "{word:?}");
        }
        assert_eq!(HunterStatus::AcceptAll.as_str(), "accept_all");
    }
}
