//! Everything a caller needs to reach the outside world, built once from a [`ProvidersConfig`]: the chat router
//! with a client per configured LLM provider, the lookup clients (Apollo, Hunter, web
//! search), a TTS engine, the SSRF-guarded fetcher, the shared governors and the prices.
//!
//! *Every* outbound call goes through its provider's governor. The router does that for
//! chat; for everything else the toolkit's helpers ([`Toolkit::web_search`],
//! [`Toolkit::apollo_match`], [`Toolkit::fetch`], [`Toolkit::synthesize`], …, in
//! `calls.rs`) wrap the client call in [`Toolkit::governed`] and price the reported
//! usage, so a caller gets a [`crate::Metered`] value back exactly as it does from the
//! router.
//!
//! A toolkit built for the sandbox ([`Toolkit::sandbox`]) is marked `synthetic`, lets the
//! fetcher reach the sandbox origin, and rewrites company sites to the sandbox's
//! `/sites/{domain}/` pages ([`Toolkit::site_url`]).

mod calls;

use crate::anthropic::AnthropicClient;
use crate::apollo::ApolloClient;
use crate::catalogue::ProviderKind;
use crate::config::ProvidersConfig;
use crate::fetch::{FetchPolicy, SafeFetcher};
use crate::governor::{Governors, RateLimiter};
use crate::hunter::HunterClient;
use crate::openai_compat::{Dialect, JsonMode, OpenAiCompatClient};
use crate::pricing::PriceTable;
use crate::router::{Route, Router};
use crate::search::{BraveClient, SerperClient, TavilyClient, WebSearch};
use crate::tts::{CartesiaTts, EspeakTts, SilentTts, TtsEngine};
use crate::{ProviderError, Usage};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

pub use crate::catalogue::{FETCH_PROVIDER, endpoint};

/// How a toolkit is built beyond what the provider configuration says.
#[derive(Debug, Clone)]
pub struct ToolkitOptions {
    /// Where audio and other artefacts go (callers may override per call).
    pub data_dir: PathBuf,
    /// `host[:port]` entries the fetcher may reach despite the SSRF guard.
    pub fetch_allow_hosts: Vec<String>,
    /// Size/time limits of the fetcher (its `allow_hosts` is merged with the above).
    pub fetch_policy: FetchPolicy,
    /// When set, company sites are read from `{origin}/sites/{domain}/` (the sandbox).
    pub sites_origin: Option<Url>,
    /// Results made through this toolkit are synthetic (it talks to the sandbox).
    pub synthetic: bool,
    /// Ask every OpenAI-compatible provider for `json_schema` output, whatever its
    /// documented dialect. The sandbox serves `json_schema` for every provider name but
    /// answers DeepSeek's `json_object` mode with a generic object, so a sandbox toolkit
    /// turns this on; against real vendors it stays off.
    pub json_schema_everywhere: bool,
    /// The espeak-ng binary (the offline TTS fallback when Cartesia has no key): a path,
    /// or a name looked up in `program_dirs`.
    pub espeak_program: String,
    /// Where programs named without a path are looked for (the caller passes its `PATH`);
    /// empty: only a program given as a path is found.
    pub program_dirs: Vec<PathBuf>,
    /// Where rate slots come from: `None` counts in this process; a shared limiter (one
    /// over the database, say) makes every process that uses it count together.
    pub rate_limiter: Option<Arc<dyn RateLimiter>>,
}

impl ToolkitOptions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        ToolkitOptions {
            data_dir: data_dir.into(),
            fetch_allow_hosts: Vec::new(),
            fetch_policy: FetchPolicy::default(),
            sites_origin: None,
            synthetic: false,
            json_schema_everywhere: false,
            espeak_program: "espeak-ng".to_string(),
            program_dirs: Vec::new(),
            rate_limiter: None,
        }
    }

    /// Options for a toolkit pointed at a sandbox at `origin`: the fetcher may reach the
    /// sandbox's host:port (and nothing else private), sites are the sandbox's synthetic
    /// ones, and everything is marked synthetic.
    pub fn sandbox(origin: &Url, data_dir: impl Into<PathBuf>) -> Self {
        let mut o = ToolkitOptions::new(data_dir);
        if let Some(host) = origin.host_str() {
            let entry = match origin.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            };
            o.fetch_allow_hosts.push(entry);
        }
        o.sites_origin = Some(origin.clone());
        o.synthetic = true;
        o.json_schema_everywhere = true;
        o
    }
}

