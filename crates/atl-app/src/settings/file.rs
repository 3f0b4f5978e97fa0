//! This crate's part of `atl.toml`: `data_dir` and the `[database]`, `[engine]`,
//! `[server]` and `[sandbox]` sections. The providers' sections (`[providers.*]`,
//! `[routes]`, `[pricing.*]`) are read by `atl_providers::config`; each side ignores the
//! other's, and rejects unknown keys inside its own sections so a typo is an error.

use super::SettingsError;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Default, Deserialize)]
pub(super) struct FileSettings {
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub database: FileDatabase,
    #[serde(default)]
    pub engine: FileEngine,
    #[serde(default)]
    pub server: FileServer,
    #[serde(default)]
    pub sandbox: FileSandbox,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileDatabase {
    pub url: Option<String>,
    pub max_connections: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileEngine {
    pub concurrency: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileServer {
    pub addr: Option<String>,
    #[serde(default)]
    pub public_names: Vec<String>,
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSandbox {
    pub url: Option<String>,
}

impl FileSettings {
    pub fn parse(text: Option<&str>) -> Result<FileSettings, SettingsError> {
        match text {
            None => Ok(FileSettings::default()),
            Some(t) => toml::from_str(t).map_err(|e| SettingsError::File(e.to_string())),
        }
    }
}
