//! Provider configuration: keys, base URLs, limits, model routes and price overrides.
//!
//! Sources, later wins: built-in defaults → environment (`<NAME>_API_KEY`,
//! `<NAME>_BASE_URL`, `OLLAMA_BASE_URL`, `ATL_ROUTE_<AGENT>`) → `atl.toml`. The issue asks
//! for every value to be "overridable in atl.toml", so the file beats the environment.
//!
//! Loading is a pure function over an env map and the toml text
//! ([`ProvidersConfig::from_sources`]) so tests never touch the process environment.
//!
//! ```toml
//! [providers.deepseek]
//! api_key = "sk-…"                 # usually left to DEEPSEEK_API_KEY
//! base_url = "https://api.deepseek.com"
//! rpm = 0                          # 0 = no request limit
//! tpm = 0                          # 0 = no token limit
//! max_concurrency = 64
//! timeout_secs = 120
//! max_retries = 3
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
//!
//! Base URLs: for OpenAI-compatible providers the base is everything before
//! `/chat/completions` (`https://api.cerebras.ai/v1`); for the others it is the origin
//! (`https://api.apollo.io`) and the client appends the documented path
//! (`/api/v1/people/match`). [`ProviderConfig::endpoint`] does the joining.

use crate::pricing::{PriceOverride, PriceTable};
use crate::router::{Agent, Route, default_routes};
use crate::secret::ApiKey;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;
use url::Url;

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
    Hunter,
}

struct Known {
    name: &'static str,
    kind: ProviderKind,
    base: &'static str,
    /// Runs without a key (a local server).
    keyless: bool,
}

/// Every provider ATL knows, with its documented base (provider-apis.md).
const KNOWN: &[Known] = &[
    Known {
        name: "deepseek",
        kind: ProviderKind::OpenAiCompatible,
        base: "https://api.deepseek.com",
        keyless: false,
    },
    Known {
        name: "cerebras",
        kind: ProviderKind::OpenAiCompatible,
        base: "https://api.cerebras.ai/v1",
        keyless: false,
    },
    Known {
        name: "openrouter",
        kind: ProviderKind::OpenAiCompatible,
        base: "https://openrouter.ai/api/v1",
        keyless: false,
    },
    Known {
        name: "openai",
        kind: ProviderKind::OpenAiCompatible,
        base: "https://api.openai.com/v1",
        keyless: false,
    },
    Known {
        name: "anthropic",
        kind: ProviderKind::Anthropic,
        base: "https://api.anthropic.com",
        keyless: false,
    },
    Known {
        name: "apollo",
        kind: ProviderKind::Apollo,
        base: "https://api.apollo.io",
        keyless: false,
    },
    Known {
        name: "cartesia",
        kind: ProviderKind::Cartesia,
        base: "https://api.cartesia.ai",
        keyless: false,
    },
    Known {
        name: "tavily",
        kind: ProviderKind::Tavily,
        base: "https://api.tavily.com",
        keyless: false,
    },
    Known {
        name: "brave",
        kind: ProviderKind::Brave,
        base: "https://api.search.brave.com",
        keyless: false,
    },
    Known {
        name: "hunter",
        kind: ProviderKind::Hunter,
        base: "https://api.hunter.io",
        keyless: false,
    },
];

/// Ollama is only present when asked for (`OLLAMA_BASE_URL` or `[providers.ollama]`):
/// a keyless provider that is always "configured" would otherwise sit in every route.
const OLLAMA_DEFAULT_BASE: &str = "http://localhost:11434/v1";

/// How hard the governor may drive one provider/model.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Requests per minute; `None` = no limit.
    pub rpm: Option<u32>,
    /// Tokens per minute (input estimate + `max_tokens`, reserved up front); `None` = no
    /// limit.
    pub tpm: Option<u64>,
    /// The concurrency ceiling; the governor halves its working limit on 429s and climbs
    /// back to this.
    pub max_concurrency: u32,
    /// One attempt's time limit.
    pub timeout: Duration,
    /// Retries after the first attempt, for retryable errors only.
    pub max_retries: u32,
    /// Full-jitter exponential backoff: attempt n sleeps `rand(0, min(cap, base·2^(n-1)))`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A `Retry-After` longer than this fails the call instead of sleeping (another route
    /// or a later job retry does better than a worker parked for minutes).
    pub max_retry_after: Duration,
    /// Consecutive health failures (5xx, timeouts, connection errors) that open the breaker.
    pub breaker_failures: u32,
    /// How long an open breaker stays open before one probe is let through.
    pub breaker_cooldown: Duration,
    /// Successes needed to raise the working concurrency by one after a 429.
    pub recover_after: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rpm: None,
            tpm: None,
            max_concurrency: 16,
            timeout: Duration::from_secs(60),
            max_retries: 3,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(30),
            recover_after: 10,
        }
    }
}

