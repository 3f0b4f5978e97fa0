//! Which providers a run talks to: the configured ones, or the sandbox.
//!
//! With provider keys set (environment or `atl.toml`), agents call the real services.
//! With none, or with the settings' sandbox URL pointing at a running `atl sandbox`, they call the
//! sandbox, whose content is synthetic and says so. The zero-configuration demo starts the
//! sandbox inside this process so that no second terminal is needed.

use crate::{AppError, Settings};
use atl_agents::routes::default_routes;
use atl_providers::config::ProvidersConfig;
use atl_providers::governor::RateLimiter;
use atl_providers::limits::Limits;
use atl_providers::toolkit::{Toolkit, ToolkitOptions};
use atl_sandbox::{Sandbox, SandboxConfig};
use std::path::Path;
use std::sync::Arc;

/// Where the agents' calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderMode {
    /// Real providers from keys in the environment or `atl.toml`.
    Configured,
    /// A sandbox at this origin (started in-process when `embedded`).
    Sandbox { origin: String, embedded: bool },
}

impl ProviderMode {
    /// Sandbox runs spend nothing: their costs are what real providers would charge.
    pub fn is_sandbox(&self) -> bool {
        matches!(self, ProviderMode::Sandbox { .. })
    }

    /// The one line a user is told at the start of a run.
    pub fn describe(&self) -> String {
        match self {
            ProviderMode::Configured => {
                "providers: configured keys (real API calls, real cost)".into()
            }
            ProviderMode::Sandbox { embedded: true, .. } => {
                "no provider keys set: running on the built-in sandbox (synthetic data, nothing \
                 is charged; costs shown are what real providers would charge)"
                    .into()
            }
            ProviderMode::Sandbox { origin, .. } => {
                format!(
                    "providers: sandbox at {origin} (synthetic data; costs shown are what real providers would charge)"
                )
            }
        }
    }
}

/// How a toolkit on the sandbox is set up beyond the defaults (no rate limits, counted
/// in this process): benchmarks and tests that hold ATL to a vendor's plan, as it would
/// be held against the real vendor.
#[derive(Debug, Clone, Default)]
pub struct SandboxSetup {
    /// (provider, tier): keep that tier's documented limits for the provider.
    pub tiers: Vec<(String, String)>,
    /// Where rate slots come from (see [`crate::rate_limiter_for`]); `None`: in process.
    pub rate_limiter: Option<Arc<dyn RateLimiter>>,
    /// Providers left out, as in an installation without their keys.
    pub without: Vec<String>,
}

/// The providers of one process. Holds the embedded sandbox (if any) for as long as it
/// lives, so that the sandbox stops with it.
pub struct Providers {
    pub toolkit: Arc<Toolkit>,
    pub mode: ProviderMode,
    sandbox: Option<Sandbox>,
}

impl Providers {
    /// Builds the providers of this process from its settings: a sandbox URL → that
    /// sandbox; else a usable model route (keys from the environment or `atl.toml`) →
    /// real providers; else an in-process sandbox. `rate_limiter` is where rate slots
    /// come from (shared by the processes on one database, see
    /// [`crate::rate_limiter_for`]); `None` counts in this process.
    pub async fn from_settings(
        settings: &Settings,
        rate_limiter: Option<Arc<dyn RateLimiter>>,
    ) -> Result<Providers, AppError> {
        let data_dir = &settings.data_dir;
        let setup = SandboxSetup {
            rate_limiter: rate_limiter.clone(),
            ..SandboxSetup::default()
        };
        if let Some(url) = &settings.sandbox.url {
            return Self::sandbox_at(url.clone(), data_dir, false, None, &setup);
        }
        let config = &settings.providers.config;
        if has_llm_route(config) {
            let mut options = ToolkitOptions::new(data_dir);
            options.rate_limiter = rate_limiter;
            // Programs named without a path (espeak-ng) are looked for on PATH.
            options.program_dirs = settings.providers.program_dirs.clone();
            let toolkit = Toolkit::from_config(config.clone(), options)
                .map_err(|e| AppError::Config(e.to_string()))?;
            return Ok(Providers {
                toolkit: Arc::new(toolkit),
                mode: ProviderMode::Configured,
                sandbox: None,
            });
        }
        Self::embedded_sandbox_with(data_dir, SandboxConfig::default(), setup).await
    }

    /// Starts a sandbox in this process on an ephemeral loopback port and points every
    /// provider at it.
    pub async fn embedded_sandbox(
        data_dir: &Path,
        config: SandboxConfig,
    ) -> Result<Providers, AppError> {
        Self::embedded_sandbox_with(data_dir, config, SandboxSetup::default()).await
    }

    /// [`Self::embedded_sandbox`], with ATL held to `setup`.
    pub async fn embedded_sandbox_with(
        data_dir: &Path,
        config: SandboxConfig,
        setup: SandboxSetup,
    ) -> Result<Providers, AppError> {
        let sandbox = Sandbox::start(
            "127.0.0.1:0"
                .parse()
                .map_err(|_| AppError::Config("bad address".into()))?,
            config,
        )
        .await
        .map_err(|e| AppError::Config(format!("cannot start the built-in sandbox: {e}")))?;
        let url = url::Url::parse(&sandbox.base_url())
            .map_err(|e| AppError::Config(format!("sandbox address: {e}")))?;
        Self::sandbox_at(url, data_dir, true, Some(sandbox), &setup)
    }

    /// Providers pointed at a sandbox already running at `origin` (another process's),
    /// held to `setup`.
    pub fn running_sandbox(
        origin: url::Url,
        data_dir: &Path,
        setup: &SandboxSetup,
    ) -> Result<Providers, AppError> {
        Self::sandbox_at(origin, data_dir, false, None, setup)
    }

    fn sandbox_at(
        origin: url::Url,
        data_dir: &Path,
        embedded: bool,
        sandbox: Option<Sandbox>,
        setup: &SandboxSetup,
    ) -> Result<Providers, AppError> {
        let mode = ProviderMode::Sandbox {
            origin: origin.to_string().trim_end_matches('/').to_string(),
            embedded,
        };
        let mut config = ProvidersConfig::sandbox(origin.clone(), &default_routes());
        config
            .providers
            .retain(|name, _| !setup.without.contains(name));
        for (provider, tier) in &setup.tiers {
            let limits = Limits::for_tier(provider, Some(tier))
                .map_err(|e| AppError::Config(format!("{provider} tier {tier:?}: {e}")))?;
            if let Some(p) = config.providers.get_mut(provider) {
                p.limits = limits;
            }
        }
        let mut options = ToolkitOptions::sandbox(&origin, data_dir);
        options.rate_limiter = setup.rate_limiter.clone();
        let toolkit =
            Toolkit::from_config(config, options).map_err(|e| AppError::Config(e.to_string()))?;
        Ok(Providers {
            toolkit: Arc::new(toolkit),
            mode,
            sandbox,
        })
    }

    /// The embedded sandbox, for tests and benchmarks that change its latency or faults.
    pub fn sandbox(&self) -> Option<&Sandbox> {
        self.sandbox.as_ref()
    }
}

/// Whether any sub-agent's route names a provider that can be called (has a key or is
/// keyless like a local Ollama): without one, nothing real could run.
fn has_llm_route(config: &ProvidersConfig) -> bool {
    ["research", "intel", "enrichment", "voice"]
        .iter()
        .any(|agent| {
            config
                .routes_for(agent)
                .iter()
                .any(|r| config.provider(&r.provider).is_some_and(|p| p.is_usable()))
        })
}
