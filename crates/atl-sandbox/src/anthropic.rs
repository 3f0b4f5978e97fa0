//! Anthropic Messages API (`/v1/messages`, also DeepSeek's `/anthropic/v1/messages`,
//! which is limited as DeepSeek is).
//!
//! Anthropic reports its limits on every reply in `anthropic-ratelimit-*` headers whose
//! resets are RFC 3339 times, and a 429 (`rate_limit_error`) adds `retry-after` in
//! seconds. When the service as a whole is short of capacity it answers 529
//! `overloaded_error`. Structured-output answers go through [`crate::answers`].

use crate::answers;
use crate::config::Family;
use crate::ctx;
use crate::dates;
use crate::limits::LimitKind;
use crate::openai::{content_text, plain_text};
use crate::provider::Provider;
use crate::ratelimit::{RateView, Weight};
use crate::resp::{self, ErrKind};
use crate::schema::Generator;
use crate::state::AppState;
use crate::synth::{self, Subject};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct MessagesRequest {
    model: String,
    max_tokens: u64,
    messages: Vec<Message>,
    #[serde(default)]
    system: Option<Value>,
    #[serde(default)]
    tools: Vec<Tool>,
    #[serde(default)]
    tool_choice: Option<Value>,
    #[serde(default)]
    stream: bool,
    /// Structured outputs: `output_format` (beta) or `output_config.format`.
    #[serde(default)]
    output_format: Option<Value>,
    #[serde(default)]
    output_config: Option<Value>,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    content: Value,
}

#[derive(Deserialize)]
struct Tool {
    name: String,
    #[serde(default)]
    input_schema: Value,
}

pub(crate) async fn messages(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let provider = if ctx::endpoint().starts_with("/anthropic") {
        Provider::DeepSeek
    } else {
        Provider::Anthropic
    };
    if headers.get("x-api-key").is_none_or(|v| v.is_empty()) {
        state.count_only_as(Family::Anthropic, provider);
        return error(&ErrKind::Unauthorized(
            "x-api-key header is required".into(),
        ));
    }
    if headers.get("anthropic-version").is_none() {
        state.count_only_as(Family::Anthropic, provider);
        return error(&ErrKind::bad("anthropic-version: header is required"));
    }
    let req: MessagesRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            state.count_only_as(Family::Anthropic, provider);
            return error(&ErrKind::bad(format!("invalid request body: {e}")));
        }
    };
    if req.messages.is_empty() {
        state.count_only_as(Family::Anthropic, provider);
        return error(&ErrKind::bad("messages: at least one message is required"));
    }
    // Anthropic's token limit that trips first is the input one: count the prompt.
    let weight = Weight {
        tokens: resp::tokens(body.len()),
        units: 1,
    };
    let admit = match state.admit_as(Family::Anthropic, provider, weight).await {
        Ok(a) => a,
        Err(e) => return error(&e),
    };
    let seed = synth::fnv1a(&body);

    let mut text = String::new();
    match &req.system {
        Some(Value::String(s)) => text.push_str(s),
        Some(v @ Value::Array(_)) => content_text(Some(v), &mut text),
        _ => {}
    }
    let mut tool_results = 0;
    for m in &req.messages {
        if m.role == "user" {
            content_text(Some(&m.content), &mut text);
            if let Value::Array(blocks) = &m.content {
                tool_results += blocks
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
                    .count();
            }
        }
    }
    let subject = Subject::from_text(&text, seed);

    let (content, stop_reason) = match choose_tool(&req, tool_results > 0) {
        Some(tool) => {
            let input = Generator::new(&tool.input_schema, &subject, seed ^ 0x7001).generate();
            let input = if input.is_object() { input } else { json!({}) };
            let block = json!({"type": "tool_use", "id": format!("toolu_sbx{:016x}", seed), "name": tool.name, "input": input});
            (vec![block], "tool_use")
        }
        None => {
            let text = match output_schema(&req) {
                Some(schema) => answers::shape(
                    Generator::new(schema, &subject, seed).generate(),
                    Some(schema),
                    admit.extras,
                    seed,
                ),
                None => plain_text(&subject, tool_results, seed),
            };
            (vec![json!({"type": "text", "text": text})], "end_turn")
        }
    };
    let out_chars: usize = content.iter().map(|b| b.to_string().len()).sum();
    let usage = json!({
        "input_tokens": resp::tokens(body.len()), "output_tokens": resp::tokens(out_chars).min(req.max_tokens.max(1)),
        "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "service_tier": "standard"
    });
    let id = format!("msg_sbx{seed:016x}");
    let r = if req.stream {
        let sse = stream_body(&id, &req.model, &content, stop_reason, &usage);
        resp::ok_body(admit.malformed, "text/event-stream", sse.into_bytes())
    } else {
        let v = json!({
            "id": id, "type": "message", "role": "assistant", "model": req.model,
            "content": content, "stop_reason": stop_reason, "stop_sequence": null, "usage": usage
        });
        resp::ok_json(admit.malformed, &v)
    };
    let r = resp::with_static_headers(r, &[("request-id", "req_sandbox")]);
    if let Some(h) = ctx::rate().as_ref().and_then(limit_headers) {
        return resp::with_headers(r, &h);
    }
    resp::with_static_headers(
        r,
        &[
            ("anthropic-ratelimit-requests-limit", "1000"),
            ("anthropic-ratelimit-requests-remaining", "999"),
            ("anthropic-ratelimit-requests-reset", "2026-01-01T00:00:00Z"),
            ("anthropic-ratelimit-tokens-limit", "96000"),
            ("anthropic-ratelimit-tokens-remaining", "95000"),
            ("anthropic-ratelimit-tokens-reset", "2026-01-01T00:00:00Z"),
        ],
    )
}

