//! The vendors ATL knows: their names, which wire format each speaks, their documented
//! base URLs and the environment variables that carry their keys. Configuration starts
//! from this table; nothing here reads the environment.
//!
//! Base URLs: for OpenAI-compatible providers the base is everything before
//! `/chat/completions` (`https://api.cerebras.ai/v1`); for the others it is the origin
//! (`https://api.apollo.io`) and the client appends the documented path
//! (`/api/v1/people/match`).

/// Which wire format a provider speaks (and so which client serves it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// `POST {base}/chat/completions`: DeepSeek, Cerebras, OpenRouter, OpenAI, Ollama, vLLM.
    OpenAiCompatible,
    Anthropic,
    Apollo,
    Cartesia,
    Tavily,
    Brave,
    Serper,
    Hunter,
}

/// One vendor of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub name: &'static str,
    pub kind: ProviderKind,
    /// The documented base URL (see the module docs for what it includes).
    pub base: &'static str,
}

/// Every provider ATL knows, with its documented base.
pub const KNOWN: &[Known] = &[
    Known {
        name: "deepseek",
        kind: ProviderKind::OpenAiCompatible,
        base: "https://api.deepseek.com",
    },
    Known {
        name: "cerebras",
        kind: ProviderKind::OpenAiCompatible,
        base: "https://api.cerebras.ai/v1",
    },
    Known {
        name: "openrouter",
        kind: ProviderKind::OpenAiCompatible,
        base: "https://openrouter.ai/api/v1",
    },
    Known {
        name: "openai",
        kind: ProviderKind::OpenAiCompatible,
        base: "https://api.openai.com/v1",
    },
    Known {
        name: "anthropic",
        kind: ProviderKind::Anthropic,
        base: "https://api.anthropic.com",
    },
    Known {
        name: "apollo",
        kind: ProviderKind::Apollo,
        base: "https://api.apollo.io",
    },
    Known {
        name: "cartesia",
        kind: ProviderKind::Cartesia,
        base: "https://api.cartesia.ai",
    },
    Known {
        name: "tavily",
        kind: ProviderKind::Tavily,
        base: "https://api.tavily.com",
    },
    Known {
        name: "brave",
        kind: ProviderKind::Brave,
        base: "https://api.search.brave.com",
    },
    Known {
        name: "serper",
        kind: ProviderKind::Serper,
        base: "https://google.serper.dev",
    },
    Known {
        name: "hunter",
        kind: ProviderKind::Hunter,
        base: "https://api.hunter.io",
    },
];

/// Ollama is only present when asked for (`OLLAMA_BASE_URL` or `[providers.ollama]`):
/// a keyless provider that is always "configured" would otherwise sit in every route.
pub const OLLAMA_DEFAULT_BASE: &str = "http://localhost:11434/v1";

/// The catalogue entry of `name`.
pub fn known(name: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.name == name)
}

/// The environment variable of a provider's setting: `deepseek` + `API_KEY` →
/// `DEEPSEEK_API_KEY` (anything not alphanumeric becomes `_`).
pub fn env_name(provider: &str, suffix: &str) -> String {
    let mut s: String = provider
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    s.push('_');
    s.push_str(suffix);
    s
}

/// A group of a vendor's endpoints that one rate limit counts together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketDef {
    pub name: &'static str,
    /// The endpoints it counts; empty: every endpoint no other bucket of the vendor
    /// names (its LLM models, say).
    pub endpoints: &'static [&'static str],
    /// Counted per endpoint rather than across them (Cerebras limits each model apart).
    pub per_endpoint: bool,
    /// Its per-minute request limit is the main bucket's divided by this (Apollo's bulk
    /// endpoints: a tenth), also when configuration changes the main one.
    pub share_of_main: Option<u64>,
}

const fn bucket(name: &'static str, endpoints: &'static [&'static str]) -> BucketDef {
    BucketDef {
        name,
        endpoints,
        per_endpoint: false,
        share_of_main: None,
    }
}

/// The buckets each vendor documents, its main one first. A vendor not listed counts
/// every endpoint in one `default` bucket.
const BUCKETS: &[(&str, &[BucketDef])] = &[
    (
        "apollo",
        &[
            // Apollo's rate-limit page: match, bulk match and organization enrich share the
            // enrichment limits; the bulk endpoints also have a per-minute limit of their
            // own, a tenth of the enrichment one.
            bucket(
                "enrichment",
                &[
                    endpoint::PEOPLE_MATCH,
                    endpoint::PEOPLE_BULK_MATCH,
                    endpoint::ORGANIZATION_ENRICH,
                    endpoint::ORGANIZATION_BULK_ENRICH,
                ],
            ),
            BucketDef {
                share_of_main: Some(10),
                ..bucket(
                    "enrichment_bulk",
                    &[
                        endpoint::PEOPLE_BULK_MATCH,
                        endpoint::ORGANIZATION_BULK_ENRICH,
                    ],
                )
            },
            // Every other endpoint (people search) counts in the "other APIs" limits.
            bucket("other", &[]),
        ],
    ),
    (
        "hunter",
        &[
            bucket("finder", &[endpoint::EMAIL_FINDER]),
            bucket("verifier", &[endpoint::EMAIL_VERIFIER]),
        ],
    ),
    (
        "cerebras",
        &[BucketDef {
            per_endpoint: true,
            ..bucket("default", &[])
        }],
    ),
];

/// The buckets of `provider` (a single catch-all `default` for vendors that document
/// one limit).
pub fn buckets(provider: &str) -> &'static [BucketDef] {
    const DEFAULT: &[BucketDef] = &[bucket("default", &[])];
    BUCKETS
        .iter()
        .find(|(p, _)| *p == provider)
        .map_or(DEFAULT, |(_, b)| b)
}

/// The governor "model" of non-LLM calls: one per kind of endpoint, so that (say)
/// Apollo's free people search and its paid match keep separate breakers.
pub mod endpoint {
    pub const SEARCH: &str = "search";
    pub const PEOPLE_MATCH: &str = "people_match";
    pub const PEOPLE_BULK_MATCH: &str = "people_bulk_match";
    pub const ORGANIZATION_ENRICH: &str = "organization_enrich";
    pub const ORGANIZATION_BULK_ENRICH: &str = "organization_bulk_enrich";
    pub const PEOPLE_SEARCH: &str = "people_search";
    pub const EMAIL_FINDER: &str = "email_finder";
    pub const EMAIL_VERIFIER: &str = "email_verifier";
    pub const TTS: &str = "tts";
    pub const PAGE: &str = "page";
}

/// The governor name of the SSRF-guarded fetcher (it has no vendor).
pub const FETCH_PROVIDER: &str = "fetch";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_and_lookup() {
        for (provider, suffix, var) in [
            ("deepseek", "API_KEY", "DEEPSEEK_API_KEY"),
            ("my-vllm.local", "BASE_URL", "MY_VLLM_LOCAL_BASE_URL"),
        ] {
            assert_eq!(env_name(provider, suffix), var);
        }
        assert_eq!(known("apollo").map(|k| k.kind), Some(ProviderKind::Apollo));
        assert!(known("vllm").is_none());
        assert_eq!(buckets("apollo")[0].name, "enrichment");
        assert_eq!(buckets("deepseek")[0].name, "default");
    }
}
