use atl_import::ImportError;
use atl_store::StoreError;

/// Everything a user-facing call can fail with. Each message is meant to be shown to a
/// RevOps person as it is: it names the limit, the file or the headers involved.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The file parsed, but not one row had a usable company: nothing was stored.
    #[error("no targets to import: {rejected} row(s) rejected, see the report")]
    NoTargets {
        rejected: u64,
        report: Box<serde_json::Value>,
    },
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
    /// The coordinator stopped on a database that kept failing (the campaign is intact).
    #[error(transparent)]
    Engine(#[from] atl_engine::EngineError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("campaign {0} not found")]
    CampaignNotFound(i64),
    #[error("target {0} not found")]
    TargetNotFound(i64),
    /// What was asked for does not exist yet (a script still being written).
    #[error("{0}")]
    NotReady(String),
    /// A provider failed a request made outside a job (an audio render).
    #[error("provider: {0}")]
    Provider(String),
    /// A request that cannot be answered as asked (an unknown seniority, a zero limit).
    #[error("{0}")]
    InvalidInput(String),
    /// Provider configuration that cannot be used (a bad URL, an unreadable atl.toml).
    #[error("configuration: {0}")]
    Config(String),
}