/// `anthropic-ratelimit-*` from the limiter's readings (requests per minute; the token
/// limit as both the combined and the input one). `None` when Anthropic is not limited.
fn limit_headers(view: &RateView) -> Option<Vec<(&'static str, String)>> {
    let mut h = Vec::new();
    if let Some(r) = view.get(LimitKind::Rpm) {
        h.push(("anthropic-ratelimit-requests-limit", r.limit.to_string()));
        h.push((
            "anthropic-ratelimit-requests-remaining",
            r.remaining().to_string(),
        ));
        h.push((
            "anthropic-ratelimit-requests-reset",
            dates::rfc3339_in(r.reset),
        ));
    }
    if let Some(r) = view.get(LimitKind::Tpm) {
        // Anthropic rounds remaining tokens to the nearest thousand.
        let remaining = (r.remaining() + 500) / 1000 * 1000;
        let remaining = remaining.min(r.remaining()).to_string();
        let reset = dates::rfc3339_in(r.reset);
        h.push(("anthropic-ratelimit-tokens-limit", r.limit.to_string()));
        h.push(("anthropic-ratelimit-tokens-remaining", remaining.clone()));
        h.push(("anthropic-ratelimit-tokens-reset", reset.clone()));
        h.push((
            "anthropic-ratelimit-input-tokens-limit",
            r.limit.to_string(),
        ));
        h.push(("anthropic-ratelimit-input-tokens-remaining", remaining));
        h.push(("anthropic-ratelimit-input-tokens-reset", reset));
    }
    (!h.is_empty()).then_some(h)
}

fn output_schema(req: &MessagesRequest) -> Option<&Value> {
    let format = req
        .output_format
        .as_ref()
        .or_else(|| req.output_config.as_ref().and_then(|c| c.get("format")))?;
    (format.get("type").and_then(Value::as_str) == Some("json_schema"))
        .then(|| format.get("schema"))
        .flatten()
}

/// `auto` (default): the first tool until a `tool_result` exists. `{"type":"tool"}`:
/// always that tool. `any`: the first tool not yet used in the conversation, else the last.
fn choose_tool(req: &MessagesRequest, has_result: bool) -> Option<&Tool> {
    if req.tools.is_empty() {
        return None;
    }
    let choice = req.tool_choice.as_ref();
    match choice.and_then(|c| c.get("type")).and_then(Value::as_str) {
        Some("none") => None,
        Some("tool") => {
            let name = choice.and_then(|c| c.get("name")).and_then(Value::as_str);
            req.tools.iter().find(|t| Some(t.name.as_str()) == name)
        }
        Some("any") => {
            let used: Vec<&str> = req
                .messages
                .iter()
                .filter_map(|m| m.content.as_array())
                .flatten()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
                .filter_map(|b| b.get("name").and_then(Value::as_str))
                .collect();
            req.tools
                .iter()
                .find(|t| !used.contains(&t.name.as_str()))
                .or(req.tools.last())
        }
        _ if has_result => None,
        _ => req.tools.first(),
    }
}

