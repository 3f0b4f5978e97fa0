//! Typed clients for every outside service ATL calls, the governor every call goes
//! through, pricing, model routing, structured output and the SSRF-guarded fetcher.
//!
//! Architecture invariant: this crate knows HTTP and the providers' wire formats, nothing
//! of campaigns, targets or SQL. A client makes one call and reports what happened
//! ([`ProviderError`] says whether it may be retried and after how long); the
//! [`governor`] admits calls, the [`router`] fails over between routes, and whether a
//! failed job waits or gives up is decided by the caller.

pub mod anthropic;
pub mod apollo;
pub mod catalogue;
pub mod config;
pub mod error;
pub mod fetch;
pub mod governor;
pub mod http;
pub mod hunter;
pub mod limits;
pub mod llm;
pub mod openai_compat;
pub mod prices;
pub mod pricing;
pub mod repair;
pub mod route;
pub mod router;
pub mod schema_check;
pub mod search;
pub mod secret;
pub mod ssrf;
pub mod structured;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod toolkit;
pub mod tts;
pub mod usage;

pub use error::{ErrorKind, ProviderError};
pub use governor::registrable_domain;
pub use usage::{Metered, Usage};
