//! The ATL data model (DESIGN.md, "Data model") on SQLite or PostgreSQL behind one API.
//!
//! [`Store`] wraps a pool for either backend. Almost all SQL text is shared (`$n`
//! placeholders, `RETURNING` and `ON CONFLICT` work on both); timestamps are bound from
//! Rust rather than computed with `now()` so that it stays shared. Backend-specific SQL is
//! limited to bulk target inserts and JSON merging (and, later, the job lease claim).
//!
//! Money is integer nano-dollars (`*_nano_usd`) in every column; see [`nano_to_usd`].

mod audio;
mod control;
mod db;
mod error;
mod evidence;
mod export;
mod import;
mod keys;
mod ledger;
mod migrate;
mod model;
mod queries;
mod results;
mod store;

#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use db::Backend;
pub use error::{ConstraintKind, StoreError, redact_url};
pub use export::{JobFailure, MAX_BATCH_IDS, TargetCursor, TargetSort, TargetSortKey};
pub use import::CampaignImport;
pub use keys::{API_KEY_PREFIX, ApiKeyInfo, CreatedApiKey, KeyOwner, hash_api_key};
pub use ledger::{ClaimRequest, ClaimedJob, FailOutcome, KindCosts, format_usd};
pub use model::{
    Campaign, CampaignTally, NANOS_PER_USD, NewCampaign, Target, TargetCounts, nano_to_usd,
    usd_to_nano,
};
pub use queries::MAX_PAGE;
pub use results::{CampaignCounters, Event, JobCounts, JobRecord, Progress, StoredResult};
pub use store::{DEFAULT_DATABASE_URL, Store};
