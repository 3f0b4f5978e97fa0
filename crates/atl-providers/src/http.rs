//! The pieces every HTTP client in this crate shares: one way to build a `reqwest::Client`,
//! one way to send a request and read its body, and one classification of failures into
//! [`ProviderError`] (including the wait a provider asked for, read from its headers).
//!
//! Clients make exactly one attempt per call; retrying is the governor's job. What they
//! must get right is *which* error happened and how long the provider asked us to wait.

use crate::ProviderError;
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Once;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use url::Url;

/// `atl/<crate version>`, sent on every request so vendors can tell who is calling.
pub const USER_AGENT: &str = concat!("atl/", env!("CARGO_PKG_VERSION"));

/// The largest JSON body we accept from an API. Far above any real response; it only
/// stops a broken or hostile server from filling memory.
pub const MAX_API_BODY: usize = 32 * 1024 * 1024;

/// reqwest is built without a default TLS provider (ring is the only one compiled in);
/// it must be installed process-wide before the first client is built. A second
/// installation (by us or by another crate) fails harmlessly, so the result is ignored.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The client every API caller shares: rustls on ring, no system proxy (a proxy would
/// see keys and bypass the SSRF guard), no automatic retries (the governor owns them),
/// a connect timeout and a total `timeout` per request.
pub fn build_http_client(timeout: Duration) -> reqwest::Client {
    install_crypto_provider();
    base_builder(timeout)
        .build()
        // Building only fails when the TLS backend cannot initialise, which is a broken
        // build, not a runtime condition; no provider response can reach this line.
        .expect("reqwest client with rustls/ring must build")
}

/// The builder behind [`build_http_client`], shared with the SSRF-guarded fetcher.
pub(crate) fn base_builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .no_proxy()
        .retry(reqwest::retry::never())
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
}

/// `{base}/{path}` keeping any path prefix of `base` (a sandbox may mount a vendor under
/// `/deepseek`, a vendor's base may end in `/v1`).
pub(crate) fn join_url(provider: &str, base: &Url, path: &str) -> Result<Url, ProviderError> {
    let joined = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    Url::parse(&joined).map_err(|e| ProviderError::NotConfigured {
        provider: provider.to_string(),
        message: format!("invalid base URL: {e}"),
    })
}

/// A response read to the end: status, headers and the whole body.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends one request and reads the body (up to `max_body` bytes). Transport failures are
/// classified here; HTTP statuses are left to the caller, which knows the vendor.
pub(crate) async fn send(
    provider: &str,
    request: reqwest::RequestBuilder,
    max_body: usize,
) -> Result<RawResponse, ProviderError> {
    let started = Instant::now();
    let mut response = request
        .send()
        .await
        .map_err(|e| classify_transport(provider, e, started.elapsed()))?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max_body {
                    return Err(ProviderError::InvalidResponse {
                        provider: provider.to_string(),
                        message: format!("response body larger than {max_body} bytes"),
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(classify_transport(provider, e, started.elapsed())),
        }
    }
    Ok(RawResponse {
        status,
        headers,
        body: Bytes::from(body),
    })
}

/// Maps a transport-level reqwest error. The URL is stripped first: Hunter's key rides in
/// the query string and reqwest's `Display` prints the URL.
pub fn classify_transport(provider: &str, err: reqwest::Error, elapsed: Duration) -> ProviderError {
    let err = err.without_url();
    if err.is_timeout() {
        return ProviderError::Timeout {
            provider: provider.to_string(),
            after: elapsed,
        };
    }
    ProviderError::Connection {
        provider: provider.to_string(),
        message: error_chain(&err),
    }
}

/// `err: source: source…`, so "connection refused" is not hidden behind "error sending
/// request".
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = inner.source();
    }
    message
}

/// Parses a 2xx JSON body; anything that does not fit is `InvalidResponse`, never a panic.
pub(crate) fn parse_json<T: DeserializeOwned>(
    provider: &str,
    body: &[u8],
) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| ProviderError::InvalidResponse {
        provider: provider.to_string(),
        message: format!("malformed JSON body: {e}"),
    })
}

/// The provider's own error message and code, dug out of whichever envelope it uses:
/// OpenAI/DeepSeek/OpenRouter/Anthropic `{"error":{"message","type","code"}}`, Cerebras'
/// flat `{"message","type","code"}`, Tavily `{"detail":{"error"}}`, Hunter
/// `{"errors":[{"id","details"}]}`, Brave `{"error":{"code","detail"}}`, Apollo
/// `{"error": "…"}`, Cartesia `{"title","message","error_code"}`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ErrorBody {
    pub message: Option<String>,
    /// `code`, `type` and `id` values found, lower-cased (numbers as decimal strings).
    pub codes: Vec<String>,
}

