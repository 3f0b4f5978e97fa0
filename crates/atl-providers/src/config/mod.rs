//! Provider configuration: keys, base URLs, limits, model routes and price overrides.
//!
//! Sources, later wins: the catalogue's defaults and the caller's default route chains →
//! environment (`<NAME>_API_KEY`, `<NAME>_BASE_URL`, `OLLAMA_BASE_URL`,
//! `ATL_ROUTE_<CHAIN>`) → `atl.toml` (its format is [`file`]'s). Every value can be set
//! in the file, so the file beats the environment.
//!
//! The chains are the caller's: this crate knows no sub-agent, only names and routes.
//!
//! Loading is a pure function over an environment map and the file's text
//! ([`ProvidersConfig::from_sources`]): the caller reads the process environment and the
//! file, so tests never touch either.

mod file;

use crate::catalogue::{KNOWN, OLLAMA_DEFAULT_BASE, ProviderKind, env_name};
use crate::limits::Limits;
use crate::pricing::PriceTable;
use crate::route::Route;
use crate::secret::ApiKey;
use file::{FileConfig, parse_base, parse_chain};
use std::collections::{BTreeMap, HashMap};
use url::Url;

/// One provider's resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    pub name: String,
    pub kind: ProviderKind,
    pub api_key: Option<ApiKey>,
    /// What the base includes is the catalogue's rule.
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
    /// Chain name → ordered routes.
    pub routes: BTreeMap<String, Vec<Route>>,
    pub prices: PriceTable,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("atl.toml: {0}")]
    Toml(String),
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

fn non_empty<'a>(env: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    env.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

impl ProvidersConfig {
    /// Resolve configuration from an environment map and the optional text of `atl.toml`.
    /// `chains` are the default route chains by name; `ATL_ROUTE_<NAME>` and `[routes]`
    /// replace them (and `[routes]` may add others).
    pub fn from_sources(
        env: &HashMap<String, String>,
        toml_text: Option<&str>,
        chains: &[(&str, Vec<Route>)],
    ) -> Result<Self, ConfigError> {
        let file = FileConfig::parse(toml_text)?;
        let mut providers = known_providers(env)?;
        for (name, fp) in &file.providers {
            let entry = match providers.get_mut(name) {
                Some(p) => p,
                None => {
                    let p = compatible_server(env, name, fp)?;
                    providers.entry(name.clone()).or_insert(p)
                }
            };
            file::apply(entry, fp)?;
        }
        let routes = resolve_routes(env, &file, &providers, chains)?;
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

    /// Every known provider pointed at one local sandbox origin, with dummy keys: the
    /// OpenAI-compatible ones at `{origin}/v1` (the sandbox serves
    /// `{origin}/v1/chat/completions` for all of them), Serper at `{origin}/serper` (its
    /// `/search` path is Tavily's at the origin), the others at the origin, where the
    /// sandbox serves each vendor's documented paths.
    pub fn sandbox(origin: Url, chains: &[(&str, Vec<Route>)]) -> Self {
        let root = origin.as_str().trim_end_matches('/').to_owned();
        let mut providers = BTreeMap::new();
        for k in KNOWN {
            let base = match k.kind {
                ProviderKind::OpenAiCompatible => format!("{root}/v1"),
                ProviderKind::Serper => format!("{root}/serper"),
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
        let routes = chains
            .iter()
            .map(|(name, chain)| ((*name).to_owned(), chain.clone()))
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

    /// The routes of chain `name` (empty when it has none).
    pub fn routes_for(&self, name: &str) -> &[Route] {
        self.routes.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The catalogue's providers with the keys and base URLs the environment gives, plus
/// Ollama when `OLLAMA_BASE_URL` asks for it.
fn known_providers(
    env: &HashMap<String, String>,
) -> Result<BTreeMap<String, ProviderConfig>, ConfigError> {
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
                keyless: false,
                limits: Limits::for_provider(k.name),
            },
        );
    }
    if let Some(v) = non_empty(env, "OLLAMA_BASE_URL") {
        let base = parse_base("ollama", "OLLAMA_BASE_URL", v)?;
        providers.insert("ollama".into(), local_server("ollama", base, None, true));
    }
    Ok(providers)
}

/// A provider the catalogue does not know: an OpenAI-compatible server (vLLM, llama.cpp,
/// LM Studio, Ollama). It needs a base URL.
fn compatible_server(
    env: &HashMap<String, String>,
    name: &str,
    fp: &file::FileProvider,
) -> Result<ProviderConfig, ConfigError> {
    let env_base = env_name(name, "BASE_URL");
    let base = match (fp.base_url.as_deref(), non_empty(env, &env_base)) {
        (Some(b), _) => parse_base(name, &format!("[providers.{name}] base_url"), b)?,
        (None, Some(b)) => parse_base(name, &env_base, b)?,
        (None, None) if name == "ollama" => parse_base(name, "default", OLLAMA_DEFAULT_BASE)?,
        (None, None) => {
            return Err(ConfigError::Provider {
                provider: name.to_owned(),
                reason: "unknown provider needs a base_url (it is taken to be OpenAI-compatible)"
                    .into(),
            });
        }
    };
    let env_key = non_empty(env, &env_name(name, "API_KEY")).map(ApiKey::new);
    // A local server usually wants no key; one given in env or file is sent.
    let keyless = name == "ollama" || (fp.api_key.is_none() && env_key.is_none());
    Ok(local_server(name, base, env_key, keyless))
}

fn local_server(
    name: &str,
    base_url: Url,
    api_key: Option<ApiKey>,
    keyless: bool,
) -> ProviderConfig {
    ProviderConfig {
        name: name.to_owned(),
        kind: ProviderKind::OpenAiCompatible,
        api_key,
        base_url,
        keyless,
        limits: Limits::for_provider(name),
    }
}

/// Default chains, then `ATL_ROUTE_<NAME>` (comma-separated) for each of them, then
/// `[routes]`; every route must name a configured provider.
fn resolve_routes(
    env: &HashMap<String, String>,
    file: &FileConfig,
    providers: &BTreeMap<String, ProviderConfig>,
    chains: &[(&str, Vec<Route>)],
) -> Result<BTreeMap<String, Vec<Route>>, ConfigError> {
    let mut routes: BTreeMap<String, Vec<Route>> = BTreeMap::new();
    for (name, chain) in chains {
        let var = format!("ATL_ROUTE_{}", env_name(name, "").trim_end_matches('_'));
        let chain = match non_empty(env, &var) {
            Some(v) => {
                let listed: Vec<String> = v
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                parse_chain(name, &listed)?
            }
            None => chain.clone(),
        };
        routes.insert((*name).to_owned(), chain);
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
    Ok(routes)
}

#[cfg(test)]
mod tests;
