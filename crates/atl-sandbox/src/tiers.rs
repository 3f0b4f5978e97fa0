//! Named rate-limit presets: each provider's published free or first tier, with where
//! every figure comes from. Figures move; these are the ones captured in late 2026.
//!
//! | provider | tier | figures | source |
//! |---|---|---|---|
//! | openai | `tier1` | 60 RPM, 150,000 TPM | OpenAI's rate-limit guide, whose example headers show an account with these limits (captured June 2026) |
//! | deepseek | `default` | 2,500 requests in flight | DeepSeek's rate-limit page: per-account concurrency for `deepseek-flash` |
//! | deepseek | `v4-pro` | 500 in flight | the same page, for `deepseek-v4-pro` |
//! | cerebras | `free` | 30 RPM, 900 RPH, 14,400 RPD, 60,000 TPM | Cerebras' rate-limit documentation, free tier per model (2025–26) |
//! | cerebras | `developer` | 250 RPM, 250,000 TPM | a model catalogue read from live Cerebras headers (June 2026), developer tier |
//! | cerebras | `paygo` | 1,000 RPM, 1,000,000 TPM | Cerebras' pay-as-you-go FAQ (May 2026), `gpt-oss-120b` |
//! | openrouter | `free` | 20 RPM, 50 RPD | OpenRouter's limits page: `:free` models for accounts that bought under 10 credits |
//! | openrouter | `free_credited` | 20 RPM, 1,000 RPD | the same page, accounts that bought 10 credits or more |
//! | anthropic | `tier1` | 50 RPM, 50,000 input TPM | third-party summaries of Anthropic's first usage tier (2026); Anthropic's own page states the tiers without figures in our notes |
//! | anthropic | `captured` | 1,000 RPM, 80,000 input TPM | the `anthropic-ratelimit-*` headers of a real response (August 2025) |
//! | apollo | `free` | enrichment 50/min, 200/h, 600/day; other endpoints 50/min, 200/h | Apollo's rate-limits page (updated July 2026), Free plan; "other" takes the top of the 1–50/min and 20–200/h ranges it gives |
//! | apollo | `basic`, `organization` | enrichment 1,000/min; other 200/min, 400/h | the same page |
//! | apollo | `professional` | enrichment 1,000/min; other 200/min, 600/h | the same page |
//! | hunter | `free`, `starter`, `growth`, `scale` | finder 15/s and 500/min, verifier 10/s and 300/min; 50, 2,000, 10,000, 25,000 requests a month | Hunter's help centre on rate limits and a third-party profile of its plans |
//! | tavily | `free` | 100 RPM (development key), 1,000 a month | Tavily's rate-limit and credits pages: free plan credits, development-key limit |
//! | tavily | `production` | 1,000 RPM | the same pages, production key |
//! | brave | `free` | 1 request/s, 2,000 a month | Brave Search API's former Free plan, as its dashboard documented it |
//! | brave | `search` | 50 requests/s, 1,000 a month | Brave's dashboard (September 2026): $5 of monthly credit at $5 per 1,000 |
//! | serper | `free` | 50 requests/s, 2,500 in all | a third-party summary: 2,500 free searches once, 50–300 queries/s by plan (the lowest taken) |
//! | cartesia | `free` | 20,000 characters a month | Cartesia's pricing (about one credit per character) and a third-party plan snapshot (June 2026): Free has 20K credits |
//!
//! Apollo's bulk endpoints (`people/bulk_match`, `organizations/bulk_enrich`) are held
//! to a tenth of these per-window figures, as Apollo documents for bulk calls.

use crate::provider::Provider;

use LimitKind::{Concurrency, Monthly, Rpd, Rph, Rpm, Rps, Tpm};