impl Limits {
    /// Defaults per provider, from provider-apis.md. They are deliberately the low end
    /// (free or entry tiers): a paid account raises them in `atl.toml`.
    pub fn for_provider(name: &str) -> Limits {
        let d = Limits::default();
        let llm = Limits {
            timeout: Duration::from_secs(120),
            ..d.clone()
        };
        match name {
            // §2: no RPM/TPM, a per-account concurrency cap (2,500 on Flash); 429 means
            // too many in flight. Under load DeepSeek holds the connection open, hence
            // the long timeout.
            "deepseek" => Limits {
                max_concurrency: 64,
                timeout: Duration::from_secs(180),
                ..llm
            },
            // §3: free tier ≈ 30 RPM / 60K TPM per model; tokens are checked up front
            // against input + max_completion_tokens.
            "cerebras" => Limits {
                rpm: Some(30),
                tpm: Some(60_000),
                max_concurrency: 8,
                ..llm
            },
            // §4: no fixed cap on paid models (`:free` variants: 20 RPM).
            "openrouter" => Limits {
                max_concurrency: 16,
                ..llm
            },
            // §1: the documented sample limits (60 RPM / 150K TPM); tier-dependent.
            "openai" => Limits {
                rpm: Some(60),
                tpm: Some(150_000),
                ..llm
            },
            // §5: captured limits 1,000 RPM and 96K tokens/min (input 80K + output 16K).
            "anthropic" => Limits {
                rpm: Some(1_000),
                tpm: Some(96_000),
                ..llm
            },
            // §7: enrichment bucket 50/min on the free plan (fixed windows; 1,000 on paid
            // plans).
            "apollo" => Limits {
                rpm: Some(50),
                max_concurrency: 8,
                timeout: Duration::from_secs(30),
                ..d
            },
            // §6: limits are concurrency (429), undocumented per plan; keep it small.
            "cartesia" => Limits {
                max_concurrency: 4,
                ..d
            },
            // §8.1: development key 100 RPM.
            "tavily" => Limits {
                rpm: Some(100),
                timeout: Duration::from_secs(30),
                ..d
            },
            // §8.2: the old free plan allowed 1 request/s.
            "brave" => Limits {
                rpm: Some(60),
                max_concurrency: 4,
                timeout: Duration::from_secs(30),
                ..d
            },
            // §9: Email Verifier 300/min (Finder 500/min); no Retry-After.
            "hunter" => Limits {
                rpm: Some(300),
                max_concurrency: 8,
                timeout: Duration::from_secs(30),
                ..d
            },
            "ollama" => Limits {
                max_concurrency: 4,
                timeout: Duration::from_secs(300),
                ..llm
            },
            _ => llm,
        }
    }

    /// Limits for the local sandbox: no rate limits (it injects its own 429s when asked),
    /// generous concurrency, short backoff so fault tests run fast.
    pub fn sandbox() -> Limits {
        Limits {
            max_concurrency: 64,
            timeout: Duration::from_secs(30),
            backoff_base: Duration::from_millis(50),
            backoff_cap: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
            breaker_cooldown: Duration::from_secs(5),
            ..Limits::default()
        }
    }
}

/// One provider's resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    pub name: String,
    pub kind: ProviderKind,
    pub api_key: Option<ApiKey>,
    /// See the module docs for what the base includes.
    pub base_url: Url,
    pub keyless: bool,
    pub limits: Limits,
}

impl ProviderConfig {
    /// Whether calls can be made: a key is set, or the provider needs none.
    pub fn is_usable(&self) -> bool {
        self.keyless || self.api_key.is_some()
    }

    /// The environment variable that holds this provider's key.
    pub fn key_env_var(&self) -> String {
        env_name(&self.name, "API_KEY")
    }

    /// `base` + `path` with exactly one `/` between them (a parsed origin ends in `/`,
    /// a configured base may or may not).
    pub fn endpoint(&self, path: &str) -> Result<Url, url::ParseError> {
        let base = self.base_url.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/{}", path.trim_start_matches('/')))
    }
}

