//! Anthropic Messages API: `POST {base}/v1/messages`.
//!
//! Structured output uses the classic, documented route: one extra tool whose
//! `input_schema` is the wanted schema, forced with `tool_choice: {type: tool}`. Its input
//! comes back as the reply's text, so callers see the same thing as with OpenAI's
//! `json_schema`. Sonnet 5.5 rejects forced tool use; [`AnthropicClient::with_forced_json_tool`]
//! turns forcing off for such models (the tool is still offered and the prompt asks for it).

use crate::http::{self, Auth, RawResponse, Vendor};
use crate::llm::{ChatModel, ChatRequest, ChatResponse, Message, Role, StopReason, ToolCall};
use crate::openai_compat::schema_name;
use crate::{ProviderError, Usage};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

pub const ANTHROPIC_VERSION: &str = "2023-06-01";
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

#[derive(Debug, Clone)]
pub struct AnthropicClient {
    vendor: Vendor,
    force_json_tool: bool,
}

impl AnthropicClient {
    /// `base_url` is the host root (`https://api.anthropic.com`); `/v1/messages` is
    /// appended.
    pub fn new(base_url: Url, key: SecretString, http: reqwest::Client) -> Self {
        AnthropicClient {
            vendor: Vendor::new(
                "anthropic",
                base_url,
                Some(key),
                Auth::Header("x-api-key"),
                http,
            ),
            force_json_tool: true,
        }
    }

    /// The name used in errors, pricing and routing (default `anthropic`), for
    /// Anthropic-format endpoints of other vendors.
    pub fn with_provider_name(mut self, name: impl Into<String>) -> Self {
        self.vendor.set_provider(name);
        self
    }

    /// Whether a JSON-schema request forces the schema tool (default true).
    pub fn with_forced_json_tool(mut self, force: bool) -> Self {
        self.force_json_tool = force;
        self
    }
}

#[async_trait::async_trait]
impl ChatModel for AnthropicClient {
    fn provider(&self) -> &str {
        self.vendor.provider()
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let body = build_body(request, self.force_json_tool);
        let json_tool = request.json_schema.as_ref().map(|f| schema_name(&f.name));
        let build = |b: reqwest::RequestBuilder| {
            b.header("anthropic-version", ANTHROPIC_VERSION).json(&body)
        };
        // 529 overloaded falls in the 5xx arm of the shared classification.
        let provider = self.vendor.provider();
        self.vendor
            .call(Method::POST, "v1/messages", build, |raw| {
                parse_response(provider, &raw, json_tool)
            })
            .await
    }
}

/// The request body for `request`. Public so the sandbox and tests can see the wire.
pub fn build_body(request: &ChatRequest, force_json_tool: bool) -> Value {
    // Roles must alternate and tool results travel in user turns, so consecutive blocks
    // of the same role are merged into one message.
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for message in &request.messages {
        let (role, blocks) = match message {
            Message::Text { role, text } => {
                let role = match role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                (role, vec![json!({"type": "text", "text": text})])
            }
            Message::ToolCalls { text, calls } => {
                let mut blocks = Vec::new();
                if let Some(text) = text.as_ref().filter(|t| !t.is_empty()) {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                for call in calls {
                    // Anthropic's tool input is an object, never a string.
                    let input = if call.arguments.is_object() {
                        call.arguments.clone()
                    } else {
                        json!({})
                    };
                    blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}));
                }
                ("assistant", blocks)
            }
            Message::ToolResult {
                call_id,
                content,
                is_error,
            } => (
                "user",
                vec![
                    json!({"type": "tool_result", "tool_use_id": call_id, "content": content, "is_error": is_error}),
                ],
            ),
        };
        match turns.last_mut() {
            Some((last_role, last_blocks)) if *last_role == role => {
                // tool_result blocks must open a user message.
                if role == "user" && blocks.iter().any(is_tool_result) {
                    let insert_at = last_blocks.iter().take_while(|b| is_tool_result(b)).count();
                    for (i, b) in blocks.into_iter().enumerate() {
                        last_blocks.insert(insert_at + i, b);
                    }
                } else {
                    last_blocks.extend(blocks);
                }
            }
            _ => turns.push((role, blocks)),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();

    let mut tools: Vec<Value> = request
        .tools
        .iter()
        .map(
            |t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}),
        )
        .collect();
    let mut system = request.system.clone().unwrap_or_default();
    let mut tool_choice = None;
    if let Some(format) = &request.json_schema {
        let name = schema_name(&format.name);
        tools.push(json!({
            "name": name,
            "description": "Record the final answer. Its input is the answer, in the required JSON shape.",
            "input_schema": format.schema,
        }));
        // Forcing a tool is only possible when the model has nothing else to call.
        if force_json_tool && request.tools.is_empty() {
            tool_choice = Some(json!({"type": "tool", "name": name}));
        } else {
            if !system.is_empty() {
                system.push_str("\n\n");
            }
            system.push_str(&format!(
                "When you have the answer, give it by calling the `{name}` tool."
            ));
        }
    }

    let mut body = json!({
        "model": request.model,
        "max_tokens": if request.max_tokens > 0 { request.max_tokens } else { 1024 },
        "messages": messages,
    });
    if !system.is_empty() {
        body["system"] = json!(system);
    }
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    if let Some(choice) = tool_choice {
        body["tool_choice"] = choice;
    }
    // Sampling parameters are sent only when asked for: 5.x models reject non-defaults.
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    body
}

