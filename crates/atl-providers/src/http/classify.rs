//! Turning a failed exchange into a [`ProviderError`]: transport failures, and non-2xx
//! statuses read the way most vendors mean them (vendor exceptions are each client's
//! own classifier, which falls back to [`classify_response`]).

use super::RawResponse;
use super::reset::retry_after_from_headers;
use crate::ProviderError;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::time::Duration;

/// Maps a transport-level reqwest error. The URL is stripped first: Hunter's key rides in
/// the query string and reqwest's `Display` prints the URL.
pub fn classify_transport(provider: &str, err: reqwest::Error, elapsed: Duration) -> ProviderError {
    let err = err.without_url();
    if err.is_timeout() {
        return ProviderError::timeout(provider, elapsed);
    }
    ProviderError::connection(provider, error_chain(&err))
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
pub(crate) fn error_message(status: StatusCode, body: &[u8]) -> String {
    let parsed = ErrorBody::parse(body);
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
/// 5xx/529 → `Server`.
pub fn classify_response(
    provider: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ProviderError {
    let parsed = ErrorBody::parse(body);
    let message = error_message(status, body);
    let code = status.as_u16();
    // OpenAI sends its billing failure as a 429; Anthropic calls it billing_error.
    if parsed.has_code("insufficient_quota") || parsed.has_code("billing_error") || code == 402 {
        return ProviderError::quota(provider, message).with_status(code);
    }
    match code {
        429 => ProviderError::rate_limited(provider, message, retry_after_from_headers(headers))
            .with_status(code),
        401 | 403 => ProviderError::auth(provider, code, message),
        408 | 409 | 500..=599 => {
            ProviderError::server(provider, code, message, retry_after_from_headers(headers))
        }
        _ => ProviderError::bad_request(provider, code, message),
    }
}

/// [`classify_response`] over a read response: the default classifier of the request
/// helper.
pub(crate) fn classify_raw(provider: &str, raw: &RawResponse) -> ProviderError {
    classify_response(provider, raw.status, &raw.headers, &raw.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::http::test_headers as headers;

    /// Status and body in; kind, status kept and message out.
    fn check(status: u16, body: &str, kind: ErrorKind, message: &str) {
        let h = headers(&[("retry-after", "2")]);
        let e = classify_response(
            "p",
            StatusCode::from_u16(status).unwrap(),
            &h,
            body.as_bytes(),
        );
        assert_eq!(e.kind, kind, "{status} {body}");
        assert_eq!(e.status, Some(status), "{status} {body}");
        assert_eq!(e.message, message, "{status} {body}");
        let wants_wait = matches!(kind, ErrorKind::RateLimited | ErrorKind::Server);
        assert_eq!(e.retry_after.is_some(), wants_wait, "{status} {body}");
    }

    #[test]
    fn classification_by_status_and_code() {
        use ErrorKind::*;
        check(
            429,
            r#"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#,
            RateLimited,
            "slow down",
        );
        check(
            429,
            r#"{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
            Quota,
            "quota",
        );
        check(
            400,
            r#"{"type":"error","error":{"type":"billing_error","message":"pay"}}"#,
            Quota,
            "pay",
        );
        check(402, "", Quota, "402 Payment Required");
        check(401, "", Auth, "401 Unauthorized");
        check(403, r#"{"error":"plan lacks it"}"#, Auth, "plan lacks it");
        check(400, "", BadRequest, "400 Bad Request");
        check(404, "", BadRequest, "404 Not Found");
        check(413, "", BadRequest, "413 Payload Too Large");
        check(422, "", BadRequest, "422 Unprocessable Entity");
        check(408, "", Server, "408 Request Timeout");
        check(409, "", Server, "409 Conflict");
        check(529, "", Server, "529 <unknown status code>");
        check(
            502,
            "<html>bad gateway</html>",
            Server,
            "502 Bad Gateway: <html>bad gateway</html>",
        );
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
}