impl ErrorBody {
    pub fn parse(body: &[u8]) -> ErrorBody {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return ErrorBody::default();
        };
        Self::from_value(&value)
    }

    pub fn from_value(value: &Value) -> ErrorBody {
        let mut out = ErrorBody::default();
        let inner = match value.get("error") {
            Some(Value::String(s)) => {
                out.message = Some(s.clone());
                None
            }
            Some(obj @ Value::Object(_)) => Some(obj),
            _ => None,
        };
        let hunter = value.get("errors").and_then(|e| e.get(0));
        let tavily = value.get("detail");
        for scope in [inner, hunter, Some(value)].into_iter().flatten() {
            for key in ["code", "type", "error_code", "id"] {
                match scope.get(key) {
                    Some(Value::String(s)) => out.codes.push(s.to_ascii_lowercase()),
                    Some(Value::Number(n)) => out.codes.push(n.to_string()),
                    _ => {}
                }
            }
            if out.message.is_none() {
                out.message = ["message", "detail", "details", "error", "title"]
                    .iter()
                    .find_map(|k| scope.get(*k).and_then(Value::as_str))
                    .map(str::to_string);
            }
        }
        if out.message.is_none() {
            out.message = match tavily {
                Some(Value::String(s)) => Some(s.clone()),
                Some(obj) => obj.get("error").and_then(Value::as_str).map(str::to_string),
                None => None,
            };
        }
        out
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c == code)
    }
}

/// The message an error carries: the provider's words when it gave any, otherwise the
/// status line and the start of the body (HTML error pages from proxies included).
fn error_message(status: StatusCode, parsed: &ErrorBody, body: &[u8]) -> String {
    if let Some(m) = parsed.message.as_deref().filter(|m| !m.trim().is_empty()) {
        return truncate(m.trim(), 500);
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        status.to_string()
    } else {
        format!("{status}: {}", truncate(text, 300))
    }
}

pub(crate) fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Classifies a non-2xx response the way most vendors mean it:
/// 429 → `RateLimited` (or `Quota` when the body says `insufficient_quota`), 402 →
/// `Quota`, 401/403 → `Auth`, 400/404/413/422 and other 4xx → `BadRequest`, 408/409 and
/// 5xx/529 → `Server`. Vendor exceptions (Hunter, Tavily) are handled by their clients
/// before calling this.
pub fn classify_response(
    provider: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ProviderError {
    let parsed = ErrorBody::parse(body);
    let message = error_message(status, &parsed, body);
    let provider = provider.to_string();
    let code = status.as_u16();
    // OpenAI sends its billing failure as a 429; Anthropic calls it billing_error.
    if parsed.has_code("insufficient_quota") || parsed.has_code("billing_error") || code == 402 {
        return ProviderError::Quota { provider, message };
    }
    match code {
        429 => ProviderError::RateLimited {
            provider,
            message,
            retry_after: retry_after_from_headers(headers),
        },
        401 | 403 => ProviderError::Auth {
            provider,
            status: code,
            message,
        },
        408 | 409 | 500..=599 => ProviderError::Server {
            provider,
            status: code,
            message,
            retry_after: retry_after_from_headers(headers),
        },
        _ => ProviderError::BadRequest {
            provider,
            status: code,
            message,
        },
    }
}

// ---------------------------------------------------------------------------------------
// Rate-limit headers
// ---------------------------------------------------------------------------------------

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    // HeaderMap lookups are case-insensitive; HTTP/2 lower-cases names anyway.
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The wait a response asks for, from whichever headers the vendor sends, in this order:
/// `retry-after-ms`, `Retry-After` (seconds or HTTP-date), then the vendor reset headers
/// (OpenAI durations, Cerebras float seconds, Anthropic RFC 3339 times, Brave/OpenRouter
/// `X-RateLimit-Reset`). Among reset headers, the windows whose `remaining` is 0 are the
/// ones that tripped, so the longest of those wins; if none says 0 the soonest reset is
/// taken (the short window is the usual culprit and the governor backs off anyway).
pub fn retry_after_from_headers(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, OffsetDateTime::now_utc())
}

