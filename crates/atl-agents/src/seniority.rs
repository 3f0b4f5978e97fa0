//! Seniority in Apollo's vocabulary: the classifier lives in `atl-domain`; this module
//! keeps the names the agents use.

pub use atl_domain::seniority::{APOLLO_SENIORITIES, Seniority, classify, normalise};

/// The e-mail statuses an enrichment record can carry.
pub const EMAIL_STATUSES: [&str; 5] = [
    "verified",
    "catch_all",
    "unverified_guess",
    "invalid",
    "unknown",
];
