//! The documented rate limits of each vendor's plans ("tiers"), by bucket. `tier = "…"`
//! in a provider's `atl.toml` section picks one; the first tier listed for a vendor is
//! its default (the low end, so an account on a better plan raises it, never the
//! reverse). Explicit `rpm`/`tpm` still override the main bucket.
//!
//! Figures as captured in late 2026; each comment names the vendor page or plan.

use super::{Measure, Rate};
use std::time::Duration;

use Measure::{InputTokens, OutputTokens, Requests, Tokens};

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

const fn r(measure: Measure, units: u64, window: Duration) -> Rate {
    Rate::per(measure, units, window)
}

/// A tier's rates by bucket: [(bucket, rates)].
pub(crate) type BucketTable = &'static [(&'static str, &'static [Rate])];

/// (provider, tier, rates by bucket).
pub(crate) type TierRow = (&'static str, &'static str, BucketTable);

pub(crate) const TIERS: &[TierRow] = &[
    // ---- Apollo: its rate-limit page (fixed windows), updated 2026-07-28 ----
    (
        "apollo",
        "free",
        &[
            // Free plan: enrichment 50 a minute, 200 an hour, 600 a day.
            (
                "enrichment",
                &[
                    r(Requests, 50, MINUTE),
                    r(Requests, 200, HOUR),
                    r(Requests, 600, DAY),
                ],
            ),
            // Bulk endpoints: a tenth of the enrichment minute.
            ("enrichment_bulk", &[r(Requests, 5, MINUTE)]),
            // Free plan, other APIs: "1–50" a minute and "20–200" an hour by account;
            // the upper ends, since Apollo's 429 names the window it closed.
            ("other", &[r(Requests, 50, MINUTE), r(Requests, 200, HOUR)]),
        ],
    ),
    (
        "apollo",
        "basic",
        &[
            // Basic plan: enrichment 1,000 a minute, no hourly or daily cap.
            ("enrichment", &[r(Requests, 1_000, MINUTE)]),
            ("enrichment_bulk", &[r(Requests, 100, MINUTE)]),
            // Basic plan, other APIs: 200 a minute, 400 an hour.
            ("other", &[r(Requests, 200, MINUTE), r(Requests, 400, HOUR)]),
        ],
    ),
    (
        "apollo",
        "organization",
        &[
            // Organization plan: as Basic.
            ("enrichment", &[r(Requests, 1_000, MINUTE)]),
            ("enrichment_bulk", &[r(Requests, 100, MINUTE)]),
            ("other", &[r(Requests, 200, MINUTE), r(Requests, 400, HOUR)]),
        ],
    ),
    (
        "apollo",
        "professional",
        &[
            // Professional plan: enrichment 1,000 a minute; other APIs 200 a minute and
            // 600 an hour (or custom).
            ("enrichment", &[r(Requests, 1_000, MINUTE)]),
            ("enrichment_bulk", &[r(Requests, 100, MINUTE)]),
            ("other", &[r(Requests, 200, MINUTE), r(Requests, 600, HOUR)]),
        ],
    ),
    // ---- Hunter: its API documentation's limits, the same on every plan ----
    (
        "hunter",
        "default",
        &[
            // Email Finder: 15 a second, 500 a minute.
            (
                "finder",
                &[r(Requests, 15, SECOND), r(Requests, 500, MINUTE)],
            ),
            // Email Verifier: 10 a second, 300 a minute.
            (
                "verifier",
                &[r(Requests, 10, SECOND), r(Requests, 300, MINUTE)],
            ),
        ],
    ),
    // ---- Cerebras: its rate-limit page, per model; tokens checked before the call ----
    (
        "cerebras",
        "free",
        &[(
            "default",
            // Free tier: 30 requests a minute, 900 an hour, 14,400 a day; 60K tokens a
            // minute, 1M an hour, 1M a day.
            &[
                r(Requests, 30, MINUTE),
                r(Requests, 900, HOUR),
                r(Requests, 14_400, DAY),
                r(Tokens, 60_000, MINUTE),
                r(Tokens, 1_000_000, HOUR),
                r(Tokens, 1_000_000, DAY),
            ],
        )],
    ),
    (
        "cerebras",
        "developer",
        &[(
            "default",
            // Developer tier, gpt-oss-120b (read from live headers, 2026-06-12): 250
            // requests and 250K tokens a minute, 1M tokens an hour and a day.
            &[
                r(Requests, 250, MINUTE),
                r(Tokens, 250_000, MINUTE),
                r(Tokens, 1_000_000, HOUR),
                r(Tokens, 1_000_000, DAY),
            ],
        )],
    ),
    (
        "cerebras",
        "paygo",
        &[(
            "default",
            // Pay-as-you-go FAQ (2026-05-01), gpt-oss-120b: 1,000 requests and 1M tokens
            // a minute.
            &[r(Requests, 1_000, MINUTE), r(Tokens, 1_000_000, MINUTE)],
        )],
    ),
    // ---- OpenAI: the sample limits of its rate-limit guide (2026-06) ----
    (
        "openai",
        "default",
        &[(
            "default",
            &[r(Requests, 60, MINUTE), r(Tokens, 150_000, MINUTE)],
        )],
    ),
    // ---- Anthropic: limits read from a real account's headers (2025-08) ----
    (
        "anthropic",
        "default",
        &[(
            "default",
            // 1,000 requests, 80K input tokens and 16K output tokens a minute.
            &[
                r(Requests, 1_000, MINUTE),
                r(InputTokens, 80_000, MINUTE),
                r(OutputTokens, 16_000, MINUTE),
            ],
        )],
    ),
    // First usage tier (third-party summaries of Anthropic's tiers, 2026: Anthropic's
    // own page names the tiers without figures): 50 requests and 50K input tokens a
    // minute. The default above is what a real account reported; an account
    // still on its first tier sets `tier = "tier1"`.
    (
        "anthropic",
        "tier1",
        &[(
            "default",
            &[r(Requests, 50, MINUTE), r(InputTokens, 50_000, MINUTE)],
        )],
    ),
    // ---- OpenRouter: its limits page ----
    // Paid models: no fixed cap beyond DDoS protection.
    ("openrouter", "paid", &[("default", &[])]),
    // `:free` models: 20 requests a minute, 50 a day below 10 credits ever bought.
    (
        "openrouter",
        "free",
        &[("default", &[r(Requests, 20, MINUTE), r(Requests, 50, DAY)])],
    ),
    // ---- Tavily: its rate-limit page ----
    // Development key: 100 requests a minute.
    (
        "tavily",
        "development",
        &[("default", &[r(Requests, 100, MINUTE)])],
    ),
    // Production key (paid plan or pay-as-you-go): 1,000 a minute.
    (
        "tavily",
        "production",
        &[("default", &[r(Requests, 1_000, MINUTE)])],
    ),
    // ---- Brave Search API ----
    // The old Free plan: 1 request a second.
    ("brave", "free", &[("default", &[r(Requests, 1, SECOND)])]),
    // Current paid Search plan (dashboard, Sept 2026): 50 requests a second.
    ("brave", "paid", &[("default", &[r(Requests, 50, SECOND)])]),
    // ---- Serper: third-party summaries give 50–300 queries a second by package ----
    (
        "serper",
        "default",
        &[("default", &[r(Requests, 50, SECOND)])],
    ),
    // DeepSeek (its rate-limit page) limits concurrency, not rate: 2,500 requests in
    // flight on Flash per account. Cartesia limits concurrency too. Neither has rates.
];

/// The rates of `provider`'s `tier` (`None` for the vendor's default tier), by bucket;
/// `Err` lists the tiers there are when `tier` is not one of them.
pub(crate) fn rates(
    provider: &str,
    tier: Option<&str>,
) -> Result<Option<(&'static str, BucketTable)>, String> {
    let mut rows = TIERS.iter().filter(|(p, _, _)| *p == provider).peekable();
    if rows.peek().is_none() {
        return match tier {
            None | Some("default") => Ok(None),
            Some(t) => Err(format!(
                "{provider} has no documented tiers (asked for {t:?})"
            )),
        };
    }
    let rows: Vec<&TierRow> = rows.collect();
    match tier {
        None => Ok(rows.first().map(|(_, t, b)| (*t, *b))),
        Some(want) => rows
            .iter()
            .find(|(_, t, _)| *t == want)
            .map(|(_, t, b)| Some((*t, *b)))
            .ok_or_else(|| {
                let known: Vec<&str> = rows.iter().map(|(_, t, _)| *t).collect();
                format!(
                    "unknown tier {want:?} for {provider}; known: {}",
                    known.join(", ")
                )
            }),
    }
}
