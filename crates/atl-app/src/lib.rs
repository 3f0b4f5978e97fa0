//! The library calls that the CLI and the HTTP API are thin shells over.
//!
//! Architecture invariant: this crate composes the importer, the store (and, later, the
//! coordinator) but owns no SQL and no wire format of its own. Anything a user can do
//! from `atl` or from `/api/atl` is one function here, so both shells behave alike.

mod enrich;
mod error;
mod export;
mod import;
mod providers;
mod status;
mod upload;

pub use enrich::{
    CampaignEstimate, RetryQuote, SOURCE_DIGEST_KEY, coordinator, estimate_campaign,
    find_resumable, retry_quote, source_digest,
};
pub use error::AppError;
pub use export::{
    ENRICHED_COLUMNS, ExportFormat, ExportStats, Exporter, INPUT_COLUMNS, UnknownFormat,
    export_to_writer, sanitize_cell,
};
pub use import::{ImportOutcome, ImportRequest, import_csv};
pub use providers::{ProviderMode, Providers, data_dir};
pub use status::{CostView, FailureReason, ProgressView, StatusView, rfc3339, status_view};
pub use upload::read_upload_file;