/// Everything this crate needs from configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvidersConfig {
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Sub-agent name → ordered chain of routes.
    pub routes: BTreeMap<String, Vec<Route>>,
    pub prices: PriceTable,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("atl.toml: {0}")]
    Toml(String),
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{source_name}: invalid base URL {value:?} for {provider}: {reason}")]
    BaseUrl {
        provider: String,
        source_name: String,
        value: String,
        reason: String,
    },
    #[error("route {value:?} for {agent}: {reason}")]
    Route {
        agent: String,
        value: String,
        reason: String,
    },
    #[error("[providers.{provider}]: {reason}")]
    Provider { provider: String, reason: String },
    #[error("[pricing.{provider}.{model}]: {reason}")]
    Price {
        provider: String,
        model: String,
        reason: String,
    },
}

// ---- the toml shape ----

#[derive(Debug, Default, serde::Deserialize)]
struct FileConfig {
    // Other sections of atl.toml ([server], [database], …) belong to other crates and are
    // ignored here.
    #[serde(default)]
    providers: BTreeMap<String, FileProvider>,
    #[serde(default)]
    routes: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pricing: BTreeMap<String, BTreeMap<String, PriceOverride>>,
}

/// A provider section. Unknown keys are an error: a typo (`rmp = 10`) must not silently
/// leave a provider unthrottled.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProvider {
    api_key: Option<ApiKey>,
    base_url: Option<String>,
    rpm: Option<u32>,
    tpm: Option<u64>,
    max_concurrency: Option<u32>,
    timeout_secs: Option<f64>,
    max_retries: Option<u32>,
    backoff_base_ms: Option<u64>,
    backoff_cap_ms: Option<u64>,
    max_retry_after_secs: Option<f64>,
    breaker_failures: Option<u32>,
    breaker_cooldown_secs: Option<f64>,
    recover_after: Option<u32>,
}

