//! The settings of one process, read once.
//!
//! One pure function, [`Settings::load`], turns a map of environment variables and the
//! text of `atl.toml` into one tree: database, providers, engine, server, data dir,
//! sandbox. Layers, later wins: the defaults → the file → the environment (the CLI's flags
//! then override what they name). The binary reads the process environment once and the
//! file once and passes both in; no library crate reads the environment, so every rule
//! here is testable with a table and nothing else.
//!
//! Provider keys, base URLs, routes and prices are the providers crate's own layering
//! (`atl_providers::config`, where the file beats the environment so one file can pin a
//! whole setup); this module hands it the same map and text and keeps the result.

mod file;
#[cfg(test)]
mod tests;

use crate::AppError;
use atl_agents::routes::default_routes;
use atl_engine::EngineConfig;
use atl_providers::config::ProvidersConfig;
use atl_store::{DEFAULT_DATABASE_URL, PG_MAX_CONNECTIONS, StoreOptions};
use file::FileSettings;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the settings file is looked for: the working directory.
pub const SETTINGS_FILE: &str = "atl.toml";
/// Jobs in flight at once when nothing says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Where `atl serve` listens when nothing says otherwise.
pub const DEFAULT_SERVER_ADDR: &str = "127.0.0.1:8080";
/// Where audio and other artefacts go when nothing says otherwise.
pub const DEFAULT_DATA_DIR: &str = "atl-data";

/// Everything a process is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub providers: ProviderSettings,
    pub engine: EngineSettings,
    pub server: ServerSettings,
    /// Where audio and other artefacts go (`ATL_DATA_DIR`, `data_dir`).
    pub data_dir: PathBuf,
    pub sandbox: SandboxSettings,
    /// The log filter (`ATL_LOG`), when one is set.
    pub log: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// `ATL_DATABASE_URL`, `[database] url`, else a SQLite file here.
    pub url: String,
    /// `ATL_DB_MAX_CONNECTIONS`, `[database] max_connections`: the PostgreSQL pool size.
    pub max_connections: u32,
    /// Whether `PGSSLMODE` is set (then it is obeyed even on this machine).
    pub pgsslmode_set: bool,
}

impl DatabaseSettings {
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            pg_max_connections: self.max_connections,
            pgsslmode_set: self.pgsslmode_set,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// Keys, base URLs, limits, routes and prices, resolved.
    pub config: ProvidersConfig,
    /// Where programs named without a path (espeak-ng) are looked for: `PATH`.
    pub program_dirs: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSettings {
    /// `[engine] concurrency`: jobs in flight at once in this process.
    pub concurrency: usize,
    /// `HOSTNAME`: this machine's name where the kernel does not say it.
    pub host_fallback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// `[server] addr`: where `atl serve` listens.
    pub addr: SocketAddr,
    /// `[server] public_names`: host names clients reach the server by (behind a proxy,
    /// its public name); a request naming any other `Host` is refused. `--public-name`
    /// adds to them.
    pub public_names: Vec<String>,
    /// `[server] cors_origins`: origins whose web pages may call the API; none by default,
    /// so CORS stays closed. `--cors-origin` adds to them.
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSettings {
    /// `ATL_SANDBOX_URL`, `[sandbox] url`: a running `atl sandbox` every provider call goes
    /// to. Without it, and without any usable provider, an in-process sandbox is started.
    pub url: Option<url::Url>,
}

/// A setting that cannot be used; the message names the variable or the file's key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("{source_name} `{value}`: {reason}")]
    Invalid {
        source_name: &'static str,
        value: String,
        reason: String,
    },
    #[error("atl.toml: {0}")]
    File(String),
    #[error(transparent)]
    Providers(#[from] atl_providers::config::ConfigError),
}

impl From<SettingsError> for AppError {
    fn from(e: SettingsError) -> Self {
        AppError::Config(e.to_string())
    }
}

/// The environment variable's value, trimmed, when it says anything.
fn var<'a>(env: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    env.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

impl Settings {
    /// The settings from the environment map `env` and the text of `atl.toml` (`None` when
    /// there is no file). Pure: reads nothing else.
    pub fn load(
        env: &HashMap<String, String>,
        file_text: Option<&str>,
    ) -> Result<Settings, SettingsError> {
        let file = FileSettings::parse(file_text)?;

        let database = DatabaseSettings {
            url: var(env, "ATL_DATABASE_URL")
                .map(str::to_string)
                .or(file.database.url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            // An unreadable pool size is ignored, as a missing one is.
            max_connections: var(env, "ATL_DB_MAX_CONNECTIONS")
                .and_then(|v| v.parse().ok())
                .or(file.database.max_connections)
                .filter(|n| *n > 0)
                .unwrap_or(PG_MAX_CONNECTIONS),
            pgsslmode_set: env.contains_key("PGSSLMODE"),
        };

        let sandbox_url = match var(env, "ATL_SANDBOX_URL") {
            Some(v) => Some(("ATL_SANDBOX_URL", v.to_string())),
            None => file.sandbox.url.map(|v| ("[sandbox] url", v)),
        };
        let sandbox = SandboxSettings {
            url: sandbox_url
                .map(|(source_name, value)| {
                    url::Url::parse(&value).map_err(|e| SettingsError::Invalid {
                        source_name,
                        value: value.clone(),
                        reason: e.to_string(),
                    })
                })
                .transpose()?,
        };

        let providers = ProviderSettings {
            config: ProvidersConfig::from_sources(env, file_text, &default_routes())?,
            program_dirs: env
                .get("PATH")
                .map(|p| std::env::split_paths(p).collect())
                .unwrap_or_default(),
        };

        let engine = EngineSettings {
            concurrency: file
                .engine
                .concurrency
                .unwrap_or(DEFAULT_CONCURRENCY)
                .max(1),
            host_fallback: var(env, "HOSTNAME").map(str::to_string),
        };

        let addr = file
            .server
            .addr
            .unwrap_or_else(|| DEFAULT_SERVER_ADDR.to_string());
        let server = ServerSettings {
            addr: addr
                .parse()
                .map_err(|e: std::net::AddrParseError| SettingsError::Invalid {
                    source_name: "[server] addr",
                    value: addr.clone(),
                    reason: e.to_string(),
                })?,
            public_names: file.server.public_names,
            cors_origins: file.server.cors_origins,
        };

        let data_dir = var(env, "ATL_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));

        Ok(Settings {
            database,
            providers,
            engine,
            server,
            data_dir,
            sandbox,
            log: log_filter(env),
        })
    }

    /// The coordinator's configuration: the engine's defaults with this process's host,
    /// data dir and concurrency (`concurrency` overrides the settings' when given).
    pub fn engine_config(&self, concurrency: Option<usize>) -> EngineConfig {
        EngineConfig {
            concurrency: concurrency.unwrap_or(self.engine.concurrency).max(1),
            data_dir: self.data_dir.clone(),
            ..EngineConfig::on_host(atl_engine::host_name(self.engine.host_fallback.as_deref()))
        }
    }
}

/// The log filter `ATL_LOG` sets, if any: the binary starts logging before it reads the
/// settings file, so this one setting is also read on its own.
pub fn log_filter(env: &HashMap<String, String>) -> Option<String> {
    var(env, "ATL_LOG").map(str::to_string)
}

/// The text of the settings file at `path`, when it exists.
pub fn read_settings_file(path: &Path) -> Result<Option<String>, AppError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AppError::Config(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}
