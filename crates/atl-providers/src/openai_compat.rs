//! `POST {base}/chat/completions` for every OpenAI-compatible vendor: DeepSeek, Cerebras,
//! OpenRouter, OpenAI itself, and local servers (Ollama, vLLM, the sandbox).
//!
//! Vendor differences are data ([`Dialect`]), chosen from the provider name and
//! overridable, so a base-URL override can point any name at any compatible server.

use crate::http::{self, Auth, ErrorBody, RawResponse, Vendor};
use crate::llm::{ChatModel, ChatRequest, ChatResponse, Message, Role, StopReason, ToolCall};
use crate::{ProviderError, Usage};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

/// Which field carries the output-token cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimitField {
    /// Legacy name; DeepSeek, OpenRouter and most local servers read it.
    MaxTokens,
    /// OpenAI's current name (reasoning models reject `max_tokens`); Cerebras' examples.
    MaxCompletionTokens,
}

/// How a [`crate::llm::JsonSchemaFormat`] is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonMode {
    /// `response_format: {type: json_schema, json_schema: {name, strict: true, schema}}`.
    JsonSchema,
    /// `response_format: {type: json_object}` plus the schema in the system prompt
    /// (DeepSeek documents only JSON mode, and requires the word "json" in the prompt).
    JsonObject,
}

/// A vendor's wire quirks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialect {
    pub token_limit: TokenLimitField,
    pub json_mode: JsonMode,
    /// DeepSeek: thinking is on by default, and a tool round trip in thinking mode must
    /// send `reasoning_content` back or get a 400. Our message vocabulary does not carry
    /// reasoning, so tool-using requests switch thinking off.
    pub disable_thinking_with_tools: bool,
}

impl Dialect {
    /// The documented defaults per vendor name; unknown names get the most widely
    /// accepted settings (`max_tokens`, `json_schema`).
    pub fn for_provider(name: &str) -> Dialect {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "deepseek" => Dialect {
                token_limit: TokenLimitField::MaxTokens,
                json_mode: JsonMode::JsonObject,
                disable_thinking_with_tools: true,
            },
            "openai" | "cerebras" => Dialect {
                token_limit: TokenLimitField::MaxCompletionTokens,
                json_mode: JsonMode::JsonSchema,
                disable_thinking_with_tools: false,
            },
            _ => Dialect {
                token_limit: TokenLimitField::MaxTokens,
                json_mode: JsonMode::JsonSchema,
                disable_thinking_with_tools: false,
            },
        }
    }
}

/// A chat client for any OpenAI-compatible endpoint.
#[derive(Debug, Clone)]
pub struct OpenAiCompatClient {
    vendor: Vendor,
    dialect: Dialect,
    extra_headers: Vec<(String, String)>,
}

/// A chat reply plus what OpenRouter says the call cost (`usage.cost`, USD); `None` for
/// vendors that do not report it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOutcome {
    pub response: ChatResponse,
    pub reported_cost_usd: Option<f64>,
}

impl OpenAiCompatClient {
    /// `base_url` ends where the vendor's docs put `/chat/completions` after it:
    /// `https://api.deepseek.com`, `https://api.cerebras.ai/v1`,
    /// `https://openrouter.ai/api/v1`, `https://api.openai.com/v1`. `key` is `None` for
    /// keyless local servers.
    pub fn new(
        provider_name: impl Into<String>,
        base_url: Url,
        key: Option<SecretString>,
        http: reqwest::Client,
    ) -> Self {
        let provider_name = provider_name.into();
        let dialect = Dialect::for_provider(&provider_name);
        OpenAiCompatClient {
            vendor: Vendor::new(provider_name, base_url, key, Auth::Bearer, http).key_optional(),
            dialect,
            extra_headers: Vec::new(),
        }
    }

    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// Extra headers on every request, e.g. OpenRouter's `HTTP-Referer` and
    /// `X-OpenRouter-Title` attribution. Never put a key here: use the key argument.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers.push((name.into(), value.into()));
        self
    }

    pub fn dialect(&self) -> &Dialect {
        &self.dialect
    }

    /// One chat call, also returning the cost OpenRouter reports.
    pub async fn chat_with_cost(
        &self,
        request: &ChatRequest,
    ) -> Result<ChatOutcome, ProviderError> {
        let body = build_body(request, &self.dialect);
        let headers = &self.extra_headers;
        let build = |b: reqwest::RequestBuilder| {
            headers
                .iter()
                .fold(b.json(&body), |b, (k, v)| b.header(k.as_str(), v.as_str()))
        };
        let provider = self.vendor.provider();
        self.vendor
            .call(Method::POST, "chat/completions", build, |raw| {
                parse_response(provider, &raw)
            })
            .await
    }
}

