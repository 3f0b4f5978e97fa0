//! What a call cost, from the usage the provider reported and a price table that lives in
//! configuration (invariant 6: money is explicit, prices move, so they are data).
//!
//! A provider/model pair with no entry has an *unknown* cost ([`PriceTable::cost`] returns
//! `None`), never a silent zero: a budget check must be able to tell "free" from
//! "we do not know".
//!
//! Defaults come from `reference/provider-apis.md` (read 2026-11-24); each entry says
//! where its number comes from. Override any of them in `atl.toml`:
//!
//! ```toml
//! [pricing.deepseek."deepseek-flash"]
//! input = 0.15          # USD per 1M uncached input tokens
//! cached_input = 0.003  # USD per 1M cached input tokens (defaults to `input`)
//! output = 0.60         # USD per 1M output tokens
//! [pricing.apollo."*"]  # "*" prices every model/endpoint of a provider
//! per_lookup = 0.04
//! ```

use crate::Usage;
use std::collections::HashMap;

/// The wildcard model: a price for every model/endpoint of a provider that has no entry
/// of its own (per-lookup and per-character providers).
pub const ANY_MODEL: &str = "*";

/// Prices of one provider/model. Token prices are USD per 1M tokens.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Price {
    pub input: f64,
    /// `None`: cached input is billed like uncached input.
    pub cached_input: Option<f64>,
    pub output: f64,
    /// USD per paid lookup (an Apollo credit, a Hunter search, a web search).
    pub per_lookup: f64,
    /// USD per character sent to a TTS engine.
    pub per_tts_char: f64,
}

impl Price {
    pub const fn tokens(input: f64, cached_input: Option<f64>, output: f64) -> Self {
        Price {
            input,
            cached_input,
            output,
            per_lookup: 0.0,
            per_tts_char: 0.0,
        }
    }
    pub const fn lookup(usd: f64) -> Self {
        Price {
            input: 0.0,
            cached_input: None,
            output: 0.0,
            per_lookup: usd,
            per_tts_char: 0.0,
        }
    }
    pub const fn tts_char(usd: f64) -> Self {
        Price {
            input: 0.0,
            cached_input: None,
            output: 0.0,
            per_lookup: 0.0,
            per_tts_char: usd,
        }
    }

    /// USD for `usage`. `usage.input_tokens` includes the cached ones (the [`Usage`]
    /// contract), so only the uncached remainder is billed at the full input price.
    pub fn cost(&self, usage: &Usage) -> f64 {
        const M: f64 = 1_000_000.0;
        let cached = usage.cached_input_tokens.min(usage.input_tokens);
        let uncached = usage.input_tokens - cached;
        uncached as f64 * self.input / M
            + cached as f64 * self.cached_input.unwrap_or(self.input) / M
            + usage.output_tokens as f64 * self.output / M
            + usage.lookups as f64 * self.per_lookup
            + usage.tts_characters as f64 * self.per_tts_char
    }
}

/// A partial price from configuration: fields left out keep the default entry's value
/// (or zero for a new entry), so overriding `input` alone cannot zero `output`.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceOverride {
    pub input: Option<f64>,
    pub cached_input: Option<f64>,
    pub output: Option<f64>,
    pub per_lookup: Option<f64>,
    pub per_tts_char: Option<f64>,
}

impl PriceOverride {
    fn apply(&self, base: Price) -> Price {
        Price {
            input: self.input.unwrap_or(base.input),
            cached_input: self.cached_input.or(base.cached_input),
            output: self.output.unwrap_or(base.output),
            per_lookup: self.per_lookup.unwrap_or(base.per_lookup),
            per_tts_char: self.per_tts_char.unwrap_or(base.per_tts_char),
        }
    }

    /// Every given price must be a finite, non-negative number.
    pub fn check(&self) -> Result<(), String> {
        let fields = [
            ("input", self.input),
            ("cached_input", self.cached_input),
            ("output", self.output),
            ("per_lookup", self.per_lookup),
            ("per_tts_char", self.per_tts_char),
        ];
        for (name, v) in fields {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(format!("{name} must be a non-negative number, got {v}"));
            }
        }
        Ok(())
    }
}

/// Prices by provider, then model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PriceTable {
    entries: HashMap<String, HashMap<String, Price>>,
}

impl PriceTable {
    /// A table with no prices: every cost is unknown.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The documented defaults (see the module docs for how to override them).
    pub fn defaults() -> Self {
        let mut t = Self::empty();
        for (provider, model, price) in DEFAULT_PRICES {
            t.set(provider, model, *price);
        }
        t
    }

    pub fn set(&mut self, provider: &str, model: &str, price: Price) {
        self.entries
            .entry(provider.to_owned())
            .or_default()
            .insert(model.to_owned(), price);
    }

    /// Merge a configured override onto the existing entry (or onto zero).
    pub fn apply_override(&mut self, provider: &str, model: &str, o: &PriceOverride) {
        let base = self
            .entries
            .get(provider)
            .and_then(|m| m.get(model))
            .copied()
            .unwrap_or_default();
        self.set(provider, model, o.apply(base));
    }

