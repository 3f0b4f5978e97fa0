//! The ATL data model (teams, campaigns, targets, the job ledger, results, costs, events)
//! on SQLite or PostgreSQL behind one API.
//!
//! [`Store`] wraps a pool for either backend. Almost all SQL text is shared (`$n`
//! placeholders, `RETURNING` and `ON CONFLICT` work on both); timestamps are bound from
//! Rust rather than computed with `now()` so that it stays shared; in the ledger the value
//! bound is the database's own clock (PostgreSQL's `now()` read as each transaction
//! begins). Backend-specific SQL is limited to bulk target inserts, JSON merging and the
//! job lease claim's lock clauses.
//!
//! Money is integer nano-dollars (`*_nano_usd`) in every column; see [`nano_to_usd`].

mod attempts;
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
mod rates;
mod results;
mod search;
mod store;

pub use attempts::{AttemptRecord, SubAgentFailures};
pub use db::Backend;
pub use error::{ConstraintKind, StoreError, redact_url, url_password};
pub use export::{JobFailure, MAX_BATCH_IDS, TargetCursor};
pub use import::CampaignImport;
pub use keys::{API_KEY_PREFIX, ApiKeyInfo, CreatedApiKey, KeyOwner, hash_api_key};
pub use ledger::{
    AttemptOutcome, AttemptSpend, ClaimRequest, ClaimedJob, FailNext, FailOutcome, KindCosts,
    Reservation, WorkerInfo, format_usd,
};
pub use model::{
    Campaign, CampaignTally, MissingSubAgent, NANOS_PER_USD, NewCampaign, Target, TargetCounts,
    nano_to_usd, usd_to_nano,
};
pub use queries::{MAX_PAGE, TargetSort, TargetSortKey};
pub use rates::RateTake;
pub use results::{CampaignCounters, Event, JobCounts, JobRecord, Progress, StoredResult};
pub use search::{MAX_SEARCH_CHARS, TargetFilter};
pub use store::{DEFAULT_DATABASE_URL, PG_MAX_CONNECTIONS, Store, StoreOptions};
