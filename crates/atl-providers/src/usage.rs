//! What a call consumed, as the provider reported it, and what that cost.

use std::time::Duration;

/// Consumption reported by one call. Every field defaults to zero because vendors omit
/// the ones that do not apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Usage {
    pub input_tokens: u64,
    /// Part of `input_tokens` served from the provider's prompt cache (priced lower).
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    /// Billed units of a lookup endpoint: Apollo credits, Hunter searches or
    /// verifications, web searches (Tavily credits).
    pub lookups: u64,
    /// Lookups that found nothing (priced at the endpoint's miss price, zero for vendors
    /// that charge on a hit only).
    pub misses: u64,
    /// Characters sent to a TTS engine.
    pub tts_characters: u64,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.output_tokens += other.output_tokens;
        self.lookups += other.lookups;
        self.misses += other.misses;
        self.tts_characters += other.tts_characters;
    }
}

/// A provider call's value together with what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Metered<T> {
    pub value: T,
    pub usage: Usage,
    /// `None` when the pricing table has no entry for this provider/model: unknown is
    /// reported as unknown, never silently as zero.
    pub cost_usd: Option<f64>,
    pub provider: String,
    pub model: String,
    pub latency: Duration,
}
