//! What a call cost, from the usage the provider reported and a price table that lives in
//! configuration (money is explicit, and prices move, so they are data).
//!
//! A provider/model pair with no entry has an *unknown* cost ([`PriceTable::cost`] returns
//! `None`), never a silent zero: a budget check must be able to tell "free" from
//! "we do not know".
//!
//! The defaults live in [`crate::prices`], each figure with the vendor page or plan it
//! comes from. Override any of them in `atl.toml`:
//!
//! ```toml
//! [pricing.deepseek."deepseek-flash"]
//! input = 0.15          # USD per 1M uncached input tokens
//! cached_input = 0.003  # USD per 1M cached input tokens (defaults to `input`)
//! output = 0.60         # USD per 1M output tokens
//! peak_multiplier = 1.0 # no peak-hour surcharge
//! [pricing.apollo."*"]  # "*" prices every model/endpoint of a provider
//! per_lookup = 0.04     # USD per billed unit (a credit, a search)
//! per_miss = 0.0        # USD per lookup that found nothing
//! ```

use crate::Usage;
use std::collections::HashMap;
use time::{OffsetDateTime, Weekday};

/// The wildcard model: a price for every model/endpoint of a provider that has no entry
/// of its own (per-lookup and per-character providers).
pub const ANY_MODEL: &str = "*";

/// Hours of the week at which a vendor charges more: `multiplier` × the base price on
/// Monday–Friday (UTC) within any of the half-open hour ranges `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Peak {
    pub multiplier: f64,
    pub weekday_hours_utc: &'static [(u8, u8)],
}

impl Peak {
    /// Whether `at` falls in a peak hour.
    pub fn covers(&self, at: OffsetDateTime) -> bool {
        let at = at.to_offset(time::UtcOffset::UTC);
        let weekend = matches!(at.weekday(), Weekday::Saturday | Weekday::Sunday);
        !weekend
            && self
                .weekday_hours_utc
                .iter()
                .any(|&(from, to)| (from..to).contains(&at.hour()))
    }
}

/// Prices of one provider/model (or endpoint). Token prices are USD per 1M tokens and
/// are the base (off-peak) rate when a [`Peak`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Price {
    pub input: f64,
    /// `None`: cached input is billed like uncached input.
    pub cached_input: Option<f64>,
    pub output: f64,
    /// USD per billed lookup unit (an Apollo credit, a Hunter search or verification, a
    /// web search).
    pub per_lookup: f64,
    /// USD per lookup that found nothing (zero for vendors that charge on a hit).
    pub per_miss: f64,
    /// USD per character sent to a TTS engine.
    pub per_tts_char: f64,
    pub peak: Option<Peak>,
}

impl Price {
    pub const fn tokens(input: f64, cached_input: Option<f64>, output: f64) -> Self {
        Price {
            input,
            cached_input,
            output,
            per_lookup: 0.0,
            per_miss: 0.0,
            per_tts_char: 0.0,
            peak: None,
        }
    }

    pub const fn lookup(usd: f64) -> Self {
        Price {
            per_lookup: usd,
            ..Price::tokens(0.0, None, 0.0)
        }
    }

    pub const fn tts_char(usd: f64) -> Self {
        Price {
            per_tts_char: usd,
            ..Price::tokens(0.0, None, 0.0)
        }
    }

    pub const fn with_peak(self, peak: Peak) -> Self {
        Price {
            peak: Some(peak),
            ..self
        }
    }

    /// USD for `usage` at the base rate. `usage.input_tokens` includes the cached ones
    /// (the [`Usage`] contract), so only the uncached remainder is billed at the full
    /// input price.
    fn base_cost(&self, usage: &Usage) -> f64 {
        const M: f64 = 1_000_000.0;
        let cached = usage.cached_input_tokens.min(usage.input_tokens);
        let uncached = usage.input_tokens - cached;
        uncached as f64 * self.input / M
            + cached as f64 * self.cached_input.unwrap_or(self.input) / M
            + usage.output_tokens as f64 * self.output / M
            + usage.lookups as f64 * self.per_lookup
            + usage.misses as f64 * self.per_miss
            + usage.tts_characters as f64 * self.per_tts_char
    }

    /// USD for `usage` made at `at` (the peak rate in peak hours).
    pub fn cost_at(&self, usage: &Usage, at: OffsetDateTime) -> f64 {
        let multiplier = match self.peak {
            Some(p) if p.covers(at) => p.multiplier,
            _ => 1.0,
        };
        self.base_cost(usage) * multiplier
    }

    /// The most `usage` can cost, whenever it is made (the peak rate where there is
    /// one): what estimates and budget checks use, so they stay on the safe side.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let multiplier = self.peak.map_or(1.0, |p| p.multiplier.max(1.0));
        self.base_cost(usage) * multiplier
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
    pub per_miss: Option<f64>,
    pub per_tts_char: Option<f64>,
    /// The peak-hour multiplier of an entry that has peak hours (1 switches them off).
    pub peak_multiplier: Option<f64>,
}

impl PriceOverride {
    fn apply(&self, base: Price) -> Price {
        let peak = match (base.peak, self.peak_multiplier) {
            (Some(p), Some(multiplier)) => Some(Peak { multiplier, ..p }),
            (peak, _) => peak,
        };
        Price {
            input: self.input.unwrap_or(base.input),
            cached_input: self.cached_input.or(base.cached_input),
            output: self.output.unwrap_or(base.output),
            per_lookup: self.per_lookup.unwrap_or(base.per_lookup),
            per_miss: self.per_miss.unwrap_or(base.per_miss),
            per_tts_char: self.per_tts_char.unwrap_or(base.per_tts_char),
            peak,
        }
    }

