//! The OpenAI-compatible wire details that differ by dialect: usage objects, the SSE
//! stream, rate-limit headers and error bodies.
//!
//! What each vendor sends when it throttles or fails, which the sandbox copies:
//! OpenAI answers 429 with `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` whose
//! resets are Go-style durations (`1s`, `6m0s`); DeepSeek limits requests in flight and
//! sends no rate-limit headers; Cerebras puts a flat error object (no `error` wrapper)
//! and `x-ratelimit-*-requests-day` / `-tokens-minute` with float-second resets on every
//! reply; OpenRouter's error `code` is the HTTP status as a number, with
//! `X-RateLimit-*` (reset in epoch milliseconds) on its 429s. When overloaded, all of
//! them answer 503 in their own envelope.

use crate::ctx;
use crate::limits::LimitKind;
use crate::provider::Provider;
use crate::ratelimit::{RateView, Reading};
use crate::resp::{self, ErrKind};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    OpenAi,
    DeepSeek,
    Cerebras,
    OpenRouter,
}

impl Dialect {
    pub(crate) fn of(model: &str) -> Dialect {
        let m = model.to_ascii_lowercase();
        if m.contains('/') {
            Dialect::OpenRouter
        } else if m.starts_with("deepseek") {
            Dialect::DeepSeek
        } else if ["gpt-oss", "zai-", "llama", "qwen", "gemma"]
            .iter()
            .any(|p| m.starts_with(p))
        {
            Dialect::Cerebras
        } else {
            Dialect::OpenAi
        }
    }

    pub(crate) fn provider(self) -> Provider {
        match self {
            Dialect::OpenAi => Provider::OpenAi,
            Dialect::DeepSeek => Provider::DeepSeek,
            Dialect::Cerebras => Provider::Cerebras,
            Dialect::OpenRouter => Provider::OpenRouter,
        }
    }
}

/// `cached` is the part of `prompt` served from the prompt cache (a subset, as OpenAI
/// and DeepSeek count it).
pub(crate) fn usage(dialect: Dialect, prompt: u64, completion: u64, cached: u64) -> Value {
    let cached = cached.min(prompt);
    let mut u = json!({
        "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": 0}
    });
    match dialect {
        Dialect::DeepSeek => {
            u["prompt_cache_hit_tokens"] = json!(cached);
            u["prompt_cache_miss_tokens"] = json!(prompt - cached);
        }
        Dialect::OpenRouter => {
            u["cost"] = json!(0.0);
            u["is_byok"] = json!(false);
        }
        _ => {}
    }
    u
}

/// Split at char boundaries into pieces of about `n` bytes.
pub(crate) fn pieces(s: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < s.len() {
        let mut end = (start + n).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        out.push(&s[start..end]);
        start = end;
    }
    out
}

pub(crate) fn stream_body(
    id: &str,
    created: u64,
    model: &str,
    reply: &Reply,
    finish: &str,
    usage: Option<&Value>,
    seed: u64,
) -> String {
    let mut out = String::new();
    let mut push = |delta: Value, finish: Option<&str>| {
        let chunk = json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        out.push_str("data: ");
        out.push_str(&chunk.to_string());
        out.push_str("\n\n");
    };
    match reply {
        Reply::Text(t) => {
            push(json!({"role": "assistant", "content": ""}), None);
            for p in pieces(t, 24) {
                push(json!({"content": p}), None);
            }
        }
        Reply::Json { value, .. } => {
            push(json!({"role": "assistant", "content": ""}), None);
            for p in pieces(&value.to_string(), 24) {
                push(json!({"content": p}), None);
            }
        }
        Reply::ToolCall { name, arguments } => {
            push(
                json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0, "id": call_id(seed),
                        "type": "function", "function": {"name": name, "arguments": ""}}]}),
                None,
            );
            for p in pieces(arguments, 24) {
                push(
                    json!({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}),
                    None,
                );
            }
        }
    }
    push(json!({}), Some(finish));
    if let Some(u) = usage {
        let chunk = json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                           "choices": [], "usage": u});
        out.push_str("data: ");
        out.push_str(&chunk.to_string());
        out.push_str("\n\n");
    }
    out.push_str("data: [DONE]\n\n");
    out
}

