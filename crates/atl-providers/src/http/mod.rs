//! The HTTP pieces every client shares, one room each: building the client
//! ([`client`]), reading failures into [`crate::ProviderError`] ([`classify`]), the wait
//! a response asks for ([`reset`]), keeping keys out of errors ([`redact`]), and the
//! request helper every vendor client sends through ([`vendor`]).
//!
//! Clients make exactly one attempt per call; whether to call again is decided above
//! them. What they must get right is *which* error happened and how long the provider
//! asked us to wait.

mod classify;
mod client;
mod redact;
mod reset;
mod vendor;

pub use classify::{ErrorBody, classify_response, classify_transport};
pub use client::{USER_AGENT, build_http_client, install_crypto_provider};
pub use redact::redact_error;
pub use reset::{
    parse_float_seconds, parse_http_date, parse_openai_duration, parse_retry_after,
    parse_rfc3339_delay, retry_after_at, retry_after_from_headers,
};

pub(crate) use classify::{classify_raw, error_message, truncate};
pub(crate) use client::base_builder;
pub(crate) use vendor::{Auth, Vendor, parse_json};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// The largest JSON body we accept from an API. Far above any real response; it only
/// stops a broken or hostile server from filling memory.
pub const MAX_API_BODY: usize = 32 * 1024 * 1024;

/// A response read to the end: status, headers and the whole body.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Response headers from (name, value) pairs, for tests.
#[cfg(test)]
pub(crate) fn test_headers(pairs: &[(&str, &str)]) -> HeaderMap {
    use reqwest::header::{HeaderName, HeaderValue};
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}