const TIERS: &[(Provider, &str)] = &[
    (Provider::OpenAi, "tier1"),
    (Provider::DeepSeek, "default"),
    (Provider::DeepSeek, "v4-pro"),
    (Provider::Cerebras, "free"),
    (Provider::Cerebras, "developer"),
    (Provider::Cerebras, "paygo"),
    (Provider::OpenRouter, "free"),
    (Provider::OpenRouter, "free_credited"),
    (Provider::Anthropic, "tier1"),
    (Provider::Anthropic, "captured"),
    (Provider::Apollo, "free"),
    (Provider::Apollo, "basic"),
    (Provider::Apollo, "organization"),
    (Provider::Apollo, "professional"),
    (Provider::Hunter, "free"),
    (Provider::Hunter, "starter"),
    (Provider::Hunter, "growth"),
    (Provider::Hunter, "scale"),
    (Provider::Tavily, "free"),
    (Provider::Tavily, "production"),
    (Provider::Brave, "free"),
    (Provider::Brave, "search"),
    (Provider::Serper, "free"),
    (Provider::Cartesia, "free"),
];

pub(crate) fn exists(p: Provider, tier: &str) -> bool {
    TIERS.iter().any(|(q, t)| *q == p && *t == tier)
}

pub(crate) fn names(p: Provider) -> Vec<&'static str> {
    TIERS
        .iter()
        .filter(|(q, _)| *q == p)
        .map(|(_, t)| *t)
        .collect()
}

fn is_apollo_bulk(endpoint: &str) -> bool {
    endpoint.ends_with("/people/bulk_match") || endpoint.ends_with("/organizations/bulk_enrich")
}

fn is_apollo_enrichment(endpoint: &str) -> bool {
    [
        "/people/match",
        "/people/bulk_match",
        "/organizations/enrich",
        "/organizations/bulk_enrich",
    ]
    .iter()
    .any(|e| endpoint.ends_with(e))
}

/// Apollo and Hunter count each endpoint on its own; everyone else counts a key's
/// requests across the provider. Monthly quotas are always per account.
pub(crate) fn per_endpoint(p: Provider, kind: LimitKind) -> bool {
    matches!(
        (p, kind),
        (Provider::Apollo, Rps | Rpm | Rph | Rpd) | (Provider::Hunter, Rps | Rpm)
    )
}

/// A figure as it applies to `endpoint`: a tenth for Apollo's bulk endpoints.
pub(crate) fn endpoint_share(p: Provider, endpoint: &str, kind: LimitKind, limit: u64) -> u64 {
    if p == Provider::Apollo && is_apollo_bulk(endpoint) && matches!(kind, Rps | Rpm | Rph | Rpd) {
        (limit / 10).max(1)
    } else {
        limit
    }
}

fn build(p: Provider, endpoint: &str, figures: &[(LimitKind, u64)], enforce: bool) -> Vec<Rule> {
    figures
        .iter()
        .map(|&(kind, limit)| Rule {
            kind,
            limit: endpoint_share(p, endpoint, kind, limit),
            per_endpoint: per_endpoint(p, kind),
            enforce,
        })
        .collect()
}

