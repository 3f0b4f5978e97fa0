//! The default price table: what each provider charges, as captured in late 2026. Every
//! figure names the vendor page or plan it comes from. Prices move: any entry can be
//! overridden in `atl.toml` (`[pricing.PROVIDER."MODEL"]`, see [`crate::pricing`]).
//!
//! Token prices are USD per 1M tokens (input, cached input, output); lookup prices are
//! USD per billed unit of the endpoint (the model column names the endpoint, `"*"` every
//! endpoint of the provider); TTS prices are USD per character.

use crate::pricing::{Peak, Price, PriceTable};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// DeepSeek's peak hours: 01:00–04:00 and 06:00–10:00 UTC, Monday to Friday, at twice the
/// off-peak price (DeepSeek's pricing page, checked 2026-11-15). The page exempts Chinese
/// public holidays; they are not modelled, so a call on one is metered at the peak price
/// (the safe side).
pub const DEEPSEEK_PEAK: Peak = Peak {
    multiplier: 2.0,
    weekday_hours_utc: &[(1, 4), (6, 10)],
};

/// Apollo credit: $0.04, the top of the $0.02–0.04 a credit costs across Apollo's plans
/// (Basic $49 for about 2,500 credits a month is $0.02; allotments expire each billing
/// cycle, so a credit actually used costs more than the list price). A budget that holds
/// at the top of the range holds on any plan.
pub const APOLLO_CREDIT_USD: f64 = 0.04;

/// Hunter credit: $0.0245, the Starter plan ($49 for 2,000 credits a month), the plan a
/// team starts on (credits run $0.008–0.025 across Hunter's plans).
pub const HUNTER_CREDIT_USD: f64 = 0.0245;

/// The table itself: one TOML table per provider and model, each figure with its source
/// (the file's header describes the format).
const DEFAULT_PRICES: &str = include_str!("prices.toml");

/// One entry of `prices.toml`: [`Price`]'s fields, with peak hours by name.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(default)]
    input: f64,
    cached_input: Option<f64>,
    #[serde(default)]
    output: f64,
    #[serde(default)]
    per_lookup: f64,
    #[serde(default)]
    per_miss: f64,
    #[serde(default)]
    per_tts_char: f64,
    /// `deepseek`: [`DEEPSEEK_PEAK`] applies.
    peak: Option<String>,
}

impl Entry {
    fn price(self) -> Result<Price, String> {
        let peak = match self.peak.as_deref() {
            None => None,
            Some("deepseek") => Some(DEEPSEEK_PEAK),
            Some(other) => return Err(format!("unknown peak hours {other:?}")),
        };
        Ok(Price {
            input: self.input,
            cached_input: self.cached_input,
            output: self.output,
            per_lookup: self.per_lookup,
            per_miss: self.per_miss,
            per_tts_char: self.per_tts_char,
            peak,
        })
    }
}

/// A price table in the format of `prices.toml`.
fn parse(text: &str) -> Result<PriceTable, String> {
    let providers: BTreeMap<String, BTreeMap<String, Entry>> =
        toml::from_str(text).map_err(|e| e.to_string())?;
    let mut t = PriceTable::empty();
    for (provider, models) in providers {
        for (model, entry) in models {
            let price = entry
                .price()
                .map_err(|e| format!("{provider}.{model}: {e}"))?;
            t.set(&provider, &model, price);
        }
    }
    Ok(t)
}

impl PriceTable {
    /// The table of `prices.toml`, read once (see [`crate::pricing`] for how
    /// configuration overrides it).
    pub fn defaults() -> Self {
        static DEFAULTS: LazyLock<PriceTable> = LazyLock::new(|| {
            // Built into the binary and read by the tests below: it cannot fail here.
            parse(DEFAULT_PRICES).unwrap_or_else(|e| panic!("prices.toml: {e}"))
        });
        DEFAULTS.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::ANY_MODEL;

    #[test]
    fn the_table_parses_and_agrees_with_the_credit_prices() {
        let t = parse(DEFAULT_PRICES).unwrap();
        let get = |provider: &str, model: &str| *t.get(provider, model).unwrap();
        assert_eq!(
            get("deepseek", "deepseek-flash"),
            Price::tokens(0.15, Some(0.003), 0.60).with_peak(DEEPSEEK_PEAK)
        );
        assert_eq!(
            get("openrouter", "openai/gpt-oss-120b"),
            Price::tokens(0.039, None, 0.18)
        );
        assert_eq!(
            get("openai", "gpt-5.4-mini"),
            Price::tokens(0.75, Some(0.075), 4.50)
        );
        assert_eq!(get("apollo", "match"), Price::lookup(APOLLO_CREDIT_USD));
        assert_eq!(get("apollo", "people_search"), Price::lookup(0.0));
        assert_eq!(
            get("hunter", "email_finder"),
            Price::lookup(HUNTER_CREDIT_USD)
        );
        assert_eq!(
            get("hunter", "email_verifier"),
            Price::lookup(HUNTER_CREDIT_USD / 2.0)
        );
        assert_eq!(get("cartesia", "sonic-3.5"), Price::tts_char(0.000_05));
        assert_eq!(get("espeak", ANY_MODEL), Price::default());
        assert_eq!(PriceTable::defaults(), t);
    }

    #[test]
    fn unknown_fields_and_peaks_are_refused() {
        let err = parse("[p.m]\ninput = 1.0\npeak = \"night\"").unwrap_err();
        assert!(err.contains("p.m") && err.contains("night"), "{err}");
        assert!(parse("[p.m]\ninptu = 1.0").is_err());
    }
}
