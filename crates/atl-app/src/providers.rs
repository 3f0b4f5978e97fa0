//! Which providers a run talks to: the configured ones, or the sandbox.
//!
//! With provider keys set (environment or `atl.toml`), agents call the real services.
//! With none, or with the settings' sandbox URL pointing at a running `atl sandbox`, they call the
//! sandbox, whose content is synthetic and says so. The zero-configuration demo starts the
//! sandbox inside this process so that no second terminal is needed.

use crate::{AppError, Settings};
use atl_agents::routes::default_routes;
use atl_providers::config::ProvidersConfig;
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
    /// real providers; else an in-process sandbox.
    pub async fn from_settings(settings: &Settings) -> Result<Providers, AppError> {
        let data_dir = &settings.data_dir;
        if let Some(url) = &settings.sandbox.url {
            return Self::sandbox_at(url.clone(), data_dir, false, None);
        }
        let config = &settings.providers.config;
        if has_llm_route(config) {
            let mut options = ToolkitOptions::new(data_dir);
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
        Self::embedded_sandbox(data_dir, SandboxConfig::default()).await
    }

    /// Starts a sandbox in this process on an ephemeral loopback port and points every
    /// provider at it.
    pub async fn embedded_sandbox(
        data_dir: &Path,
        config: SandboxConfig,
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
        Self::sandbox_at(url, data_dir, true, Some(sandbox))
    }

    fn sandbox_at(
        origin: url::Url,
        data_dir: &Path,
        embedded: bool,
        sandbox: Option<Sandbox>,
    ) -> Result<Providers, AppError> {
        let mode = ProviderMode::Sandbox {
            origin: origin.to_string().trim_end_matches('/').to_string(),
            embedded,
        };
        let toolkit = Toolkit::sandbox(origin, data_dir, &default_routes())
            .map_err(|e| AppError::Config(e.to_string()))?;
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
