//! One chat vocabulary over OpenAI-compatible and Anthropic models, so that callers
//! and the router never see a vendor's wire format.

use crate::{ProviderError, Usage};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

/// A tool the model may call. `parameters` is a JSON Schema object.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The vendor's id, echoed back in the matching [`Message::ToolResult`].
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Text {
        role: Role,
        text: String,
    },
    /// The assistant's turn that asked for tools (text may accompany the calls).
    ToolCalls {
        text: Option<String>,
        calls: Vec<ToolCall>,
    },
    ToolResult {
        call_id: String,
        content: String,
        is_error: bool,
    },
}

impl Message {
    /// A turn of the user's saying `text`.
    pub fn user(text: impl Into<String>) -> Message {
        Message::Text {
            role: Role::User,
            text: text.into(),
        }
    }
}

/// A request for a JSON reply that fits `schema`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSchemaFormat {
    pub name: String,
    pub schema: Value,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    pub model: String,
    pub system: Option<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    pub json_schema: Option<JsonSchemaFormat>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The text of the reply (JSON text when a schema was asked for); empty when the
    /// model only called tools.
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub stop: StopReason,
    pub usage: Usage,
    /// The model that actually answered, as the vendor named it.
    pub model: String,
}

/// Anything that answers a [`ChatRequest`]: the OpenAI-compatible client, the Anthropic
/// client, or a test double.
#[async_trait::async_trait]
pub trait ChatModel: Send + Sync {
    /// The provider's name as it appears in configuration and pricing (`deepseek`,
    /// `anthropic`, `cerebras`, ...).
    fn provider(&self) -> &str;
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError>;
}
