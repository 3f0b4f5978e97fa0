//! Seniority in Apollo's vocabulary and the title classifier live in
//! [`atl_domain::seniority`] (pure, shared with the CLI); this module keeps the names the
//! agents use, plus the e-mail statuses of an enrichment result.

pub use atl_domain::seniority::{
    APOLLO_SENIORITIES, Seniority, classify, classify as classify_title, normalise,
};

/// `email_status` values of an enrichment result.
pub const EMAIL_STATUSES: [&str; 5] = [
    "verified",
    "catch_all",
    "unverified_guess",
    "invalid",
    "unknown",
];
