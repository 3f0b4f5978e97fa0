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

/// Adds each named counter of `from` into the same counter of `into`.
macro_rules! add_counters {
    ($into:expr, $from:expr, [$($field:ident),+ $(,)?]) => {
        $($into.$field += $from.$field;)+
    };
}
pub(crate) use add_counters;

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        add_counters!(
            self,
            other,
            [
                input_tokens,
                cached_input_tokens,
                output_tokens,
                lookups,
                misses,
                tts_characters
            ]
        );
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
