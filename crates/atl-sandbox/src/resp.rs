//! Response plumbing shared by the provider modules: the error kinds every vendor must
//! be able to express, and byte-level builders (bodies are serialised once, so the
//! "malformed" fault can cut them).

use crate::ratelimit::RateView;
use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

/// An error reply, before a vendor module renders it in its own shape.
#[derive(Debug, Clone)]
pub(crate) enum ErrKind {
    /// 400 (or the vendor's validation status) with a message.
    BadRequest(String),
    /// Missing credentials where the vendor requires them.
    Unauthorized(String),
    RateLimited {
        retry_after_secs: u64,
    },
    QuotaExhausted,
    Overloaded,
    ServerError,
    /// A hang ended (timeout elapsed or the sandbox is shutting down): 503.
    Unavailable,
    /// Inside an outage window: the provider's overload reply, with `status` when the
    /// knob names one (else the provider's usual: 529 for Anthropic, 503 elsewhere).
    Outage {
        status: Option<u16>,
    },
    /// Inside an outage window in `reset` mode: no reply at all.
    Reset,
    /// A configured rate limit refused the request; the view says which and for how long.
    Limited(RateView),
}

impl ErrKind {
    pub(crate) fn bad(msg: impl Into<String>) -> Self {
        ErrKind::BadRequest(msg.into())
    }
}

pub(crate) const JSON: &str = "application/json";

/// What a vendor whose error bodies carry only a message says for each kind (bad
/// requests are a 400 with the request's own message, server errors a 500): the
/// vendor's envelope goes around the message.
pub(crate) struct Wording {
    pub unauthorized: StatusCode,
    pub rate_limited: &'static str,
    pub quota_exhausted: (StatusCode, &'static str),
    /// Overloaded, in an outage, or a hang that ended: a 503.
    pub unavailable: &'static str,
}

impl Wording {
    /// The vendor's reply to `e` ([`vendor_error`] over [`Wording::render`]).
    pub(crate) fn error(
        &self,
        e: &ErrKind,
        envelope: impl Fn(StatusCode, String) -> Value,
    ) -> Response {
        vendor_error(e, |e| self.render(e, &envelope))
    }

    fn render(&self, e: &ErrKind, envelope: impl Fn(StatusCode, String) -> Value) -> Response {
        let (status, message) = match e {
            ErrKind::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            ErrKind::Unauthorized(m) => (self.unauthorized, m.clone()),
            ErrKind::RateLimited { .. } | ErrKind::Limited(_) => {
                (StatusCode::TOO_MANY_REQUESTS, self.rate_limited.into())
            }
            ErrKind::QuotaExhausted => (self.quota_exhausted.0, self.quota_exhausted.1.into()),
            ErrKind::Overloaded
            | ErrKind::Unavailable
            | ErrKind::Outage { .. }
            | ErrKind::Reset => (StatusCode::SERVICE_UNAVAILABLE, self.unavailable.into()),
            ErrKind::ServerError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error (sandbox fault)".into(),
            ),
        };
        let r = json(status, &envelope(status, message));
        match e {
            ErrKind::RateLimited { retry_after_secs } => retry_after(r, *retry_after_secs),
            _ => r,
        }
    }
}

/// Render a vendor error: `render` draws the vendor's shape, this adds what is common
/// to all of them (an outage's own status code; a dropped connection in reset mode).
pub(crate) fn vendor_error(e: &ErrKind, render: impl Fn(&ErrKind) -> Response) -> Response {
    match e {
        ErrKind::Reset => reset(),
        ErrKind::Outage { status: Some(s) } => {
            let mut r = render(e);
            if let Ok(code) = StatusCode::from_u16(*s) {
                *r.status_mut() = code;
            }
            r
        }
        _ => render(e),
    }
}

/// A reply whose body fails before its first byte: the server closes the connection
/// and the client sees it drop without a status line.
pub(crate) fn reset() -> Response {
    let cut = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("sandbox outage: connection reset"))
    });
    Response::new(Body::from_stream(cut))
}

/// Build a response from pre-serialised bytes.
pub(crate) fn bytes(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

pub(crate) fn json(status: StatusCode, value: &Value) -> Response {
    // Serialising a `Value` cannot fail (all keys are strings).
    let body = serde_json::to_vec(value).unwrap_or_default();
    bytes(status, JSON, body)
}

/// A 200 reply, cut in half when the malformed fault fired. Half of a JSON object is
/// never valid JSON (the closing brace is gone), which is exactly what clients must survive.
pub(crate) fn ok_body(malformed: bool, content_type: &'static str, mut body: Vec<u8>) -> Response {
    if malformed {
        body.truncate(body.len() / 2);
    }
    bytes(StatusCode::OK, content_type, body)
}

pub(crate) fn ok_json(malformed: bool, value: &Value) -> Response {
    ok_body(
        malformed,
        JSON,
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

pub(crate) fn with_headers<N: AsRef<str>>(mut r: Response, headers: &[(N, String)]) -> Response {
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_ref().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            r.headers_mut().insert(n, v);
        }
    }
    r
}

pub(crate) fn with_static_headers(
    mut r: Response,
    headers: &[(&'static str, &'static str)],
) -> Response {
    for (name, value) in headers {
        r.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    r
}

pub(crate) fn retry_after(r: Response, secs: u64) -> Response {
    with_headers(r, &[("retry-after", secs.to_string())])
}

/// `Retry-After` plus the vendor's own headers.
pub(crate) fn retry_after_with(
    r: Response,
    secs: u64,
    headers: &[(&'static str, &'static str)],
) -> Response {
    with_static_headers(retry_after(r, secs), headers)
}

/// Approximate token count the way the brief asks: characters / 4, at least 1.
pub(crate) fn tokens(chars: usize) -> u64 {
    (chars as u64 / 4).max(1)
}