#[async_trait::async_trait]
impl ChatModel for OpenAiCompatClient {
    fn provider(&self) -> &str {
        self.vendor.provider()
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        self.chat_with_cost(request).await.map(|o| o.response)
    }
}

// ---------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------

/// The request body for `request` in `dialect`. Public so the sandbox and tests can see
/// exactly what goes on the wire.
pub fn build_body(request: &ChatRequest, dialect: &Dialect) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    let mut system = request.system.clone().unwrap_or_default();
    if let (Some(format), JsonMode::JsonObject) = (&request.json_schema, dialect.json_mode) {
        // JSON mode knows no schema, so the prompt must carry it (and the word "json").
        if !system.is_empty() {
            system.push_str("\n\n");
        }
        system.push_str(&format!(
            "Reply with one JSON object only, no prose, that matches this JSON Schema ({}):\n{}",
            format.name, format.schema
        ));
    }
    if !system.is_empty() {
        messages.push(json!({"role": "system", "content": system}));
    }
    for message in &request.messages {
        messages.push(match message {
            Message::Text { role, text } => json!({"role": role_name(*role), "content": text}),
            Message::ToolCalls { text, calls } => json!({
                "role": "assistant",
                "content": text,
                "tool_calls": calls.iter().map(|c| json!({
                    "id": c.id,
                    "type": "function",
                    // OpenAI wants the arguments as a JSON *string*.
                    "function": {"name": c.name, "arguments": c.arguments.to_string()},
                })).collect::<Vec<_>>(),
            }),
            Message::ToolResult {
                call_id,
                content,
                is_error,
            } => json!({
                "role": "tool",
                "tool_call_id": call_id,
                // The wire has no error flag; say it in the content so the model knows.
                "content": if *is_error { format!("ERROR: {content}") } else { content.clone() },
            }),
        });
    }
    let mut body = json!({"model": request.model, "messages": messages});
    let limit_field = match dialect.token_limit {
        TokenLimitField::MaxTokens => "max_tokens",
        TokenLimitField::MaxCompletionTokens => "max_completion_tokens",
    };
    if request.max_tokens > 0 {
        body[limit_field] = json!(request.max_tokens);
    }
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    if !request.tools.is_empty() {
        body["tools"] = Value::Array(
            request
                .tools
                .iter()
                .map(|t| {
                    json!({"type": "function", "function": {
                        "name": t.name, "description": t.description, "parameters": t.parameters,
                    }})
                })
                .collect(),
        );
        if dialect.disable_thinking_with_tools {
            body["thinking"] = json!({"type": "disabled"});
        }
    }
    if let Some(format) = &request.json_schema {
        body["response_format"] = match dialect.json_mode {
            JsonMode::JsonSchema => json!({
                "type": "json_schema",
                "json_schema": {"name": schema_name(&format.name), "strict": true, "schema": format.schema},
            }),
            JsonMode::JsonObject => json!({"type": "json_object"}),
        };
    }
    body
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// `json_schema.name` must match `[a-zA-Z0-9_-]{1,64}`.
pub(crate) fn schema_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "output".to_string()
    } else {
        cleaned
    }
}