    /// The model's own entry, else the provider's `"*"` entry.
    pub fn get(&self, provider: &str, model: &str) -> Option<&Price> {
        let models = self.entries.get(provider)?;
        models.get(model).or_else(|| models.get(ANY_MODEL))
    }

    /// USD for `usage` on `provider`/`model`; `None` when the table does not know the
    /// price.
    pub fn cost(&self, provider: &str, model: &str, usage: &Usage) -> Option<f64> {
        self.get(provider, model).map(|p| p.cost(usage))
    }

    /// Like [`Self::cost`], but a cost the provider itself reported for the call (OpenRouter's
    /// `usage.cost`, Exa's `costDollars`) wins over the table: it is what was billed,
    /// whatever upstream served a pass-through model.
    pub fn cost_or_reported(
        &self,
        provider: &str,
        model: &str,
        usage: &Usage,
        reported_usd: Option<f64>,
    ) -> Option<f64> {
        match reported_usd {
            Some(c) if c.is_finite() && c >= 0.0 => Some(c),
            _ => self.cost(provider, model, usage),
        }
    }
}

/// Rounds USD to integer nano-dollars (the store's unit). Non-finite input maps to 0 and
/// values beyond `i64` saturate, so a corrupt price cannot panic the caller.
pub fn usd_to_nanos(usd: f64) -> i64 {
    if !usd.is_finite() {
        return 0;
    }
    // `as` saturates at i64::MIN/MAX.
    (usd * 1e9).round() as i64
}

/// Nano-dollars back to USD (for display and budget arithmetic done in f64).
pub fn nanos_to_usd(nanos: i64) -> f64 {
    nanos as f64 / 1e9
}

