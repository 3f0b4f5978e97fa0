//! OpenAI-compatible chat completions (`/v1/chat/completions` and DeepSeek's
//! `/chat/completions`), with the four dialects ATL talks to. The dialect only changes
//! extras and error shapes, and is chosen from the `model` name:
//! `deepseek*` → DeepSeek, a `vendor/model` slug → OpenRouter, `gpt-oss*`/`zai-*`/
//! `llama*`/`qwen*`/`gemma*` → Cerebras, anything else → OpenAI.

use crate::config::Family;
use crate::resp::{self, ErrKind};
use crate::schema::Generator;
use crate::state::AppState;
use crate::synth::{self, Rng, Subject};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    OpenAi,
    DeepSeek,
    Cerebras,
    OpenRouter,
}

impl Dialect {
    fn of(model: &str) -> Dialect {
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
}

#[derive(Deserialize)]
struct ChatRequest {
    model: String,
    messages: Vec<ChatMessage>,
    #[serde(default)]
    tools: Vec<ToolDef>,
    #[serde(default)]
    tool_choice: Option<Value>,
    #[serde(default)]
    response_format: Option<Value>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<Value>,
}

#[derive(Deserialize)]
struct ChatMessage {
    role: String,
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    tool_calls: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct ToolDef {
    function: FunctionDef,
}

#[derive(Deserialize)]
struct FunctionDef {
    name: String,
    #[serde(default)]
    parameters: Value,
}

/// Text of a message's content: a string, or the `text` parts of an array.
pub(crate) fn content_text(content: Option<&Value>, out: &mut String) {
    match content {
        Some(Value::String(s)) => out.push_str(s),
        Some(Value::Array(parts)) => {
            for p in parts {
                if let Some(t) = p.get("text").and_then(Value::as_str) {
                    out.push_str(t);
                    out.push('\n');
                }
            }
        }
        _ => {}
    }
    out.push('\n');
}

enum Reply {
    Text(String),
    ToolCall { name: String, arguments: String },
}

pub(crate) async fn chat(State(state): State<AppState>, body: Bytes) -> Response {
    let req: ChatRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            state.count_only(Family::Chat);
            return error(
                Dialect::OpenAi,
                &ErrKind::bad(format!("Invalid request body: {e}")),
            );
        }
    };
    let dialect = Dialect::of(&req.model);
    if req.messages.is_empty() {
        state.count_only(Family::Chat);
        return error(
            dialect,
            &ErrKind::bad("'messages' must contain at least one message."),
        );
    }
    let admit = match state.admit(Family::Chat).await {
        Ok(a) => a,
        Err(e) => return error(dialect, &e),
    };
    let seed = synth::fnv1a(&body);
    let reply = build_reply(&req, seed);
    let prompt_tokens = resp::tokens(body.len());
    let (completion_chars, finish) = match &reply {
        Reply::Text(t) => (t.len(), "stop"),
        Reply::ToolCall { name, arguments } => (name.len() + arguments.len(), "tool_calls"),
    };
    let completion_tokens = resp::tokens(completion_chars);
    let usage = usage(dialect, prompt_tokens, completion_tokens);
    let id = format!("chatcmpl-sbx{seed:016x}");
    let created = 1_764_000_000 + seed % 1_000_000;