// ---------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireResponse {
    model: Option<String>,
    choices: Vec<WireChoice>,
    usage: Option<WireUsage>,
    /// OpenRouter reports failures that happen after generation started inside a 200.
    error: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireChoice {
    message: WireMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireMessage {
    content: Option<String>,
    refusal: Option<String>,
    tool_calls: Vec<WireToolCall>,
    // `reasoning_content` (DeepSeek) is deliberately not read: it is not part of the answer.
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireToolCall {
    id: String,
    function: WireFunction,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireFunction {
    name: String,
    arguments: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    prompt_tokens_details: Option<WirePromptDetails>,
    prompt_cache_hit_tokens: Option<u64>,
    cost: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WirePromptDetails {
    cached_tokens: Option<u64>,
}

fn parse_response(provider: &str, raw: &RawResponse) -> Result<ChatOutcome, ProviderError> {
    let wire: WireResponse = http::parse_json(provider, &raw.body)?;
    if let Some(error) = &wire.error {
        return Err(error_in_ok_body(provider, error, &raw.headers));
    }
    let choice = wire
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| ProviderError::invalid_response(provider, "response has no choices"))?;
    if choice.finish_reason.as_deref() == Some("error") {
        return Err(ProviderError::invalid_response(
            provider,
            "generation ended with finish_reason \"error\"",
        ));
    }
    let tool_calls = choice
        .message
        .tool_calls
        .into_iter()
        .map(|c| {
            let arguments = parse_arguments(provider, &c.function.name, c.function.arguments)?;
            Ok(ToolCall {
                id: c.id,
                name: c.function.name,
                arguments,
            })
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    // DeepSeek's JSON mode replaces invalid output with whitespace: hand back "" so the
    // structured layer sees an empty answer and retries.
    let text = choice
        .message
        .content
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_default();
    // A refusal (structured outputs) comes with null content: report it as an empty
    // answer with a non-final stop, and log the model's words.
    let refused = text.is_empty() && tool_calls.is_empty();
    if let Some(refusal) = choice
        .message
        .refusal
        .filter(|r| refused && !r.trim().is_empty())
    {
        tracing::info!(provider, refusal = %http::truncate(&refusal, 200), "model refused");
    }
    let mut stop = match choice.finish_reason.as_deref() {
        Some("stop") => StopReason::EndTurn,
        Some("length") => StopReason::MaxTokens,
        Some("tool_calls") | Some("function_call") => StopReason::ToolUse,
        _ => StopReason::Other,
    };
    // Some compatible servers say "stop" even when they called tools.
    if !tool_calls.is_empty() && stop == StopReason::EndTurn {
        stop = StopReason::ToolUse;
    }
    let wire_usage = wire.usage.unwrap_or_default();
    let cached = wire_usage
        .prompt_tokens_details
        .as_ref()
        .and_then(|d| d.cached_tokens)
        .or(wire_usage.prompt_cache_hit_tokens)
        .unwrap_or(0);
    let usage = Usage {
        input_tokens: wire_usage.prompt_tokens,
        cached_input_tokens: cached.min(wire_usage.prompt_tokens),
        output_tokens: wire_usage.completion_tokens,
        ..Usage::default()
    };
    Ok(ChatOutcome {
        response: ChatResponse {
            text,
            tool_calls,
            stop,
            usage,
            model: wire.model.unwrap_or_default(),
        },
        reported_cost_usd: wire_usage.cost,
    })
}

/// `arguments` is a JSON string; some servers send an object instead, and some send ""
/// for a tool without parameters.
fn parse_arguments(
    provider: &str,
    tool: &str,
    arguments: Option<Value>,
) -> Result<Value, ProviderError> {
    match arguments {
        None | Some(Value::Null) => Ok(json!({})),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(json!({})),
        Some(Value::String(s)) => serde_json::from_str(&s).map_err(|e| {
            ProviderError::invalid_response(
                provider,
                format!("tool call {tool:?} has arguments that are not JSON: {e}"),
            )
        }),
        Some(other) => Ok(other),
    }
}

/// An `error` object inside a 200 (OpenRouter): its numeric code says what it means.
fn error_in_ok_body(
    provider: &str,
    error: &Value,
    headers: &reqwest::header::HeaderMap,
) -> ProviderError {
    let parsed = ErrorBody::from_value(&json!({ "error": error }));
    let message = parsed
        .message
        .clone()
        .unwrap_or_else(|| "error inside a 200 response".to_string());
    let code = error
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok());
    match code.and_then(|c| StatusCode::from_u16(c).ok()) {
        Some(status)
            if status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::PAYMENT_REQUIRED =>
        {
            http::classify_response(
                provider,
                status,
                headers,
                &json!({ "error": error }).to_string().into_bytes(),
            )
        }
        _ => ProviderError::invalid_response(provider, message),
    }
}