/// Default prices, each with its source in `reference/provider-apis.md`. LLM token prices
/// are USD per 1M tokens.
const DEFAULT_PRICES: &[(&str, &str, Price)] = &[
    // DeepSeek §2, official page checked 2026-11-15. Peak-hour prices (off-peak is half):
    // quoting with the higher price keeps budgets on the safe side.
    (
        "deepseek",
        "deepseek-flash",
        Price::tokens(0.30, Some(0.006), 1.20),
    ),
    // Legacy name still accepted and served by V4.1-Flash at Flash prices.
    (
        "deepseek",
        "deepseek-v4-flash",
        Price::tokens(0.30, Some(0.006), 1.20),
    ),
    (
        "deepseek",
        "deepseek-v4-pro",
        Price::tokens(1.32, Some(0.044), 3.96),
    ),
    // `deepseek-chat`/`deepseek-reasoner` were aliases of V4-Flash and are retired since
    // 2026-07-24; priced as Flash so that an OpenAI-compatible stand-in (the sandbox,
    // vLLM under the same name) still meters.
    (
        "deepseek",
        "deepseek-chat",
        Price::tokens(0.30, Some(0.006), 1.20),
    ),
    (
        "deepseek",
        "deepseek-reasoner",
        Price::tokens(0.30, Some(0.006), 1.20),
    ),
    // Cerebras §3 [3p, 2026-06]: no cached-input discount documented.
    ("cerebras", "gpt-oss-120b", Price::tokens(0.35, None, 0.75)),
    // OpenRouter §4: pass-through; the per-call `usage.cost` is preferred when the client
    // reports it. This is the listed "from" price of the fallback model we route to.
    (
        "openrouter",
        "openai/gpt-oss-120b",
        Price::tokens(0.039, None, 0.19),
    ),
    // Anthropic §5, platform.claude.com read Oct–Nov 2026. Cache read for Sonnet 5.5 is
    // 0.20 (0.10 from 2026-10-07 per a third party: keep the documented, higher one).
    // Haiku 5.5 prompts above 100K tokens cost 5x; not modelled (our prompts are small).
    (
        "anthropic",
        "claude-sonnet-5-5",
        Price::tokens(2.00, Some(0.20), 10.00),
    ),
    (
        "anthropic",
        "claude-sonnet-5",
        Price::tokens(2.00, Some(0.20), 10.00),
    ),
    (
        "anthropic",
        "claude-haiku-5-5",
        Price::tokens(0.10, Some(0.01), 0.50),
    ),
    (
        "anthropic",
        "claude-haiku-4-5",
        Price::tokens(1.00, Some(0.10), 5.00),
    ),
    // OpenAI §1 [3p, June 2026].
    ("openai", "gpt-5.5", Price::tokens(5.00, Some(0.50), 30.00)),
    ("openai", "gpt-5.4", Price::tokens(2.50, Some(0.25), 15.00)),
    (
        "openai",
        "gpt-5.4-mini",
        Price::tokens(0.75, Some(0.075), 4.50),
    ),
    (
        "openai",
        "gpt-5.4-nano",
        Price::tokens(0.20, Some(0.02), 1.25),
    ),
    // Apollo §7: 1 credit per enriched record, 0 on a miss (clients report credits as
    // `lookups`). USD per credit is plan-dependent and not in the reference; 0.04 is a
    // third-party estimate for the Basic plan (1,200 credits/month). Set your own.
    ("apollo", ANY_MODEL, Price::lookup(0.04)),
    // Hunter §9: 1 credit per e-mail found, nothing on a miss. USD per credit is not in
    // the reference; 0.0245 assumes the Starter plan ($49 / 2,000 credits). Set your own.
    ("hunter", ANY_MODEL, Price::lookup(0.0245)),
    // Tavily §8.1: pay-as-you-go $0.008 per credit (basic search = 1, advanced = 2: the
    // client reports credits as `lookups`).
    ("tavily", ANY_MODEL, Price::lookup(0.008)),
    // Brave §8.2 [3p, Sept 2026]: $5 per 1,000 requests.
    ("brave", ANY_MODEL, Price::lookup(0.005)),
    // Cartesia §6: ~1 credit per character; USD per credit from plan prices (Startup
    // ~$39-49 for 1.25M credits) ≈ $40 per 1M characters.
    ("cartesia", ANY_MODEL, Price::tts_char(0.000_04)),
    // espeak-ng runs locally: free, and known to be free.
    ("espeak", ANY_MODEL, Price::tokens(0.0, None, 0.0)),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, cached: u64, output: u64) -> Usage {
        Usage {
            input_tokens: input,
            cached_input_tokens: cached,
            output_tokens: output,
            ..Usage::default()
        }
    }

    #[test]
    fn token_cost_bills_cached_part_at_cached_price() {
        let t = PriceTable::defaults();
        // 1M input of which 400K cached, 100K output on deepseek-flash (peak).
        let c = t
            .cost(
                "deepseek",
                "deepseek-flash",
                &usage(1_000_000, 400_000, 100_000),
            )
            .unwrap();
        let want = 0.6 * 0.30 + 0.4 * 0.006 + 0.1 * 1.20;
        assert!((c - want).abs() < 1e-12, "{c} vs {want}");
    }

    #[test]
    fn cached_price_defaults_to_input_price() {
        let t = PriceTable::defaults();
        let c = t
            .cost("cerebras", "gpt-oss-120b", &usage(2_000_000, 1_000_000, 0))
            .unwrap();
        assert!((c - 0.70).abs() < 1e-12);
    }

    #[test]
    fn unknown_model_or_provider_is_none_not_zero() {
        let t = PriceTable::defaults();
        assert_eq!(t.cost("deepseek", "no-such-model", &usage(10, 0, 10)), None);
        assert_eq!(t.cost("nobody", "x", &usage(10, 0, 10)), None);
        // Free and known is Some(0).
        assert_eq!(
            t.cost(
                "espeak",
                "en-us",
                &Usage {
                    tts_characters: 500,
                    ..Usage::default()
                }
            ),
            Some(0.0)
        );
    }

    #[test]
    fn per_lookup_and_per_character_prices() {
        let t = PriceTable::defaults();
        let u = Usage {
            lookups: 3,
            ..Usage::default()
        };
        assert!((t.cost("tavily", "search", &u).unwrap() - 0.024).abs() < 1e-12);
        let u = Usage {
            tts_characters: 1_000_000,
            ..Usage::default()
        };
        assert!((t.cost("cartesia", "sonic-3.5", &u).unwrap() - 40.0).abs() < 1e-9);
    }

    #[test]
    fn override_keeps_fields_it_does_not_name() {
        let mut t = PriceTable::defaults();
        let o = PriceOverride {
            input: Some(0.15),
            ..PriceOverride::default()
        };
        t.apply_override("deepseek", "deepseek-flash", &o);
        let p = t.get("deepseek", "deepseek-flash").unwrap();
        assert_eq!(p.input, 0.15);
        assert_eq!(p.output, 1.20);
        // A brand-new entry starts from zero.
        t.apply_override(
            "vllm",
            "llama",
            &PriceOverride {
                output: Some(1.0),
                ..PriceOverride::default()
            },
        );
        assert_eq!(t.get("vllm", "llama").unwrap().input, 0.0);
    }

    #[test]
    fn reported_cost_wins_when_sane() {
        let t = PriceTable::defaults();
        let u = usage(1000, 0, 1000);
        assert_eq!(
            t.cost_or_reported("openrouter", "x/unknown", &u, Some(0.000095)),
            Some(0.000095)
        );
        assert_eq!(
            t.cost_or_reported("openrouter", "x/unknown", &u, None),
            None
        );
        assert_eq!(
            t.cost_or_reported("openrouter", "x/unknown", &u, Some(f64::NAN)),
            None
        );
    }

    #[test]
    fn nanos_round_and_saturate() {
        assert_eq!(usd_to_nanos(0.000_000_001_4), 1);
        assert_eq!(usd_to_nanos(0.000_000_001_6), 2);
        assert_eq!(usd_to_nanos(1.25), 1_250_000_000);
        assert_eq!(usd_to_nanos(-0.5), -500_000_000);
        assert_eq!(usd_to_nanos(f64::NAN), 0);
        assert_eq!(usd_to_nanos(1e30), i64::MAX);
        assert_eq!(nanos_to_usd(2_500_000_000), 2.5);
    }
}
