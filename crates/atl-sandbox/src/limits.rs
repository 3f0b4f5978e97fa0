//! Rate-limit knobs: per provider, a named tier (the provider's published figures, see
//! [`crate::tiers`]) and/or explicit numbers, which win over the tier's.
//!
//! ```json
//! {"limits": {"apollo": {"tier": "free"},
//!             "openai": {"rpm": 3, "tpm": 20000},
//!             "deepseek": {"concurrency": 2}}}
//! ```
//! Counting is per API key (whatever credential the request carries: `Authorization`,
//! `x-api-key`, `X-Subscription-Token`, `api_key=`), in fixed windows that open on a
//! key's first request. A provider without an entry is not limited.

use crate::provider::Provider;
use crate::tiers;
pub(crate) use crate::tiers::{LimitKind, Rule};
use serde::{Deserialize, Serialize};

/// [`LimitSpec`] and the kind of limit each of its numbers sets, from one list of
/// `field => LimitKind`.
macro_rules! limit_spec {
    ($($(#[doc = $doc:literal])* $field:ident => $kind:ident,)*) => {
        /// Limits for one provider. Every field is optional.
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct LimitSpec {
            /// A preset: `free`, `tier1`, … (which names exist depends on the provider).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub tier: Option<String>,
            $(
                $(#[doc = $doc])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<u64>,
            )*
        }

        impl LimitSpec {
            /// The numbers given explicitly, with the kind of limit each sets.
            fn explicit(&self) -> Vec<(LimitKind, Option<u64>)> {
                vec![$((LimitKind::$kind, self.$field)),*]
            }
        }
    };
}

limit_spec! {
    /// Requests per second.
    rps => Rps,
    /// Requests per minute.
    rpm => Rpm,
    /// Requests per hour.
    rph => Rph,
    /// Requests per day.
    rpd => Rpd,
    /// Tokens per minute (language models): the prompt's estimate plus the requested
    /// output budget, counted when the request is admitted.
    tpm => Tpm,
    /// Requests in flight at once.
    concurrency => Concurrency,
    /// Units per 30 days: transcript characters for Cartesia, requests elsewhere. Running
    /// out answers the provider's "quota exhausted" reply, not a rate limit.
    monthly => Monthly,
}

impl LimitSpec {
    pub fn tier(name: &str) -> Self {
        LimitSpec {
            tier: Some(name.to_string()),
            ..LimitSpec::default()
        }
    }
}

/// [`Limits`] and its lookups, from one list of `field => Provider` (the field is the
/// key in the config).
macro_rules! limits {
    ($($field:ident => $provider:ident),* $(,)?) => {
        /// One optional [`LimitSpec`] per provider that throttles.
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Limits {
            $(
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<LimitSpec>,
            )*
        }

        impl Limits {
            pub(crate) fn get(&self, p: Provider) -> Option<&LimitSpec> {
                match p {
                    $(Provider::$provider => self.$field.as_ref(),)*
                    Provider::Sites => None,
                }
            }

            fn all(&self) -> Vec<(Provider, Option<&LimitSpec>)> {
                vec![$((Provider::$provider, self.$field.as_ref())),*]
            }
        }
    };
}

limits! {
    deepseek => DeepSeek, openai => OpenAi, cerebras => Cerebras, openrouter => OpenRouter,
    anthropic => Anthropic, apollo => Apollo, hunter => Hunter, tavily => Tavily,
    brave => Brave, serper => Serper, cartesia => Cartesia,
}

impl Limits {
    /// Every named tier must exist for its provider.
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (p, spec) in self.all() {
            if let Some(name) = spec.and_then(|s| s.tier.as_deref())
                && !tiers::exists(p, name)
            {
                return Err(format!(
                    "limits.{}.tier: unknown tier {name:?} (known: {})",
                    p.as_str(),
                    tiers::names(p).join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// The rules for one request to `endpoint` (the route path) of `p`.
pub(crate) fn rules(limits: &Limits, p: Provider, endpoint: &str) -> Vec<Rule> {
    let spec = limits.get(p);
    let mut rules = match spec.and_then(|s| s.tier.as_deref()) {
        Some(tier) => tiers::preset(p, tier, endpoint),
        None if spec.is_none() => tiers::reported_when_unlimited(p, endpoint),
        None => Vec::new(),
    };
    if let Some(s) = spec {
        for (kind, value) in s.explicit() {
            let Some(limit) = value else { continue };
            let limit = tiers::endpoint_share(p, endpoint, kind, limit);
            let per_endpoint = tiers::per_endpoint(p, kind);
            rules.retain(|r| r.kind != kind);
            rules.push(Rule {
                kind,
                limit,
                per_endpoint,
                enforce: true,
            });
        }
    }
    rules.sort_by_key(|r| r.kind);
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_numbers_override_the_tier_and_bulk_gets_a_tenth() {
        let limits = Limits {
            apollo: Some(LimitSpec {
                tier: Some("free".into()),
                rpm: Some(20),
                ..LimitSpec::default()
            }),
            ..Limits::default()
        };
        let single = rules(&limits, Provider::Apollo, "/api/v1/people/match");
        let rpm = single.iter().find(|r| r.kind == LimitKind::Rpm);
        assert_eq!(rpm.map(|r| r.limit), Some(20));
        assert!(
            single
                .iter()
                .any(|r| r.kind == LimitKind::Rph && r.limit == 200)
        );
        let bulk = rules(&limits, Provider::Apollo, "/api/v1/people/bulk_match");
        let rpm = bulk.iter().find(|r| r.kind == LimitKind::Rpm);
        assert_eq!(rpm.map(|r| r.limit), Some(2));
        assert!(rules(&Limits::default(), Provider::OpenAi, "/v1/chat/completions").is_empty());
        let unknown = Limits {
            openai: Some(LimitSpec::tier("platinum")),
            ..Limits::default()
        };
        assert!(unknown.validate().is_err());
    }
}