/// `12ms`, `1s`, `6m0s`, `1h2m3s`: how OpenAI writes a reset.
pub(crate) fn go_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{}ms", d.as_millis().max(1));
    }
    let s = d.as_secs_f64().ceil() as u64;
    let (h, m, s) = (s / 3_600, s % 3_600 / 60, s % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

fn secs_float(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

/// OpenAI's and Cerebras' rate-limit headers from the limiter's readings; `None` when
/// the provider is not limited (then the static figures below are sent).
fn limit_headers(dialect: Dialect, view: &RateView) -> Option<Vec<(String, String)>> {
    let mut h = Vec::new();
    // One window's `x-ratelimit-{limit,remaining,reset}-{suffix}` headers.
    let mut window = |suffix: &str, r: Option<&Reading>, reset: fn(Duration) -> String| {
        if let Some(r) = r {
            h.push((format!("x-ratelimit-limit-{suffix}"), r.limit.to_string()));
            h.push((
                format!("x-ratelimit-remaining-{suffix}"),
                r.remaining().to_string(),
            ));
            h.push((format!("x-ratelimit-reset-{suffix}"), reset(r.reset)));
        }
    };
    match dialect {
        Dialect::OpenAi => {
            let requests = view.get(LimitKind::Rpm).or(view.get(LimitKind::Rpd));
            window("requests", requests, go_duration);
            window("tokens", view.get(LimitKind::Tpm), go_duration);
        }
        Dialect::Cerebras => {
            window("requests-day", view.get(LimitKind::Rpd), secs_float);
            window("tokens-minute", view.get(LimitKind::Tpm), secs_float);
        }
        Dialect::DeepSeek | Dialect::OpenRouter => {}
    }
    (!h.is_empty()).then_some(h)
}

pub(crate) fn success_headers(dialect: Dialect, r: Response) -> Response {
    if let Some(h) = ctx::rate().as_ref().and_then(|v| limit_headers(dialect, v)) {
        return resp::with_headers(r, &h);
    }
    match dialect {
        Dialect::OpenAi => resp::with_static_headers(
            r,
            &[
                ("x-ratelimit-limit-requests", "10000"),
                ("x-ratelimit-remaining-requests", "9999"),
                ("x-ratelimit-reset-requests", "6ms"),
                ("x-ratelimit-limit-tokens", "10000000"),
                ("x-ratelimit-remaining-tokens", "9999000"),
                ("x-ratelimit-reset-tokens", "6ms"),
                ("x-request-id", "req_sandbox"),
            ],
        ),
        Dialect::Cerebras => resp::with_static_headers(
            r,
            &[
                ("x-ratelimit-limit-requests-day", "14400"),
                ("x-ratelimit-remaining-requests-day", "14399"),
                ("x-ratelimit-reset-requests-day", "33011.38"),
                ("x-ratelimit-limit-tokens-minute", "1000000"),
                ("x-ratelimit-remaining-tokens-minute", "999000"),
                ("x-ratelimit-reset-tokens-minute", "11.38"),
            ],
        ),
        Dialect::DeepSeek | Dialect::OpenRouter => r,
    }
}

/// The message a vendor sends when a configured limit refuses a request.
fn limited_message(dialect: Dialect, view: &RateView) -> (String, &'static str, &'static str) {
    let hit = view.hit_reading();
    let tokens = view.hit == Some(LimitKind::Tpm);
    let (limit, used) = hit.map_or((0, 0), |r| (r.limit, r.used));
    let wait = go_duration(hit.map_or(Duration::from_secs(1), |r| r.reset));
    match dialect {
        Dialect::OpenAi if tokens => (
            format!(
                "Rate limit reached for tokens per min (TPM): Limit {limit}, Used {used}. Please try again in {wait}."
            ),
            "tokens",
            "rate_limit_exceeded",
        ),
        Dialect::OpenAi => (
            format!(
                "Rate limit reached for requests per min (RPM): Limit {limit}, Used {used}, Requested 1. Please try again in {wait}."
            ),
            "requests",
            "rate_limit_exceeded",
        ),
        Dialect::DeepSeek => (
            "Rate limit reached: too many requests in flight for this account.".into(),
            "rate_limit_error",
            "rate_limit_exceeded",
        ),
        Dialect::Cerebras if tokens => (
            "Tokens per minute limit exceeded - too many tokens processed.".into(),
            "too_many_requests_error",
            "token_quota_exceeded",
        ),
        Dialect::Cerebras => (
            "Requests per minute limit exceeded - too many requests sent.".into(),
            "too_many_requests_error",
            "request_quota_exceeded",
        ),
        Dialect::OpenRouter => (
            "Rate limit exceeded: limit_rpm/free-models-per-min.".into(),
            "rate_limit_error",
            "rate_limit_exceeded",
        ),
    }
}

pub(crate) fn error(dialect: Dialect, e: &ErrKind) -> Response {
    resp::vendor_error(e, |e| render_error(dialect, e))
}

fn render_error(dialect: Dialect, e: &ErrKind) -> Response {
    let (status, message, kind, code): (StatusCode, String, &str, &str) = match e {
        ErrKind::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone(), "invalid_request_error", "invalid_request_error"),
        ErrKind::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.clone(), "authentication_error", "invalid_api_key"),
        ErrKind::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit reached for requests (sandbox fault).".into(),
            "requests",
            "rate_limit_exceeded",
        ),
        ErrKind::Limited(view) => {
            let (m, k, c) = limited_message(dialect, view);
            (StatusCode::TOO_MANY_REQUESTS, m, k, c)
        }
        ErrKind::QuotaExhausted => match dialect {
            Dialect::OpenAi => (
                StatusCode::TOO_MANY_REQUESTS,
                "You exceeded your current quota, please check your plan and billing details. (sandbox fault)".into(),
                "insufficient_quota",
                "insufficient_quota",
            ),
            _ => (StatusCode::PAYMENT_REQUIRED, "Insufficient Balance (sandbox fault)".into(), "payment_required", "insufficient_balance"),
        },
        ErrKind::Outage { .. } | ErrKind::Reset => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Server overloaded, please try again later. (sandbox outage)".into(),
            "server_error",
            "server_overloaded",
        ),
        ErrKind::Overloaded | ErrKind::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is overloaded or not ready yet. (sandbox fault)".into(),
            "server_error",
            "server_overloaded",
        ),
        ErrKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server had an error while processing your request. (sandbox fault)".into(),
            "server_error",
            "server_error",
        ),
    };
    let body = match dialect {
        Dialect::OpenAi | Dialect::DeepSeek => {
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
        // Cerebras: flat object, no "error" wrapper.
        Dialect::Cerebras => {
            let (kind, code) = match e {
                ErrKind::RateLimited { .. } => {
                    ("too_many_requests_error", "request_quota_exceeded")
                }
                _ => (kind, code),
            };
            let quota = code.ends_with("quota_exceeded");
            json!({"message": message, "type": kind, "param": if quota { json!("quota") } else { Value::Null }, "code": code})
        }
        // OpenRouter: numeric code equal to the status.
        Dialect::OpenRouter => {
            let mut err = json!({"code": status.as_u16(), "message": message});
            if matches!(e, ErrKind::QuotaExhausted) {
                err["metadata"] = json!({"limit_source": "openrouter_credits"});
            }
            json!({"error": err})
        }
    };
    let r = resp::json(status, &body);
    match e {
        ErrKind::RateLimited { retry_after_secs } => {
            let r = resp::retry_after(r, *retry_after_secs);
            match dialect {
                Dialect::OpenAi => resp::with_static_headers(
                    r,
                    &[
                        ("x-ratelimit-limit-requests", "60"),
                        ("x-ratelimit-remaining-requests", "0"),
                        ("x-ratelimit-reset-requests", "1s"),
                        ("x-ratelimit-limit-tokens", "150000"),
                        ("x-ratelimit-remaining-tokens", "149984"),
                        ("x-ratelimit-reset-tokens", "6m0s"),
                    ],
                ),
                Dialect::Cerebras => resp::with_static_headers(
                    r,
                    &[
                        ("x-ratelimit-limit-requests-day", "14400"),
                        ("x-ratelimit-remaining-requests-day", "0"),
                        ("x-ratelimit-reset-requests-day", "33011.38"),
                        ("x-ratelimit-limit-tokens-minute", "60000"),
                        ("x-ratelimit-remaining-tokens-minute", "0"),
                        ("x-ratelimit-reset-tokens-minute", "11.38"),
                    ],
                ),
                Dialect::OpenRouter => {
                    let reset_ms = (1_764_000_000 + retry_after_secs) * 1000;
                    resp::with_headers(
                        r,
                        &[
                            ("x-ratelimit-limit", "20".into()),
                            ("x-ratelimit-remaining", "0".into()),
                            ("x-ratelimit-reset", reset_ms.to_string()),
                        ],
                    )
                }
                Dialect::DeepSeek => r,
            }
        }
        ErrKind::Limited(view) => match dialect {
            Dialect::OpenAi | Dialect::Cerebras => match limit_headers(dialect, view) {
                Some(h) => resp::with_headers(r, &h),
                None => r,
            },
            Dialect::OpenRouter => {
                let hit = view.hit_reading();
                resp::with_headers(
                    r,
                    &[
                        ("x-ratelimit-limit", hit.map_or(0, |h| h.limit).to_string()),
                        ("x-ratelimit-remaining", "0".into()),
                        (
                            "x-ratelimit-reset",
                            crate::dates::epoch_ms_in(hit.map_or(Duration::ZERO, |h| h.reset))
                                .to_string(),
                        ),
                    ],
                )
            }
            Dialect::DeepSeek => r,
        },
        _ => r,
    }
}

