//! OpenAI-compatible chat completions (`/v1/chat/completions` and DeepSeek's
//! `/chat/completions`), with the four dialects ATL talks to. The dialect only changes
//! extras, limits and error shapes ([`crate::openai_wire`]), and is chosen from the
//! `model` name: `deepseek*` → DeepSeek, a `vendor/model` slug → OpenRouter,
//! `gpt-oss*`/`zai-*`/`llama*`/`qwen*`/`gemma*` → Cerebras, anything else → OpenAI.
//! JSON answers go through [`crate::answers`], which misbehaves only when asked to.

use crate::answers;
use crate::config::Family;
use crate::ctx;
use crate::openai_wire::{Dialect, Reply, call_id, error, stream_body, success_headers, usage};
use crate::ratelimit::Weight;
use crate::resp::{self, ErrKind};
use crate::schema::Generator;
use crate::state::{AppState, Extras};
use crate::synth::{self, Rng, Subject};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

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
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
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

/// The prompt in the order a prefix cache reads it: the messages (system first), then
/// the tools and the response format.
fn cacheable_prompt(req: &ChatRequest) -> String {
    let mut out = String::new();
    for m in &req.messages {
        out.push_str(&m.role);
        out.push('\n');
        content_text(m.content.as_ref(), &mut out);
    }
    for t in &req.tools {
        out.push_str(&t.function.name);
        out.push_str(&t.function.parameters.to_string());
    }
    if let Some(f) = &req.response_format {
        out.push_str(&f.to_string());
    }
    out
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
        state.count_only_as(Family::Chat, dialect.provider());
        return error(
            dialect,
            &ErrKind::bad("'messages' must contain at least one message."),
        );
    }
    let prompt_tokens = resp::tokens(body.len());
    // Counted at admission as OpenAI and Cerebras do: the prompt plus the output budget.
    let budget = req.max_completion_tokens.or(req.max_tokens).unwrap_or(0);
    let weight = Weight {
        tokens: prompt_tokens + budget,
        units: 1,
    };
    let admit = match state
        .admit_as(Family::Chat, dialect.provider(), weight)
        .await
    {
        Ok(a) => a,
        Err(e) => return error(dialect, &e),
    };
    let seed = synth::fnv1a(&body);
    let reply = finish(build_reply(&req, seed), admit.extras, seed);
    let (completion_chars, finish) = match &reply {
        Reply::Text(t) => (t.len(), "stop"),
        Reply::ToolCall { name, arguments } => (name.len() + arguments.len(), "tool_calls"),
        Reply::Json { .. } => (0, "stop"),
    };
    let completion_tokens = resp::tokens(completion_chars);
    let cached = state.inner.prompt_cache.lookup(
        dialect,
        &ctx::key(),
        &cacheable_prompt(&req),
        prompt_tokens,
    );
    let usage = usage(dialect, prompt_tokens, completion_tokens, cached);
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
            Reply::Json { value, .. } => {
                json!({"role": "assistant", "content": value.to_string(), "refusal": null})
            }
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

/// A JSON answer becomes its final text (with any misbehaviour the knobs asked for).
fn finish(reply: Reply, extras: Extras, seed: u64) -> Reply {
    match reply {
        Reply::Json { value, schema } => {
            Reply::Text(answers::shape(value, schema.as_ref(), extras, seed))
        }
        other => other,
    }
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
            let value = Generator::new(&schema, &subject, seed).generate();
            Reply::Json {
                value,
                schema: Some(schema),
            }
        }
        Some("json_object") => Reply::Json {
            value: generic_json(&subject),
            schema: None,
        },
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
