//! Quotes (invariant 6): tokens × the price of the route that would be picked, plus paid
//! lookups and TTS characters, as a low–high range.
//!
//! Low assumes the short end of the prompt, a quarter of the output cap, the fewest calls
//! and lookups; high assumes the long end, the full output cap, the most calls (including
//! a corrective structured-output retry) and lookups. A part whose price is unknown (no
//! route usable, no price entry) adds nothing and is logged: `CostEstimate` has no way to
//! say "unknown", and an estimate is advisory while the recorded cost of a run is exact.

use crate::agent::CostEstimate;
use atl_providers::Usage;
use atl_providers::pricing::usd_to_nanos;
use atl_providers::toolkit::Toolkit;

/// The shape of an agent's LLM use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LlmShape {
    pub prompt_tokens_low: u64,
    pub prompt_tokens_high: u64,
    pub max_output_tokens: u64,
    pub calls_low: u64,
    pub calls_high: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Range {
    pub low: f64,
    pub high: f64,
}

impl Range {
    pub(crate) fn add(self, other: Range) -> Range {
        Range {
            low: self.low + other.low,
            high: self.high + other.high,
        }
    }

    pub(crate) fn into_estimate(self) -> CostEstimate {
        CostEstimate {
            low_nano_usd: usd_to_nanos(self.low),
            high_nano_usd: usd_to_nanos(self.high.max(self.low)),
        }
    }
}

pub(crate) fn llm(toolkit: &Toolkit, agent: &str, shape: LlmShape) -> Range {
    let route = match toolkit.router.pick(agent) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(agent, error = %e, "no usable route; LLM part of the estimate is 0");
            return Range::default();
        }
    };
    let Some(price) = toolkit.prices.get(&route.provider, &route.model) else {
        tracing::warn!(agent, route = %route, "no price; LLM part of the estimate is 0");
        return Range::default();
    };
    let usage = |input: u64, output: u64| Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    };
    Range {
        low: price.cost(&usage(shape.prompt_tokens_low, shape.max_output_tokens / 4))
            * shape.calls_low as f64,
        high: price.cost(&usage(shape.prompt_tokens_high, shape.max_output_tokens))
            * shape.calls_high as f64,
    }
}

/// `low`–`high` paid lookups at `provider`'s price (nothing when it is not configured).
pub(crate) fn lookups(
    toolkit: &Toolkit,
    provider: &str,
    endpoint: &str,
    low: u64,
    high: u64,
) -> Range {
    let cost = |n: u64| {
        toolkit.prices.cost(
            provider,
            endpoint,
            &Usage {
                lookups: n,
                ..Usage::default()
            },
        )
    };
    match (cost(low), cost(high)) {
        (Some(l), Some(h)) => Range { low: l, high: h },
        _ => {
            tracing::warn!(provider, "no lookup price; part of the estimate is 0");
            Range::default()
        }
    }
}

/// Web searches with whichever search provider is configured.
pub(crate) fn searches(toolkit: &Toolkit, low: u64, high: u64) -> Range {
    match toolkit.search() {
        Some(s) => lookups(
            toolkit,
            s.name(),
            atl_providers::toolkit::endpoint::SEARCH,
            low,
            high,
        ),
        None => Range::default(),
    }
}

/// TTS for `low`–`high` characters with the configured engine.
pub(crate) fn tts(toolkit: &Toolkit, low: u64, high: u64) -> Range {
    let name = toolkit.tts.name();
    let cost = |n: u64| {
        toolkit.prices.cost(
            name,
            atl_providers::toolkit::endpoint::TTS,
            &Usage {
                tts_characters: n,
                ..Usage::default()
            },
        )
    };
    match (cost(low), cost(high)) {
        (Some(l), Some(h)) => Range { low: l, high: h },
        _ => Range::default(),
    }
}