/// The rules of a named tier for one endpoint (empty for an unknown name).
pub(crate) fn preset(p: Provider, tier: &str, endpoint: &str) -> Vec<Rule> {
    let enrichment = is_apollo_enrichment(endpoint);
    let verifier = endpoint.ends_with("/email-verifier");
    let hunter = |monthly: u64| -> Vec<(LimitKind, u64)> {
        if verifier {
            vec![(Rps, 10), (Rpm, 300), (Monthly, monthly)]
        } else {
            vec![(Rps, 15), (Rpm, 500), (Monthly, monthly)]
        }
    };
    let figures: Vec<(LimitKind, u64)> = match (p, tier) {
        (Provider::OpenAi, "tier1") => vec![(Rpm, 60), (Tpm, 150_000)],
        (Provider::DeepSeek, "default") => vec![(Concurrency, 2_500)],
        (Provider::DeepSeek, "v4-pro") => vec![(Concurrency, 500)],
        (Provider::Cerebras, "free") => {
            vec![(Rpm, 30), (Rph, 900), (Rpd, 14_400), (Tpm, 60_000)]
        }
        (Provider::Cerebras, "developer") => vec![(Rpm, 250), (Tpm, 250_000)],
        (Provider::Cerebras, "paygo") => vec![(Rpm, 1_000), (Tpm, 1_000_000)],
        (Provider::OpenRouter, "free") => vec![(Rpm, 20), (Rpd, 50)],
        (Provider::OpenRouter, "free_credited") => vec![(Rpm, 20), (Rpd, 1_000)],
        (Provider::Anthropic, "tier1") => vec![(Rpm, 50), (Tpm, 50_000)],
        (Provider::Anthropic, "captured") => vec![(Rpm, 1_000), (Tpm, 80_000)],
        (Provider::Apollo, "free") if enrichment => vec![(Rpm, 50), (Rph, 200), (Rpd, 600)],
        (Provider::Apollo, "free") => vec![(Rpm, 50), (Rph, 200)],
        (Provider::Apollo, "basic" | "organization" | "professional") if enrichment => {
            vec![(Rpm, 1_000)]
        }
        (Provider::Apollo, "basic" | "organization") => vec![(Rpm, 200), (Rph, 400)],
        (Provider::Apollo, "professional") => vec![(Rpm, 200), (Rph, 600)],
        (Provider::Hunter, "free") => hunter(50),
        (Provider::Hunter, "starter") => hunter(2_000),
        (Provider::Hunter, "growth") => hunter(10_000),
        (Provider::Hunter, "scale") => hunter(25_000),
        (Provider::Tavily, "free") => vec![(Rpm, 100), (Monthly, 1_000)],
        (Provider::Tavily, "production") => vec![(Rpm, 1_000)],
        (Provider::Brave, "free") => vec![(Rps, 1), (Monthly, 2_000)],
        (Provider::Brave, "search") => vec![(Rps, 50), (Monthly, 1_000)],
        (Provider::Serper, "free") => vec![(Rps, 50), (Monthly, 2_500)],
        (Provider::Cartesia, "free") => vec![(Monthly, 20_000)],
        _ => Vec::new(),
    };
    build(p, endpoint, &figures, true)
}

/// What a provider that the config does not limit still reports: Apollo sends its
/// usage headers on every reply, so the sandbox counts against the paid plans' figures
/// (1,000 a minute) without ever refusing.
pub(crate) fn reported_when_unlimited(p: Provider, endpoint: &str) -> Vec<Rule> {
    match p {
        Provider::Apollo => build(
            p,
            endpoint,
            &[(Rpm, 1_000), (Rph, 6_000), (Rpd, 50_000)],
            false,
        ),
        _ => Vec::new(),
    }
}

/// What a rule counts, and over which window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum LimitKind {
    Concurrency,
    Rps,
    Rpm,
    Rph,
    Rpd,
    Tpm,
    Monthly,
}

impl LimitKind {
    /// Window length; `None` for concurrency, which has no window.
    pub(crate) fn window_secs(self) -> Option<u64> {
        match self {
            LimitKind::Concurrency => None,
            LimitKind::Rps => Some(1),
            LimitKind::Rpm | LimitKind::Tpm => Some(60),
            LimitKind::Rph => Some(3_600),
            LimitKind::Rpd => Some(86_400),
            LimitKind::Monthly => Some(2_592_000),
        }
    }

    /// `minute`, `hour`, … for messages that name the window.
    pub(crate) fn window_word(self) -> &'static str {
        match self {
            LimitKind::Concurrency => "moment",
            LimitKind::Rps => "second",
            LimitKind::Rpm | LimitKind::Tpm => "minute",
            LimitKind::Rph => "hour",
            LimitKind::Rpd => "day",
            LimitKind::Monthly => "month",
        }
    }
}

/// One limit as it applies to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rule {
    pub kind: LimitKind,
    pub limit: u64,
    /// Counted per endpoint (Apollo, Hunter) rather than per key across the provider.
    pub per_endpoint: bool,
    /// `false`: counted and reported in headers, never refused (Apollo's headers on an
    /// unlimited sandbox).
    pub enforce: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_tier_has_figures() {
        for (p, tier) in TIERS {
            for endpoint in [
                "/v1/chat/completions",
                "/api/v1/people/match",
                "/v2/email-finder",
            ] {
                assert!(!preset(*p, tier, endpoint).is_empty(), "{p:?} {tier}");
            }
        }
        assert!(preset(Provider::OpenAi, "free", "/v1/chat/completions").is_empty());
        let verifier = preset(Provider::Hunter, "free", "/v2/email-verifier");
        assert!(
            verifier
                .iter()
                .any(|r| r.kind == Rps && r.limit == 10 && r.per_endpoint)
        );
    }
}