/// [`retry_after_from_headers`] with an explicit clock, for tests.
pub fn retry_after_at(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return secs_to_duration(ms / 1000.0);
    }
    if let Some(d) = header(headers, "retry-after").and_then(|v| parse_retry_after(v, now)) {
        return Some(d);
    }
    // (remaining header, reset header, how to read the reset)
    const PAIRS: &[(&str, &str, ResetFormat)] = &[
        (
            "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests",
            ResetFormat::GoDuration,
        ),
        (
            "x-ratelimit-remaining-tokens",
            "x-ratelimit-reset-tokens",
            ResetFormat::GoDuration,
        ),
        (
            "x-ratelimit-remaining-requests-minute",
            "x-ratelimit-reset-requests-minute",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-tokens-minute",
            "x-ratelimit-reset-tokens-minute",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-requests-hour",
            "x-ratelimit-reset-requests-hour",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-tokens-hour",
            "x-ratelimit-reset-tokens-hour",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-requests-day",
            "x-ratelimit-reset-requests-day",
            ResetFormat::Seconds,
        ),
        (
            "x-ratelimit-remaining-tokens-day",
            "x-ratelimit-reset-tokens-day",
            ResetFormat::Seconds,
        ),
        (
            "anthropic-ratelimit-requests-remaining",
            "anthropic-ratelimit-requests-reset",
            ResetFormat::Rfc3339,
        ),
        (
            "anthropic-ratelimit-tokens-remaining",
            "anthropic-ratelimit-tokens-reset",
            ResetFormat::Rfc3339,
        ),
        (
            "anthropic-ratelimit-input-tokens-remaining",
            "anthropic-ratelimit-input-tokens-reset",
            ResetFormat::Rfc3339,
        ),
        (
            "anthropic-ratelimit-output-tokens-remaining",
            "anthropic-ratelimit-output-tokens-reset",
            ResetFormat::Rfc3339,
        ),
        (
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            ResetFormat::SecondsListOrEpoch,
        ),
    ];
    let mut exhausted: Vec<Duration> = Vec::new();
    let mut all: Vec<Duration> = Vec::new();
    for (remaining_name, reset_name, format) in PAIRS {
        let Some(reset) = header(headers, reset_name) else {
            continue;
        };
        let remaining = header(headers, remaining_name);
        if let ResetFormat::SecondsListOrEpoch = format {
            // Brave: one value per window, shortest window first; pair them up.
            let resets: Vec<Option<Duration>> = reset
                .split(',')
                .map(|r| parse_reset_number(r.trim(), now))
                .collect();
            let remains: Vec<&str> = remaining
                .map(|r| r.split(',').map(str::trim).collect())
                .unwrap_or_default();
            for (i, r) in resets.into_iter().enumerate() {
                let Some(r) = r else { continue };
                all.push(r);
                if remains.get(i).is_some_and(|v| is_zero(v)) {
                    exhausted.push(r);
                }
            }
            continue;
        }
        let parsed = match format {
            ResetFormat::GoDuration => parse_openai_duration(reset),
            ResetFormat::Seconds => parse_float_seconds(reset),
            ResetFormat::Rfc3339 => parse_rfc3339_delay(reset, now),
            ResetFormat::SecondsListOrEpoch => None,
        };
        let Some(d) = parsed else { continue };
        all.push(d);
        if remaining.is_some_and(is_zero) {
            exhausted.push(d);
        }
    }
    exhausted
        .into_iter()
        .max()
        .or_else(|| all.into_iter().min())
}

#[derive(Clone, Copy)]
enum ResetFormat {
    GoDuration,
    Seconds,
    Rfc3339,
    SecondsListOrEpoch,
}

fn is_zero(v: &str) -> bool {
    v.parse::<f64>().is_ok_and(|n| n <= 0.0)
}

fn secs_to_duration(secs: f64) -> Option<Duration> {
    if !secs.is_finite() {
        return None;
    }
    Duration::try_from_secs_f64(secs.max(0.0)).ok()
}

/// `Retry-After`: delta-seconds (integers; fractions tolerated) or an HTTP-date.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(d) = parse_float_seconds(value) {
        return Some(d);
    }
    let at = parse_http_date(value)?;
    Some(delay_until(at, now))
}

/// Seconds as a float (`11.382867097854614`, Cerebras) or integer.
pub fn parse_float_seconds(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    secs_to_duration(secs)
}