fn env_name(provider: &str, suffix: &str) -> String {
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

fn non_empty<'a>(env: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    env.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn parse_base(provider: &str, source_name: &str, value: &str) -> Result<Url, ConfigError> {
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

impl ProvidersConfig {
    /// Resolve configuration from an environment map and the optional text of `atl.toml`.
    pub fn from_sources(
        env: &HashMap<String, String>,
        toml_text: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let file: FileConfig = match toml_text {
            Some(text) => toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?,
            None => FileConfig::default(),
        };

        let mut providers = BTreeMap::new();
        for k in KNOWN {
            let env_base = env_name(k.name, "BASE_URL");
            let base_url = match non_empty(env, &env_base) {
                Some(v) => parse_base(k.name, &env_base, v)?,
                None => parse_base(k.name, "default", k.base)?,
            };
            let api_key = non_empty(env, &env_name(k.name, "API_KEY")).map(ApiKey::new);
            providers.insert(
                k.name.to_owned(),
                ProviderConfig {
                    name: k.name.to_owned(),
                    kind: k.kind,
                    api_key,
                    base_url,
                    keyless: k.keyless,
                    limits: Limits::for_provider(k.name),
                },
            );
        }
        if let Some(v) = non_empty(env, "OLLAMA_BASE_URL") {
            providers.insert(
                "ollama".into(),
                ollama(parse_base("ollama", "OLLAMA_BASE_URL", v)?),
            );
        }

        // atl.toml provider sections, over env and defaults.
        for (name, fp) in &file.providers {
            let entry = match providers.get_mut(name) {
                Some(p) => p,
                None => {
                    // A provider ATL does not know: an OpenAI-compatible server (vLLM,
                    // llama.cpp, LM Studio, Ollama). It needs a base URL.
                    let env_base = env_name(name, "BASE_URL");
                    let base = match (fp.base_url.as_deref(), non_empty(env, &env_base)) {
                        (Some(b), _) => {
                            parse_base(name, &format!("[providers.{name}] base_url"), b)?
                        }
                        (None, Some(b)) => parse_base(name, &env_base, b)?,
                        (None, None) if name == "ollama" => {
                            parse_base(name, "default", OLLAMA_DEFAULT_BASE)?
                        }
                        (None, None) => {
                            return Err(ConfigError::Provider {
                                provider: name.clone(),
                                reason: "unknown provider needs a base_url (it is taken to be OpenAI-compatible)"
                                    .into(),
                            });
                        }
                    };
                    let env_key = non_empty(env, &env_name(name, "API_KEY")).map(ApiKey::new);
                    let mut p = ollama(base);
                    p.name = name.clone();
                    // A local server usually wants no key; one given in env or file is sent.
                    p.keyless = name == "ollama" || (fp.api_key.is_none() && env_key.is_none());
                    p.api_key = env_key;
                    p.limits = Limits::for_provider(name);
                    providers.entry(name.clone()).or_insert(p)
                }
            };
            apply_file_provider(entry, fp)?;
        }

        let mut routes: BTreeMap<String, Vec<Route>> = default_routes()
            .into_iter()
            .map(|(agent, chain)| (agent.to_owned(), chain))
            .collect();
        for agent in Agent::ALL {
            let var = format!("ATL_ROUTE_{}", agent.as_str().to_ascii_uppercase());
            if let Some(v) = non_empty(env, &var) {
                let chain: Vec<String> = v
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                routes.insert(
                    agent.as_str().to_owned(),
                    parse_chain(agent.as_str(), &chain)?,
                );
            }
        }
        for (agent, chain) in &file.routes {
            routes.insert(agent.clone(), parse_chain(agent, chain)?);
        }
        for (agent, chain) in &routes {
            for r in chain {
                if !providers.contains_key(&r.provider) {
                    return Err(ConfigError::Route {
                        agent: agent.clone(),
                        value: r.to_string(),
                        reason: format!("unknown provider {:?}", r.provider),
                    });
                }
            }
        }

        let mut prices = PriceTable::defaults();
        for (provider, models) in &file.pricing {
            for (model, o) in models {
                o.check().map_err(|reason| ConfigError::Price {
                    provider: provider.clone(),
                    model: model.clone(),
                    reason,
                })?;
                prices.apply_override(provider, model, o);
            }
        }

        Ok(ProvidersConfig {
            providers,
            routes,
            prices,
        })
    }

    /// Read the process environment and, when `toml_path` is given and exists, the file.
    pub fn load(toml_path: Option<&Path>) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let text = match toml_path {
            Some(p) if p.exists() => {
                Some(std::fs::read_to_string(p).map_err(|e| ConfigError::Read {
                    path: p.display().to_string(),
                    reason: e.to_string(),
                })?)
            }
            _ => None,
        };
        Self::from_sources(&env, text.as_deref())
    }

    /// Every known provider pointed at one local sandbox origin, with dummy keys: the
    /// OpenAI-compatible ones at `{origin}/v1` (the sandbox serves
    /// `{origin}/v1/chat/completions` for all of them), the others at the origin, where
    /// the sandbox serves each vendor's documented paths.
    pub fn sandbox(origin: Url) -> Self {
        let root = origin.as_str().trim_end_matches('/').to_owned();
        let mut providers = BTreeMap::new();
        for k in KNOWN {
            let base = match k.kind {
                ProviderKind::OpenAiCompatible => format!("{root}/v1"),
                _ => root.clone(),
            };
            // `origin` was already a valid URL and we only appended a path segment.
            let base_url = Url::parse(&base).unwrap_or_else(|_| origin.clone());
            providers.insert(
                k.name.to_owned(),
                ProviderConfig {
                    name: k.name.to_owned(),
                    kind: k.kind,
                    api_key: Some(ApiKey::new(format!("sandbox-{}-key", k.name))),
                    base_url,
                    keyless: false,
                    limits: Limits::sandbox(),
                },
            );
        }
        let routes = default_routes()
            .into_iter()
            .map(|(a, c)| (a.to_owned(), c))
            .collect();
        ProvidersConfig {
            providers,
            routes,
            prices: PriceTable::defaults(),
        }
    }

    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.get(name)
    }

    /// The route chain of a sub-agent (empty when it has none).
    pub fn routes_for(&self, agent: &str) -> &[Route] {
        self.routes.get(agent).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn ollama(base_url: Url) -> ProviderConfig {
    ProviderConfig {
        name: "ollama".into(),
        kind: ProviderKind::OpenAiCompatible,
        api_key: None,
        base_url,
        keyless: true,
        limits: Limits::for_provider("ollama"),
    }
}

fn parse_chain(agent: &str, chain: &[String]) -> Result<Vec<Route>, ConfigError> {
    if chain.is_empty() {
        return Err(ConfigError::Route {
            agent: agent.into(),
            value: String::new(),
            reason: "empty route list".into(),
        });
    }
    chain
        .iter()
        .map(|s| {
            s.parse::<Route>().map_err(|reason| ConfigError::Route {
                agent: agent.to_owned(),
                value: s.clone(),
                reason,
            })
        })
        .collect()
}

fn apply_file_provider(p: &mut ProviderConfig, fp: &FileProvider) -> Result<(), ConfigError> {
    let name = p.name.clone();
    if let Some(k) = &fp.api_key
        && !k.expose().trim().is_empty()
    {
        p.api_key = Some(k.clone());
    }
    if let Some(b) = &fp.base_url {
        p.base_url = parse_base(&name, &format!("[providers.{name}] base_url"), b)?;
    }
    let l = &mut p.limits;
    // 0 switches a rate limit off (a paid plan without one).
    if let Some(v) = fp.rpm {
        l.rpm = (v > 0).then_some(v);
    }
    if let Some(v) = fp.tpm {
        l.tpm = (v > 0).then_some(v);
    }
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
    if let Some(v) = fp.max_retries {
        l.max_retries = v;
    }
    if let Some(v) = fp.backoff_base_ms {
        l.backoff_base = Duration::from_millis(v);
    }
    if let Some(v) = fp.backoff_cap_ms {
        l.backoff_cap = Duration::from_millis(v);
    }
    if let Some(v) = fp.max_retry_after_secs {
        l.max_retry_after = secs(&name, "max_retry_after_secs", v)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_without_keys_are_unusable_but_have_documented_bases() {
        let c = ProvidersConfig::from_sources(&HashMap::new(), None).unwrap();
        let d = c.provider("deepseek").unwrap();
        assert!(!d.is_usable());
        assert_eq!(
            d.endpoint("chat/completions").unwrap().as_str(),
            "https://api.deepseek.com/chat/completions"
        );
        let cb = c.provider("cerebras").unwrap();
        assert_eq!(
            cb.endpoint("/chat/completions").unwrap().as_str(),
            "https://api.cerebras.ai/v1/chat/completions"
        );
        assert_eq!(
            c.provider("openrouter")
                .unwrap()
                .endpoint("chat/completions")
                .unwrap()
                .as_str(),
            "https://openrouter.ai/api/v1/chat/completions"
        );
        assert_eq!(
            c.provider("apollo")
                .unwrap()
                .endpoint("/api/v1/people/match")
                .unwrap()
                .as_str(),
            "https://api.apollo.io/api/v1/people/match"
        );
        assert_eq!(
            c.provider("anthropic").unwrap().kind,
            ProviderKind::Anthropic
        );
        assert!(c.provider("ollama").is_none());
        assert_eq!(c.provider("apollo").unwrap().limits.rpm, Some(50));
        assert_eq!(c.provider("deepseek").unwrap().limits.rpm, None);
        assert_eq!(c.provider("cerebras").unwrap().limits.tpm, Some(60_000));
    }

    #[test]
    fn env_keys_and_base_urls() {
        let e = env(&[
            ("DEEPSEEK_API_KEY", "sk-ds"),
            ("CEREBRAS_API_KEY", "  "),
            ("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
            ("OLLAMA_BASE_URL", "http://localhost:11434/v1"),
        ]);
        let c = ProvidersConfig::from_sources(&e, None).unwrap();
        assert_eq!(
            c.provider("deepseek")
                .unwrap()
                .api_key
                .as_ref()
                .unwrap()
                .expose(),
            "sk-ds"
        );
        assert!(
            !c.provider("cerebras").unwrap().is_usable(),
            "blank key counts as absent"
        );
        assert_eq!(
            c.provider("openai").unwrap().base_url.as_str(),
            "http://127.0.0.1:8000/v1"
        );
        let o = c.provider("ollama").unwrap();
        assert!(o.is_usable() && o.keyless && o.kind == ProviderKind::OpenAiCompatible);
        assert!(
            !format!("{c:?}").contains("sk-ds"),
            "config Debug must not leak keys"
        );
    }

    #[test]
    fn toml_overrides_env() {
        let e = env(&[
            ("DEEPSEEK_API_KEY", "from-env"),
            ("DEEPSEEK_BASE_URL", "http://env.example"),
        ]);
        let t = r#"
            [server]
            port = 8080

            [providers.deepseek]
            api_key = "from-file"
            base_url = "http://file.example/v1"
            rpm = 10
            tpm = 0
            max_concurrency = 3
            timeout_secs = 2.5
            max_retries = 1

            [providers.cerebras]
            rpm = 0

            [providers.vllm]
            base_url = "http://10.0.0.5:8000/v1"

            [routes]
            research = ["vllm:llama-3", "deepseek:deepseek-flash"]

            [pricing.deepseek."deepseek-flash"]
            input = 0.15

            [pricing.vllm."llama-3"]
            input = 0.0
            output = 0.0
        "#;
        let c = ProvidersConfig::from_sources(&e, Some(t)).unwrap();
        let d = c.provider("deepseek").unwrap();
        assert_eq!(d.api_key.as_ref().unwrap().expose(), "from-file");
        assert_eq!(d.base_url.as_str(), "http://file.example/v1");
        assert_eq!(d.limits.rpm, Some(10));
        assert_eq!(d.limits.tpm, None);
        assert_eq!(d.limits.max_concurrency, 3);
        assert_eq!(d.limits.timeout, Duration::from_millis(2500));
        assert_eq!(d.limits.max_retries, 1);
        assert_eq!(c.provider("cerebras").unwrap().limits.rpm, None);
        let v = c.provider("vllm").unwrap();
        assert!(v.keyless && v.kind == ProviderKind::OpenAiCompatible);
        assert_eq!(c.routes_for("research")[0], Route::new("vllm", "llama-3"));
        // Other agents keep their defaults.
        assert_eq!(c.routes_for("enrichment")[0].provider, "anthropic");
        assert_eq!(
            c.prices.get("deepseek", "deepseek-flash").unwrap().input,
            0.15
        );
        assert_eq!(
            c.prices.get("deepseek", "deepseek-flash").unwrap().output,
            1.20
        );
        assert!(c.prices.get("vllm", "llama-3").is_some());
    }

    #[test]
    fn env_route_override() {
        let e = env(&[(
            "ATL_ROUTE_VOICE",
            "deepseek:deepseek-flash, cerebras:gpt-oss-120b",
        )]);
        let c = ProvidersConfig::from_sources(&e, None).unwrap();
        assert_eq!(
            c.routes_for("voice"),
            &[
                Route::new("deepseek", "deepseek-flash"),
                Route::new("cerebras", "gpt-oss-120b")
            ]
        );
    }

    #[test]
    fn mistakes_are_reported_not_ignored() {
        let none = HashMap::new();
        let bad = |t: &str| ProvidersConfig::from_sources(&none, Some(t)).unwrap_err();
        assert!(matches!(
            bad("[providers.deepseek]\nrmp = 10\n"),
            ConfigError::Toml(_)
        ));
        assert!(matches!(
            bad("[providers.vllm]\nrpm = 10\n"),
            ConfigError::Provider { .. }
        ));
        assert!(matches!(
            bad("[routes]\nresearch = [\"nobody:x\"]\n"),
            ConfigError::Route { .. }
        ));
        assert!(matches!(
            bad("[routes]\nresearch = [\"deepseek\"]\n"),
            ConfigError::Route { .. }
        ));
        assert!(matches!(
            bad("[providers.deepseek]\nbase_url = \"ftp://x\"\n"),
            ConfigError::BaseUrl { .. }
        ));
        assert!(matches!(
            bad("[pricing.deepseek.x]\ninput = -1.0\n"),
            ConfigError::Price { .. }
        ));
        assert!(matches!(
            bad("[providers.deepseek]\nmax_concurrency = 0\n"),
            ConfigError::Provider { .. }
        ));
        let e = env(&[("APOLLO_BASE_URL", "not a url")]);
        assert!(matches!(
            ProvidersConfig::from_sources(&e, None),
            Err(ConfigError::BaseUrl { .. })
        ));
    }

    #[test]
    fn sandbox_points_everything_at_one_origin() {
        let c = ProvidersConfig::sandbox(Url::parse("http://127.0.0.1:4010").unwrap());
        for p in c.providers.values() {
            assert!(p.is_usable(), "{}", p.name);
            assert!(
                p.base_url.as_str().starts_with("http://127.0.0.1:4010"),
                "{}",
                p.base_url
            );
        }
        assert_eq!(
            c.provider("deepseek")
                .unwrap()
                .endpoint("chat/completions")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:4010/v1/chat/completions"
        );
        assert_eq!(
            c.provider("anthropic")
                .unwrap()
                .endpoint("/v1/messages")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:4010/v1/messages"
        );
        assert_eq!(
            c.provider("tavily")
                .unwrap()
                .endpoint("/search")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:4010/search"
        );
        assert_eq!(c.provider("apollo").unwrap().limits.rpm, None);
    }
}