fn stream_body(
    id: &str,
    model: &str,
    content: &[Value],
    stop_reason: &str,
    usage: &Value,
) -> String {
    let mut out = String::new();
    let mut event = |name: &str, data: Value| {
        out.push_str("event: ");
        out.push_str(name);
        out.push_str("\ndata: ");
        out.push_str(&data.to_string());
        out.push_str("\n\n");
    };
    event(
        "message_start",
        json!({"type": "message_start", "message": {"id": id, "type": "message", "role": "assistant", "model": model,
               "content": [], "stop_reason": null, "stop_sequence": null,
               "usage": {"input_tokens": usage["input_tokens"], "output_tokens": 1}}}),
    );
    for (i, block) in content.iter().enumerate() {
        match block.get("type").and_then(Value::as_str) {
            Some("tool_use") => {
                let mut start = block.clone();
                start["input"] = json!({});
                event(
                    "content_block_start",
                    json!({"type": "content_block_start", "index": i, "content_block": start}),
                );
                let input = block["input"].to_string();
                event(
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": input}}),
                );
            }
            _ => {
                event(
                    "content_block_start",
                    json!({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}),
                );
                event(
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": block["text"]}}),
                );
            }
        }
        event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": i}),
        );
    }
    event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
               "usage": {"output_tokens": usage["output_tokens"]}}),
    );
    event("message_stop", json!({"type": "message_stop"}));
    out
}

fn error(e: &ErrKind) -> Response {
    resp::vendor_error(e, render_error)
}

/// The limits a rate-limit fault's 429 reports (the figures of a paid tier, used up).
const FAULT_LIMIT_HEADERS: &[(&str, &str)] = &[
    ("anthropic-ratelimit-requests-limit", "1000"),
    ("anthropic-ratelimit-requests-remaining", "0"),
    ("anthropic-ratelimit-requests-reset", "2026-01-01T00:00:01Z"),
    ("anthropic-ratelimit-input-tokens-limit", "80000"),
    ("anthropic-ratelimit-input-tokens-remaining", "0"),
    (
        "anthropic-ratelimit-input-tokens-reset",
        "2026-01-01T00:00:01Z",
    ),
    ("anthropic-ratelimit-output-tokens-limit", "16000"),
    ("anthropic-ratelimit-output-tokens-remaining", "16000"),
    (
        "anthropic-ratelimit-output-tokens-reset",
        "2026-01-01T00:00:01Z",
    ),
    ("anthropic-ratelimit-tokens-limit", "96000"),
    ("anthropic-ratelimit-tokens-remaining", "0"),
    ("anthropic-ratelimit-tokens-reset", "2026-01-01T00:00:01Z"),
];

fn render_error(e: &ErrKind) -> Response {
    let (status, kind, message): (StatusCode, &str, String) = match e {
        ErrKind::BadRequest(m) => (StatusCode::BAD_REQUEST, "invalid_request_error", m.clone()),
        ErrKind::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "authentication_error", m.clone()),
        ErrKind::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit (sandbox fault)"
                .into(),
        ),
        ErrKind::QuotaExhausted => (
            StatusCode::PAYMENT_REQUIRED,
            "billing_error",
            "Your credit balance is too low to access the Anthropic API. (sandbox fault)".into(),
        ),
        ErrKind::Limited(view) => (
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            if view.hit == Some(LimitKind::Tpm) {
                "This request would exceed your organization's rate limit of input tokens per minute. (sandbox)".into()
            } else {
                "This request would exceed your organization's rate limit of requests per minute. (sandbox)".into()
            },
        ),
        ErrKind::Overloaded | ErrKind::Outage { .. } | ErrKind::Reset => (
            // 529 is not a registered status but `from_u16` accepts any 100..=999.
            StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "overloaded_error",
            "Overloaded (sandbox fault)".into(),
        ),
        ErrKind::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "Internal server error (sandbox fault)".into(),
        ),
        ErrKind::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "api_error",
            "Service unavailable (sandbox hang ended)".into(),
        ),
    };
    let body = json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_sandbox"});
    let r = resp::with_static_headers(resp::json(status, &body), &[("request-id", "req_sandbox")]);
    match e {
        ErrKind::RateLimited { retry_after_secs } => {
            resp::retry_after_with(r, *retry_after_secs, FAULT_LIMIT_HEADERS)
        }
        ErrKind::Limited(view) => {
            let r = resp::with_headers(r, &[("retry-after", view.retry_after_secs().to_string())]);
            match limit_headers(view) {
                Some(h) => resp::with_headers(r, &h),
                None => r,
            }
        }
        _ => r,
    }
}
