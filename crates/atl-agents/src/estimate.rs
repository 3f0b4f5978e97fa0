//! Quotes: tokens × the price of the route that would be picked, plus paid lookups and
//! TTS characters, as a low–expected–high range itemised by what is bought.
//!
//! Low assumes the short end of the prompt, a quarter of the output cap, the fewest calls
//! and lookups; expected is a typical run; high assumes the long end, the full output cap
//! and the most calls (a failover to the next route included) and lookups. A part whose
//! price is unknown (no usable route, no price entry) adds nothing and is logged: an
//! estimate is advisory, while the recorded cost of a run is exact.

use crate::agent::{AgentInput, CostEstimate, QuoteItem, QuoteKind};
use atl_domain::Money;
use atl_providers::Usage;
use atl_providers::toolkit::{Toolkit, endpoint};

/// The shape of an agent's LLM use: one structured call, two at the most (the first
/// route's reply did not fit and the next route was asked).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LlmShape {
    /// Prompt tokens (low, expected, high) besides the company's name, which [`llm`] adds.
    pub prompt_tokens: (u64, u64, u64),
    pub output_tokens_expected: u64,
    pub max_output_tokens: u32,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Quote {
    items: Vec<QuoteItem>,
}

fn nanos(usd: f64) -> i64 {
    Money::from_usd_saturating(usd).nanos()
}

impl Quote {
    pub(crate) fn add(mut self, other: Quote) -> Quote {
        self.items.extend(other.items);
        self
    }

    pub(crate) fn into_estimate(self) -> CostEstimate {
        let sum =
            |f: fn(&QuoteItem) -> i64| self.items.iter().map(f).fold(0i64, i64::saturating_add);
        let low = sum(|i| i.low_nano_usd);
        let expected = sum(|i| i.expected_nano_usd).max(low);
        CostEstimate {
            low_nano_usd: low,
            expected_nano_usd: expected,
            high_nano_usd: sum(|i| i.high_nano_usd).max(expected),
            items: self.items,
        }
    }
}

/// The quote for `shape` on `agent`'s route, for `input`'s company.
pub(crate) fn llm(toolkit: &Toolkit, agent: &str, input: &AgentInput, shape: LlmShape) -> Quote {
    let route = match toolkit.router.pick(agent) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(agent, error = %e, "no usable route; LLM part of the estimate is 0");
            return Quote::default();
        }
    };
    let Some(price) = toolkit.prices.get(&route.provider, &route.model) else {
        tracing::warn!(agent, route = %route, "no price; LLM part of the estimate is 0");
        return Quote::default();
    };
    let name = input.company().chars().count() as u64 / 4;
    let (prompt_low, prompt_expected, prompt_high) = shape.prompt_tokens;
    let (prompt_low, prompt_expected, prompt_high) = (
        prompt_low + name,
        prompt_expected + name,
        prompt_high + name,
    );
    let max_output = u64::from(shape.max_output_tokens);
    let (calls_low, calls_high) = (1, 2);
    let usage = |input: u64, output: u64| Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    };
    let low = price.cost(&usage(prompt_low, max_output / 4)) * calls_low as f64;
    let expected =
        price.cost(&usage(prompt_expected, shape.output_tokens_expected)) * calls_low as f64;
    let high = price.cost(&usage(prompt_high, max_output)) * calls_high as f64;
    let tokens = |p: u64, o: u64, calls: u64| ((p + o) * calls) as f64;
    Quote {
        items: vec![QuoteItem {
            kind: QuoteKind::ModelTokens,
            provider: route.provider.clone(),
            what: route.model.clone(),
            units_low: tokens(prompt_low, max_output / 4, calls_low),
            units_expected: tokens(prompt_expected, shape.output_tokens_expected, calls_low),
            units_high: tokens(prompt_high, max_output, calls_high),
            low_nano_usd: nanos(low),
            expected_nano_usd: nanos(expected),
            high_nano_usd: nanos(high),
        }],
    }
}

/// Expected prompt tokens of a prompt around the evidence pack: `head` plus the cached
/// pack's own size scaled by `num / den` (its URLs recur in the schema's citation enums)
/// when it is cached, else `typical`.
pub(crate) fn pack_prompt(
    input: &AgentInput,
    head: u64,
    (num, den): (u64, u64),
    typical: u64,
) -> u64 {
    match input.cached.pack_tokens {
        Some(pack) => head + pack * num / den,
        None => typical,
    }
}

/// Paid lookups at `provider`'s `endpoint` price (nothing when it is not configured);
/// `expected` may be fractional (a hit rate).
pub(crate) fn lookups(
    toolkit: &Toolkit,
    kind: QuoteKind,
    provider: &str,
    endpoint: &str,
    (low, expected, high): (f64, f64, f64),
) -> Quote {
    let unit = toolkit.prices.cost(
        provider,
        endpoint,
        &Usage {
            lookups: 1,
            ..Usage::default()
        },
    );
    let Some(unit) = unit else {
        tracing::warn!(
            provider,
            endpoint,
            "no lookup price; part of the estimate is 0"
        );
        return Quote::default();
    };
    Quote {
        items: vec![QuoteItem {
            kind,
            provider: provider.to_string(),
            what: endpoint.to_string(),
            units_low: low,
            units_expected: expected,
            units_high: high,
            low_nano_usd: nanos(unit * low),
            expected_nano_usd: nanos(unit * expected),
            high_nano_usd: nanos(unit * high),
        }],
    }
}

/// Web searches with whichever search provider the toolkit would use.
pub(crate) fn searches(toolkit: &Toolkit, low: u64, expected: u64, high: u64) -> Quote {
    match toolkit.search() {
        Some(s) if high > 0 => lookups(
            toolkit,
            QuoteKind::Searches,
            s.name(),
            endpoint::SEARCH,
            (low as f64, expected as f64, high as f64),
        ),
        _ => Quote::default(),
    }
}

/// TTS for a number of characters with the configured engine.
pub(crate) fn tts(toolkit: &Toolkit, (low, expected, high): (u64, u64, u64)) -> Quote {
    let name = toolkit.tts.name();
    let cost = |n: u64| {
        toolkit.prices.cost(
            name,
            endpoint::TTS,
            &Usage {
                tts_characters: n,
                ..Usage::default()
            },
        )
    };
    match (cost(low), cost(expected), cost(high)) {
        (Some(l), Some(e), Some(h)) if high > 0 => Quote {
            items: vec![QuoteItem {
                kind: QuoteKind::TtsCharacters,
                provider: name.to_string(),
                what: endpoint::TTS.to_string(),
                units_low: low as f64,
                units_expected: expected as f64,
                units_high: high as f64,
                low_nano_usd: nanos(l),
                expected_nano_usd: nanos(e),
                high_nano_usd: nanos(h),
            }],
        },
        _ => Quote::default(),
    }
}