/// A caller's view of the outside world. Fields are public so a test can swap one piece
/// (a silent TTS, a search double) before wrapping the toolkit in an `Arc`.
pub struct Toolkit {
    pub router: Arc<Router>,
    pub apollo: Option<Arc<ApolloClient>>,
    pub hunter: Option<Arc<HunterClient>>,
    /// Every configured web search, cheapest first; a search fails over down the list.
    pub searches: Vec<Arc<dyn WebSearch>>,
    pub tts: Arc<dyn TtsEngine>,
    /// The free engine on this machine (espeak-ng, else silence), for local audio.
    pub local_tts: Arc<dyn TtsEngine>,
    pub fetcher: Arc<SafeFetcher>,
    pub governors: Arc<Governors>,
    pub prices: PriceTable,
    pub synthetic: bool,
    pub data_dir: PathBuf,
    pub sites_origin: Option<Url>,
}

impl std::fmt::Debug for Toolkit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Toolkit")
            .field("router", &self.router)
            .field("apollo", &self.apollo.is_some())
            .field("hunter", &self.hunter.is_some())
            .field(
                "searches",
                &self.searches.iter().map(|s| s.name()).collect::<Vec<_>>(),
            )
            .field("tts", &self.tts.name())
            .field("synthetic", &self.synthetic)
            .field("sites_origin", &self.sites_origin)
            .finish_non_exhaustive()
    }
}

fn secret(config: &ProvidersConfig, name: &str) -> Option<(Url, SecretString)> {
    let p = config.provider(name)?;
    let key = p.api_key.as_ref()?;
    if key.expose().trim().is_empty() {
        return None;
    }
    Some((
        p.base_url.clone(),
        SecretString::from(key.expose().to_string()),
    ))
}

/// Whether `program` can be started: a path that exists, or a name found in one of
/// `dirs`.
fn program_exists(program: &str, dirs: &[PathBuf]) -> bool {
    let p = Path::new(program);
    if p.components().count() > 1 {
        return p.is_file();
    }
    dirs.iter().any(|dir| dir.join(program).is_file())
}

/// A client for every web search with a key, cheapest first by the price table (a
/// search with no price comes last).
fn web_searches(config: &ProvidersConfig, http: &reqwest::Client) -> Vec<Arc<dyn WebSearch>> {
    type Build = fn(Url, SecretString, reqwest::Client) -> Arc<dyn WebSearch>;
    let kinds: [(&str, Build); 3] = [
        ("serper", |b, k, h| Arc::new(SerperClient::new(b, k, h))),
        ("brave", |b, k, h| Arc::new(BraveClient::new(b, k, h))),
        ("tavily", |b, k, h| Arc::new(TavilyClient::new(b, k, h))),
    ];
    let one = Usage {
        lookups: 1,
        ..Usage::default()
    };
    let mut priced: Vec<(f64, Arc<dyn WebSearch>)> = kinds
        .iter()
        .filter_map(|(name, build)| {
            let (base, key) = secret(config, name)?;
            let price = config
                .prices
                .cost(name, crate::catalogue::endpoint::SEARCH, &one)
                .unwrap_or(f64::INFINITY);
            Some((price, build(base, key, http.clone())))
        })
        .collect();
    // Stable: equal prices keep the order above.
    priced.sort_by(|a, b| a.0.total_cmp(&b.0));
    priced.into_iter().map(|(_, s)| s).collect()
}

impl Toolkit {
    /// The preferred (cheapest) web search, when one is configured.
    pub fn search(&self) -> Option<&Arc<dyn WebSearch>> {
        self.searches.first()
    }