    let r = if req.stream {
        let include_usage = dialect == Dialect::OpenRouter
            || req
                .stream_options
                .as_ref()
                .and_then(|o| o.get("include_usage"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let sse = stream_body(
            &id,
            created,
            &req.model,
            &reply,
            finish,
            include_usage.then_some(&usage),
            seed,
        );
        resp::ok_body(admit.malformed, "text/event-stream", sse.into_bytes())
    } else {
        let message = match &reply {
            Reply::Text(t) => json!({"role": "assistant", "content": t, "refusal": null}),
            Reply::ToolCall { name, arguments } => json!({
                "role": "assistant", "content": null, "refusal": null,
                "tool_calls": [{"id": call_id(seed), "type": "function",
                                "function": {"name": name, "arguments": arguments}}]
            }),
        };
        let mut v = json!({
            "id": id, "object": "chat.completion", "created": created, "model": req.model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
            "usage": usage, "system_fingerprint": "fp_sandbox", "synthetic": true
        });
        if dialect == Dialect::OpenRouter {
            v["provider"] = json!("ATL Sandbox");
        }
        if dialect == Dialect::Cerebras {
            v["time_info"] = json!({"queue_time": 0.0, "prompt_time": 0.0, "completion_time": 0.0, "total_time": 0.0});
        }
        resp::ok_json(admit.malformed, &v)
    };
    success_headers(dialect, r)
}

fn call_id(seed: u64) -> String {
    format!("call_sbx{:012x}", seed & 0xffff_ffff_ffff)
}

fn build_reply(req: &ChatRequest, seed: u64) -> Reply {
    let mut text = String::new();
    for m in &req.messages {
        if matches!(m.role.as_str(), "user" | "system" | "developer") {
            content_text(m.content.as_ref(), &mut text);
        }
    }
    let subject = Subject::from_text(&text, seed);
    let tool_results = req.messages.iter().filter(|m| m.role == "tool").count();

    if let Some(tool) = choose_tool(req, tool_results > 0) {
        let args = Generator::new(&tool.parameters, &subject, seed ^ 0x7001).generate();
        let args = if args.is_object() { args } else { json!({}) };
        return Reply::ToolCall {
            name: tool.name.clone(),
            arguments: args.to_string(),
        };
    }
    let format = req.response_format.as_ref();
    match format.and_then(|f| f.get("type")).and_then(Value::as_str) {
        Some("json_schema") => {
            let schema = format
                .and_then(|f| f.get("json_schema"))
                .and_then(|j| j.get("schema"))
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"}));
            Reply::Text(
                Generator::new(&schema, &subject, seed)
                    .generate()
                    .to_string(),
            )
        }
        Some("json_object") => Reply::Text(generic_json(&subject).to_string()),
        _ => Reply::Text(plain_text(&subject, tool_results, seed)),
    }
}

/// Which tool to call, if any. `auto` calls the first tool until a tool result exists;
/// a named `tool_choice` always calls that tool; `required` calls the first tool not yet
/// called in this conversation (else the last one), so forced loops make progress.
fn choose_tool(req: &ChatRequest, has_result: bool) -> Option<&FunctionDef> {
    let tools: Vec<&FunctionDef> = req.tools.iter().map(|t| &t.function).collect();
    if tools.is_empty() {
        return None;
    }
    match req.tool_choice.as_ref() {
        Some(Value::String(s)) if s == "none" => None,
        Some(Value::String(s)) if s == "required" => {
            let called: Vec<&str> = req
                .messages
                .iter()
                .filter_map(|m| m.tool_calls.as_ref())
                .flatten()
                .filter_map(|c| c.pointer("/function/name").and_then(Value::as_str))
                .collect();
            tools
                .iter()
                .find(|t| !called.contains(&t.name.as_str()))
                .or(tools.last())
                .copied()
        }
        Some(Value::Object(o)) => {
            let name = o
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str);
            tools
                .iter()
                .find(|t| Some(t.name.as_str()) == name)
                .copied()
        }
        _ if has_result => None,
        _ => tools.first().copied(),
    }
}

pub(crate) fn generic_json(s: &Subject) -> Value {
    json!({
        "synthetic": true,
        "company": s.company,
        "domain": s.domain,
        "summary": format!("[synthetic] {} is a fictional company generated by the ATL sandbox.", s.company),
    })
}

pub(crate) fn plain_text(s: &Subject, tool_results: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let angle = rng.pick(&[
        "focuses on mid-market revenue teams",
        "is expanding its sales organisation",
        "recently launched a self-serve plan",
    ]);
    if tool_results > 0 {
        format!(
            "[synthetic] Based on {tool_results} tool result(s): {} ({}) {angle}. This answer was generated by the ATL sandbox and describes no real company.",
            s.company, s.domain
        )
    } else {
        format!(
            "[synthetic] {} ({}) {angle}. This answer was generated by the ATL sandbox and describes no real company.",
            s.company, s.domain
        )
    }
}

fn usage(dialect: Dialect, prompt: u64, completion: u64) -> Value {
    let mut u = json!({
        "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0}
    });
    match dialect {
        Dialect::DeepSeek => {
            u["prompt_cache_hit_tokens"] = json!(0);
            u["prompt_cache_miss_tokens"] = json!(prompt);
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
fn pieces(s: &str, n: usize) -> Vec<&str> {
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

fn stream_body(
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

fn success_headers(dialect: Dialect, r: Response) -> Response {
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

fn error(dialect: Dialect, e: &ErrKind) -> Response {
    let (status, message, kind, code): (StatusCode, String, &str, &str) = match e {
        ErrKind::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone(), "invalid_request_error", "invalid_request_error"),
        ErrKind::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.clone(), "authentication_error", "invalid_api_key"),
        ErrKind::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit reached for requests (sandbox fault).".into(),
            "requests",
            "rate_limit_exceeded",
        ),
        ErrKind::QuotaExhausted => match dialect {
            Dialect::OpenAi => (
                StatusCode::TOO_MANY_REQUESTS,
                "You exceeded your current quota, please check your plan and billing details. (sandbox fault)".into(),
                "insufficient_quota",
                "insufficient_quota",
            ),
            _ => (StatusCode::PAYMENT_REQUIRED, "Insufficient Balance (sandbox fault)".into(), "payment_required", "insufficient_balance"),
        },
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
            json!({"message": message, "type": kind, "param": if code == "request_quota_exceeded" { json!("quota") } else { Value::Null }, "code": code})
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
        _ => r,
    }
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
}
