//! Which provider a request spoke to. A family can serve several providers (the chat
//! routes speak for OpenAI, DeepSeek, Cerebras and OpenRouter), and limits and
//! statistics are kept per provider, the way each one bills and throttles.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Provider {
    OpenAi,
    DeepSeek,
    Cerebras,
    OpenRouter,
    Anthropic,
    Apollo,
    Hunter,
    Tavily,
    Brave,
    Serper,
    Cartesia,
    Sites,
}

impl Provider {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::DeepSeek => "deepseek",
            Provider::Cerebras => "cerebras",
            Provider::OpenRouter => "openrouter",
            Provider::Anthropic => "anthropic",
            Provider::Apollo => "apollo",
            Provider::Hunter => "hunter",
            Provider::Tavily => "tavily",
            Provider::Brave => "brave",
            Provider::Serper => "serper",
            Provider::Cartesia => "cartesia",
            Provider::Sites => "sites",
        }
    }

    /// The provider a family's request is counted under when nothing more specific is
    /// known (a chat request whose body could not be read is counted as OpenAI's).
    pub(crate) fn default_for(family: Family) -> Provider {
        match family {
            Family::Chat => Provider::OpenAi,
            Family::Anthropic => Provider::Anthropic,
            Family::Apollo => Provider::Apollo,
            Family::Cartesia => Provider::Cartesia,
            Family::Tavily => Provider::Tavily,
            Family::Brave => Provider::Brave,
            Family::Hunter => Provider::Hunter,
            Family::Sites => Provider::Sites,
            Family::Serper => Provider::Serper,
        }
    }
}

/// A group of routes that share knobs, counters and an error dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// OpenAI-compatible chat (OpenAI, DeepSeek, Cerebras, OpenRouter).
    Chat,
    Anthropic,
    Apollo,
    Cartesia,
    Tavily,
    Brave,
    Hunter,
    /// Synthetic company websites under `/sites/{domain}/`.
    Sites,
    /// Serper's Google search, mounted at `/serper/search`.
    Serper,
}

impl Family {
    pub const ALL: [Family; 9] = [
        Family::Chat,
        Family::Anthropic,
        Family::Apollo,
        Family::Cartesia,
        Family::Tavily,
        Family::Brave,
        Family::Hunter,
        Family::Sites,
        Family::Serper,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Chat => "chat",
            Family::Anthropic => "anthropic",
            Family::Apollo => "apollo",
            Family::Cartesia => "cartesia",
            Family::Tavily => "tavily",
            Family::Brave => "brave",
            Family::Hunter => "hunter",
            Family::Sites => "sites",
            Family::Serper => "serper",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}