    /// Build every client the configuration has a key (or a keyless base) for. Fails only
    /// when the configuration cannot describe a client at all; a missing key is not an
    /// error here (the route or tool is simply unavailable and says so when used).
    pub fn from_config(
        config: ProvidersConfig,
        options: ToolkitOptions,
    ) -> Result<Toolkit, ProviderError> {
        let config = Arc::new(config);
        let mut governors = Governors::from_config(&config);
        if let Some(limiter) = &options.rate_limiter {
            governors = governors.with_rate_limiter(Arc::clone(limiter));
        }
        let governors = Arc::new(governors);
        // One pool for every API client. The per-attempt deadline is the governor's; this
        // is only the outer bound for a request the governor would already have abandoned.
        let http = crate::http::build_http_client(Duration::from_secs(300));

        let mut router = Router::with_governors(Arc::clone(&config), Arc::clone(&governors));
        for (name, p) in &config.providers {
            match p.kind {
                ProviderKind::OpenAiCompatible => {
                    let key = p
                        .api_key
                        .as_ref()
                        .map(|k| SecretString::from(k.expose().to_string()));
                    let mut client = OpenAiCompatClient::new(
                        name.clone(),
                        p.base_url.clone(),
                        key,
                        http.clone(),
                    );
                    if options.json_schema_everywhere {
                        let d = Dialect::for_provider(name);
                        client = client.with_dialect(Dialect {
                            json_mode: JsonMode::JsonSchema,
                            ..d
                        });
                    }
                    if name == "openrouter" {
                        client = client
                            .with_header("HTTP-Referer", "https://github.com/atl")
                            .with_header("X-OpenRouter-Title", "ATL");
                    }
                    router.register(name.clone(), Arc::new(client));
                }
                ProviderKind::Anthropic => {
                    if let Some((base, key)) = secret(&config, name) {
                        // Sonnet 5.5 rejects forced tool use (Anthropic's model notes): the
                        // answer tool is offered and asked for in the prompt instead, which
                        // every Claude model accepts.
                        let client = AnthropicClient::new(base, key, http.clone())
                            .with_provider_name(name.clone())
                            .with_forced_json_tool(false);
                        router.register(name.clone(), Arc::new(client));
                    }
                }
                _ => {}
            }
        }

        let apollo = secret(&config, "apollo")
            .map(|(base, key)| Arc::new(ApolloClient::new(base, key, http.clone())));
        let hunter = secret(&config, "hunter")
            .map(|(base, key)| Arc::new(HunterClient::new(base, key, http.clone())));
        let searches = web_searches(&config, &http);
        let local_tts: Arc<dyn TtsEngine> =
            if program_exists(&options.espeak_program, &options.program_dirs) {
                Arc::new(EspeakTts::new().with_program(options.espeak_program.clone()))
            } else {
                Arc::new(SilentTts)
            };
        let tts: Arc<dyn TtsEngine> = match secret(&config, "cartesia") {
            Some((base, key)) => Arc::new(CartesiaTts::new(base, key, http.clone())),
            None if program_exists(&options.espeak_program, &options.program_dirs) => {
                Arc::new(EspeakTts::new().with_program(options.espeak_program.clone()))
            }
            None => {
                tracing::warn!(
                    "no CARTESIA_API_KEY and no {} on PATH: voice scripts get silent audio",
                    options.espeak_program
                );
                Arc::new(SilentTts)
            }
        };

        let mut policy = options.fetch_policy.clone();
        for h in &options.fetch_allow_hosts {
            if !policy.allow_hosts.contains(h) {
                policy.allow_hosts.push(h.clone());
            }
        }
        let fetcher = Arc::new(SafeFetcher::new(policy));

        Ok(Toolkit {
            router: Arc::new(router),
            apollo,
            hunter,
            searches,
            tts,
            local_tts,
            fetcher,
            governors,
            prices: config.prices.clone(),
            synthetic: options.synthetic,
            data_dir: options.data_dir,
            sites_origin: options.sites_origin,
        })
    }

    /// A toolkit whose every provider is the sandbox at `origin` (synthetic results),
    /// with the route `chains` given.
    pub fn sandbox(
        origin: Url,
        data_dir: impl Into<PathBuf>,
        chains: &[(&str, Vec<Route>)],
    ) -> Result<Toolkit, ProviderError> {
        let options = ToolkitOptions::sandbox(&origin, data_dir);
        Toolkit::from_config(ProvidersConfig::sandbox(origin, chains), options)
    }

    pub fn config(&self) -> &ProvidersConfig {
        self.router.config()
    }

    /// Where to read a company's own site, from a website URL or a bare domain. In
    /// sandbox mode the sandbox's synthetic page for the domain; otherwise the website
    /// when it is an http(s) URL, else `https://{domain}/`. `None` when nothing usable
    /// was given. The URL still goes through the SSRF-guarded fetcher.
    /// The host a URL stands for: its own host, or — for the sandbox's synthetic pages,
    /// which all live on one origin as `/sites/{domain}/…` — the domain in the path. Used
    /// to tell a company's own pages from another company's.
    pub fn url_host(&self, url: &str) -> Option<String> {
        let parsed = Url::parse(url.trim()).ok()?;
        if self.synthetic
            && let Some(rest) = parsed.path().strip_prefix("/sites/")
        {
            let domain = rest.split('/').next().unwrap_or_default();
            if domain.contains('.') {
                return Some(domain.to_ascii_lowercase());
            }
        }
        parsed
            .host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    }

