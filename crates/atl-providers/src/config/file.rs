//! The providers' part of `atl.toml`: its shape, and how a provider section is laid over
//! the defaults.
//!
//! ```toml
//! [providers.deepseek]
//! api_key = "sk-…"                 # usually left to DEEPSEEK_API_KEY
//! base_url = "https://api.deepseek.com"
//! tier = "paygo"                  # a documented plan's rate limits (see limits::tiers)
//! rpm = 0                          # the main bucket's requests a minute; 0 = none
//! tpm = 0                          # its tokens a minute (input + output); 0 = none
//! max_concurrency = 64
//! timeout_secs = 120
//! max_admission_wait_secs = 2      # a rate slot further away fails the call at once
//!
//! [providers.vllm]                 # any other name: an OpenAI-compatible server
//! base_url = "http://10.0.0.5:8000/v1"
//!
//! [routes]
//! research = ["deepseek:deepseek-flash", "openrouter:openai/gpt-oss-120b"]
//!
//! [pricing.deepseek."deepseek-flash"]
//! input = 0.15
//! ```

use super::{ConfigError, ProviderConfig};
use crate::limits::{Limits, Measure};
use crate::pricing::PriceOverride;
use crate::route::Route;
use crate::secret::ApiKey;
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct FileConfig {
    // Other sections of atl.toml ([server], [database], …) belong to other crates and are
    // ignored here.
    #[serde(default)]
    pub providers: BTreeMap<String, FileProvider>,
    #[serde(default)]
    pub routes: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub pricing: BTreeMap<String, BTreeMap<String, PriceOverride>>,
}

impl FileConfig {
    pub(super) fn parse(text: Option<&str>) -> Result<FileConfig, ConfigError> {
        match text {
            Some(text) => toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string())),
            None => Ok(FileConfig::default()),
        }
    }
}

/// A provider section. Unknown keys are an error: a typo (`rmp = 10`) must not silently
/// leave a provider unthrottled.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileProvider {
    pub api_key: Option<ApiKey>,
    pub base_url: Option<String>,
    tier: Option<String>,
    rpm: Option<u64>,
    tpm: Option<u64>,
    input_tpm: Option<u64>,
    output_tpm: Option<u64>,
    max_concurrency: Option<u32>,
    timeout_secs: Option<f64>,
    max_admission_wait_secs: Option<f64>,
    breaker_failures: Option<u32>,
    breaker_cooldown_secs: Option<f64>,
    recover_after: Option<u32>,
}

/// A base URL from configuration: http(s), no query or fragment.
pub(super) fn parse_base(
    provider: &str,
    source_name: &str,
    value: &str,
) -> Result<Url, ConfigError> {
    let err = |reason: String| ConfigError::BaseUrl {
        provider: provider.to_owned(),
        source_name: source_name.to_owned(),
        value: value.to_owned(),
        reason,
    };
    let url = Url::parse(value.trim()).map_err(|e| err(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(err("scheme must be http or https".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err("a base URL has no query or fragment".into()));
    }
    Ok(url)
}

fn secs(provider: &str, field: &str, v: f64) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(v).map_err(|_| ConfigError::Provider {
        provider: provider.to_owned(),
        reason: format!("{field} must be a non-negative number of seconds, got {v}"),
    })
}

/// A chain of `provider:model` routes.
pub(super) fn parse_chain(name: &str, chain: &[String]) -> Result<Vec<Route>, ConfigError> {
    if chain.is_empty() {
        return Err(ConfigError::Route {
            agent: name.into(),
            value: String::new(),
            reason: "empty route list".into(),
        });
    }
    chain
        .iter()
        .map(|s| {
            s.parse::<Route>().map_err(|reason| ConfigError::Route {
                agent: name.to_owned(),
                value: s.clone(),
                reason,
            })
        })
        .collect()
}

/// Lays a `[providers.NAME]` section over `p`.
pub(super) fn apply(p: &mut ProviderConfig, fp: &FileProvider) -> Result<(), ConfigError> {
    let name = p.name.clone();
    if let Some(k) = &fp.api_key
        && !k.expose().trim().is_empty()
    {
        p.api_key = Some(k.clone());
    }
    if let Some(b) = &fp.base_url {
        p.base_url = parse_base(&name, &format!("[providers.{name}] base_url"), b)?;
    }
    if let Some(tier) = &fp.tier {
        let tiered =
            Limits::for_tier(&name, Some(tier)).map_err(|reason| ConfigError::Provider {
                provider: name.clone(),
                reason,
            })?;
        p.limits.tier = tiered.tier;
        p.limits.buckets = tiered.buckets;
    }
    // The tier's figures, then explicit ones over the main bucket; 0 switches a limit
    // off (a plan without one).
    let explicit = [
        (Measure::Requests, fp.rpm),
        (Measure::Tokens, fp.tpm),
        (Measure::InputTokens, fp.input_tpm),
        (Measure::OutputTokens, fp.output_tpm),
    ];
    for (measure, units) in explicit {
        if let Some(u) = units {
            p.limits = std::mem::take(&mut p.limits).with_per_minute(measure, Some(u));
        }
    }
    let l = &mut p.limits;
    if let Some(v) = fp.max_concurrency {
        if v == 0 {
            return Err(ConfigError::Provider {
                provider: name,
                reason: "max_concurrency must be at least 1".into(),
            });
        }
        l.max_concurrency = v;
    }
    if let Some(v) = fp.timeout_secs {
        l.timeout = secs(&name, "timeout_secs", v)?;
        if l.timeout.is_zero() {
            return Err(ConfigError::Provider {
                provider: name,
                reason: "timeout_secs must be positive".into(),
            });
        }
    }
    if let Some(v) = fp.max_admission_wait_secs {
        l.max_admission_wait = secs(&name, "max_admission_wait_secs", v)?;
    }
    if let Some(v) = fp.breaker_failures {
        l.breaker_failures = v.max(1);
    }
    if let Some(v) = fp.breaker_cooldown_secs {
        l.breaker_cooldown = secs(&name, "breaker_cooldown_secs", v)?;
    }
    if let Some(v) = fp.recover_after {
        l.recover_after = v.max(1);
    }
    Ok(())
}
