//! The default price table: what each provider charges, as captured in late 2026. Every
//! figure names the vendor page or plan it comes from. Prices move: any entry can be
//! overridden in `atl.toml` (`[pricing.PROVIDER."MODEL"]`, see [`crate::pricing`]).
//!
//! Token prices are USD per 1M tokens (input, cached input, output); lookup prices are
//! USD per billed unit of the endpoint (the model column names the endpoint, `"*"` every
//! endpoint of the provider); TTS prices are USD per character.

use crate::pricing::{ANY_MODEL, Peak, Price, PriceTable};

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

const DEFAULT_PRICES: &[(&str, &str, Price)] = &[
    // ---- DeepSeek: pricing page, checked 2026-11-15; off-peak prices, peak doubles ----
    (
        "deepseek",
        "deepseek-flash",
        Price::tokens(0.15, Some(0.003), 0.60).with_peak(DEEPSEEK_PEAK),
    ),
    // The older name, still served by Flash at Flash prices.
    (
        "deepseek",
        "deepseek-v4-flash",
        Price::tokens(0.15, Some(0.003), 0.60).with_peak(DEEPSEEK_PEAK),
    ),
    (
        "deepseek",
        "deepseek-v4-pro",
        Price::tokens(0.66, Some(0.022), 1.98).with_peak(DEEPSEEK_PEAK),
    ),
    // `deepseek-chat`/`deepseek-reasoner` were Flash aliases, retired 2026-07-24; priced
    // as Flash so an OpenAI-compatible stand-in under those names (the sandbox, vLLM)
    // still meters.
    (
        "deepseek",
        "deepseek-chat",
        Price::tokens(0.15, Some(0.003), 0.60).with_peak(DEEPSEEK_PEAK),
    ),
    (
        "deepseek",
        "deepseek-reasoner",
        Price::tokens(0.15, Some(0.003), 0.60).with_peak(DEEPSEEK_PEAK),
    ),
    // ---- Cerebras: price trackers (Bifrost model library, lava.so), mid-2026; no
    // cached-input discount documented ----
    ("cerebras", "gpt-oss-120b", Price::tokens(0.35, None, 0.75)),
    // ---- OpenRouter: the model's page on openrouter.ai ("from" price), 2026; a 5.5%
    // fee on credit purchases is not included ----
    (
        "openrouter",
        "openai/gpt-oss-120b",
        Price::tokens(0.039, None, 0.18),
    ),
    // ---- Anthropic: platform.claude.com pricing page, read Oct–Nov 2026 ----
    // Sonnet 5.5's cache read fell from 0.20 to 0.10 on 2026-10-07.
    (
        "anthropic",
        "claude-sonnet-5-5",
        Price::tokens(2.00, Some(0.10), 10.00),
    ),
    (
        "anthropic",
        "claude-sonnet-5",
        Price::tokens(2.00, Some(0.20), 10.00),
    ),
    // Haiku 5.5 prompts above 100K tokens cost 5x; not modelled (our prompts are small).
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
    // ---- OpenAI: a summary of the official pricing page, June 2026 ----
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
    // ---- Apollo: API pricing docs; one credit per person or organization returned, none
    // on a miss; people search is free ----
    ("apollo", ANY_MODEL, Price::lookup(APOLLO_CREDIT_USD)),
    ("apollo", "people_search", Price::lookup(0.0)),
    // ---- Hunter: help.hunter.io; the finder costs one credit per address found (nothing
    // on a miss), the verifier half a credit per billed verification ----
    ("hunter", "email_finder", Price::lookup(HUNTER_CREDIT_USD)),
    (
        "hunter",
        "email_verifier",
        Price::lookup(HUNTER_CREDIT_USD / 2.0),
    ),
    // ---- Web search ----
    // Serper: $1.00 per 1,000 queries, its smallest credit package.
    ("serper", ANY_MODEL, Price::lookup(0.001)),
    // Brave Search API dashboard, Sept 2026: $5 per 1,000 requests.
    ("brave", ANY_MODEL, Price::lookup(0.005)),
    // Tavily's credits page: $0.008 per credit pay-as-you-go; a basic search is 1 credit.
    ("tavily", ANY_MODEL, Price::lookup(0.008)),
    // ---- Speech ----
    // Cartesia: about one credit per character; the Pro plan's $5 for 100,000 credits is
    // $0.00005 a character ($0.024 for a 480-character script).
    ("cartesia", ANY_MODEL, Price::tts_char(0.000_05)),
    // espeak-ng runs locally: free, and known to be free.
    ("espeak", ANY_MODEL, Price::tokens(0.0, None, 0.0)),
];

impl PriceTable {
    /// The table above (see [`crate::pricing`] for how configuration overrides it).
    pub fn defaults() -> Self {
        let mut t = Self::empty();
        for (provider, model, price) in DEFAULT_PRICES {
            t.set(provider, model, *price);
        }
        t
    }
}
