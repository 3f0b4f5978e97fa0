//! The library calls that the CLI and the HTTP API are thin shells over.
//!
//! Architecture invariant: this crate composes the importer, the store (and, later, the
//! coordinator) but owns no SQL and no wire format of its own. Anything a user can do
//! from `atl` or from `/api/atl` is one function here, so both shells behave alike.

mod audio;
mod enrich;
mod error;
mod evidence_cache;
mod executives;
mod export;
mod import;
mod itemised;
mod lookup;
mod preview;
mod providers;
mod quote;
mod rate_windows;
pub mod record;
mod retry;
mod running;
pub mod settings;
mod status;
mod upload;

pub use audio::{AudioFile, AudioSweep, ensure_audio, render_missing_audio};
pub use enrich::{
    EnrichEvent, EnrichOutcome, EnrichRequest, SOURCE_DIGEST_KEY, enrich, find_resumable,
    source_digest,
};
pub use error::AppError;
pub use evidence_cache::StoreCache;
pub use executives::{ExecutiveList, ExecutiveView, ExecutivesQuery, executives, parse_levels};
pub use export::{
    CONTACT_COLUMNS, ExportFormat, ExportKind, ExportStats, Exporter, INPUT_COLUMNS, UnknownFormat,
    enriched_columns, export_to_file, export_to_writer, sanitize_cell,
};
pub use import::{ImportOutcome, ImportRequest, import_csv};
pub use itemised::{AgentShare, ItemisedLine, ItemisedQuote, retry_failed_quote};
pub use preview::{PREVIEW_SAMPLE, PreviewRequest, UploadPreview, preview_csv};
pub use providers::{ProviderMode, Providers, SandboxSetup};
pub use quote::{
    AgentQuote, CampaignEstimate, QuoteLine, RetryQuote, estimate_campaign, retry_quote,
};
pub use rate_windows::{SharedRateLimiter, rate_limiter_for};
pub use retry::{RetryOutcome, retry_failed};
pub use running::{agent_kit, coordinator, run_campaign};
pub use settings::{Settings, SettingsError};
pub use status::{CostView, FailureReason, ProgressView, StatusView, rfc3339, status_view};
pub use upload::read_upload_file;