fn is_tool_result(block: &Value) -> bool {
    block.get("type").and_then(Value::as_str) == Some("tool_result")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireResponse {
    model: Option<String>,
    content: Vec<Value>,
    stop_reason: Option<String>,
    usage: WireUsage,
    #[serde(rename = "type")]
    kind: Option<String>,
    error: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireUsage {
    input_tokens: u64,
    output_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
}

fn parse_response(
    provider: &str,
    raw: &RawResponse,
    json_tool: Option<String>,
) -> Result<ChatResponse, ProviderError> {
    let wire: WireResponse = http::parse_json(provider, &raw.body)?;
    if wire.kind.as_deref() == Some("error") || wire.error.is_some() {
        let parsed = http::ErrorBody::parse(&raw.body);
        return Err(ProviderError::invalid_response(
            provider,
            parsed
                .message
                .unwrap_or_else(|| "error object inside a 200 response".to_string()),
        ));
    }
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    let mut answered_by_json_tool = false;
    for block in wire.content {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                if let Some(t) = block.get("text").and_then(Value::as_str) {
                    text.push_str(t);
                }
            }
            Some("tool_use") => {
                let field = |k: &str| block.get(k).and_then(Value::as_str).map(str::to_string);
                let (Some(id), Some(name)) = (field("id"), field("name")) else {
                    return Err(ProviderError::invalid_response(
                        provider,
                        "tool_use block without id or name",
                    ));
                };
                let input = block.get("input").cloned().unwrap_or_else(|| json!({}));
                if json_tool.as_deref() == Some(name.as_str()) {
                    // The schema tool's input *is* the structured answer.
                    text = input.to_string();
                    answered_by_json_tool = true;
                } else {
                    tool_calls.push(ToolCall {
                        id,
                        name,
                        arguments: input,
                    });
                }
            }
            // thinking / redacted_thinking / server tool blocks are not part of the answer.
            _ => {}
        }
    }
    let mut stop = match wire.stop_reason.as_deref() {
        Some("end_turn") | Some("stop_sequence") => StopReason::EndTurn,
        Some("tool_use") => StopReason::ToolUse,
        Some("max_tokens") => StopReason::MaxTokens,
        _ => StopReason::Other,
    };
    if answered_by_json_tool && tool_calls.is_empty() && stop == StopReason::ToolUse {
        stop = StopReason::EndTurn;
    }
    // Anthropic's input_tokens exclude cache reads and writes; ours include them, with
    // the cache reads also counted as cached. Cache writes are counted as plain input
    // (their 1.25x price is not modelled).
    let u = wire.usage;
    let usage = Usage {
        input_tokens: u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens,
        cached_input_tokens: u.cache_read_input_tokens,
        output_tokens: u.output_tokens,
        ..Usage::default()
    };
    Ok(ChatResponse {
        text,
        tool_calls,
        stop,
        usage,
        model: wire.model.unwrap_or_default(),
    })
}