/// OpenAI's Go-style durations: `20ms`, `1s`, `6m0s`, `1h2m3s`, `0.5s`.
pub fn parse_openai_duration(value: &str) -> Option<Duration> {
    let mut rest = value.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if num_end == 0 {
            return None;
        }
        let number: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_end..];
    }
    secs_to_duration(total)
}

/// An RFC 3339 instant (Anthropic's resets) as a delay from `now` (zero if past).
pub fn parse_rfc3339_delay(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let at =
        OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    Some(delay_until(at, now))
}

/// IMF-fixdate, the only HTTP-date form servers may send: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(value.trim(), &format)
        .ok()
        .map(|t| t.assume_utc())
}

fn delay_until(at: OffsetDateTime, now: OffsetDateTime) -> Duration {
    let delta = at - now;
    if delta.is_negative() {
        Duration::ZERO
    } else {
        delta.unsigned_abs()
    }
}

/// `X-RateLimit-Reset` means seconds-until-reset for Brave and an epoch timestamp (ms or
/// s, undocumented) for OpenRouter. Values too large to be a delay are read as epochs.
fn parse_reset_number(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let n: f64 = value.parse().ok()?;
    let now_secs = now.unix_timestamp() as f64;
    if n > 1e12 {
        secs_to_duration(n / 1000.0 - now_secs)
    } else if n > 1e9 {
        secs_to_duration(n - now_secs)
    } else {
        secs_to_duration(n)
    }
}

// ---------------------------------------------------------------------------------------
// Keeping keys out of errors
// ---------------------------------------------------------------------------------------

/// Replaces any occurrence of `key` in the error's text with `[redacted]`. A second line
/// of defence: messages are built from bodies and statuses, never from requests, but a
/// server could echo a key back.
pub fn redact_error(err: ProviderError, key: Option<&SecretString>) -> ProviderError {
    let Some(key) = key.map(|k| k.expose_secret()).filter(|k| k.len() >= 4) else {
        return err;
    };
    let clean = |s: String| {
        if s.contains(key) {
            s.replace(key, "[redacted]")
        } else {
            s
        }
    };
    use ProviderError as E;
    match err {
        E::RateLimited {
            provider,
            message,
            retry_after,
        } => E::RateLimited {
            provider,
            message: clean(message),
            retry_after,
        },
        E::Server {
            provider,
            status,
            message,
            retry_after,
        } => E::Server {
            provider,
            status,
            message: clean(message),
            retry_after,
        },
        E::Connection { provider, message } => E::Connection {
            provider,
            message: clean(message),
        },
        E::InvalidResponse { provider, message } => E::InvalidResponse {
            provider,
            message: clean(message),
        },
        E::Auth {
            provider,
            status,
            message,
        } => E::Auth {
            provider,
            status,
            message: clean(message),
        },
        E::Quota { provider, message } => E::Quota {
            provider,
            message: clean(message),
        },
        E::BadRequest {
            provider,
            status,
            message,
        } => E::BadRequest {
            provider,
            status,
            message: clean(message),
        },
        E::NotConfigured { provider, message } => E::NotConfigured {
            provider,
            message: clean(message),
        },
        E::Blocked { url, reason } => E::Blocked {
            url: clean(url),
            reason: clean(reason),
        },
        E::Schema { provider, message } => E::Schema {
            provider,
            message: clean(message),
        },
        other @ (E::Timeout { .. } | E::CircuitOpen { .. }) => other,
    }
}