pub(crate) enum Reply {
    Text(String),
    /// A JSON answer, valid for `schema` (when there is one) until misbehaviour is applied.
    Json {
        value: Value,
        schema: Option<Value>,
    },
    ToolCall {
        name: String,
        arguments: String,
    },
}

/// The id of a synthetic tool call, stable for a seed.
pub(crate) fn call_id(seed: u64) -> String {
    format!("call_sbx{:012x}", seed & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_from_model() {
        assert_eq!(Dialect::of("gpt-5.4-mini"), Dialect::OpenAi);
        assert_eq!(Dialect::of("deepseek-flash"), Dialect::DeepSeek);
        assert_eq!(Dialect::of("gpt-oss-120b"), Dialect::Cerebras);
        assert_eq!(Dialect::of("openai/gpt-oss-120b"), Dialect::OpenRouter);
    }

    #[test]
    fn pieces_respect_char_boundaries() {
        let s = "héllo wörld ünïcödé ".repeat(5);
        let joined: String = pieces(&s, 7).concat();
        assert_eq!(joined, s);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::from_millis(12)), "12ms");
        assert_eq!(go_duration(Duration::from_secs(360)), "6m0s");
        assert_eq!(go_duration(Duration::from_secs(3_723)), "1h2m3s");
        assert_eq!(go_duration(Duration::from_millis(1_200)), "2s");
    }
}