    /// The site a fetch of `url` is governed as (its own breaker and concurrency): the
    /// registrable domain of its host, or, for the sandbox's pages, which all live on one
    /// origin, of the domain in their path, so that a test's dead domains behave as real
    /// dead sites do and never share a breaker with live ones.
    pub fn fetch_site(&self, url: &str) -> String {
        match self.url_host(url) {
            Some(host) if self.synthetic => {
                crate::governor::registrable_domain(&host).unwrap_or(host)
            }
            _ => crate::governor::site_of(url),
        }
    }

    pub fn site_url(&self, domain_or_website: &str) -> Option<String> {
        let raw = domain_or_website.trim();
        if raw.is_empty() {
            return None;
        }
        let parsed = Url::parse(raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        match &self.sites_origin {
            Some(origin) => {
                let domain = bare_domain(raw);
                if domain.is_empty() || !domain.contains('.') {
                    return None;
                }
                let root = origin.as_str().trim_end_matches('/');
                Some(format!("{root}/sites/{domain}/"))
            }
            None => match parsed {
                Some(u) => Some(u.to_string()),
                None => {
                    let domain = bare_domain(raw);
                    (!domain.is_empty() && domain.contains('.'))
                        .then(|| format!("https://{domain}/"))
                }
            },
        }
    }
}

/// `example.com` from `https://www.example.com/path`, `www.example.com` or `example.com`.
pub fn bare_domain(raw: &str) -> String {
    let s = raw.trim();
    let s = s.split("://").last().unwrap_or(s);
    let s = s.split(['/', '?', '#']).next().unwrap_or(s);
    let s = s.rsplit('@').next().unwrap_or(s);
    let s = s.split(':').next().unwrap_or(s);
    s.trim_start_matches("www.")
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Url {
        Url::parse("http://127.0.0.1:4010").unwrap()
    }

    /// A data directory for toolkits that write nothing (under the workspace's target
    /// directory: a unit test reads no environment).
    fn scratch() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tmp")
    }

    fn chains() -> Vec<(&'static str, Vec<Route>)> {
        vec![("research", vec![Route::new("deepseek", "deepseek-flash")])]
    }

    #[test]
    fn bare_domains() {
        assert_eq!(bare_domain("https://www.Acme.com/about?x=1"), "acme.com");
        assert_eq!(bare_domain("acme.com"), "acme.com");
        assert_eq!(bare_domain("http://acme.com:8080/"), "acme.com");
    }

    #[tokio::test]
    async fn sandbox_toolkit_has_every_client_and_rewrites_sites() {
        let t = Toolkit::sandbox(origin(), scratch(), &chains()).unwrap();
        assert!(t.synthetic && t.apollo.is_some() && t.hunter.is_some());
        let searches: Vec<&str> = t.searches.iter().map(|s| s.name()).collect();
        assert_eq!(searches, ["serper", "brave", "tavily"], "cheapest first");
        assert_eq!(t.tts.name(), "cartesia");
        assert_eq!(
            t.site_url("https://www.acme.com/x").as_deref(),
            Some("http://127.0.0.1:4010/sites/acme.com/")
        );
        assert_eq!(t.site_url("nodots"), None);
        assert!(t.router.pick("research").is_ok());
        assert!(
            t.fetcher
                .policy()
                .allow_hosts
                .contains(&"127.0.0.1:4010".to_string())
        );
    }

    #[tokio::test]
    async fn unkeyed_toolkit_has_no_lookup_clients_and_real_site_urls() {
        let config = ProvidersConfig::from_sources(&Default::default(), None, &chains()).unwrap();
        let mut options = ToolkitOptions::new(scratch());
        options.espeak_program = "definitely-not-installed-espeak".into();
        let t = Toolkit::from_config(config, options).unwrap();
        assert!(!t.synthetic && t.apollo.is_none() && t.hunter.is_none());
        assert!(t.searches.is_empty() && t.search().is_none());
        assert_eq!(t.tts.name(), "silent");
        assert_eq!(t.site_url("acme.com").as_deref(), Some("https://acme.com/"));
        assert_eq!(
            t.site_url("https://acme.com/en").as_deref(),
            Some("https://acme.com/en")
        );
        let e = t.router.pick("research").unwrap_err();
        assert!(e.to_string().contains("DEEPSEEK_API_KEY"), "{e}");
        assert!(t.web_search("x", 1).await.is_err());
    }

    #[tokio::test]
    async fn fetch_is_guarded_and_free() {
        let t = Toolkit::sandbox(origin(), scratch(), &[]).unwrap();
        let e = t.fetch("http://10.0.0.1/").await.unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Blocked, "{e}");
    }
}