/// `NotConfigured` for a client built without the key it needs.
pub(crate) fn require_key<'a>(
    provider: &str,
    key: Option<&'a SecretString>,
) -> Result<&'a SecretString, ProviderError> {
    key.filter(|k| !k.expose_secret().trim().is_empty())
        .ok_or_else(|| ProviderError::NotConfigured {
            provider: provider.to_string(),
            message: "no API key configured".to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};
    use time::macros::datetime;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    const NOW: OffsetDateTime = datetime!(2026-11-24 12:00:00 UTC);

    #[test]
    fn openai_durations() {
        assert_eq!(
            parse_openai_duration("6m0s"),
            Some(Duration::from_secs(360))
        );
        assert_eq!(parse_openai_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_openai_duration("20ms"),
            Some(Duration::from_millis(20))
        );
        assert_eq!(
            parse_openai_duration("1h2m3s"),
            Some(Duration::from_secs(3723))
        );
        assert_eq!(
            parse_openai_duration("0.5s"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_openai_duration(""), None);
        assert_eq!(parse_openai_duration("soon"), None);
        assert_eq!(parse_openai_duration("5x"), None);
        assert_eq!(parse_openai_duration("m"), None);
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        assert_eq!(parse_retry_after("7", NOW), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Tue, 24 Nov 2026 12:00:30 GMT", NOW),
            Some(Duration::from_secs(30))
        );
        // A date in the past means "now", not a negative wait.
        assert_eq!(
            parse_retry_after("Tue, 24 Nov 2026 11:00:00 GMT", NOW),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("later", NOW), None);
        assert_eq!(parse_retry_after("-3", NOW), Some(Duration::ZERO));
    }

    #[test]
    fn float_seconds_and_rfc3339() {
        assert_eq!(
            parse_float_seconds("11.5"),
            Some(Duration::from_millis(11500))
        );
        assert_eq!(parse_float_seconds("NaN"), None);
        assert_eq!(
            parse_rfc3339_delay("2026-11-24T12:00:59Z", NOW),
            Some(Duration::from_secs(59))
        );
        assert_eq!(parse_rfc3339_delay("not a date", NOW), None);
    }

    #[test]
    fn retry_after_header_wins() {
        let h = headers(&[("retry-after", "3"), ("x-ratelimit-reset-requests", "6m0s")]);
        assert_eq!(retry_after_at(&h, NOW), Some(Duration::from_secs(3)));
        let h = headers(&[("retry-after-ms", "1500")]);
        assert_eq!(retry_after_at(&h, NOW), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn openai_reset_headers_pick_the_exhausted_window() {
        let h = headers(&[
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "1s"),
            ("x-ratelimit-remaining-tokens", "1000"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]);
        assert_eq!(retry_after_at(&h, NOW), Some(Duration::from_secs(1)));
        // Nothing says 0: the soonest reset.
        let h = headers(&[
            ("x-ratelimit-reset-requests", "20ms"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]);
        assert_eq!(retry_after_at(&h, NOW), Some(Duration::from_millis(20)));
    }

    #[test]
    fn cerebras_float_resets() {
        let h = headers(&[
            ("x-ratelimit-remaining-requests-day", "14370"),
            ("x-ratelimit-reset-requests-day", "33011.382867097855"),
            ("x-ratelimit-remaining-tokens-minute", "0"),
            ("x-ratelimit-reset-tokens-minute", "11.5"),
        ]);
        assert_eq!(retry_after_at(&h, NOW), Some(Duration::from_millis(11500)));
    }

    #[test]
    fn anthropic_rfc3339_resets() {
        let h = headers(&[
            ("anthropic-ratelimit-requests-remaining", "10"),
            ("anthropic-ratelimit-requests-reset", "2026-11-24T12:00:05Z"),
            ("anthropic-ratelimit-input-tokens-remaining", "0"),
            (
                "anthropic-ratelimit-input-tokens-reset",
                "2026-11-24T12:00:40Z",
            ),
        ]);
        assert_eq!(retry_after_at(&h, NOW), Some(Duration::from_secs(40)));
    }

    #[test]
    fn brave_comma_lists_and_openrouter_epochs() {
        let h = headers(&[
            ("X-RateLimit-Remaining", "0, 14000"),
            ("X-RateLimit-Reset", "1, 1419704"),
        ]);
        assert_eq!(retry_after_at(&h, NOW), Some(Duration::from_secs(1)));
        let h = headers(&[
            ("X-RateLimit-Remaining", "5, 0"),
            ("X-RateLimit-Reset", "1, 1419704"),
        ]);
        assert_eq!(
            retry_after_at(&h, NOW),
            Some(Duration::from_secs(1_419_704))
        );
        let epoch_ms = (NOW.unix_timestamp() + 9) * 1000;
        let h = headers(&[
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", &epoch_ms.to_string()),
        ]);
        assert_eq!(retry_after_at(&h, NOW), Some(Duration::from_secs(9)));
        assert_eq!(retry_after_at(&HeaderMap::new(), NOW), None);
    }

    #[test]
    fn error_bodies_of_every_vendor() {
        let openai = br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let e = ErrorBody::parse(openai);
        assert_eq!(
            e.message.as_deref(),
            Some("You exceeded your current quota")
        );
        assert!(e.has_code("insufficient_quota"));
        let cerebras = br#"{"message":"Tokens per minute limit exceeded","type":"too_many_requests_error","param":"quota","code":"token_quota_exceeded"}"#;
        let e = ErrorBody::parse(cerebras);
        assert_eq!(
            e.message.as_deref(),
            Some("Tokens per minute limit exceeded")
        );
        assert!(e.has_code("token_quota_exceeded"));
        let openrouter =
            br#"{"error":{"code":402,"message":"Insufficient credits","metadata":{}}}"#;
        assert!(ErrorBody::parse(openrouter).has_code("402"));
        let tavily = br#"{"detail":{"error":"Plan limit exceeded"}}"#;
        assert_eq!(
            ErrorBody::parse(tavily).message.as_deref(),
            Some("Plan limit exceeded")
        );
        let hunter =
            br#"{"errors":[{"id":"wrong_params","code":400,"details":"domain is missing"}]}"#;
        let e = ErrorBody::parse(hunter);
        assert_eq!(e.message.as_deref(), Some("domain is missing"));
        assert!(e.has_code("wrong_params"));
        let brave = br#"{"type":"ErrorResponse","error":{"id":"x","status":429,"code":"RATE_LIMITED","detail":"Request rate limit exceeded for plan"}}"#;
        let e = ErrorBody::parse(brave);
        assert_eq!(
            e.message.as_deref(),
            Some("Request rate limit exceeded for plan")
        );
        assert!(e.has_code("rate_limited"));
        let apollo = br#"{"error":"The maximum number of api calls allowed for api/v1/people/match is 50 times per minute"}"#;
        assert!(
            ErrorBody::parse(apollo)
                .message
                .unwrap()
                .starts_with("The maximum")
        );
        assert_eq!(
            ErrorBody::parse(b"<html>bad gateway</html>"),
            ErrorBody::default()
        );
    }

    #[test]
    fn classification_by_status() {
        let h = headers(&[("retry-after", "2")]);
        let p = "p";
        let rl = classify_response(
            p,
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            br#"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#,
        );
        assert_eq!(
            rl,
            ProviderError::RateLimited {
                provider: "p".into(),
                message: "slow down".into(),
                retry_after: Some(Duration::from_secs(2))
            }
        );
        let q = classify_response(p, StatusCode::TOO_MANY_REQUESTS, &h, br#"{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}"#);
        assert!(matches!(q, ProviderError::Quota { .. }), "{q:?}");
        assert!(matches!(
            classify_response(p, StatusCode::PAYMENT_REQUIRED, &h, b""),
            ProviderError::Quota { .. }
        ));
        assert!(matches!(
            classify_response(p, StatusCode::UNAUTHORIZED, &h, b""),
            ProviderError::Auth { status: 401, .. }
        ));
        assert!(matches!(
            classify_response(p, StatusCode::FORBIDDEN, &h, b""),
            ProviderError::Auth { status: 403, .. }
        ));
        for s in [400u16, 404, 413, 422] {
            let e = classify_response(p, StatusCode::from_u16(s).unwrap(), &h, b"");
            assert!(
                matches!(e, ProviderError::BadRequest { status, .. } if status == s),
                "{e:?}"
            );
        }
        let overloaded = classify_response(p, StatusCode::from_u16(529).unwrap(), &h, b"");
        assert!(matches!(
            overloaded,
            ProviderError::Server {
                status: 529,
                retry_after: Some(_),
                ..
            }
        ));
        let html = classify_response(
            p,
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html>bad gateway</html>",
        );
        assert!(html.to_string().contains("bad gateway"), "{html}");
    }

    #[test]
    fn redaction_replaces_the_key() {
        let key = SecretString::from("sk-secret-1234");
        let e = ProviderError::BadRequest {
            provider: "p".into(),
            status: 400,
            message: "bad key sk-secret-1234".into(),
        };
        let e = redact_error(e, Some(&key));
        assert!(!e.to_string().contains("sk-secret-1234"));
        assert!(!format!("{e:?}").contains("sk-secret-1234"));
    }

    #[test]
    fn join_keeps_prefixes() {
        let base = Url::parse("http://127.0.0.1:9/deepseek/").unwrap();
        assert_eq!(
            join_url("p", &base, "/chat/completions").unwrap().as_str(),
            "http://127.0.0.1:9/deepseek/chat/completions"
        );
        let base = Url::parse("https://api.openai.com/v1").unwrap();
        assert_eq!(
            join_url("p", &base, "chat/completions").unwrap().as_str(),
            "https://api.openai.com/v1/chat/completions"
        );
    }
}