    /// Every given price must be a finite, non-negative number.
    pub fn check(&self) -> Result<(), String> {
        let fields = [
            ("input", self.input),
            ("cached_input", self.cached_input),
            ("output", self.output),
            ("per_lookup", self.per_lookup),
            ("per_miss", self.per_miss),
            ("per_tts_char", self.per_tts_char),
            ("peak_multiplier", self.peak_multiplier),
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

    /// The most `usage` can cost on `provider`/`model` (see [`Price::cost`]); `None`
    /// when the table does not know the price.
    pub fn cost(&self, provider: &str, model: &str, usage: &Usage) -> Option<f64> {
        self.get(provider, model).map(|p| p.cost(usage))
    }

    /// What `usage` made at `at` cost on `provider`/`model`: how calls are metered.
    pub fn cost_at(
        &self,
        provider: &str,
        model: &str,
        usage: &Usage,
        at: OffsetDateTime,
    ) -> Option<f64> {
        self.get(provider, model).map(|p| p.cost_at(usage, at))
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
        at: OffsetDateTime,
    ) -> Option<f64> {
        match reported_usd {
            Some(c) if c.is_finite() && c >= 0.0 => Some(c),
            _ => self.cost_at(provider, model, usage, at),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::DEEPSEEK_PEAK;
    use time::macros::datetime;

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
        // 1M input of which 400K cached, 100K output on deepseek-flash.
        let u = usage(1_000_000, 400_000, 100_000);
        let off_peak = 0.6 * 0.15 + 0.4 * 0.003 + 0.1 * 0.60;
        // A Saturday noon is off-peak; a Tuesday 08:30 UTC is peak (twice the price).
        let saturday = datetime!(2026-11-28 12:00 UTC);
        let tuesday = datetime!(2026-11-24 08:30 UTC);
        let at = |when| t.cost_at("deepseek", "deepseek-flash", &u, when).unwrap();
        assert!((at(saturday) - off_peak).abs() < 1e-12, "{}", at(saturday));
        assert!(
            (at(tuesday) - 2.0 * off_peak).abs() < 1e-12,
            "{}",
            at(tuesday)
        );
        // Estimates take the peak price.
        let c = t.cost("deepseek", "deepseek-flash", &u).unwrap();
        assert!((c - 2.0 * off_peak).abs() < 1e-12, "{c}");
    }

    #[test]
    fn deepseek_peak_hours() {
        for (when, peak) in [
            (datetime!(2026-11-23 00:59 UTC), false), // Monday, before 01:00
            (datetime!(2026-11-23 01:00 UTC), true),
            (datetime!(2026-11-23 03:59 UTC), true),
            (datetime!(2026-11-23 04:00 UTC), false),
            (datetime!(2026-11-23 05:30 UTC), false),
            (datetime!(2026-11-27 09:59 UTC), true), // Friday
            (datetime!(2026-11-27 10:00 UTC), false),
            (datetime!(2026-11-28 02:00 UTC), false), // Saturday
            (datetime!(2026-11-29 07:00 UTC), false), // Sunday
            // 09:00 in Shanghai is 01:00 UTC: the offset is read, not the wall clock.
            (datetime!(2026-11-23 09:00 +8), true),
        ] {
            assert_eq!(DEEPSEEK_PEAK.covers(when), peak, "{when}");
        }
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
        assert!((t.cost("cartesia", "sonic-3.5", &u).unwrap() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn lookup_endpoints_and_misses() {
        let t = PriceTable::defaults();
        let lookups = |n: u64, misses: u64| Usage {
            lookups: n,
            misses,
            ..Usage::default()
        };
        for (provider, endpoint, usage, usd) in [
            // Apollo charges on a hit only: 2 credits and 8 misses cost 2 credits.
            ("apollo", "people_bulk_match", lookups(2, 8), 0.08),
            ("apollo", "people_search", lookups(0, 0), 0.0),
            ("hunter", "email_finder", lookups(1, 0), 0.0245),
            ("hunter", "email_finder", lookups(0, 1), 0.0),
            ("hunter", "email_verifier", lookups(1, 0), 0.01225),
            ("serper", "search", lookups(1000, 0), 1.0),
            ("brave", "search", lookups(1000, 0), 5.0),
            ("tavily", "search", lookups(1000, 0), 8.0),
        ] {
            let c = t.cost(provider, endpoint, &usage).unwrap();
            assert!(
                (c - usd).abs() < 1e-12,
                "{provider}/{endpoint}: {c} vs {usd}"
            );
        }
        // A configured miss price is charged.
        let mut t = t;
        t.apply_override(
            "apollo",
            ANY_MODEL,
            &PriceOverride {
                per_miss: Some(0.01),
                ..PriceOverride::default()
            },
        );
        let c = t.cost("apollo", "people_match", &lookups(1, 3)).unwrap();
        assert!((c - 0.07).abs() < 1e-12, "{c}");
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
        assert_eq!(p.output, 0.60);
        assert_eq!(p.peak, Some(DEEPSEEK_PEAK));
        // peak_multiplier = 1 switches the surcharge off.
        t.apply_override(
            "deepseek",
            "deepseek-flash",
            &PriceOverride {
                peak_multiplier: Some(1.0),
                ..PriceOverride::default()
            },
        );
        let u = usage(1_000_000, 0, 0);
        assert_eq!(t.cost("deepseek", "deepseek-flash", &u), Some(0.15));
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
        let at = datetime!(2026-11-24 12:00 UTC);
        let cost = |reported| t.cost_or_reported("openrouter", "x/unknown", &u, reported, at);
        assert_eq!(cost(Some(0.000095)), Some(0.000095));
        assert_eq!(cost(None), None);
        assert_eq!(cost(Some(f64::NAN)), None);
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
